package connector

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// maxIdle bounds how long the scheduler sleeps without looking at the
// store, so that work created by other replicas is picked up even when no
// change notification reaches this one.
const maxIdle = time.Second

// workTimeout bounds one step of one request (a token poll plus the
// userinfo call and the BC write that follow it).
const workTimeout = 2 * time.Minute

// Run runs the scheduler until ctx ends: it claims due requests (token
// polls of pending logins, BC writes of consented profiles) with a lease,
// works on them with at most cfg.Worker.Concurrency at a time, and does the
// housekeeping (purging personal data, deleting old rows, metrics). When
// ctx ends it stops claiming, lets the steps in progress finish (each step
// ends at a stored state), and returns nil.
func (s *Service) Run(ctx context.Context) error {
	defer s.endLongPolls()
	if feed, err := s.store.Subscribe(ctx); err == nil {
		go s.forwardChanges(feed)
	} else {
		s.log.Warn("store change feed unavailable; long-polls rely on this replica's own changes", "err", err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.cfg.Worker.Concurrency)
	work := context.WithoutCancel(ctx)
	housekeeping := s.clock.NewTicker(time.Minute)
	defer housekeeping.Stop()
	s.housekeep(ctx)
	s.log.Info("workers started", "instance", s.instance, "concurrency", s.cfg.Worker.Concurrency)

	for ctx.Err() == nil {
		now := s.clock.Now()
		rows, err := s.store.ClaimDue(ctx, s.instance, now, s.cfg.Worker.LeaseDuration, s.cfg.Worker.PollBatch)
		if err != nil && ctx.Err() == nil {
			s.log.Error("claim due work", "err", err)
		}
		for _, r := range rows {
			if !r.DueAt.IsZero() {
				s.metrics.queueAge.WithLabelValues(string(r.Status)).Observe(now.Sub(r.DueAt).Seconds())
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				// Give the rest back; another replica (or the next start) takes them.
				_ = s.store.Release(work, r.TenantID, r.ID, s.instance)
				continue
			}
			wg.Add(1)
			go func(r store.Request) {
				defer wg.Done()
				defer func() { <-sem }()
				stepCtx, cancel := context.WithTimeout(work, workTimeout)
				defer cancel()
				s.process(stepCtx, r)
			}(r)
		}
		if len(rows) == s.cfg.Worker.PollBatch {
			continue
		}
		wait := maxIdle
		if next, ok, err := s.store.NextDueAt(ctx); err == nil && ok {
			if d := next.Sub(s.clock.Now()); d < wait {
				wait = d
			}
		}
		if wait <= 0 {
			// Due work exists but was claimed by others or is in our pool.
			wait = 10 * time.Millisecond
		}
		timer := s.clock.NewTimer(wait)
		select {
		case <-timer.Chan():
		case <-s.wake:
			timer.Stop()
		case <-housekeeping.Chan():
			timer.Stop()
			s.housekeep(ctx)
		case <-ctx.Done():
			timer.Stop()
		}
	}
	wg.Wait()
	s.log.Info("workers stopped", "instance", s.instance)
	return nil
}

// forwardChanges wakes long-polls on changes made by other replicas.
func (s *Service) forwardChanges(feed <-chan store.Change) {
	for ch := range feed {
		s.notify.signal(ch.ID)
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

// save writes a transition and tells waiting long-polls and metrics.
//
// Rows this process's scheduler claimed carry its instance as LeaseOwner and
// are written as the lease holder; other rows (a POST starting its login)
// are written only if nobody holds them.
func (s *Service) save(ctx context.Context, prev, r store.Request, opts ...store.UpdateOption) (store.Request, error) {
	if r.LeaseOwner == s.instance {
		opts = append([]store.UpdateOption{store.Holding(s.instance)}, opts...)
	}
	u, err := s.store.Update(ctx, r, opts...)
	if err != nil {
		if errors.Is(err, store.ErrLeaseLost) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased) {
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
