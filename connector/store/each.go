package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// getEachChunk is the most ids one GetEach query binds (SQLite's and
// PostgreSQL's limits on parameters are far above it).
const getEachChunk = 500

// getEachSizes are the lengths of GetEach's id lists.
var getEachSizes = []int{16, 64, 256, getEachChunk}

func (s *sqlStore) GetEach(ctx context.Context, tenantID string, ids []string) ([]Job, error) {
	out := make([]Job, 0, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), getEachChunk)]
		ids = ids[len(chunk):]
		// The list is padded to one of a few sizes (repeating the last id,
		// which IN ignores), so the prepared-statement cache holds four
		// statements, not one per page length.
		size := getEachSizes[len(getEachSizes)-1]
		for _, n := range getEachSizes {
			if len(chunk) <= n {
				size = n
				break
			}
		}
		args := make([]any, 0, size+1)
		args = append(args, tenantID)
		for i := range size {
			args = append(args, chunk[min(i, len(chunk)-1)])
		}
		q := `SELECT ` + columns + ` FROM jobs WHERE tenant_id = ? AND id IN (?` + strings.Repeat(`, ?`, size-1) + `)`
		rows, err := s.r.query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("get jobs: %w", err)
		}
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				_ = rows.Close()
				return nil, fmt.Errorf("get jobs: %w", err)
			}
			out = append(out, j)
		}
		err = rows.Err()
		_ = rows.Close()
		if err != nil {
			return nil, fmt.Errorf("get jobs: %w", err)
		}
	}
	return out, nil
}

func (s *sqlStore) UpdateEach(ctx context.Context, jobs []Job) (errs []error, err error) {
	now := s.clock.Now()
	nowUS := now.UnixMicro()
	for i := range jobs {
		if jobs[i].Status == "" {
			return nil, fmt.Errorf("update jobs: %w: status is required", ErrInvalid)
		}
		normalise(&jobs[i], now)
	}
	// Statements are prepared before the transaction: SQLite's writer pool
	// has one connection, which the transaction holds.
	queries := make([]string, len(jobs))
	args := make([][]any, len(jobs))
	prepared := map[string]*sql.Stmt{}
	for i, r := range jobs {
		// Without RETURNING: the row is not read back.
		queries[i], args[i] = updateStatement(r, updateOptions{}, nowUS)
		if prepared[queries[i]] == nil {
			st, err := s.q.prepare(ctx, queries[i])
			if err != nil {
				return nil, fmt.Errorf("update jobs: %w", err)
			}
			prepared[queries[i]] = st
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("update jobs: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmts := map[string]*sql.Stmt{}
	missed := make([]bool, len(jobs))
	for i := range jobs {
		st := stmts[queries[i]]
		if st == nil {
			st = tx.StmtContext(ctx, prepared[queries[i]])
			stmts[queries[i]] = st
		}
		res, err := st.ExecContext(ctx, args[i]...)
		if err != nil {
			return nil, fmt.Errorf("update jobs: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("update jobs: %w", err)
		}
		missed[i] = n == 0
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("update jobs: %w", err)
	}
	errs = make([]error, len(jobs))
	for i, r := range jobs {
		if !missed[i] {
			s.feed.publish(ctx, Change{TenantID: r.TenantID, ID: r.ID})
			continue
		}
		errs[i] = fmt.Errorf("update job: %w", s.whyNot(ctx, r, updateOptions{}, nowUS))
	}
	return errs, nil
}
