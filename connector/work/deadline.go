package work

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"
)

// WithClockTimeout is context.WithTimeout on an injected clock (the
// engine's step deadline, and calls bounded by a lease).
func WithClockTimeout(parent context.Context, clock clockwork.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	return withClockTimeout(parent, clock, d)
}

// withClockTimeout is context.WithTimeout on the engine's clock, so that a
// step's deadline follows an injected clock like every other time-dependent
// decision. Its Err is context.DeadlineExceeded once the time is up.
func withClockTimeout(parent context.Context, clock clockwork.Clock, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	t := clock.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return deadlineCtx{ctx}, func() {
		t.Stop()
		cancel(context.Canceled)
	}
}

type deadlineCtx struct{ context.Context }

func (c deadlineCtx) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}
