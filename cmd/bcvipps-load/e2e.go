package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// e2eResult is what one end-to-end run measured.
type e2eResult struct {
	Offered   float64 // requests per second sent
	Total     int
	Statuses  map[string]int // final (or last seen) status → count
	Completed int
	PerSecond float64 // completions per second, first to last completion
	Post      summary // POST latency from the scheduled send time
	Approval  summary // approval → BC write
	FirstErr  error
}

// runE2E sends n = rate × dur customer-info requests on a fixed schedule,
// each for its own fresh BC customer and its own Vipps user who approves at
// once (delay 0), then long-polls every request until it is final.
//
// Completions per second: the completed requests' updatedAt (the
// connector's clock, same host) from the first to the last; (k-1)/span.
//
// Approval → BC write: the customer's lastModifiedDateTime in the BC
// simulator (ms precision) minus the time the POST was sent. The user
// approves when the simulator receives the backchannel request, which the
// connector sends inside the POST, so the true approval time lies between
// the POST's send time and its answer: the figure over-states the delay by
// at most the POST's latency (reported next to it).
func runE2E(ctx context.Context, e *env, c *http.Client, o options, ph *phones, tag string, rate float64, dur time.Duration) (e2eResult, error) {
	n := int(rate * dur.Seconds())
	res := e2eResult{Offered: rate, Total: n, Statuses: map[string]int{}}
	users := ph.take(n)
	customers := make([]string, n)
	wanted := map[string]bool{}
	for i := range customers {
		customers[i] = fmt.Sprintf("L%s%06d", tag, i)
		wanted[customers[i]] = true
	}
	if err := seedCustomers(ctx, c, e.bcURL, customers); err != nil {
		return res, err
	}
	if err := seedUsers(ctx, c, e.vippsURL, "approve", 0, users); err != nil {
		return res, err
	}
	logf("e2e %s: %d requests at %.0f/s (instant approval)", tag, n, rate)
	ids := make([]string, n)
	shots := openLoop(ctx, rate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		r, err := postCustomerRequest(ctx, c, e.apiURL, customers[i], users[i])
		ids[i] = r.ID
		return err
	})
	postLat, _, postErr := latencies(shots, 0)
	res.Post = summarize(postLat)
	res.FirstErr = postErr

	deadline := time.Now().Add(o.drain)
	finals := make([]infoRequest, n)
	var mu sync.Mutex
	_ = forEach(ctx, n, o.waiters, func(ctx context.Context, i int) error {
		if ids[i] == "" {
			return nil
		}
		r, err := awaitFinal(ctx, c, e.apiURL, ids[i], deadline)
		if err != nil {
			mu.Lock()
			if res.FirstErr == nil {
				res.FirstErr = err
			}
			mu.Unlock()
			return nil // keep waiting for the others
		}
		finals[i] = r
		return nil
	})
	var done []time.Time
	for i, r := range finals {
		switch {
		case ids[i] == "":
			res.Statuses["POST failed"]++
		case r.Status == "":
			res.Statuses["GET failed"]++
		default:
			res.Statuses[r.Status]++
		}
		if r.Status == "completed" {
			done = append(done, r.UpdatedAt)
		}
	}
	res.Completed = len(done)
	if len(done) > 1 {
		slices.SortFunc(done, func(a, b time.Time) int { return a.Compare(b) })
		if span := done[len(done)-1].Sub(done[0]); span > 0 {
			res.PerSecond = float64(len(done)-1) / span.Seconds()
		}
	}

	written, err := bcWriteTimes(ctx, c, e.bcURL, wanted)
	if err != nil {
		return res, err
	}
	var approval []time.Duration
	for i, s := range shots {
		if ids[i] == "" || finals[i].Status != "completed" {
			continue
		}
		if t, ok := written[customers[i]]; ok {
			approval = append(approval, t.Sub(s.Sent))
		}
	}
	res.Approval = summarize(approval)
	return res, nil
}

// statusText renders the status counts in a stable order.
func statusText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for _, k := range keys {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s %d", k, m[k])
	}
	return s
}
