package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache prepares each query once and reuses it. SQLite (modernc) parses
// a statement's SQL on every unprepared call, which was the largest cost of
// a request in the profile; prepared statements skip that.
type stmtCache struct {
	db    *sql.DB
	d     dialect
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, d dialect) *stmtCache {
	return &stmtCache{db: db, d: d, stmts: map[string]*sql.Stmt{}}
}

// prepare returns the prepared form of q (written with ? placeholders).
func (c *stmtCache) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, c.d.rebind(q))
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

func (c *stmtCache) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext on the prepared statement; a preparation
// error is reported by Scan, as database/sql does.
func (c *stmtCache) queryRow(ctx context.Context, q string, args ...any) scanner {
	st, err := c.prepare(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		_ = st.Close()
	}
	c.stmts = map[string]*sql.Stmt{}
}
