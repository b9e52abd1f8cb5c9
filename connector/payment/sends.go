package payment

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/bcvipps/bcvipps/connector/store"
)

// sends tracks the follower saves a create left to run after its answer.
//
// A create whose ePayment Vipps took answers the caller at once and
// records that on the follower (sending → following) a moment later, off
// the request's path: the write is the last of the create and nothing in
// the answer depends on it. Should the process die before it lands, the
// follower is still sending and due after sendGrace: it sends the create
// again with the same Idempotency-Key, which Vipps answers as the first.
//
// While the save is on its way, this process knows more than the store:
// an operation on the payment waits for the save (a cancel must not be
// refused as "still being sent" after the create was answered), and a
// webhook that asks the follower to look now is remembered and passed on
// once the save has landed.
type sends struct {
	mu      sync.Mutex
	pending map[string]*pendingSend // by payment id
	// running counts the saves not yet finished; idle is signalled when it
	// drops to zero.
	running int
	idle    *sync.Cond
}

type pendingSend struct {
	done  chan struct{}
	woken atomic.Bool
}

// start records a follower save of payment id about to run in the
// background and returns its entry.
func (s *sends) start(id string) *pendingSend {
	ps := &pendingSend{done: make(chan struct{})}
	s.mu.Lock()
	if s.pending == nil {
		s.pending = map[string]*pendingSend{}
		s.idle = sync.NewCond(&s.mu)
	}
	s.pending[id] = ps
	s.running++
	s.mu.Unlock()
	return ps
}

// finish ends the entry of payment id and reports whether a wake came
// for it (under the lock wake takes: a wake either lands here or finds no
// entry and reads the follower again).
func (s *sends) finish(id string, ps *pendingSend) (woken bool) {
	s.mu.Lock()
	if s.pending[id] == ps {
		delete(s.pending, id)
	}
	woken = ps.woken.Load()
	s.mu.Unlock()
	close(ps.done)
	return woken
}

// done counts a save out, once it has done all it does.
func (s *sends) done() {
	s.mu.Lock()
	s.running--
	if s.running == 0 {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// waitIdle waits until no save runs.
func (s *sends) waitIdle() {
	s.mu.Lock()
	for s.running > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
}

// get returns the entry of payment id, or nil.
func (s *sends) get(id string) *pendingSend {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[id]
}

// sendHooks, when set (tests), run before a background save, when an
// operation waits for one, when a wake is left to one, and when a wake is
// left to a follower still sending with no save of it running here.
type sendHookSet struct{ before, waiting, woken, leftElsewhere func() }

var sendHooks atomic.Pointer[sendHookSet]

// wait waits for the follower save of payment id, if one is running here,
// and reports whether there was one.
func (s *sends) wait(ctx context.Context, id string) bool {
	ps := s.get(id)
	if ps == nil {
		return false
	}
	if h := sendHooks.Load(); h != nil && h.waiting != nil {
		h.waiting()
	}
	select {
	case <-ps.done:
	case <-ctx.Done():
	}
	return true
}

// wake remembers that the follower of payment id was asked to look now
// while its save was on its way; it reports whether one was.
func (s *sends) wake(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.pending[id]
	if ps == nil {
		return false
	}
	ps.woken.Store(true)
	if h := sendHooks.Load(); h != nil && h.woken != nil {
		h.woken()
	}
	return true
}

// saveFollowing stores the follower's move to following in the background
// (see sends), then passes on a wake that came meanwhile.
func (p *Payments) saveFollowing(ctx context.Context, f, next store.Job) {
	paymentID := decodeFollow(f.State).Payment
	ps := p.sends.start(paymentID)
	// Not the request's cancellation, but a bound of its own: shutdown
	// waits for these saves (Settle).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	go func() {
		defer p.sends.done()
		defer cancel()
		if h := sendHooks.Load(); h != nil && h.before != nil {
			h.before()
		}
		if ps.woken.Load() {
			next.DueAt = p.clock.Now()
		}
		saved, ok := p.save(ctx, f, next)
		// A wake that came meanwhile is passed on unless the saved record
		// is due already; a record refused (the follower moved on: its
		// own send went through) passes it on to what is stored now.
		woken := p.sends.finish(paymentID, ps)
		switch {
		case woken && (!ok || saved.DueAt.After(p.clock.Now())):
			p.wakeFollower(ctx, f.TenantID, paymentID)
		case ok && p.cfg.Store.Driver == store.DriverPostgres && saved.DueAt.After(p.clock.Now()):
			// A webhook on another replica that found the follower still
			// sending left the wake to it, and sends knows this process's
			// webhooks only. Such a webhook stored its change before it
			// read the follower, and so before this save: one read of the
			// payment finds it. (An event without a pspReference changes
			// nothing and only wakes; the next poll finds what it told.)
			if pj, err := p.get(ctx, f.TenantID, paymentID); err == nil && answered(pj) {
				due := saved
				due.DueAt = p.clock.Now()
				p.save(ctx, saved, due)
			}
		}
	}()
}

// Settle waits for the follower saves running in the background (at
// shutdown; tests before they move the clock).
func (p *Payments) Settle() { p.sends.waitIdle() }
