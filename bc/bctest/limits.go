package bctest

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"
)

// principalLimits is BC's per-principal rate window and concurrency queue.
type principalLimits struct {
	window   []time.Time     // accepted request times within the throttle window
	inFlight int             // requests being processed
	waiters  []chan struct{} // queued requests, first in first out
}

// admit applies the throttle and the concurrency limit for p. It returns a
// release function to call when the request is done, or the error to answer.
// Over the concurrency limit the request waits (like BC's queue) until a
// slot is free, ctx ends, or 8 minutes pass on the sim clock (503).
func (s *Sim) admit(ctx context.Context, p principal) (func(), *apiError) {
	s.mu.Lock()
	pl, ok := s.principals[p.key()]
	if !ok {
		pl = &principalLimits{}
		s.principals[p.key()] = pl
	}
	now := s.clock.Now()
	if s.throttleN > 0 && s.throttlePer > 0 {
		cut := now.Add(-s.throttlePer)
		i := 0
		for i < len(pl.window) && !pl.window[i].After(cut) {
			i++
		}
		pl.window = pl.window[i:]
		if len(pl.window) >= s.throttleN {
			wait := pl.window[0].Add(s.throttlePer).Sub(now)
			s.mu.Unlock()
			return nil, tooManyRequests(wait, "Too many requests reached. Actual (%d). Maximum (%d).", len(pl.window)+1, s.throttleN)
		}
		pl.window = append(pl.window, now)
	}
	release := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(pl.waiters) > 0 {
			next := pl.waiters[0]
			pl.waiters = pl.waiters[1:]
			close(next) // hand the slot over; inFlight stays the same
			return
		}
		pl.inFlight--
	}
	if pl.inFlight < s.maxConcurrent {
		pl.inFlight++
		if pl.inFlight > s.stats.MaxInFlight {
			s.stats.MaxInFlight = pl.inFlight
		}
		s.mu.Unlock()
		return release, nil
	}
	if len(pl.waiters) >= maxQueued {
		s.mu.Unlock()
		return nil, tooManyRequests(time.Second, "The request queue of this user is full.")
	}
	ch := make(chan struct{})
	pl.waiters = append(pl.waiters, ch)
	s.stats.Queued++
	s.mu.Unlock()

	timeout := s.clock.NewTimer(queueTimeoutMinutes * time.Minute)
	defer timeout.Stop()
	select {
	case <-ch:
		return release, nil
	case <-ctx.Done():
	case <-timeout.Chan():
	}
	// Gave up: leave the queue, or give back a slot handed over meanwhile.
	s.mu.Lock()
	handed := true
	for i, w := range pl.waiters {
		if w == ch {
			pl.waiters = append(pl.waiters[:i], pl.waiters[i+1:]...)
			handed = false
			break
		}
	}
	s.mu.Unlock()
	if handed {
		release()
	}
	return nil, errf(http.StatusServiceUnavailable, CodeServiceUnavailable,
		"The request was queued for too long and has been canceled.")
}

func tooManyRequests(wait time.Duration, format string, args ...any) *apiError {
	e := errf(http.StatusTooManyRequests, CodeTooManyRequests, format, args...)
	e.header = http.Header{"Retry-After": {retryAfterSeconds(wait)}}
	return e
}

// retryAfterSeconds renders a Retry-After value: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	sec := int(math.Ceil(d.Seconds()))
	if sec < 1 {
		sec = 1
	}
	return strconv.Itoa(sec)
}
