package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// finalStatuses is the SQL list of final states.
const finalStatuses = `('completed','rejected','expired','failed','cancelled')`

func (s *sqlStore) NextDueAt(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MIN(`+s.d.greatest+`(due_at, COALESCE(lease_until, 0))) FROM requests WHERE due_at IS NOT NULL`).Scan(&v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(v), true, nil
}

func (s *sqlStore) MarkDelivered(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE requests SET delivered_at = ?
WHERE tenant_id = ? AND id = ? AND delivered_at IS NULL AND status IN `+finalStatuses), at.UnixMicro(), tenantID, id)
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
	res, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE requests SET input = NULL, profile = NULL, result = NULL, purged_at = ?
WHERE purged_at IS NULL AND status IN `+finalStatuses+`
  AND ((delivered_at IS NOT NULL AND delivered_at <= ?) OR finished_at <= ?)`),
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
	res, err := s.db.ExecContext(ctx, s.d.rebind(`DELETE FROM requests WHERE finished_at IS NOT NULL AND finished_at < ? AND status IN `+finalStatuses), before.UnixMicro())
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
	rows, err := s.db.QueryContext(ctx, `SELECT tenant_id, kind, status, COUNT(*) FROM requests GROUP BY tenant_id, kind, status ORDER BY tenant_id, kind, status`)
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
