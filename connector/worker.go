package connector

import "context"

// Run runs the engine until ctx ends: it claims due jobs (token polls of
// pending logins, BC writes of consented profiles, …) with a lease, works
// on them with at most worker.concurrency at a time, and keeps the house.
// When ctx ends it stops claiming, lets the steps in progress finish
// (server.shutdownTimeout at most, then cancels them; each step still ends
// at a stored state), and returns nil.
func (s *Service) Run(ctx context.Context) error {
	defer s.endLongPolls()
	// Long-polls answer as soon as shutdown begins, not after the steps
	// have drained: the listeners' graceful shutdown waits for them.
	stop := context.AfterFunc(ctx, s.endLongPolls)
	defer stop()
	if err := s.payments.Start(ctx); err != nil {
		return err
	}
	return s.engine.Run(ctx)
}

// Wake makes the engine look at the store now.
func (s *Service) Wake() { s.engine.Wake() }
