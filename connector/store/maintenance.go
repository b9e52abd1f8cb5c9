package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// NextDueAt is the earlier of the first due unleased row (walking the due_at
// index) and the first leased row's max(due_at, lease_until) (through the
// partial index on leased rows, which are only the ones being worked on).
// The scheduler asks often, so neither query scans the table.
func (s *sqlStore) NextDueAt(ctx context.Context, kinds ...string) (time.Time, bool, error) {
	var free, leased sql.NullInt64
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = k
	}
	if err := s.r.queryRow(ctx, `SELECT MIN(due_at) FROM jobs WHERE due_at IS NOT NULL AND lease_owner IS NULL`+kindIn(kinds), args...).Scan(&free); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	// The unary plus keeps SQLite's planner off the due_at index, which
	// would walk every due row (all pending work) instead of the few
	// leased ones in jobs_leased; PostgreSQL reads it as the plain value.
	if err := s.r.queryRow(ctx, `SELECT MIN(`+s.d.greatest+`(due_at, lease_until)) FROM jobs
WHERE lease_owner IS NOT NULL AND +due_at IS NOT NULL`+kindIn(kinds), args...).Scan(&leased); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	switch {
	case free.Valid && leased.Valid:
		return fromMicros(sql.NullInt64{Int64: min(free.Int64, leased.Int64), Valid: true}), true, nil
	case free.Valid:
		return fromMicros(free), true, nil
	case leased.Valid:
		return fromMicros(leased), true, nil
	}
	return time.Time{}, false, nil
}

func (s *sqlStore) MarkDelivered(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.q.exec(ctx, `UPDATE jobs SET delivered_at = ?
WHERE tenant_id = ? AND id = ? AND delivered_at IS NULL AND finished_at IS NOT NULL`, at.UnixMicro(), tenantID, id)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	} else if n == 0 {
		if _, err := s.Get(ctx, tenantID, id); err != nil {
			return fmt.Errorf("mark delivered: %w", err)
		}
	}
	return nil
}

func (s *sqlStore) PurgePersonal(ctx context.Context, deliveredBefore, finishedBefore time.Time) (int, error) {
	res, err := s.q.exec(ctx, `UPDATE jobs SET input = NULL, private = NULL, result = NULL, request_hash = '', purged_at = ?
WHERE purged_at IS NULL AND finished_at IS NOT NULL
  AND ((delivered_at IS NOT NULL AND delivered_at <= ?) OR finished_at <= ?)`,
		s.clock.Now().UnixMicro(), deliveredBefore.UnixMicro(), finishedBefore.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("purge personal data: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge personal data: %w", err)
	}
	if n > 0 && s.d.name == DriverSQLite {
		// secure_delete zeroes the freed bytes in the database pages, but the
		// WAL still holds the pages as they were before the purge: copy the
		// WAL into the database and truncate it, so a purge is a purge.
		if s.ckpt != nil {
			s.ckpt.mu.Lock()
			defer s.ckpt.mu.Unlock()
		}
		var busy, logged, copied int
		if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &copied); err != nil {
			return int(n), fmt.Errorf("purge personal data: checkpoint: %w", err)
		}
		if busy != 0 {
			// A reader kept the WAL: the purged bytes may still be in it.
			// The rows are purged; the next purge checkpoints again.
			return int(n), fmt.Errorf("purge personal data: checkpoint: a reader kept the WAL from being emptied (%d of %d pages copied)", copied, logged)
		}
	}
	return int(n), nil
}

func (s *sqlStore) DeleteFinished(ctx context.Context, before time.Time) (int, error) {
	res, err := s.q.exec(ctx, `DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("delete finished: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete finished: %w", err)
	}
	return int(n), nil
}

func (s *sqlStore) Counts(ctx context.Context) ([]Count, error) {
	rows, err := s.r.query(ctx, `SELECT tenant_id, kind, status, COUNT(*) FROM jobs GROUP BY tenant_id, kind, status ORDER BY tenant_id, kind, status`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.TenantID, &c.Kind, &c.Status, &c.N); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return out, nil
}
