package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// groupCommit shares SQLite's one write transaction among concurrent
// single-row writes. SQLite has one writer; every commit pays for the
// write lock, the WAL frames of the pages it dirtied (the hot pages of the
// due-time and lease indexes again and again) and the WAL index. A write
// that finds another being committed queues; the next commit carries all
// the queued writes in one transaction. Nothing waits for a timer: a lone
// write is committed at once, as before.
//
// Each write runs inside a savepoint of its own: one that fails is rolled
// back to its savepoint and fails alone. Should SQLite have rolled back the
// whole transaction (an I/O error, say), the round stops there: the writes
// not yet run are not run, and every write of the round gets the error, as
// none of them is stored. A failed commit fails every write it carried.
type groupCommit struct {
	db *sql.DB
	// q prepares the savepoint statements once (modernc parses unprepared
	// SQL on every call).
	q *stmtCache

	mu      sync.Mutex
	queue   []*groupWrite
	running bool

	// queued, when set (tests), gets the queue's length after each write
	// joins it.
	queued chan<- int
}

// groupWrite is one queued write: run executes its statement in tx and
// keeps its outcome, returning an error when the statement failed (a
// conditional write that matched no row did not fail); err is the round's
// error.
type groupWrite struct {
	run  func(tx *sql.Tx) error
	err  error
	done chan struct{}
}

// do runs write in the next shared transaction and returns the commit's
// error (the statement's own outcome is what write recorded).
func (g *groupCommit) do(ctx context.Context, write func(tx *sql.Tx) error) error {
	w := &groupWrite{run: write, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	n := len(g.queue)
	lead := !g.running
	g.running = true
	queued := g.queued
	g.mu.Unlock()
	if queued != nil {
		queued <- n
	}
	if lead {
		g.commitRounds(context.WithoutCancel(ctx))
	}
	<-w.done
	return w.err
}

// commitRounds commits one round, then hands the next (writes queued
// meanwhile) to a new goroutine, so the write that led returns with its
// own outcome.
func (g *groupCommit) commitRounds(ctx context.Context) {
	g.mu.Lock()
	round := g.queue
	g.queue = nil
	g.mu.Unlock()
	err := g.commit(ctx, round)
	for _, w := range round {
		w.err = err
		close(w.done)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running = false
		return
	}
	go g.commitRounds(ctx)
}

func (g *groupCommit) commit(ctx context.Context, round []*groupWrite) error {
	// Prepared before the transaction takes the pool's one connection.
	var sp [3]*sql.Stmt
	for i, q := range []string{"SAVEPOINT w", "ROLLBACK TO w", "RELEASE w"} {
		st, err := g.q.prepare(ctx, q)
		if err != nil {
			return err
		}
		sp[i] = st
	}
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	exec := func(st *sql.Stmt) error {
		_, err := tx.StmtContext(ctx, st).ExecContext(ctx)
		return err
	}
	for _, w := range round {
		if err := exec(sp[0]); err != nil {
			return err
		}
		if w.run(tx) != nil {
			// The write's own error is what it recorded; undo its part. If
			// the savepoint is gone, so is the transaction.
			if err := exec(sp[1]); err != nil {
				return fmt.Errorf("transaction lost after a failed write: %w", err)
			}
		}
		if err := exec(sp[2]); err != nil {
			return err
		}
	}
	return tx.Commit()
}
