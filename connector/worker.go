package connector

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// saveTimeout bounds one store write of a transition.
const saveTimeout = 5 * time.Second

// maxIdle bounds how long the scheduler sleeps without looking at the
// store, so that work created by other replicas is picked up even when no
// change notification reaches this one.
const maxIdle = time.Second

// Run runs the scheduler until ctx ends: it claims due requests (token
// polls of pending logins, BC writes of consented profiles) with a lease,
// works on them with at most cfg.Worker.Concurrency at a time, and does the
// housekeeping (purging personal data, deleting old rows, metrics). It
// claims only as many rows as it has free workers, so no claimed row waits
// while its lease runs out, and every step ends well inside its lease. When
// ctx ends it stops claiming, lets the steps in progress finish (each step
// ends at a stored state), and returns nil.
func (s *Service) Run(ctx context.Context) error {
	defer s.endLongPolls()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.forwardChanges(ctx) }()
	go func() { defer wg.Done(); s.housekeeping(ctx) }()

	concurrency := s.cfg.Worker.Concurrency
	var inflight atomic.Int64
	freed := make(chan struct{}, 1)
	work := context.WithoutCancel(ctx)
	// A step must end inside its lease, or another replica could take the
	// row while this one still works on it.
	stepTimeout := s.cfg.Worker.LeaseDuration * 2 / 3
	s.log.Info("workers started", "instance", s.instance, "concurrency", concurrency)

	for ctx.Err() == nil {
		free := concurrency - int(inflight.Load())
		if free <= 0 {
			select {
			case <-freed:
			case <-ctx.Done():
			}
			continue
		}
		limit := min(s.cfg.Worker.PollBatch, free)
		now := s.clock.Now()
		rows, err := s.store.ClaimDue(ctx, s.instance, now, s.cfg.Worker.LeaseDuration, limit)
		if err != nil && ctx.Err() == nil {
			s.log.Error("claim due work", "err", err)
		}
		for _, r := range rows {
			if !r.DueAt.IsZero() {
				s.metrics.queueAge.WithLabelValues(string(r.Status)).Observe(now.Sub(r.DueAt).Seconds())
			}
			inflight.Add(1)
			wg.Add(1)
			go func(r store.Request) {
				defer wg.Done()
				defer func() {
					inflight.Add(-1)
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
				stepCtx, cancel := context.WithTimeout(work, stepTimeout)
				defer cancel()
				s.process(stepCtx, r)
			}(r)
		}
		if len(rows) == limit {
			continue // more may be due
		}
		wait := maxIdle
		if next, ok, err := s.store.NextDueAt(ctx); err == nil && ok {
			if d := next.Sub(s.clock.Now()); d < wait {
				wait = d
			}
		}
		if wait <= 0 {
			// Due work exists but is leased (by others, or in our pool).
			wait = 10 * time.Millisecond
		}
		timer := s.clock.NewTimer(wait)
		select {
		case <-timer.Chan():
		case <-s.wake:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
		}
	}
	wg.Wait()
	s.log.Info("workers stopped", "instance", s.instance)
	return nil
}

// housekeeping runs housekeep at start and every minute until ctx ends, on
// its own, so a scheduler that always finds full batches cannot starve it.
func (s *Service) housekeeping(ctx context.Context) {
	t := s.clock.NewTicker(time.Minute)
	defer t.Stop()
	s.housekeep(ctx)
	for {
		select {
		case <-t.Chan():
			s.housekeep(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// forwardChanges wakes long-polls on changes made by other replicas,
// subscribing again when the store's feed ends (a dropped LISTEN
// connection) until ctx ends.
func (s *Service) forwardChanges(ctx context.Context) {
	for ctx.Err() == nil {
		feed, err := s.store.Subscribe(ctx)
		if err != nil {
			s.log.Warn("store change feed unavailable; retrying", "err", err)
		} else {
			for ch := range feed {
				s.notify.signal(ch.ID)
			}
		}
		select {
		case <-s.clock.After(time.Second):
		case <-ctx.Done():
		}
	}
}

// wakeScheduler makes Run look at the store now.
func (s *Service) wakeScheduler() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// housekeep purges personal data that was delivered (after
// retention.profile) or never fetched (after a day), deletes finished rows
// after retention.requests and refreshes the request gauges.
func (s *Service) housekeep(ctx context.Context) {
	now := s.clock.Now()
	undelivered := 24 * time.Hour
	if s.cfg.Retention.Profile > undelivered {
		undelivered = s.cfg.Retention.Profile
	}
	if n, err := s.store.PurgePersonal(ctx, now.Add(-s.cfg.Retention.Profile), now.Add(-undelivered)); err != nil {
		if ctx.Err() == nil {
			s.log.Error("purge personal data", "err", err)
		}
	} else if n > 0 {
		s.log.Info("purged personal data", "requests", n)
	}
	if n, err := s.store.DeleteFinished(ctx, now.Add(-s.cfg.Retention.Requests)); err != nil {
		if ctx.Err() == nil {
			s.log.Error("delete finished requests", "err", err)
		}
	} else if n > 0 {
		s.log.Info("deleted finished requests", "requests", n)
	}
	counts, err := s.store.Counts(ctx)
	if err != nil {
		return
	}
	byStatus := map[string]float64{}
	for _, st := range []store.Status{store.StatusPending, store.StatusApplying, store.StatusCompleted,
		store.StatusRejected, store.StatusExpired, store.StatusFailed, store.StatusCancelled} {
		byStatus[string(st)] = 0
	}
	for _, c := range counts {
		byStatus[string(c.Status)] += float64(c.N)
	}
	for st, n := range byStatus {
		s.metrics.requestsByStat.WithLabelValues(st).Set(n)
	}
}

// takenOver reports a write refused because the row changed or is held
// elsewhere: this step's work is void, the row is someone else's now.
func takenOver(err error) bool {
	return errors.Is(err, store.ErrLeaseLost) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased)
}

// save writes a transition and tells waiting long-polls and metrics.
//
// Rows this process's scheduler claimed carry its instance as LeaseOwner and
// are written as the lease holder; other rows (a POST starting its login)
// are written only if nobody holds them.
func (s *Service) save(ctx context.Context, prev, r store.Request, opts ...store.UpdateOption) (store.Request, error) {
	if r.LeaseOwner == s.instance {
		opts = append([]store.UpdateOption{store.Holding(s.instance)}, opts...)
	}
	// A step whose upstream call used up its context must still record
	// what happened.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	u, err := s.store.Update(sctx, r, opts...)
	if err != nil {
		if takenOver(err) {
			s.log.Warn("request taken over elsewhere; dropping this step", "tenant", r.TenantID, "request", r.ID, "err", err)
		} else {
			s.log.Error("store transition", "tenant", r.TenantID, "request", r.ID, "err", err)
		}
		return u, err
	}
	if prev.Status != u.Status {
		s.transitioned(u)
	}
	return u, nil
}

func (s *Service) transitioned(r store.Request) {
	s.notify.signal(r.ID)
	s.metrics.transitions.WithLabelValues(r.Kind, string(r.Status)).Inc()
	if r.Status.Final() {
		s.metrics.logins.WithLabelValues(r.Kind, string(r.Status)).Inc()
	}
	s.log.Info("request "+string(r.Status), "tenant", r.TenantID, "request", r.ID, "kind", r.Kind, "use_case", r.UseCase)
}
