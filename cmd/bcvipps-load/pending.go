package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"time"
)

// pollInterval is the CIBA interval the Vipps simulator answers with.
const pollInterval = 5 * time.Second

// rssTarget is the memory target for 10,000 pending logins.
const rssTarget = 150 << 20

// pendingResult is what the pending-logins run measured.
type pendingResult struct {
	N           int
	CreateTime  time.Duration
	Window      time.Duration
	Polls       int // token polls in the window
	MaxPolls    int // the most the interval allows in the window
	EarlyPolls  int // answered slow_down, whole phase
	PeakRSS     int64
	HWM         int64
	RSSAtWindow int64 // at the window's start
}

// runPending starts a fresh connector (new store), creates n member-info
// requests (POS member registration, which makes no BC call, so BC's
// request budget does not limit it) for users who never answer, waits one interval plus a second
// for the polling to settle, and then watches a window: the token polls
// the Vipps simulator counted, its early polls (each answered slow_down)
// and the connector's VmRSS every 250 ms.
func runPending(ctx context.Context, e *env, c *http.Client, o options, ph *phones) (pendingResult, error) {
	res := pendingResult{N: o.pending, Window: o.window}
	if err := e.stopServe(); err != nil {
		return res, err
	}
	if err := e.startServe(ctx, c, "serve-pending", filepath.Join(e.dir, "pending.db")); err != nil {
		return res, err
	}
	users := ph.take(o.pending)
	if err := seedUsers(ctx, c, e.vippsURL, "ignore", 0, users); err != nil {
		return res, err
	}
	before, err := readVippsStats(ctx, c, e.vippsURL)
	if err != nil {
		return res, err
	}
	logf("pending: creating %d requests whose users never answer", o.pending)
	start := time.Now()
	err = forEach(ctx, o.pending, o.creators, func(ctx context.Context, i int) error {
		r, err := postMemberRequest(ctx, c, e.apiURL, users[i])
		if err == nil && r.Status != "pending" {
			err = fmt.Errorf("POST answered status %q, want pending", r.Status)
		}
		return err
	})
	res.CreateTime = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("create pending requests: %w", err)
	}
	settle := time.NewTimer(pollInterval + time.Second)
	select {
	case <-settle.C:
	case <-ctx.Done():
		settle.Stop()
		return res, ctx.Err()
	}
	pid := e.serve.cmd.Process.Pid
	m0, err := readMemory(pid)
	if err != nil {
		return res, err
	}
	res.RSSAtWindow, res.PeakRSS = m0.RSS, m0.RSS
	s0, err := readVippsStats(ctx, c, e.vippsURL)
	if err != nil {
		return res, err
	}
	logf("pending: watching for %s", o.window)
	tick := time.NewTicker(250 * time.Millisecond)
	end := time.NewTimer(o.window)
	began := time.Now()
watch:
	for {
		select {
		case <-tick.C:
			m, err := readMemory(pid)
			if err != nil {
				tick.Stop()
				return res, err
			}
			res.PeakRSS = max(res.PeakRSS, m.RSS)
		case <-end.C:
			break watch
		case <-ctx.Done():
			tick.Stop()
			return res, ctx.Err()
		}
	}
	tick.Stop()
	s1, err := readVippsStats(ctx, c, e.vippsURL)
	if err != nil {
		return res, err
	}
	res.Window = time.Since(began)
	m1, err := readMemory(pid)
	if err != nil {
		return res, err
	}
	res.PeakRSS, res.HWM = max(res.PeakRSS, m1.RSS), m1.HWM
	res.Polls = s1.TokenPolls - s0.TokenPolls
	// With at least one interval between two polls of one login, a window
	// of length W holds at most floor(W/interval)+1 polls of each login.
	res.MaxPolls = o.pending * (int(res.Window/pollInterval) + 1)
	res.EarlyPolls = s1.EarlyPolls - before.EarlyPolls
	return res, nil
}
