package work_test

import (
	"context"
	"errors"
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
	e, _ := startToy(t, st, cfg("a"), clock)
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
	// the store's answer stays good. (It is read again only when it came
	// due: a read that raced with a step's save of a job due at once.)
	if got := st.nextDue.Load(); got >= n {
		t.Errorf("the store was asked for the next due time %d times for %d claims, want far fewer than one per job", got, 2*n)
	}
	later := clock.Now().Add(5 * time.Second)
	if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "later", Kind: "toy", Status: "new", DueAt: later}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Second)
	waitFor(t, st, "t1", "later", e.Wake, func(j store.Job) bool { return j.Status == "done" })
}

// startToy runs an engine on st with the toy kind until the test ends.
// Hooks (OnFull, OnSleep) are set by before, before it runs.
func startToy(t *testing.T, st store.Store, c work.Config, clock *clockwork.FakeClock, before ...func(*work.Engine)) (*work.Engine, *toy) {
	t.Helper()
	k := newToy()
	e := work.New(st, c, clock, quiet(), nil)
	for _, f := range before {
		f(e)
	}
	e.Register("toy", k)
	k.e = e
	p := start(e)
	t.Cleanup(p.stop)
	return e, k
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
	e, k := startToy(t, st, freeSlots("a"), clock)
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

// gatedStore blocks CreateLeased, once armed, until release is closed.
type gatedStore struct {
	store.Store
	armed   chan struct{}
	entered chan struct{}
	release chan struct{}
}

func (s *gatedStore) CreateLeased(ctx context.Context, j store.Job, owner string, until time.Time) (store.Job, error) {
	select {
	case <-s.armed:
		s.entered <- struct{}{}
		<-s.release
	default:
	}
	return s.Store.CreateLeased(ctx, j, owner, until)
}

// TestSlotGivenBackByAReceiveWakesTheClaimLoop: a redelivered event
// reserves the only worker slot while the claim loop looks; the loop waits
// for a slot, and the reservation given back (the event was stored
// before) must end that wait, or due work is never claimed again.
func TestSlotGivenBackByAReceiveWakesTheClaimLoop(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := &gatedStore{Store: openSQLite(t, clock), armed: make(chan struct{}), entered: make(chan struct{}, 1), release: make(chan struct{})}
	c := cfg("a")
	c.Concurrency = 1
	full := make(chan struct{}, 16)
	e, _ := startToy(t, st, c, clock, func(e *work.Engine) { e.OnFull(func() { full <- struct{}{} }) })
	ctx := context.Background()
	ev, fresh, err := e.Receive(ctx, "t1", "toy", "ev", "new", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if fresh {
		waitFor(t, st, "t1", ev.ID, e.Wake, func(j store.Job) bool { return j.Status == "done" })
	}
	for len(full) > 0 {
		<-full
	}
	// A redelivery reserves the only slot and is held in the store. (One
	// that finds the slot spoken for by a claim in progress is stored
	// without a reservation: it is sent again until one reserves.)
	close(st.armed)
	var done chan struct{}
	for reserved := false; !reserved; {
		done = make(chan struct{})
		go func() {
			defer close(done)
			if _, fresh, err := e.Receive(ctx, "t1", "toy", "ev", "new", []byte(`{}`)); err != nil || fresh {
				t.Errorf("redelivery: fresh %v, %v", fresh, err)
			}
		}()
		select {
		case <-st.entered:
			reserved = true
		case <-done:
		}
	}
	e.Wake()
	select {
	case <-full: // the loop waits for a slot
	case <-time.After(30 * time.Second):
		t.Fatal("the claim loop never found the slot taken")
	}
	close(st.release)
	<-done
	if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "second", Kind: "toy", Status: "new", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, "t1", "second", e.Wake, func(j store.Job) bool { return j.Status == "done" })
}

// retrier's first step waits for proceed, then saves its job due 100 ms
// later (as a ping retry does); its second step finishes it.
type retrier struct {
	e       *work.Engine
	proceed chan struct{}
}

func (r *retrier) Final(s string) bool { return s == "done" }

func (r *retrier) Step(ctx context.Context, j store.Job) {
	prev := j
	if j.Status == "new" {
		<-r.proceed
		j.Status, j.DueAt = "retry", r.e.Clock().Now().Add(100*time.Millisecond)
	} else {
		j.Status, j.DueAt = "done", time.Time{}
	}
	_, _ = r.e.Save(ctx, prev, j)
}

// TestJobSavedDueSoonerWakesTheSleepingLoop: a step saves its job due in
// 100 ms while the claim loop sleeps for longer; the loop must wake and
// sleep until the job's due time, not until its old deadline.
func TestJobSavedDueSoonerWakesTheSleepingLoop(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	sleeps := make(chan time.Time, 64)
	e.OnSleep(func(until time.Time) { sleeps <- until })
	r := &retrier{e: e, proceed: make(chan struct{})}
	e.Register("r", r)
	p := start(e)
	defer p.stop()
	if _, err := e.Create(context.Background(), store.Job{TenantID: "t1", ID: "x", Kind: "r", Status: "new", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	// The loop claims x and goes to sleep while x's step waits.
	timeout := time.After(30 * time.Second)
	for asleep := false; !asleep; {
		select {
		case until := <-sleeps:
			asleep = until.After(clock.Now().Add(100 * time.Millisecond))
		case <-timeout:
			t.Fatal("the claim loop never slept")
		}
	}
	due := clock.Now().Add(100 * time.Millisecond)
	close(r.proceed)
	for woken := false; !woken; {
		select {
		case until := <-sleeps:
			woken = !until.After(due)
		case <-timeout:
			t.Fatal("the claim loop slept on past the job's due time")
		}
	}
	clock.Advance(100 * time.Millisecond)
	waitFor(t, st, "t1", "x", func() {}, func(j store.Job) bool { return j.Status == "done" })
}

// TestTakenJobIsSteppedAtOnceWithoutAClaim: Take writes a stored job
// leased to this process, with a record created in the same write, and its
// step runs without a claim; a job held elsewhere is refused and not
// stepped.
func TestTakenJobIsSteppedAtOnceWithoutAClaim(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := &claimRecorder{Store: openSQLite(t, clock)}
	e, k := startToy(t, st, freeSlots("a"), clock)
	ctx := context.Background()
	// The claim loop is running once it has claimed (nothing) for a job.
	if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "first", Kind: "toy", Status: "new", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, "t1", "first", e.Wake, func(j store.Job) bool { return j.Status == "done" })
	// Not due: only Take steps it.
	idle, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "idle", Kind: "toy", Status: "new"})
	if err != nil {
		t.Fatal(err)
	}
	next := idle
	next.DueAt = clock.Now()
	record := store.Job{TenantID: "t1", ID: "rec", Kind: "toy", Status: "done"}
	if _, err := e.Take(ctx, idle, next, record); err != nil {
		t.Fatalf("Take: %v", err)
	}
	if r, err := st.Get(ctx, "t1", "rec"); err != nil || !r.Final {
		t.Fatalf("the record created with the take: %+v, %v", r, err)
	}
	waitFor(t, st, "t1", "idle", e.Wake, func(j store.Job) bool { return j.Status == "done" })
	st.mu.Lock()
	claimed := slices.Clone(st.claimed)
	st.mu.Unlock()
	if slices.Contains(claimed, "idle/new") {
		t.Errorf("the taken job's step was claimed: %v", claimed)
	}
	if n := k.count("idle/new"); n != 1 {
		t.Errorf("the taken step ran %d times", n)
	}

	// Held by another process: refused, not stepped.
	if _, err := e.Create(ctx, store.Job{TenantID: "t1", ID: "held", Kind: "toy", Status: "new", DueAt: clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got := claimAs(t, st, "b", clock.Now().Add(time.Hour)); !slices.Contains(got, "held") {
		t.Fatalf("claim by b: %v", got)
	}
	held, err := st.Get(ctx, "t1", "held")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Take(ctx, held, held); !errors.Is(err, store.ErrLeased) {
		t.Fatalf("Take of a row held elsewhere: %v, want ErrLeased", err)
	}
	if n := k.count("held/new"); n != 0 {
		t.Errorf("a row held elsewhere was stepped %d times", n)
	}
}

// claimAs claims every due toy job as owner at now for an hour.
func claimAs(t *testing.T, st store.Store, owner string, now time.Time) []string {
	t.Helper()
	got, err := st.ClaimDue(context.Background(), owner, now, time.Hour, 100, "toy")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range got {
		out = append(out, j.ID)
	}
	return out
}

// freeSlots is cfg with more worker slots than a claim speaks for (a
// claim holds the slots it may fill until it returns, and a step started
// outside the claim loop needs one): a test's wake-up claims then never
// leave a Receive or Take without a slot.
func freeSlots(instance string) work.Config {
	c := cfg(instance)
	c.Concurrency, c.Batch = 8, 2
	return c
}

// TestFailureAgain: an outbox's retry time is the upstream's wait when it
// named one, the backoff when it refused.
func TestFailureAgain(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	if got := (work.Failure{Verdict: work.RetryAfter, After: 7 * time.Second}).Again(now, 3, time.Minute); !got.Equal(now.Add(7 * time.Second)) {
		t.Errorf("retry after: %v", got)
	}
	for _, v := range []work.Verdict{work.Refused, work.BackOff} {
		// Attempt 2: 4 s, ±20 % jitter.
		if got := (work.Failure{Verdict: v}).Again(now, 2, time.Minute).Sub(now); got < 3200*time.Millisecond || got > 4800*time.Millisecond {
			t.Errorf("verdict %v: after %v, want the backoff of 4 s ± 20 %%", v, got)
		}
	}
}
