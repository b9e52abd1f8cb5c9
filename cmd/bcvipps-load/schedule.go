package main

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errOverloaded marks a scheduled call that was not sent because
// maxInFlight calls were still outstanding.
var errOverloaded = errors.New("not sent: too many calls in flight")

// shot is one call of an open-loop run.
type shot struct {
	Scheduled time.Time // when the schedule said to send it
	Sent      time.Time // when it was actually sent
	Done      time.Time
	Err       error
}

// Latency is measured from the scheduled send time, so that a slow answer
// that delays later sends is not hidden (no coordinated omission).
func (s shot) Latency() time.Duration { return s.Done.Sub(s.Scheduled) }

// openLoop calls op(ctx, i) for i in [0, n) on a fixed schedule of rate
// calls per second, each on its own goroutine, whatever the earlier calls
// are doing. At most maxInFlight calls are outstanding; a call due while
// that many are still running is skipped and recorded with errOverloaded.
// It returns when every call has ended.
func openLoop(ctx context.Context, rate float64, n, maxInFlight int, op func(ctx context.Context, i int) error) []shot {
	shots := make([]shot, n)
	period := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		due := start.Add(time.Duration(i) * period)
		if d := time.Until(due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		shots[i].Scheduled = due
		if ctx.Err() != nil {
			shots[i].Err = ctx.Err()
			continue
		}
		select {
		case sem <- struct{}{}:
		default:
			shots[i].Sent, shots[i].Done, shots[i].Err = due, due, errOverloaded
			continue
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			shots[i].Sent = time.Now()
			shots[i].Err = op(ctx, i)
			shots[i].Done = time.Now()
		}(i)
	}
	wg.Wait()
	return shots
}

// latencies returns the latencies of the successful shots from skip on
// (the warm-up is skipped) and the number of failed ones among them.
func latencies(shots []shot, skip int) ([]time.Duration, int, error) {
	var out []time.Duration
	failures := 0
	var first error
	for _, s := range shots[min(skip, len(shots)):] {
		if s.Err != nil {
			failures++
			if first == nil {
				first = s.Err
			}
			continue
		}
		out = append(out, s.Latency())
	}
	return out, failures, first
}
