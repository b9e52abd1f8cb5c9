package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ClaimDue leases due rows in one transaction. On PostgreSQL the inner
// SELECT locks the rows it picks with FOR UPDATE SKIP LOCKED, so concurrent
// claimers in other processes skip them instead of waiting or double
// claiming; on SQLite the transaction is IMMEDIATE (the write lock is taken
// before the read), which serialises claimers.
func (s *sqlStore) ClaimDue(ctx context.Context, owner string, now time.Time, leaseFor time.Duration, limit int, kinds ...string) ([]Job, error) {
	if owner == "" || leaseFor <= 0 || limit <= 0 {
		return nil, fmt.Errorf("claim due: %w: owner, a positive lease and limit are required", ErrInvalid)
	}
	nowUS := now.UnixMicro()
	// The limit is written into the SQL, not bound: SQLite re-prepares a
	// statement whenever the value bound to its LIMIT changes (the planner
	// reads it), which made a claim cost three times its own work when
	// the limit moved from claim to claim. A caller that varies its limit
	// should keep to a few values (the engine uses powers of two).
	q := `UPDATE jobs SET lease_owner = ?, lease_until = ?, version = version + 1
WHERE (tenant_id, id) IN (
  SELECT tenant_id, id FROM jobs
  WHERE due_at IS NOT NULL AND due_at <= ? AND (lease_owner IS NULL OR lease_until <= ?)` + kindIn(kinds) + `
  ORDER BY due_at LIMIT ` + strconv.Itoa(limit) + ` ` + s.d.lockRows + `)
RETURNING ` + columns
	st, err := s.q.prepare(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("claim due: %w", err)
	}
	args := []any{owner, now.Add(leaseFor).UnixMicro(), nowUS, nowUS}
	for _, k := range kinds {
		args = append(args, k)
	}
	var out []Job
	claim := func(tx *sql.Tx, ctx context.Context) error {
		rows, err := tx.StmtContext(ctx, st).QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	}
	if s.group != nil {
		// On SQLite the claim joins the writes queued for the next commit
		// instead of taking the writer for a commit of its own.
		var cerr error
		wctx := context.WithoutCancel(ctx)
		if err := s.group.do(ctx, func(tx *sql.Tx) error { cerr = claim(tx, wctx); return cerr }); err != nil {
			return nil, fmt.Errorf("claim due: %w", err)
		}
		if cerr != nil {
			return nil, fmt.Errorf("claim due: %w", cerr)
		}
	} else {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("claim due: %w", err)
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		if err := claim(tx, ctx); err != nil {
			return nil, fmt.Errorf("claim due: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, fmt.Errorf("claim due: %w", err)
		}
	}
	// RETURNING does not keep the inner ORDER BY.
	slices.SortStableFunc(out, func(a, b Job) int { return a.DueAt.Compare(b.DueAt) })
	return out, nil
}

// kindIn is the condition on the kind column for kinds (none: every kind),
// with one placeholder per kind.
func kindIn(kinds []string) string {
	if len(kinds) == 0 {
		return ""
	}
	return " AND kind IN (?" + strings.Repeat(",?", len(kinds)-1) + ")"
}
