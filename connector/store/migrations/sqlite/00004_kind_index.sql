-- +goose Up
-- Store.List pages through one tenant's jobs of a kind in id order (the
-- reconciliation sweep over payments, the findings and settlements).
CREATE INDEX jobs_kind ON jobs (tenant_id, kind, id);

-- +goose Down
DROP INDEX jobs_kind;
