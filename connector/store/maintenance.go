package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// finalStatuses is the SQL list of final states.
const finalStatuses = `('completed','rejected','expired','failed','cancelled')`

// NextDueAt is the earlier of the first due unleased row (walking the due_at
// index) and the first leased row's max(due_at, lease_until) (through the
// partial index on leased rows, which are only the ones being worked on).
// The scheduler asks often, so neither query scans the table.
func (s *sqlStore) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var free, leased sql.NullInt64
	if err := s.r.queryRow(ctx, `SELECT MIN(due_at) FROM requests WHERE due_at IS NOT NULL AND lease_owner IS NULL`).Scan(&free); err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if err := s.r.queryRow(ctx, `SELECT MIN(`+s.d.greatest+`(due_at, lease_until)) FROM requests
WHERE lease_owner IS NOT NULL AND due_at IS NOT NULL`).Scan(&leased); err != nil {
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
	res, err := s.q.exec(ctx, `UPDATE requests SET delivered_at = ?
WHERE tenant_id = ? AND id = ? AND delivered_at IS NULL AND status IN `+finalStatuses, at.UnixMicro(), tenantID, id)
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
	res, err := s.q.exec(ctx, `UPDATE requests SET input = NULL, profile = NULL, result = NULL, purged_at = ?
WHERE purged_at IS NULL AND status IN `+finalStatuses+`
  AND ((delivered_at IS NOT NULL AND delivered_at <= ?) OR finished_at <= ?)`,
		s.clock.Now().UnixMicro(), deliveredBefore.UnixMicro(), finishedBefore.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("purge personal data: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge personal data: %w", err)
	}
	return int(n), nil
}

func (s *sqlStore) DeleteFinished(ctx context.Context, before time.Time) (int, error) {
	res, err := s.q.exec(ctx, `DELETE FROM requests WHERE finished_at IS NOT NULL AND finished_at < ? AND status IN `+finalStatuses, before.UnixMicro())
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
	rows, err := s.r.query(ctx, `SELECT tenant_id, kind, status, COUNT(*) FROM requests GROUP BY tenant_id, kind, status ORDER BY tenant_id, kind, status`)
	if err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var st string
		if err := rows.Scan(&c.TenantID, &c.Kind, &st, &c.N); err != nil {
			return nil, fmt.Errorf("count requests: %w", err)
		}
		c.Status = Status(st)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count requests: %w", err)
	}
	return out, nil
}
