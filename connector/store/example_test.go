package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
)

// A scheduler's loop: claim due work, write the transition, which releases
// the lease.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "store-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(now) // production code leaves the real clock
	s, err := store.Open(ctx, store.DriverSQLite, "file:"+filepath.Join(dir, "bcvipps.db"), store.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	_, err = s.Create(ctx, store.Job{
		ID: "job-1", TenantID: "cronus-no", Kind: "toy", Status: "waiting",
		Input: []byte(`{"customerNo":"C1"}`), DueAt: now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	due, _ := s.ClaimDue(ctx, "replica-1", now, 30*time.Second, 100)
	for _, r := range due {
		r.Status = "working"
		r.DueAt = now.Add(5 * time.Second)
		r, err = s.Update(ctx, r, store.Holding("replica-1"))
		fmt.Println(r.ID, r.Status, r.Version, r.LeaseOwner == "", err)
	}
	// Output: job-1 working 3 true <nil>
}
