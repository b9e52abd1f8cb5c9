package store

import (
	"database/sql"
	"time"
)

// columns is the column list every read selects, in scan order.
const columns = `tenant_id, id, kind, use_case, status, idempotency_key, input, meta, msn, auth_req_id,
poll_interval_ms, due_at, expires_at, deadline, attempts, profile, result, error,
created_at, updated_at, finished_at, delivered_at, purged_at, version, lease_owner, lease_until`

type scanner interface{ Scan(dest ...any) error }

func scanRequest(sc scanner) (Request, error) {
	var (
		r                                                      Request
		idem, owner                                            sql.NullString
		pollMS                                                 int64
		due, exp, dl, created, updated, fin, deliv, purged, lu sql.NullInt64
		status                                                 string
		input, meta, result, errJSON                           []byte
	)
	err := sc.Scan(&r.TenantID, &r.ID, &r.Kind, &r.UseCase, &status, &idem, &input, &meta, &r.MSN, &r.AuthReqID,
		&pollMS, &due, &exp, &dl, &r.Attempts, &r.Profile, &result, &errJSON,
		&created, &updated, &fin, &deliv, &purged, &r.Version, &owner, &lu)
	if err != nil {
		return Request{}, err
	}
	r.Status = Status(status)
	r.Input, r.Meta, r.Result, r.Error = input, meta, result, errJSON
	r.IdempotencyKey = idem.String
	r.LeaseOwner = owner.String
	r.PollInterval = time.Duration(pollMS) * time.Millisecond
	r.DueAt, r.ExpiresAt, r.Deadline = fromMicros(due), fromMicros(exp), fromMicros(dl)
	r.CreatedAt, r.UpdatedAt, r.FinishedAt = fromMicros(created), fromMicros(updated), fromMicros(fin)
	r.DeliveredAt, r.PurgedAt, r.LeaseUntil = fromMicros(deliv), fromMicros(purged), fromMicros(lu)
	return r, nil
}

// micros stores t as Unix microseconds, or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBytes keeps nil as NULL and an empty value as empty.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
