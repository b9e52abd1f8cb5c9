package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// latencyTarget is the target for the added latency's p99.
const latencyTarget = 2 * time.Millisecond

// declineAfter is how long the latency phase's users take to decline: a
// person's fastest answer. Declining in the same millisecond as the push
// would make every login's ping webhook arrive before the POST has stored
// the login, a race no customer can cause.
const declineAfter = time.Second

// runLatency measures, at opts.rate calls per second on a fixed schedule:
//
//  1. direct: the Vipps CIBA backchannel request, sent straight to the
//     Vipps simulator;
//  2. connector: POST /v1/member-info-requests, which validates, makes
//     that same upstream call and stores the request with its answer;
//  3. GET /v1/member-info-requests/{id} (no wait) of the requests of 2,
//     which makes no upstream call.
//
// The added latency is connector minus direct, percentile by percentile.
// The member endpoint is used because the customer endpoint also looks the
// customer up in BC, and BC allows a principal 6,000 requests per 5
// minutes (20/s), which the connector's governor enforces: 500 customer
// requests per second would measure that queue, not the connector. The
// users decline after declineAfter; the login ping webhook makes the
// connector poll at once, so each request ends rejected within the run and
// nothing is written to BC or NP Retail.
func runLatency(ctx context.Context, e *env, c *http.Client, o options, ph *phones, tb *table) error {
	n := int(o.rate * (o.warmup + o.duration).Seconds())
	skip := int(o.rate * o.warmup.Seconds())
	directUsers, apiUsers := ph.take(n), ph.take(n)
	// The direct calls' users never answer: their webhooks would reach
	// the connector (same sales unit) while it is being measured.
	if err := seedUsers(ctx, c, e.vippsURL, "ignore", 0, directUsers); err != nil {
		return err
	}
	if err := seedUsers(ctx, c, e.vippsURL, "reject", declineAfter, apiUsers); err != nil {
		return err
	}
	d, err := newDirect(c, e.cfg)
	if err != nil {
		return err
	}
	logf("latency: %d direct calls at %.0f/s", n, o.rate)
	directShots := openLoop(ctx, o.rate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		return d.backchannel(ctx, directUsers[i])
	})
	logf("latency: %d connector POSTs at %.0f/s", n, o.rate)
	ids := make([]string, n)
	pids := []int{e.serve.cmd.Process.Pid, e.sims.cmd.Process.Pid}
	cpu0 := cpuTimes(pids)
	began := time.Now()
	profiled := e.profile(ctx, "latency-post", o.warmup+o.duration)
	apiShots := openLoop(ctx, o.rate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		r, err := postMemberRequest(ctx, c, e.apiURL, apiUsers[i])
		if err == nil && r.Status != "pending" {
			err = fmt.Errorf("POST answered status %q, want pending", r.Status)
		}
		ids[i] = r.ID
		return err
	})
	wall := time.Since(began)
	cpu1 := cpuTimes(pids)
	profiled()
	logf("latency: %d connector GETs at %.0f/s", n, o.rate)
	getShots := openLoop(ctx, o.rate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		if ids[i] == "" {
			return fmt.Errorf("no id: its POST failed")
		}
		_, err := getRequest(ctx, c, e.apiURL, memberRequests, ids[i], 0)
		return err
	})

	dl, dFail, dErr := latencies(directShots, skip)
	al, aFail, aErr := latencies(apiShots, skip)
	gl, gFail, gErr := latencies(getShots, skip)
	ds, as, gs := summarize(dl), summarize(al), summarize(gl)
	rate := fmt.Sprintf("%.0f/s for %s", o.rate, o.duration)
	tb.add(row{Figure: "direct Vipps backchannel request p50 / p99",
		Value: fmt.Sprintf("%.2f / %.2f ms", ms(ds.P50), ms(ds.P99)), Target: "-", Result: noTarget,
		Note: fmt.Sprintf("open loop %s, n=%d%s", rate, ds.N, failNote(dFail, dErr))})
	tb.add(row{Figure: "connector POST /v1/member-info-requests p50 / p99",
		Value: fmt.Sprintf("%.2f / %.2f ms", ms(as.P50), ms(as.P99)), Target: "-", Result: noTarget,
		Note: fmt.Sprintf("open loop %s, n=%d%s", rate, as.N, failNote(aFail, aErr))})
	if ds.N == 0 || as.N == 0 {
		tb.add(row{Figure: "connector added latency p50 / p99", Value: "no samples", Target: "p99 < 2 ms", Result: failed})
	} else {
		added50, added99 := as.P50-ds.P50, as.P99-ds.P99
		v := check(added99 < latencyTarget)
		if aFail > 0 {
			v = miss // failed requests are not "added latency under target"
		}
		tb.add(row{Figure: "connector added latency p50 / p99 (POST minus direct)",
			Value: fmt.Sprintf("%.2f / %.2f ms", ms(added50), ms(added99)), Target: "p99 < 2 ms at 500/s", Result: v,
			Note: fmt.Sprintf("at %.0f/s; during the POST run the connector used %.0f%% of one core (%.2f ms CPU per POST), the simulators %.0f%%",
				o.rate, 100*(cpu1[0]-cpu0[0]).Seconds()/wall.Seconds(), ms((cpu1[0]-cpu0[0])/time.Duration(n)),
				100*(cpu1[1]-cpu0[1]).Seconds()/wall.Seconds())})
	}
	v := check(gs.N > 0 && gs.P99 < latencyTarget && gFail == 0)
	tb.add(row{Figure: "connector GET /v1/member-info-requests/{id} p50 / p99 (no upstream call: all added)",
		Value: fmt.Sprintf("%.2f / %.2f ms", ms(gs.P50), ms(gs.P99)), Target: "p99 < 2 ms", Result: v,
		Note: fmt.Sprintf("open loop %s, n=%d%s", rate, gs.N, failNote(gFail, gErr))})
	return nil
}

// cpuTimes reads the CPU time used so far by each process (0 if unreadable:
// the figure is a hint, not a result).
func cpuTimes(pids []int) []time.Duration {
	out := make([]time.Duration, len(pids))
	for i, pid := range pids {
		out[i], _ = readCPU(pid)
	}
	return out
}

// failNote tells how many calls of a run failed, and the first error.
func failNote(fail int, err error) string {
	if fail == 0 {
		return ""
	}
	return fmt.Sprintf("; %d failed, first: %v", fail, err)
}
