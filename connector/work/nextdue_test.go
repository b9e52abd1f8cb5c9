package work_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
)

// countingStore is the SQLite store, counting the claim loop's questions
// for the next due time.
type countingStore struct {
	store.Store
	nextDue atomic.Int64
}

func (s *countingStore) NextDueAt(ctx context.Context, kinds ...string) (time.Time, bool, error) {
	s.nextDue.Add(1)
	return s.Store.NextDueAt(ctx, kinds...)
}

// TestClaimLoopKnowsTheNextDueTimeOfItsOwnWrites runs jobs one after the
// other, each written due at once, and one written due later: the loop
// learns their due times from the engine's own writes instead of asking the
// store after every claim (it asks again only when its answer has come due
// or is a second old), and still runs the later job at its time.
func TestClaimLoopKnowsTheNextDueTimeOfItsOwnWrites(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := &countingStore{Store: openSQLite(t, clock)}
	k := newToy()
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	e.Register("toy", k)
	k.e = e
	p := start(e)
	defer p.stop()
	ctx := context.Background()
	const n = 20
	for i := range n {
		id := fmt.Sprintf("j%02d", i)
		if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: id, Kind: "toy", Status: "new", DueAt: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, st, "t1", id, e.Wake, func(j store.Job) bool { return j.Status == "done" })
	}
	// Each job took two claims (new, half); the clock has not moved, so
	// the store's first answer stayed good.
	if got := st.nextDue.Load(); got > 2 {
		t.Errorf("the store was asked for the next due time %d times for %d claims, want at most 2", got, 2*n)
	}
	later := clock.Now().Add(5 * time.Second)
	if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "later", Kind: "toy", Status: "new", DueAt: later}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	waitFor(t, st, "t1", "later", e.Wake, func(j store.Job) bool { return j.Status == "done" })
}

// claimRecorder is the SQLite store, recording what each claim returned.
type claimRecorder struct {
	store.Store
	mu      sync.Mutex
	claimed []string // id/status
}

func (s *claimRecorder) ClaimDue(ctx context.Context, owner string, now time.Time, leaseFor time.Duration, limit int, kinds ...string) ([]store.Job, error) {
	got, err := s.Store.ClaimDue(ctx, owner, now, leaseFor, limit, kinds...)
	s.mu.Lock()
	for _, j := range got {
		s.claimed = append(s.claimed, j.ID+"/"+j.Status)
	}
	s.mu.Unlock()
	return got, err
}

// TestReceivedEventIsSteppedAtOnceWithoutAClaim receives an event while the
// engine runs: it is stored leased to this process and its first step
// starts without a claim; its next step (due at once) is claimed as usual.
func TestReceivedEventIsSteppedAtOnceWithoutAClaim(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := &claimRecorder{Store: openSQLite(t, clock)}
	k := newToy()
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	e.Register("toy", k)
	k.e = e
	p := start(e)
	defer p.stop()
	// The claim loop is running once it has claimed (nothing) for a job.
	if _, err := e.Create(context.Background(), store.Job{TenantID: "t1", ID: "first", Kind: "toy", Status: "new", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, "t1", "first", e.Wake, func(j store.Job) bool { return j.Status == "done" })

	got, fresh, err := e.Receive(context.Background(), "t1", "toy", "event-1", "new", []byte(`{}`))
	if err != nil || !fresh {
		t.Fatalf("Receive = %v, %v", fresh, err)
	}
	waitFor(t, st, "t1", got.ID, e.Wake, func(j store.Job) bool { return j.Status == "done" })
	if _, fresh, err := e.Receive(context.Background(), "t1", "toy", "event-1", "new", []byte(`{}`)); err != nil || fresh {
		t.Fatalf("second delivery: fresh %v, %v", fresh, err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if slices.Contains(st.claimed, got.ID+"/new") {
		t.Errorf("the event's first step was claimed: %v", st.claimed)
	}
	if !slices.Contains(st.claimed, got.ID+"/half") {
		t.Errorf("the event's second step was not claimed: %v", st.claimed)
	}
	if n := k.count(got.ID + "/new"); n != 1 {
		t.Errorf("first step ran %d times", n)
	}
}
