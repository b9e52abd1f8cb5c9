package store

import (
	"database/sql"
	"time"
)

// columns is the column list every read selects, in scan order.
const columns = `tenant_id, id, kind, status, idempotency_key, request_hash, exclusive_key, input, state, private, result, error,
due_at, attempts, created_at, updated_at, finished_at, delivered_at, purged_at, version, lease_owner, lease_until`

type scanner interface{ Scan(dest ...any) error }

func scanJob(sc scanner) (Job, error) {
	var (
		j                                                  Job
		idem, excl, owner                                  sql.NullString
		due, created, updated, fin, deliv, purged, leaseTo sql.NullInt64
	)
	err := sc.Scan(&j.TenantID, &j.ID, &j.Kind, &j.Status, &idem, &j.RequestHash, &excl,
		&j.Input, &j.State, &j.Private, &j.Result, &j.Error,
		&due, &j.Attempts, &created, &updated, &fin, &deliv, &purged, &j.Version, &owner, &leaseTo)
	if err != nil {
		return Job{}, err
	}
	j.IdempotencyKey, j.ExclusiveKey, j.LeaseOwner = idem.String, excl.String, owner.String
	j.DueAt = fromMicros(due)
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromMicros(created), fromMicros(updated), fromMicros(fin)
	j.DeliveredAt, j.PurgedAt, j.LeaseUntil = fromMicros(deliv), fromMicros(purged), fromMicros(leaseTo)
	j.Final = fin.Valid
	return j, nil
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
