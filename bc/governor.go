package bc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Governor keeps the requests of one principal inside BC's limits: at most
// Limits.RequestsPerWindow request starts in any sliding Limits.Window, and
// at most Limits.MaxInFlight requests in flight. Share one Governor between
// all clients that authenticate as the same user or service principal
// (WithGovernor); BC counts the limits per principal, not per client.
//
// After BC answers 429 with Retry-After the governor also holds back every
// request of the principal until then (Pause), so that parallel workers do
// not each discover the throttle separately.
type Governor struct {
	clock  clockwork.Clock
	window time.Duration
	slots  chan struct{}

	mu          sync.Mutex
	starts      []time.Time // ring of the last len(starts) request starts
	head, count int
	pausedUntil time.Time
}

// NewGovernor returns a governor for limits (zero fields take BC's
// defaults) that reads time from clock (nil: the real clock).
func NewGovernor(limits Limits, clock clockwork.Clock) *Governor {
	limits = limits.withDefaults()
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Governor{
		clock:  clock,
		window: limits.Window,
		slots:  make(chan struct{}, limits.MaxInFlight),
		starts: make([]time.Time, limits.RequestsPerWindow),
	}
}

// Acquire waits until a request may start and returns the function that
// ends it. It returns ctx's error if ctx ends first.
func (g *Governor) Acquire(ctx context.Context) (release func(), err error) {
	release, _, err = g.acquire(ctx, -1)
	return release, err
}

// acquire is Acquire that waits for the request window or a pause at most
// limit in all (negative: no bound): a longer wait is not started and a
// *LimitError says how long it would have been. Waiting for a concurrency
// slot is not bounded (slots are held only while a request is in flight).
// waited is the time spent waiting for the window or a pause.
func (g *Governor) acquire(ctx context.Context, limit time.Duration) (release func(), waited time.Duration, err error) {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, fmt.Errorf("bc governor: %w", ctx.Err())
	}
	var once sync.Once
	release = func() { once.Do(func() { <-g.slots }) }
	for {
		wait := g.tryStart()
		if wait <= 0 {
			return release, waited, nil
		}
		if limit >= 0 && waited+wait > limit {
			release()
			return nil, waited, &LimitError{RetryAfter: wait}
		}
		select {
		case <-g.clock.After(wait):
			waited += wait
		case <-ctx.Done():
			release()
			return nil, waited, fmt.Errorf("bc governor: %w", ctx.Err())
		}
	}
}

// tryStart records a request start now and returns 0, or returns how long
// to wait before the window (or a pause) allows one.
func (g *Governor) tryStart() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	if now.Before(g.pausedUntil) {
		return g.pausedUntil.Sub(now)
	}
	n := len(g.starts)
	if g.count < n {
		g.starts[(g.head+g.count)%n] = now
		g.count++
		return 0
	}
	free := g.starts[g.head].Add(g.window)
	if now.Before(free) {
		return free.Sub(now)
	}
	g.starts[g.head] = now
	g.head = (g.head + 1) % n
	return 0
}

// Pause holds back new requests until t (BC's Retry-After after a 429).
func (g *Governor) Pause(t time.Time) {
	g.mu.Lock()
	if t.After(g.pausedUntil) {
		g.pausedUntil = t
	}
	g.mu.Unlock()
}

// InFlight reports how many requests hold a slot now.
func (g *Governor) InFlight() int { return len(g.slots) }
