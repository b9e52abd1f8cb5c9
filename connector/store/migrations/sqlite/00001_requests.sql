-- +goose Up
-- Times are Unix microseconds (UTC), durations milliseconds; NULL = not set.
CREATE TABLE requests (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    use_case         TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL,
    idempotency_key  TEXT,
    input            BLOB,
    meta             BLOB,
    msn              TEXT    NOT NULL DEFAULT '',
    auth_req_id      TEXT    NOT NULL DEFAULT '',
    poll_interval_ms INTEGER NOT NULL DEFAULT 0,
    due_at           INTEGER,
    expires_at       INTEGER,
    deadline         INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    profile          BLOB,
    result           BLOB,
    error            BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    delivered_at     INTEGER,
    purged_at        INTEGER,
    version          INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_until      INTEGER,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX requests_idempotency ON requests (tenant_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX requests_due ON requests (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX requests_finished ON requests (finished_at) WHERE finished_at IS NOT NULL;

-- +goose Down
DROP TABLE requests;
