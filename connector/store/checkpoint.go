package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// checkpointEvery is how often the background checkpointer copies the
// SQLite WAL into the database file. After a checkpoint that copied the
// whole WAL, the next commit starts the WAL again from its beginning and
// fsyncs its header while it holds the write lock (6–18 ms on the load
// machine's disk, seen with strace), but a longer period makes each
// checkpoint's copy and fsyncs larger, and those stall the writer more:
// in alternating load runs (docs/benchmarks.md) the POST's added p99 was
// 21–26 ms at 500 ms, 13–19 ms at 200 ms and 8–16 ms at 100 ms.
const checkpointEvery = 100 * time.Millisecond

// walSafetyNet is the WAL size in pages (4 KiB each) at which a committing
// writer checkpoints by itself, should the background checkpointer fall
// behind. SQLite's default is 1,000 pages, which under load means about one
// checkpoint a second inside a commit: the single writer then waits for the
// checkpoint's two fsyncs, and every write queued behind it with it (the
// load generator saw a 40–80 ms stall of the POSTs once a second).
const walSafetyNet = 10000

// checkpointer runs PASSIVE WAL checkpoints on a connection of its own, so
// the copying and the fsyncs happen beside the writer instead of inside one
// of its commits. A PASSIVE checkpoint never waits for readers or the
// writer: it copies what it can and leaves the rest for the next tick.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	once sync.Once
	// mu is held while a checkpoint runs: a purge's TRUNCATE checkpoint
	// takes it too, as SQLite runs one checkpoint at a time and the other
	// would come back unfinished.
	mu sync.Mutex
}

// startCheckpointer opens the checkpointer's connection on the file dsn
// and starts ticking on clock; after each checkpoint it calls ran (tests).
func startCheckpointer(dsn string, clock clockwork.Clock, ran func()) (*checkpointer, error) {
	db, err := sql.Open("sqlite", withParams(dsn, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	t := clock.NewTicker(checkpointEvery)
	go func() {
		defer close(c.done)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.Chan():
				// An error (the file busy past the timeout, say) is left to
				// the next tick; the writer's own checkpoint at
				// walSafetyNet pages bounds the WAL meanwhile.
				c.mu.Lock()
				_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
				c.mu.Unlock()
				if ran != nil {
					ran()
				}
			}
		}
	}()
	return c, nil
}

// close stops the ticks and closes the connection.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	_ = c.db.Close()
}
