package store

import (
	"context"
	"database/sql"
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
// Each write is one conditional statement; one that matches no row or
// fails a constraint fails alone (SQLite rolls back the statement, not the
// transaction). A failed commit fails every write it carried, and none of
// them is stored.
type groupCommit struct {
	db *sql.DB

	mu      sync.Mutex
	queue   []*groupWrite
	running bool

	// queued, when set (tests), gets the queue's length after each write
	// joins it.
	queued chan<- int
}

// groupWrite is one queued write: run executes its statement in tx and
// keeps its outcome; err is the commit's error.
type groupWrite struct {
	run  func(tx *sql.Tx)
	err  error
	done chan struct{}
}

// do runs write in the next shared transaction and returns the commit's
// error (the statement's own outcome is what write recorded).
func (g *groupCommit) do(ctx context.Context, write func(tx *sql.Tx)) error {
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
	tx, err := g.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, w := range round {
		w.run(tx)
	}
	return tx.Commit()
}
