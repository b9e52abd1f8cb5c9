package work

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcvipps/bcvipps/connector/store"
)

// Handler moves the jobs of one kind. The engine claims a due job with a
// lease and calls Step; Step does one step of the job's state machine and
// stores its outcome with [Engine.Save] (which also releases the lease).
// A Step that stores nothing leaves the job to be claimed again when its
// lease ends.
type Handler interface {
	// Final reports whether status is one of the kind's final statuses.
	Final(status string) bool
	// Step does the next step of a claimed job. ctx ends at the step
	// timeout; saves made with Engine.Save still complete after it.
	Step(ctx context.Context, j store.Job)
}

// Config tunes an Engine.
type Config struct {
	// Instance names this process in leases.
	Instance string
	// Concurrency is how many steps run at once.
	Concurrency int
	// Batch is how many due jobs one claim takes at most.
	Batch int
	// Lease is how long a claimed job stays with this process.
	Lease time.Duration
	// StepTimeout bounds one step; it must be shorter than Lease.
	StepTimeout time.Duration
	// ShutdownGrace is how long Run lets running steps finish after its
	// context ends before it cancels them.
	ShutdownGrace time.Duration
	// Housekeeping: personal data of final jobs is purged DeliveredKeep
	// after delivery or UndeliveredKeep after finishing, and final rows are
	// deleted FinishedKeep after finishing.
	DeliveredKeep, UndeliveredKeep, FinishedKeep time.Duration
}

// saveTimeout bounds one store write of a transition.
const saveTimeout = 5 * time.Second

// maxIdle bounds how long the claim loop sleeps without looking at the
// store, so that work created by other replicas is picked up even when no
// change notification reaches this one.
const maxIdle = time.Second

// Engine runs every kind of job on one store: it claims due jobs with
// leases, runs their handlers' steps with bounded concurrency, runs the
// schedules, keeps the house (purge, delete, gauges) and wakes long-polls.
// It knows nothing of Vipps, BC or logins.
type Engine struct {
	st      store.Store
	cfg     Config
	clock   clockwork.Clock
	log     *slog.Logger
	metrics *metrics
	notify  *notifier
	wake    chan struct{}
	// dueHint is the earliest due time (Unix microseconds, 0: none) of
	// the jobs this process wrote since the claim loop last looked, so the
	// loop need not ask the store for the next due time after every claim.
	dueHint atomic.Int64

	// running is the claim loop's state while Run runs; steps started
	// outside the loop (Receive's) count against the same concurrency.
	running struct {
		sync.Mutex
		on       bool
		ctx      context.Context
		steps    *sync.WaitGroup
		inflight *atomic.Int64
		freed    chan struct{}
		pool     chan<- store.Job
		// claiming is the limit of the claim in progress: its slots are
		// spoken for until the claimed jobs are counted in inflight.
		claiming int64
	}
	// sleepUntil is when the claim loop's timer fires (Unix microseconds;
	// 0 while the loop is not asleep): a job written due earlier wakes it.
	sleepUntil atomic.Int64
	// full and sleep, when set (tests), are called when the claim loop
	// waits for a free slot, and when it sleeps until a time.
	full  func()
	sleep func(until time.Time)

	mu        sync.RWMutex
	handlers  map[string]Handler
	schedules map[string]Schedule
	observers []func(store.Job)
}

// New returns an engine on st. Its metrics are registered with reg (nil:
// not registered).
func New(st store.Store, cfg Config, clock clockwork.Clock, log *slog.Logger, reg prometheus.Registerer) *Engine {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.Default()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.StepTimeout <= 0 || cfg.StepTimeout >= cfg.Lease {
		cfg.StepTimeout = cfg.Lease * 2 / 3
	}
	e := &Engine{
		st: st, cfg: cfg, clock: clock, log: log, metrics: newMetrics(reg), notify: newNotifier(),
		wake: make(chan struct{}, 1), handlers: map[string]Handler{}, schedules: map[string]Schedule{},
	}
	e.Register(KindSchedule, scheduleHandler{e})
	return e
}

// Register makes h the handler of kind. Register before Run.
func (e *Engine) Register(kind string, h Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handlers[kind] = h
}

// OnTransition calls f after every stored change of status (also creates).
// Register before Run.
func (e *Engine) OnTransition(f func(store.Job)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.observers = append(e.observers, f)
}

func (e *Engine) handler(kind string) (Handler, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	h, ok := e.handlers[kind]
	return h, ok
}

// kinds lists the registered kinds, sorted.
func (e *Engine) kinds() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]string, 0, len(e.handlers))
	for k := range e.handlers {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Store is the engine's store.
func (e *Engine) Store() store.Store { return e.st }

// Instance is the lease owner name of this process.
func (e *Engine) Instance() string { return e.cfg.Instance }

// Clock is the engine's clock.
func (e *Engine) Clock() clockwork.Clock { return e.clock }

// Lease is how long a claimed job stays with this process.
func (e *Engine) Lease() time.Duration { return e.cfg.Lease }

// Wake makes Run look at the store now (new due work).
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Wait returns a channel closed at the next change of job id seen by this
// process, and a function that forgets the waiter.
func (e *Engine) Wait(id string) (<-chan struct{}, func()) { return e.notify.wait(id) }

// final sets j.Final from its kind's final set; an unregistered kind is
// refused.
func (e *Engine) final(j *store.Job) error {
	h, ok := e.handler(j.Kind)
	if !ok {
		return fmt.Errorf("work: no handler for kind %q", j.Kind)
	}
	j.Final = h.Final(j.Status)
	return nil
}

// Create stores a new job (see store.Store.Create for duplicates).
func (e *Engine) Create(ctx context.Context, j store.Job) (store.Job, error) {
	return e.create(ctx, j, false)
}

// create is Create; leased, j is stored leased to this instance for one
// lease period, for its creator to step (the claim loop is not told).
func (e *Engine) create(ctx context.Context, j store.Job, leased bool) (store.Job, error) {
	if err := e.final(&j); err != nil {
		return store.Job{}, err
	}
	var created store.Job
	var err error
	if leased {
		created, err = e.st.CreateLeased(ctx, j, e.cfg.Instance, e.clock.Now().Add(e.cfg.Lease))
	} else {
		created, err = e.st.Create(ctx, j)
	}
	if err != nil {
		return created, err
	}
	e.transitioned(created)
	if !leased {
		e.noteDue(created)
	}
	return created, nil
}

// noteDue tells the claim loop of a stored job's due time: at once (Wake)
// when it is due and free, else as the earliest known due time.
func (e *Engine) noteDue(j store.Job) {
	if j.DueAt.IsZero() {
		return
	}
	if !j.DueAt.After(e.clock.Now()) && j.LeaseOwner == "" {
		e.Wake()
		return
	}
	us := j.DueAt.UnixMicro()
	e.hintDue(us)
	if sleep := e.sleepUntil.Load(); sleep != 0 && us < sleep {
		e.Wake()
	}
}

// hintDue lowers dueHint to us.
func (e *Engine) hintDue(us int64) {
	for {
		cur := e.dueHint.Load()
		if cur != 0 && cur <= us {
			return
		}
		if e.dueHint.CompareAndSwap(cur, us) {
			return
		}
	}
}

// TakenOver reports a write refused because the row changed or is held
// elsewhere: the step's work is void, the row is someone else's now.
func TakenOver(err error) bool {
	return errors.Is(err, store.ErrLeaseLost) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased)
}

// Save writes next (read as prev) and tells waiting long-polls, metrics and
// observers. A job this process claimed (LeaseOwner is this instance) is
// written as the lease holder; others only if nobody holds them. The write
// outlives ctx (a step whose upstream call used up its time must still
// record what happened).
func (e *Engine) Save(ctx context.Context, prev, next store.Job, opts ...store.UpdateOption) (store.Job, error) {
	return e.save(ctx, prev, next, true, opts...)
}

// save is Save; tell says whether the claim loop learns the saved job's
// due time (not for a job this process leased to step itself, see Take).
func (e *Engine) save(ctx context.Context, prev, next store.Job, tell bool, opts ...store.UpdateOption) (store.Job, error) {
	if err := e.final(&next); err != nil {
		return next, err
	}
	if next.LeaseOwner == e.cfg.Instance && next.LeaseOwner != "" {
		opts = append([]store.UpdateOption{store.Holding(e.cfg.Instance)}, opts...)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	u, err := e.st.Update(sctx, next, opts...)
	if err != nil {
		switch {
		case errors.Is(err, store.ErrDuplicate):
			// A record the write would have created (store.AlsoCreate)
			// exists: the caller's thing is done already.
		case errors.Is(err, store.ErrExclusive):
			// The key a MoveExclusive asked for is another job's: the
			// caller waits for it.
		case TakenOver(err):
			e.log.Warn("job taken over elsewhere; dropping this step", "tenant", next.TenantID, "job", next.ID, "kind", next.Kind, "err", err)
		default:
			e.log.Error("store transition", "tenant", next.TenantID, "job", next.ID, "kind", next.Kind, "err", err)
		}
		return u, err
	}
	if prev.Status != u.Status {
		e.transitioned(u)
	} else {
		e.notify.signal(u.ID)
	}
	if tell {
		e.noteDue(u)
	}
	return u, nil
}

// Take writes next (read as prev; nobody may hold it) and steps it at
// once, without a claim: the write leases it to this process
// (store.Acquire) and a free worker runs its step, as if it had been
// claimed. Should the process die first, the lease ends and any replica
// claims it. Without a free worker (or while the engine is not running)
// it is saved as Save does, and the claim loop takes it when it is due.
// records are created in the same write (store.AlsoCreate): what caused
// the step, e.g. an inbox event applied by it.
func (e *Engine) Take(ctx context.Context, prev, next store.Job, records ...store.Job) (store.Job, error) {
	opts := make([]store.UpdateOption, 0, len(records)+1)
	for _, r := range records {
		o, err := e.Record(r)
		if err != nil {
			return next, err
		}
		opts = append(opts, o)
	}
	// Written as nobody's (a lease of this process that ran out is no
	// lease), then leased by Acquire.
	next.LeaseOwner = ""
	start, cancel, ok := e.reserve()
	if !ok {
		u, err := e.Save(ctx, prev, next, opts...)
		if err == nil {
			e.Recorded(records...)
		}
		return u, err
	}
	defer cancel() // a no-op once started
	opts = append(opts, store.Acquire(e.cfg.Instance, e.clock.Now().Add(e.cfg.Lease)))
	// Leased to this process and stepped here: the claim loop is not told
	// (it would only wake to find the row held).
	u, err := e.save(ctx, prev, next, false, opts...)
	if err != nil {
		return u, err
	}
	e.Recorded(records...)
	if u.LeaseOwner == e.cfg.Instance {
		start(u)
	}
	return u, nil
}

// Record is store.AlsoCreate of r, made final as its kind says: a record
// created with a write passed to Save or SaveWaking, which reports it with
// Recorded once the write succeeded.
func (e *Engine) Record(r store.Job) (store.UpdateOption, error) {
	if err := e.final(&r); err != nil {
		return nil, err
	}
	return store.AlsoCreate(r), nil
}

// Recorded counts and reports records created with a successful write
// (see Record), as Create would.
func (e *Engine) Recorded(records ...store.Job) {
	for _, r := range records {
		if err := e.final(&r); err == nil {
			e.transitioned(r)
		}
	}
}

// SaveWaking is Save that also makes another job of the tenant due, in
// the same transaction (store.AlsoWake): a change and the job that carries
// it on are stored together.
func (e *Engine) SaveWaking(ctx context.Context, prev, next store.Job, w store.Wakeup, opts ...store.UpdateOption) (store.Job, error) {
	u, err := e.Save(ctx, prev, next, append(opts, store.AlsoWake(w))...)
	if err == nil {
		e.noteDue(store.Job{DueAt: w.DueAt})
	}
	return u, err
}

// SaveHeld is Save for a step that goes on working on its job after the
// write (a transition stored before the call it announces): a job this
// process holds keeps its lease for another period (KeepLease). Save alone
// frees it, and a job due now is then claimed again while this step still
// works on it. A job nobody holds (stepped inline by a request) is saved
// as Save does.
func (e *Engine) SaveHeld(ctx context.Context, prev, next store.Job) (store.Job, error) {
	if next.LeaseOwner != "" && next.LeaseOwner == e.cfg.Instance {
		return e.Save(ctx, prev, next, e.KeepLease())
	}
	return e.Save(ctx, prev, next)
}

// KeepLease is the option that keeps this process's lease on a saved job
// for another lease period (a transition written before the work it
// announces).
func (e *Engine) KeepLease() store.UpdateOption {
	return store.KeepLease(e.clock.Now().Add(e.cfg.Lease))
}

// transitioned counts and reports a change of status, then wakes the
// long-polls waiting for it (in that order: what a woken caller reads next,
// the metrics included, already counts the change).
func (e *Engine) transitioned(j store.Job) {
	e.metrics.transitions.WithLabelValues(j.Kind, j.Status).Inc()
	e.mu.RLock()
	obs := e.observers
	e.mu.RUnlock()
	for _, f := range obs {
		f(j)
	}
	e.notify.signal(j.ID)
}

// Run runs the engine until ctx ends: it claims due jobs with a lease,
// runs at most Concurrency steps at a time, runs the schedules, keeps the
// house and forwards the store's change feed to long-polls. It claims only
// as many jobs as it has free workers, so no claimed job waits while its
// lease runs out. When ctx ends it stops claiming and lets the steps in
// progress finish; after ShutdownGrace it cancels them (each still stores
// its state) and returns once they have returned.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.ensureSchedules(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); e.forwardChanges(ctx) }()
	go func() { defer bg.Done(); e.housekeeping(ctx) }()

	var steps sync.WaitGroup
	var inflight atomic.Int64
	freed := make(chan struct{}, 1)
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	// Claim only the kinds this process has handlers for: during a rolling
	// deploy an older replica leaves a newer kind's jobs to the new ones.
	kinds := e.kinds()
	var next nextDue
	// Steps run on long-lived workers: a new goroutine per step grew its
	// stack to SQLite's depth every time (9 % of the CPU under webhook load).
	pool := make(chan store.Job, 2*e.cfg.Concurrency)
	var workers sync.WaitGroup
	for range e.cfg.Concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range pool {
				e.runStep(work, j, &steps, &inflight, freed)
			}
		}()
	}
	defer func() { close(pool); workers.Wait() }()
	e.running.Lock()
	e.running.on, e.running.ctx, e.running.steps, e.running.inflight, e.running.freed, e.running.pool = true, work, &steps, &inflight, freed, pool
	e.running.Unlock()
	e.log.Info("workers started", "instance", e.cfg.Instance, "concurrency", e.cfg.Concurrency)

	for ctx.Err() == nil {
		// The free slots are counted and spoken for under the lock that
		// Receive's reserve takes, so the two never promise one slot twice.
		e.running.Lock()
		free := e.cfg.Concurrency - int(inflight.Load())
		limit := 0
		if free > 0 {
			limit = claimLimit(min(e.cfg.Batch, free))
			e.running.claiming = int64(limit)
		}
		e.running.Unlock()
		if free <= 0 {
			if e.full != nil {
				e.full()
			}
			select {
			case <-freed:
			case <-ctx.Done():
			}
			continue
		}
		now := e.clock.Now()
		// Due times written before this claim are the claim's to take; a
		// later one is kept for the wait below.
		if h := e.dueHint.Swap(0); h > now.UnixMicro() {
			e.hintDue(h)
		}
		jobs, err := e.st.ClaimDue(ctx, e.cfg.Instance, now, e.cfg.Lease, limit, kinds...)
		if err != nil && ctx.Err() == nil {
			e.log.Error("claim due work", "err", err)
		}
		e.running.Lock()
		inflight.Add(int64(len(jobs)))
		steps.Add(len(jobs))
		e.running.claiming = 0
		e.running.Unlock()
		for _, j := range jobs {
			if !j.DueAt.IsZero() {
				e.metrics.lateness.WithLabelValues(j.Kind).Observe(now.Sub(j.DueAt).Seconds())
			}
			pool <- j
		}
		if len(jobs) == limit {
			continue // more may be due
		}
		wait := next.wait(ctx, e, now, kinds)
		// Armed before the hint is read again: a job written due earlier
		// from now on wakes the loop (noteDue), one written before is in
		// the hint.
		e.sleepUntil.Store(now.Add(wait).UnixMicro())
		if h := e.dueHint.Load(); h != 0 {
			wait = max(min(wait, time.UnixMicro(h).Sub(now)), 10*time.Millisecond)
		}
		timer := e.clock.NewTimer(wait)
		if e.sleep != nil {
			e.sleep(now.Add(wait))
		}
		select {
		case <-timer.Chan():
		case <-e.wake:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
		}
		e.sleepUntil.Store(0)
	}
	e.running.Lock()
	e.running.on = false
	e.running.Unlock()
	bg.Wait()
	e.log.Info("workers stopping; waiting for running steps", "instance", e.cfg.Instance, "grace", e.cfg.ShutdownGrace.String())
	e.drain(&steps, stopWork)
	e.log.Info("workers stopped", "instance", e.cfg.Instance)
	return nil
}

// runStep runs the step of a job this process holds, in a slot of the
// worker pool, and frees the slot.
func (e *Engine) runStep(work context.Context, j store.Job, steps *sync.WaitGroup, inflight *atomic.Int64, freed chan struct{}) {
	defer freeSlot(steps, inflight, freed)
	stepCtx, cancel := withClockTimeout(work, e.clock, e.cfg.StepTimeout)
	defer cancel()
	e.step(stepCtx, j)
}

// freeSlot gives a worker slot back and tells a claim loop waiting for one.
func freeSlot(steps *sync.WaitGroup, inflight *atomic.Int64, freed chan struct{}) {
	inflight.Add(-1)
	steps.Done()
	select {
	case freed <- struct{}{}:
	default:
	}
}

// reserve takes a slot of the worker pool for a step started outside the
// claim loop, if the loop runs and a slot is free; start runs the step in
// it (or cancel gives it back).
func (e *Engine) reserve() (start func(store.Job), cancel func(), ok bool) {
	e.running.Lock()
	defer e.running.Unlock()
	r := &e.running
	if !r.on || r.inflight.Load()+r.claiming >= int64(e.cfg.Concurrency) {
		return nil, nil, false
	}
	r.inflight.Add(1)
	r.steps.Add(1)
	steps, inflight, pool, freed := r.steps, r.inflight, r.pool, r.freed
	var once sync.Once
	start = func(j store.Job) { once.Do(func() { pool <- j }) }
	cancel = func() { once.Do(func() { freeSlot(steps, inflight, freed) }) }
	return start, cancel, true
}

// drain waits for the running steps, cancelling them after the grace.
func (e *Engine) drain(steps *sync.WaitGroup, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { steps.Wait(); close(done) }()
	if e.cfg.ShutdownGrace > 0 {
		t := e.clock.NewTimer(e.cfg.ShutdownGrace)
		defer t.Stop()
		select {
		case <-done:
			return
		case <-t.Chan():
			e.log.Warn("shutdown grace over; cancelling running steps", "instance", e.cfg.Instance)
		}
	}
	cancel()
	<-done
}

// step runs the handler of j's kind; a kind without handler (removed from
// this build, or of a newer version on another replica) is left alone.
func (e *Engine) step(ctx context.Context, j store.Job) {
	h, ok := e.handler(j.Kind)
	if !ok {
		e.log.Error("no handler for claimed job; leaving it", "tenant", j.TenantID, "job", j.ID, "kind", j.Kind)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			e.log.Error("step panicked; the job is retried when its lease ends", "tenant", j.TenantID, "job", j.ID, "kind", j.Kind, "panic", fmt.Sprint(p))
		}
	}()
	h.Step(ctx, j)
}

// forwardChanges wakes long-polls on changes made by other replicas,
// subscribing again when the store's feed ends until ctx ends.
func (e *Engine) forwardChanges(ctx context.Context) {
	for ctx.Err() == nil {
		feed, err := e.st.Subscribe(ctx)
		if err != nil {
			e.log.Warn("store change feed unavailable; retrying", "err", err)
		} else {
			for ch := range feed {
				e.notify.signal(ch.ID)
			}
		}
		t := e.clock.NewTimer(time.Second)
		select {
		case <-t.Chan():
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// CreateEach stores several new jobs in one transaction (see
// store.Store.CreateEach): errs[i] is each job's duplicate, err a failure
// of the whole.
func (e *Engine) CreateEach(ctx context.Context, jobs []store.Job) ([]store.Job, []error, error) {
	for i := range jobs {
		if err := e.final(&jobs[i]); err != nil {
			return nil, nil, err
		}
	}
	out, errs, err := e.st.CreateEach(ctx, jobs)
	if err != nil {
		return nil, nil, err
	}
	for i, j := range out {
		if errs[i] != nil {
			continue
		}
		e.transitioned(j)
		e.noteDue(j)
	}
	return out, errs, nil
}

// claimLimit rounds n down to a power of two: the store prepares one claim
// statement per limit, so a handful of limits keeps the statements few.
func claimLimit(n int) int {
	l := 1
	for l*2 <= n {
		l *= 2
	}
	return l
}

// nextDue is the claim loop's knowledge of the next due time: the store's
// answer, read again when it has come due or is maxIdle old (work other
// replicas created), and the due times this process wrote since
// (Engine.dueHint). The store was asked after every claim before; at a
// few thousand claims a second that was 7 % of the connector's CPU.
type nextDue struct {
	at     time.Time // the store's next due time (zero: none)
	readAt time.Time // when the store was asked (zero: never, or failed)
}

// wait is how long the loop may sleep after a claim at now that left
// nothing due.
func (n *nextDue) wait(ctx context.Context, e *Engine, now time.Time, kinds []string) time.Duration {
	if n.readAt.IsZero() || now.Sub(n.readAt) >= maxIdle || (!n.at.IsZero() && !n.at.After(now)) {
		at, ok, err := e.st.NextDueAt(ctx, kinds...)
		switch {
		case err != nil:
			n.at, n.readAt = time.Time{}, time.Time{}
		case ok:
			n.at, n.readAt = at, now
		default:
			n.at, n.readAt = time.Time{}, now
		}
	}
	wait := maxIdle
	if !n.readAt.IsZero() {
		wait = n.readAt.Add(maxIdle).Sub(now)
	}
	if !n.at.IsZero() {
		wait = min(wait, n.at.Sub(now))
	}
	if h := e.dueHint.Load(); h != 0 {
		wait = min(wait, time.UnixMicro(h).Sub(now))
	}
	if wait <= 0 {
		// Due work exists but is leased (by others, or in our pool).
		wait = 10 * time.Millisecond
	}
	return wait
}
