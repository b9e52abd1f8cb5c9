package work_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
)

// oneStep finishes every job in one step and counts them.
type oneStep struct {
	e    *work.Engine
	done atomic.Int64
	all  chan struct{}
	want int64
}

func (*oneStep) Final(s string) bool { return s == "done" }

func (k *oneStep) Step(ctx context.Context, j store.Job) {
	prev := j
	j.Status = "done"
	if _, err := k.e.Save(ctx, prev, j); err == nil && k.done.Add(1) == k.want {
		close(k.all)
	}
}

// BenchmarkEngineJobsSQLite measures a job's way through the engine on a
// SQLite file: created due, claimed in a batch, stepped once and saved
// final (one job per iteration; two commits and a share of a claim each).
func BenchmarkEngineJobsSQLite(b *testing.B) {
	clock := clockwork.NewRealClock()
	st, err := store.Open(context.Background(), store.DriverSQLite, "file:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := work.New(st, work.Config{Instance: "bench", Concurrency: 16, Batch: 100, Lease: time.Minute, StepTimeout: 30 * time.Second}, clock, quiet(), nil)
	k := &oneStep{e: e, all: make(chan struct{}), want: int64(b.N)}
	e.Register("one", k)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.Create(context.Background(), store.Job{TenantID: "t", ID: fmt.Sprintf("j%d", i), Kind: "one", Status: "new", DueAt: clock.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-k.all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d jobs finished", k.done.Load(), b.N)
	}
	b.StopTimer()
}
