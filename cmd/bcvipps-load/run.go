package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// run builds bcvipps, starts the simulators and the connector as separate
// processes, runs the phases and returns the table. The processes are
// stopped with SIGTERM before it returns, also on error.
func run(ctx context.Context, o options) (tb *table, err error) {
	tb = &table{}
	dir, err := os.MkdirTemp("", "bcvipps-load-")
	if err != nil {
		return tb, err
	}
	if o.keep {
		logf("logs and data in %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	logf("building bcvipps")
	bin, err := buildBinary(ctx, dir)
	if err != nil {
		return tb, err
	}
	e := &env{bin: bin, dir: dir}
	if o.cpuProfile != "" {
		if e.profDir, err = filepath.Abs(o.cpuProfile); err != nil {
			return tb, err
		}
		if err := os.MkdirAll(e.profDir, 0o755); err != nil {
			return tb, err
		}
	}
	defer func() {
		if cerr := e.close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	if err := e.startSimulators(); err != nil {
		return tb, err
	}
	c := newClient(o.maxInFlight)
	defer c.CloseIdleConnections()
	if err := e.startServe(ctx, c, "serve", filepath.Join(dir, "serve.db")); err != nil {
		return tb, err
	}
	ph := &phones{}

	// Added latency of the login POST and GET.
	if o.runs("latency") {
		if err := runLatency(ctx, e, c, o, ph, tb); err != nil {
			return tb, fmt.Errorf("latency phase: %w", err)
		}
		// Let the latency phase's requests (rejected at their first poll) end.
		if err := sleep(ctx, pollInterval+time.Second); err != nil {
			return tb, err
		}
	}
	if o.runs("customers") {
		if err := runCustomers(ctx, e, c, o, ph, tb); err != nil {
			return tb, err
		}
	}
	// Payment create's added latency (its BC writes go through the
	// outbox, after the customer runs' BC calls).
	if o.runs("payments") {
		if err := runPayments(ctx, e, c, o, ph, tb); err != nil {
			return tb, fmt.Errorf("payments phase: %w", err)
		}
	}
	// Pending logins, on a fresh connector process.
	if o.runs("pending") {
		if err := runPendingRows(ctx, e, c, o, ph, tb); err != nil {
			return tb, err
		}
	}

	st, err := readVippsStats(ctx, c, e.vippsURL)
	if err != nil {
		return tb, err
	}
	tb.add(row{Figure: "early polls (slow_down) in the whole run",
		Value: fmt.Sprintf("%d of %d token polls", st.EarlyPolls, st.TokenPolls), Target: "0", Result: check(st.EarlyPolls == 0),
		Note: "Vipps simulator counters at the end"})
	return tb, nil
}

// runCustomers runs the customer runs: throughput with instant approval,
// then approval → BC write at a moderate rate.
func runCustomers(ctx context.Context, e *env, c *http.Client, o options, ph *phones, tb *table) error {
	// Throughput with instant approval. Each completed customer request
	// costs 3 BC calls (lookup, read, PATCH); BC allows a principal 6,000
	// per 5 minutes and the connector's governor holds calls beyond that.
	if calls := 3 * int(o.tputRate*o.tputDur.Seconds()+o.e2eRate*o.e2eDuration.Seconds()); calls > bcBudget {
		logf("warning: the customer runs need about %d BC calls, more than BC's %d per 5 minutes: the governor will queue them", calls, bcBudget)
	}
	tp, err := runE2E(ctx, e, c, o, ph, "T", o.tputRate, o.tputDur)
	if err != nil {
		return fmt.Errorf("throughput run: %w", err)
	}
	tb.add(row{Figure: "completed customer-info requests per second (instant approval)",
		Value: fmt.Sprintf("%.0f/s", tp.PerSecond), Target: "-", Result: noTarget,
		Note: fmt.Sprintf("offered %.0f/s for %s; %s; POST p50/p99 %.1f/%.1f ms; approval→BC p50/p99 %.0f/%.0f ms%s",
			tp.Offered, o.tputDur, statusText(tp.Statuses), ms(tp.Post.P50), ms(tp.Post.P99),
			ms(tp.Approval.P50), ms(tp.Approval.P99), errNote(tp.FirstErr))})

	// Approval → BC write, at a moderate rate.
	ap, err := runE2E(ctx, e, c, o, ph, "A", o.e2eRate, o.e2eDuration)
	if err != nil {
		return fmt.Errorf("approval run: %w", err)
	}
	limit := pollInterval + 250*time.Millisecond
	v := check(ap.Approval.N > 0 && ap.Approval.P99 < limit && ap.Completed == ap.Total)
	tb.add(row{Figure: "approval → BC customer written p50 / p99",
		Value: fmt.Sprintf("%.0f / %.0f ms", ms(ap.Approval.P50), ms(ap.Approval.P99)), Target: "p99 < 5250 ms (interval + 250 ms)", Result: v,
		Note: fmt.Sprintf("%.0f/s for %s, n=%d; %s; BC lastModifiedDateTime − POST sent (POST p99 %.1f ms)%s",
			ap.Offered, o.e2eDuration, ap.Approval.N, statusText(ap.Statuses), ms(ap.Post.P99), errNote(ap.FirstErr))})
	return nil
}

// runPendingRows runs the pending-logins phase and adds its rows.
func runPendingRows(ctx context.Context, e *env, c *http.Client, o options, ph *phones, tb *table) error {
	pd, err := runPending(ctx, e, c, o, ph)
	if err != nil {
		return fmt.Errorf("pending phase: %w", err)
	}
	tb.add(row{Figure: fmt.Sprintf("connector RSS with %d pending logins", pd.N),
		Value: fmt.Sprintf("%.1f MB (peak VmHWM %.1f MB)", mb(pd.PeakRSS), mb(pd.HWM)), Target: "< 150 MB", Result: check(pd.PeakRSS < rssTarget),
		Note: fmt.Sprintf("max VmRSS sampled every 250 ms over %s; created in %s", pd.Window.Round(100*time.Millisecond), pd.CreateTime.Round(100*time.Millisecond))})
	ideal := float64(pd.N) * pd.Window.Seconds() / pollInterval.Seconds()
	tb.add(row{Figure: "token polls in the window vs the interval's maximum",
		Value:  fmt.Sprintf("%d of ≤ %d (%.0f%% of one poll per login per 5 s)", pd.Polls, pd.MaxPolls, 100*float64(pd.Polls)/ideal),
		Target: "≤ maximum", Result: check(pd.Polls <= pd.MaxPolls),
		Note: fmt.Sprintf("Vipps simulator TokenPolls over %s; maximum = logins × (⌊W/5 s⌋+1)", pd.Window.Round(100*time.Millisecond))})
	tb.add(row{Figure: "early polls (answered slow_down) with pending logins",
		Value: fmt.Sprintf("%d", pd.EarlyPolls), Target: "0", Result: check(pd.EarlyPolls == 0),
		Note: "Vipps simulator EarlyPolls, from before the POSTs to the window's end"})
	return nil
}

// bcBudget is BC's per-principal request budget per 5 minutes.
const bcBudget = 6000

func errNote(err error) string {
	if err == nil {
		return ""
	}
	return "; first error: " + err.Error()
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
