package connector

import (
	"context"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
)

// Run runs the engine until ctx ends: it claims due jobs (token polls of
// pending logins, BC writes of consented profiles, …) with a lease, works
// on them with at most worker.concurrency at a time, and keeps the house.
// When ctx ends it stops claiming, lets the steps in progress finish
// (server.shutdownTimeout at most, then cancels them; each step still ends
// at a stored state), and returns nil.
func (s *Service) Run(ctx context.Context) error {
	defer s.endLongPolls()
	return s.engine.Run(ctx)
}

// wakeScheduler makes the engine look at the store now.
func (s *Service) wakeScheduler() { s.engine.Wake() }

// takenOver reports a write refused because the row changed or is held
// elsewhere: this step's work is void, the row is someone else's now.
func takenOver(err error) bool { return work.TakenOver(err) }

// keepLease keeps this process's lease on a saved job for another lease
// period.
func (s *Service) keepLease() store.UpdateOption { return s.engine.KeepLease() }

// observeTransition counts finished logins and logs every transition.
func (s *Service) observeTransition(j store.Job) {
	if j.Kind != kindCustomer && j.Kind != kindMember {
		return
	}
	if j.Final {
		s.metrics.logins.WithLabelValues(j.Kind, j.Status).Inc()
	}
	s.log.Info("request "+j.Status, "tenant", j.TenantID, "request", j.ID, "kind", j.Kind)
}
