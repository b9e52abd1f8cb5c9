package work_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
	"github.com/bcvipps/bcvipps/connector/work"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// toy is a kind with its own statuses: new → half → done (final), or
// new → gone (final) when its input says so. It counts its steps and can
// be told to "crash" (return without storing anything) in a status.
type toy struct {
	e       *work.Engine
	mu      sync.Mutex
	steps   map[string]int // job id/status → steps taken
	crashIn string
	block   chan struct{} // when set, steps in "half" wait for it (or ctx)
	entered chan string   // receives id/status as each step starts
}

func newToy() *toy { return &toy{steps: map[string]int{}, entered: make(chan string, 100)} }

// await blocks until a step of key (id/status) has started.
func (k *toy) await(t *testing.T, key string) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case got := <-k.entered:
			if got == key {
				return
			}
		case <-timeout.C:
			t.Fatalf("step %s never started", key)
		}
	}
}

func (k *toy) Final(s string) bool { return s == "done" || s == "gone" }

func (k *toy) Step(ctx context.Context, j store.Job) {
	k.mu.Lock()
	k.steps[j.ID+"/"+j.Status]++
	crash, block := k.crashIn == j.Status, k.block
	k.mu.Unlock()
	k.entered <- j.ID + "/" + j.Status
	if crash {
		return
	}
	prev := j
	switch j.Status {
	case "new":
		if string(j.Input) == "gone" {
			j.Status = "gone"
		} else {
			j.Status, j.DueAt = "half", k.e.Clock().Now()
		}
	case "half":
		if block != nil {
			select {
			case <-block:
			case <-ctx.Done():
				// Cancelled at shutdown: store where it stands.
				j.DueAt = k.e.Clock().Now()
				j.Attempts++
				_, _ = k.e.Save(ctx, prev, j)
				return
			}
		}
		j.Status = "done"
	}
	_, _ = k.e.Save(ctx, prev, j)
}

func (k *toy) count(key string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.steps[key]
}

func openSQLite(t *testing.T, clock clockwork.Clock) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.DriverSQLite, "file:"+filepath.Join(t.TempDir(), "w.db"), store.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// signalLog is a logger that closes a channel when a message is logged.
type signalLog struct {
	slog.Handler
	msg  string
	once *sync.Once
	ch   chan struct{}
}

func (h signalLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return nil
}

func (h signalLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalLog) WithGroup(string) slog.Handler      { return h }

// onLog returns a logger and a channel closed when msg is logged.
func onLog(msg string) (*slog.Logger, <-chan struct{}) {
	ch := make(chan struct{})
	return slog.New(signalLog{Handler: slog.NewTextHandler(io.Discard, nil), msg: msg, once: &sync.Once{}, ch: ch}), ch
}

func cfg(instance string) work.Config {
	return work.Config{Instance: instance, Concurrency: 4, Batch: 10, Lease: 30 * time.Second, StepTimeout: 20 * time.Second}
}

// proc is one running engine (a process).
type proc struct {
	e      *work.Engine
	cancel context.CancelFunc
	done   chan struct{}
}

func start(e *work.Engine) *proc {
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{e: e, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(p.done); _ = e.Run(ctx) }()
	return p
}

func (p *proc) stop() { p.cancel(); <-p.done }

// waitFor blocks until the job satisfies ok, woken by the store's change
// feed (no sleeping); wake is called each round so engines look again.
func waitFor(t *testing.T, st store.Store, tenant, id string, wake func(), ok func(store.Job) bool) store.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	feed, err := st.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		j, err := st.Get(ctx, tenant, id)
		if err == nil && ok(j) {
			return j
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		wake()
		select {
		case <-feed:
		case <-ctx.Done():
			t.Fatalf("job %s/%s: condition not reached (last %+v, %v)", tenant, id, j.Status, err)
		}
	}
}

func TestToyKindRunsThroughClaimStepCrashAndRestart(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	k := newToy()
	k.crashIn = "half" // process a dies after storing "half"
	a := work.New(st, cfg("a"), clock, quiet(), nil)
	a.Register("toy", k)
	k.e = a
	pa := start(a)

	j, err := a.Create(context.Background(), store.Job{TenantID: "t1", ID: "j1", Kind: "toy", Status: "new", DueAt: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if j.Final {
		t.Fatal("new is not final")
	}
	// The step in "half" crashes: it holds the lease and stores nothing;
	// a's process dies.
	k.await(t, "j1/half")
	pa.stop()

	// b restarts the work once a's lease has ended: done, with the step in
	// "half" run again (a's crashed run stored nothing).
	k.mu.Lock()
	k.crashIn = ""
	k.mu.Unlock()
	b := work.New(st, cfg("b"), clock, quiet(), nil)
	b.Register("toy", k)
	k.e = b
	pb := start(b)
	defer pb.stop()
	clock.Advance(31 * time.Second)
	got := waitFor(t, st, "t1", "j1", b.Wake, func(j store.Job) bool { return j.Final })
	if got.Status != "done" || !got.DueAt.IsZero() || got.FinishedAt.IsZero() || got.LeaseOwner != "" {
		t.Fatalf("after restart: %+v", got)
	}
	if n := k.count("j1/new"); n != 1 {
		t.Fatalf("step new ran %d times, want 1", n)
	}
	if n := k.count("j1/half"); n != 2 {
		t.Fatalf("step half ran %d times, want 2 (crashed once, then done)", n)
	}

	// The kind's own final set decides: "gone" is final too.
	if _, err := b.Create(context.Background(), store.Job{TenantID: "t1", ID: "j2", Kind: "toy", Status: "new", Input: []byte("gone"), DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if j := waitFor(t, st, "t1", "j2", b.Wake, func(j store.Job) bool { return j.Final }); j.Status != "gone" {
		t.Fatalf("j2 ended %s", j.Status)
	}
	// An unregistered kind is refused.
	if _, err := b.Create(context.Background(), store.Job{TenantID: "t1", ID: "j3", Kind: "nobody", Status: "new"}); err == nil {
		t.Fatal("a job of an unregistered kind was created")
	}
}

// shuttingDown starts an engine with a 10 s grace, lets a blocked step in
// "half" start, cancels Run and returns once Run is waiting on the grace
// timer: after the claim loop, housekeeping and the feed have stopped, the
// clock's waiters are the step's deadline and the grace timer.
func shuttingDown(t *testing.T) (*clockwork.FakeClock, store.Store, *toy, *proc) {
	t.Helper()
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	k := newToy()
	k.block = make(chan struct{})
	c := cfg("a")
	c.ShutdownGrace = 10 * time.Second
	log, draining := onLog("workers stopping; waiting for running steps")
	e := work.New(st, c, clock, log, nil)
	e.Register("toy", k)
	k.e = e
	p := start(e)
	if _, err := e.Create(context.Background(), store.Job{TenantID: "t1", ID: "j1", Kind: "toy", Status: "half", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	k.await(t, "j1/half")
	p.cancel()
	<-draining
	clock.BlockUntilContext(context.Background(), 2)
	return clock, st, k, p
}

func TestShutdownLetsStepsFinishThenCancelsAfterTheGrace(t *testing.T) {
	clock, st, _, p := shuttingDown(t)
	// The step is not cancelled before the grace is over.
	if j, _ := st.Get(context.Background(), "t1", "j1"); j.Status != "half" || j.Attempts != 0 {
		t.Fatalf("step ended before the grace: %+v", j)
	}
	clock.Advance(10 * time.Second)
	<-p.done
	j, _ := st.Get(context.Background(), "t1", "j1")
	if j.Status != "half" || j.Attempts != 1 || j.LeaseOwner != "" {
		t.Fatalf("cancelled step did not store its state: %+v", j)
	}
}

func TestShutdownWaitsForAStepThatFinishesInTime(t *testing.T) {
	_, st, k, p := shuttingDown(t)
	close(k.block)
	<-p.done
	if j, _ := st.Get(context.Background(), "t1", "j1"); j.Status != "done" {
		t.Fatalf("step did not finish: %+v", j)
	}
}

func TestInboxStoresAnEventOnce(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	k := newToy()
	k.e = e
	e.Register("toy", k)
	ctx := context.Background()
	first, isNew, err := e.Receive(ctx, "t1", "toy", "delivery-1", "new", []byte(`{"n":1}`))
	if err != nil || !isNew {
		t.Fatalf("first delivery: new=%v err=%v", isNew, err)
	}
	again, isNew, err := e.Receive(ctx, "t1", "toy", "delivery-1", "new", []byte(`{"n":1}`))
	if err != nil || isNew || again.ID != first.ID {
		t.Fatalf("duplicate delivery: new=%v err=%v id %s vs %s", isNew, err, again.ID, first.ID)
	}
	if _, isNew, _ := e.Receive(ctx, "t2", "toy", "delivery-1", "new", nil); !isNew {
		t.Fatal("the same key of another tenant is another event")
	}
	p := start(e)
	defer p.stop()
	if j := waitFor(t, st, "t1", first.ID, e.Wake, func(j store.Job) bool { return j.Final }); j.Status != "done" {
		t.Fatalf("event ended %s", j.Status)
	}
}

// run is a toy run kind for schedules: it counts how often each run is
// executed and finishes at once, or stays "running" when hold is set.
type runKind struct {
	e    *work.Engine
	mu   *sync.Mutex
	runs map[string]int
	hold bool
}

func (runKind) Final(s string) bool { return s == "completed" }

func (k runKind) Step(ctx context.Context, j store.Job) {
	prev := j
	if j.Status == "queued" {
		k.mu.Lock()
		k.runs[j.ID]++
		k.mu.Unlock()
	}
	if k.hold {
		j.Status, j.DueAt = "running", k.e.Clock().Now().Add(time.Hour)
	} else {
		j.Status = "completed"
	}
	_, _ = k.e.Save(ctx, prev, j)
}

func TestScheduleSkipsATickWhileItsRunIsStillGoing(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	k := runKind{e: e, mu: &sync.Mutex{}, runs: map[string]int{}, hold: true}
	e.Register("sweep", k)
	if err := e.AddSchedule(work.Schedule{Name: "sweep", Spec: "@every 1m", Kind: "sweep"}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddSchedule(work.Schedule{Name: "bad", Spec: "every minute", Kind: "sweep"}); err == nil {
		t.Fatal("a malformed cron expression was accepted")
	}
	p := start(e)
	defer p.stop()
	sched := func() store.Job {
		j, err := st.Get(context.Background(), work.EngineTenant, "schedule/sweep")
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	first := waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(store.Job) bool { return true })
	if !first.DueAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first tick at %v", first.DueAt)
	}
	clock.Advance(time.Minute)
	waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(j store.Job) bool { return j.DueAt.Equal(t0.Add(2 * time.Minute)) })
	runID := "sweep-" + t0.Add(time.Minute).Format("20060102T150405.000000Z")
	waitFor(t, st, work.EngineTenant, runID, e.Wake, func(j store.Job) bool { return j.Status == "running" })
	// The run is still going at the next tick: no second run.
	clock.Advance(time.Minute)
	waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(j store.Job) bool { return j.DueAt.Equal(t0.Add(3 * time.Minute)) })
	if _, err := st.Get(context.Background(), work.EngineTenant, "sweep-"+t0.Add(2*time.Minute).Format("20060102T150405.000000Z")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a second run started while the first was going: %v", err)
	}
	if s := sched(); !strings.Contains(string(s.State), runID) {
		t.Fatalf("schedule state %s does not name the running run", s.State)
	}
}

// Two instances (each with its own connection pool, as two processes) on
// one PostgreSQL database run the same schedule: every tick starts exactly
// one run, and every run is executed exactly once.
func TestScheduleRunsOncePerTickAcrossTwoInstancesOnPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	clock := clockwork.NewFakeClockAt(t0)
	var mu sync.Mutex
	runs := map[string]int{}
	var procs []*proc
	var stores []store.Store
	for _, name := range []string{"a", "b"} {
		st, err := store.Open(context.Background(), store.DriverPostgres, dsn, store.WithClock(clock))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
		e := work.New(st, cfg(name), clock, quiet(), nil)
		e.Register("sweep", runKind{e: e, mu: &mu, runs: runs})
		if err := e.AddSchedule(work.Schedule{Name: "sweep", Spec: "@every 1m", Kind: "sweep"}); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, start(e))
	}
	defer func() {
		for _, p := range procs {
			p.stop()
		}
	}()
	wakeAll := func() {
		for _, p := range procs {
			p.e.Wake()
		}
	}
	const ticks = 5
	for i := 1; i <= ticks; i++ {
		waitFor(t, stores[0], work.EngineTenant, "schedule/sweep", wakeAll, func(j store.Job) bool {
			return j.DueAt.Equal(t0.Add(time.Duration(i) * time.Minute))
		})
		clock.Advance(time.Minute)
		runID := "sweep-" + t0.Add(time.Duration(i)*time.Minute).Format("20060102T150405.000000Z")
		waitFor(t, stores[1], work.EngineTenant, runID, wakeAll, func(j store.Job) bool { return j.Final })
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != ticks {
		t.Fatalf("%d runs for %d ticks: %v", len(runs), ticks, runs)
	}
	for id, n := range runs {
		if n != 1 {
			t.Errorf("run %s executed %d times", id, n)
		}
	}
}

// lostCommit stores the first run it is asked to create and answers an
// error anyway, as when a commit's answer is lost.
type lostCommit struct {
	store.Store
	mu   sync.Mutex
	lost bool
}

func (s *lostCommit) Create(ctx context.Context, j store.Job) (store.Job, error) {
	got, err := s.Store.Create(ctx, j)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && j.Kind == "sweep" && !s.lost {
		s.lost = true
		return store.Job{}, errors.New("connection reset after commit")
	}
	return got, err
}

// A run stored whose creation reported an error is not started a second
// time by the retry: the retry is for the same tick, so the same key.
func TestScheduleRetryAfterALostCommitStartsTheTickOnce(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := &lostCommit{Store: openSQLite(t, clock)}
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	var mu sync.Mutex
	runs := map[string]int{}
	e.Register("sweep", runKind{e: e, mu: &mu, runs: runs})
	if err := e.AddSchedule(work.Schedule{Name: "sweep", Spec: "@every 1m", Kind: "sweep"}); err != nil {
		t.Fatal(err)
	}
	p := start(e)
	defer p.stop()
	waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(j store.Job) bool { return !j.DueAt.IsZero() })
	clock.Advance(time.Minute)
	// The failed step is retried after a backoff of about a second.
	retried := waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(j store.Job) bool { return j.Attempts == 1 })
	clock.Advance(retried.DueAt.Sub(clock.Now()))
	sched := waitFor(t, st, work.EngineTenant, "schedule/sweep", e.Wake, func(j store.Job) bool {
		return j.Attempts == 0 && !j.DueAt.Before(t0.Add(2*time.Minute))
	})
	var state struct {
		RunID string `json:"runId"`
	}
	if err := json.Unmarshal(sched.State, &state); err != nil {
		t.Fatal(err)
	}
	runID := "sweep-" + t0.Add(time.Minute).Format("20060102T150405.000000Z")
	if state.RunID != runID {
		t.Fatalf("the retry started run %s, want the tick's %s", state.RunID, runID)
	}
	waitFor(t, st, work.EngineTenant, runID, e.Wake, func(j store.Job) bool { return j.Final })
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 1 || runs[runID] != 1 {
		t.Fatalf("runs for one tick: %v", runs)
	}
}

// A job of a kind this process has no handler for (a newer replica's, in a
// rolling deploy) is not claimed: it stays free for a replica that has one.
func TestAJobOfAnUnknownKindIsLeftToOthers(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	st := openSQLite(t, clock)
	if _, err := st.Create(context.Background(), store.Job{TenantID: "t1", ID: "newer", Kind: "payment", Status: "created", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	e := work.New(st, cfg("a"), clock, quiet(), nil)
	k := newToy()
	k.e = e
	e.Register("toy", k)
	p := start(e)
	defer p.stop()
	// A toy job due after the unknown one is claimed and finished: every
	// claim in between passed the unknown job by.
	if _, err := e.Create(context.Background(), store.Job{TenantID: "t1", ID: "j1", Kind: "toy", Status: "new", DueAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, st, "t1", "j1", e.Wake, func(j store.Job) bool { return j.Final })
	if j, _ := st.Get(context.Background(), "t1", "newer"); j.LeaseOwner != "" || j.Version != 1 {
		t.Fatalf("the unknown kind's job was claimed: owner %q, version %d", j.LeaseOwner, j.Version)
	}
}
