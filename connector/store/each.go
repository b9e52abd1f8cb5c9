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

func (s *sqlStore) GetEach(ctx context.Context, tenantID string, ids []string) ([]Job, error) {
	out := make([]Job, 0, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), getEachChunk)]
		ids = ids[len(chunk):]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, tenantID)
		for _, id := range chunk {
			args = append(args, id)
		}
		// One statement per chunk size: the prepared-statement cache holds
		// at most a handful of them.
		q := `SELECT ` + columns + ` FROM jobs WHERE tenant_id = ? AND id IN (?` + strings.Repeat(`, ?`, len(chunk)-1) + `)`
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
		errs[i] = fmt.Errorf("update job: %w", s.whyNot(ctx, r, "", nowUS))
	}
	return errs, nil
}
