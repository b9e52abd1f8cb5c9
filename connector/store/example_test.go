package store_test

import (
	"context"
	"encoding/json"
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

	_, err = s.Create(ctx, store.Request{
		ID: "req-1", TenantID: "cronus-no", Kind: store.KindCustomer, UseCase: "customer-card",
		Status: store.StatusPending, Input: json.RawMessage(`{"customerNo":"C1"}`),
		DueAt: now, ExpiresAt: now.Add(5 * time.Minute),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	due, _ := s.ClaimDue(ctx, "replica-1", now, 30*time.Second, 100)
	for _, r := range due {
		r.Status = store.StatusApplying
		r.DueAt = now.Add(5 * time.Second)
		r, err = s.Update(ctx, r, store.Holding("replica-1"))
		fmt.Println(r.ID, r.Status, r.Version, r.LeaseOwner == "", err)
	}
	// Output: req-1 applying 3 true <nil>
}
