package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
)

// BenchmarkSQLiteCreateGet measures one Create followed by one Get.
func BenchmarkSQLiteCreateGet(b *testing.B) {
	s, err := store.Open(context.Background(), store.DriverSQLite, "file:"+b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("r%d", i)
		i++
		if _, err := s.Create(ctx, storetest.NewJob("t1", id)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, "t1", id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSQLiteClaimDue measures claiming a batch of 100 due rows out of
// 10,000 pending ones (each iteration claims with a later "now", so the
// previous leases have expired and the batch is always full).
func BenchmarkSQLiteClaimDue(b *testing.B) {
	s := seeded(b, 10000)
	ctx := context.Background()
	now := storetest.T0
	for b.Loop() {
		now = now.Add(time.Minute)
		got, err := s.ClaimDue(ctx, "bench", now, time.Second, 100)
		if err != nil || len(got) != 100 {
			b.Fatalf("claimed %d: %v", len(got), err)
		}
	}
}

// BenchmarkSQLiteClaimDueAlternatingLimits claims with limits that change
// from call to call, as the engine's free worker count does: each limit
// has its own prepared statement (SQLite re-prepares one whose bound LIMIT
// changes).
func BenchmarkSQLiteClaimDueAlternatingLimits(b *testing.B) {
	s := seeded(b, 1000)
	ctx := context.Background()
	now := storetest.T0
	i := 0
	for b.Loop() {
		now = now.Add(time.Minute)
		limit := 1 << (i % 3)
		i++
		got, err := s.ClaimDue(ctx, "bench", now, time.Second, limit)
		if err != nil || len(got) != limit {
			b.Fatalf("claimed %d of %d: %v", len(got), limit, err)
		}
	}
}

// seeded opens a SQLite store in a temporary directory (closed when the
// benchmark ends) holding n due jobs of tenant t1.
func seeded(b *testing.B, n int) store.Store {
	b.Helper()
	s, err := store.Open(context.Background(), store.DriverSQLite, "file:"+b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for i := range n {
		if _, err := s.Create(context.Background(), storetest.NewJob("t1", fmt.Sprintf("r%05d", i))); err != nil {
			b.Fatal(err)
		}
	}
	return s
}
