-- +goose Up
-- One table for every job of every kind (logins, payments, webhook events,
-- scheduled runs). The store knows no kind's columns: what a kind needs
-- besides the engine's own columns lives in its JSON payloads. Times are
-- Unix microseconds (UTC); NULL = not set. A row is final exactly when
-- finished_at is set (the kind decides which statuses are final).
CREATE TABLE jobs (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    idempotency_key  TEXT,
    request_hash     TEXT    NOT NULL DEFAULT '',
    exclusive_key    TEXT,
    input            BLOB,
    state            BLOB,
    private          BLOB,
    result           BLOB,
    error            BLOB,
    due_at           INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
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
CREATE UNIQUE INDEX jobs_idempotency ON jobs (tenant_id, kind, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX jobs_exclusive ON jobs (exclusive_key) WHERE exclusive_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE lease_owner IS NOT NULL;

-- The login requests move over: their own columns become the login kind's
-- state document, the consent (token, then profile) its private payload.
INSERT INTO jobs (tenant_id, id, kind, status, idempotency_key, input, state, private, result, error,
    due_at, attempts, created_at, updated_at, finished_at, delivered_at, purged_at, version, lease_owner, lease_until)
SELECT tenant_id, id, kind, status, idempotency_key, input,
    CAST(json_object('useCase', use_case, 'msn', msn, 'authReqId', auth_req_id, 'pollIntervalMs', poll_interval_ms,
        'expiresAt', expires_at, 'deadline', deadline, 'meta', json(CAST(COALESCE(meta, '{}') AS TEXT))) AS BLOB),
    profile, result, error, due_at, attempts, created_at, updated_at, finished_at, delivered_at, purged_at,
    version, lease_owner, lease_until
FROM requests;
DROP TABLE requests;

-- +goose Down
-- Not reversible: the login rows live in jobs from here on.
SELECT 1;
