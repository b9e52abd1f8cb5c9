package work

import (
	"context"
	"time"
)

// housekeeping runs Housekeep at start and every minute until ctx ends, on
// its own, so a claim loop that always finds full batches cannot starve it.
func (e *Engine) housekeeping(ctx context.Context) {
	t := e.clock.NewTicker(time.Minute)
	defer t.Stop()
	e.Housekeep(ctx)
	for {
		select {
		case <-t.Chan():
			e.Housekeep(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// Housekeep purges the personal data of final jobs (DeliveredKeep after
// delivery, UndeliveredKeep after finishing when never delivered), deletes
// final rows after FinishedKeep and refreshes the job gauges.
func (e *Engine) Housekeep(ctx context.Context) {
	now := e.clock.Now()
	undelivered := max(e.cfg.UndeliveredKeep, e.cfg.DeliveredKeep)
	if n, err := e.st.PurgePersonal(ctx, now.Add(-e.cfg.DeliveredKeep), now.Add(-undelivered)); err != nil {
		if ctx.Err() == nil {
			e.log.Error("purge personal data", "err", err)
		}
	} else if n > 0 {
		e.log.Info("purged personal data", "jobs", n)
	}
	if e.cfg.FinishedKeep > 0 {
		if n, err := e.st.DeleteFinished(ctx, now.Add(-e.cfg.FinishedKeep)); err != nil {
			if ctx.Err() == nil {
				e.log.Error("delete finished jobs", "err", err)
			}
		} else if n > 0 {
			e.log.Info("deleted finished jobs", "jobs", n)
		}
	}
	counts, err := e.st.Counts(ctx)
	if err != nil {
		return
	}
	type key struct{ kind, status string }
	sum := map[key]float64{}
	for _, c := range counts {
		sum[key{c.Kind, c.Status}] += float64(c.N)
	}
	e.metrics.jobs.Reset()
	for k, n := range sum {
		e.metrics.jobs.WithLabelValues(k.kind, k.status).Set(n)
	}
}
