-- +goose Up
-- NextDueAt looks at leased rows separately; there are only as many as are
-- being worked on, and this index finds them without a table scan.
CREATE INDEX requests_leased ON requests (lease_until) WHERE lease_owner IS NOT NULL;

-- +goose Down
DROP INDEX requests_leased;
