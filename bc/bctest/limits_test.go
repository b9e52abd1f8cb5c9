package bctest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestThrottle(t *testing.T) {
	clock := clockwork.NewFakeClock()
	d := startDemo(t, bctest.WithClock(clock), bctest.WithThrottle(3, time.Minute))
	u := d.root + "/companies"
	for i := 0; i < 3; i++ {
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
		clock.Advance(10 * time.Second)
	}
	t.Run("request over the window limit gets 429 with Retry-After", func(t *testing.T) {
		r := call(t, http.MethodGet, u, d.token, nil)
		if r.status != 429 || r.code() != bctest.CodeTooManyRequests {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		// The oldest request leaves the window 60s after it was sent, 30s ago.
		if got := r.header.Get("Retry-After"); got != "30" {
			t.Fatalf("Retry-After = %q, want 30", got)
		}
	})
	t.Run("after Retry-After on the sim clock the request passes", func(t *testing.T) {
		clock.Advance(30 * time.Second)
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("throttle is per principal", func(t *testing.T) {
		d.srv.Sim.RegisterApp(bctest.DemoTenantID, "5e5e5e5e-6f6f-4a7a-8b8b-9c9c9c9c9c9c", "second-secret")
		other := fetchToken(t, d.srv, bctest.DemoTenantID, "5e5e5e5e-6f6f-4a7a-8b8b-9c9c9c9c9c9c", "second-secret")
		if r := call(t, http.MethodGet, u, other, nil); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	if st := d.srv.Sim.Stats(); st.Throttled != 1 || st.ByStatus[429] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConcurrencyQueue holds requests in flight with injected latency on the
// fake clock: beyond the principal's limit requests wait and then succeed.
func TestConcurrencyQueue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("requests over the limit wait for a free slot", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		d := startDemo(t, bctest.WithClock(clock), bctest.WithMaxConcurrent(2))
		d.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Latency: time.Second, Times: 2})
		done := make(chan int, 5)
		for i := 0; i < 5; i++ {
			go func() { done <- status(http.MethodGet, d.root+"/companies", d.token) }()
		}
		// Two requests sleep in the latency fault, three wait in the queue.
		if err := clock.BlockUntilContext(ctx, 5); err != nil {
			t.Fatal(err)
		}
		if st := d.srv.Sim.Stats(); st.MaxInFlight != 2 || st.Queued != 3 {
			t.Fatalf("in flight %d, queued %d", st.MaxInFlight, st.Queued)
		}
		clock.Advance(time.Second)
		for i := 0; i < 5; i++ {
			if s := <-done; s != 200 {
				t.Fatalf("status %d", s)
			}
		}
		if st := d.srv.Sim.Stats(); st.MaxInFlight != 2 {
			t.Fatalf("max in flight %d", st.MaxInFlight)
		}
	})
	t.Run("a request queued for 8 minutes gets 503", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		d := startDemo(t, bctest.WithClock(clock), bctest.WithMaxConcurrent(1))
		d.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Latency: 10 * time.Minute, Times: 1})
		first := make(chan int, 1)
		go func() { first <- status(http.MethodGet, d.root+"/companies", d.token) }()
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		second := make(chan int, 1)
		go func() { second <- status(http.MethodGet, d.root+"/companies", d.token) }()
		if err := clock.BlockUntilContext(ctx, 2); err != nil {
			t.Fatal(err)
		}
		clock.Advance(8 * time.Minute)
		if s := <-second; s != http.StatusServiceUnavailable {
			t.Fatalf("queued request: %d", s)
		}
		clock.Advance(2 * time.Minute)
		if s := <-first; s != 200 {
			t.Fatalf("slow request: %d", s)
		}
	})
	t.Run("a full queue answers 429", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		d := startDemo(t, bctest.WithClock(clock), bctest.WithMaxConcurrent(1))
		d.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Latency: 10 * time.Minute, Times: 1})
		results := make(chan int, 96)
		for i := 0; i < 96; i++ {
			go func() { results <- status(http.MethodGet, d.root+"/companies", d.token) }()
		}
		// One in flight, 95 queued: the queue is full.
		if err := clock.BlockUntilContext(ctx, 96); err != nil {
			t.Fatal(err)
		}
		r := call(t, http.MethodGet, d.root+"/companies", d.token, nil)
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		clock.Advance(10 * time.Minute)
		for i := 0; i < 96; i++ {
			<-results
		}
	})
}

func TestFaults(t *testing.T) {
	d := startDemo(t)
	u := d.root + "/companies"
	t.Run("5xx N times then normal", func(t *testing.T) {
		d.srv.Sim.InjectFault(bctest.Fault{PathPrefix: "/v2.0/", Status: 503, RetryAfter: 2 * time.Second, Times: 2})
		for i := 0; i < 2; i++ {
			r := call(t, http.MethodGet, u, d.token, nil)
			if r.status != 503 || r.header.Get("Retry-After") != "2" || r.code() != bctest.CodeServiceUnavailable {
				t.Fatalf("hit %d: %d %q %s", i+1, r.status, r.header.Get("Retry-After"), r.raw)
			}
		}
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 200 {
			t.Fatalf("after the fault: %d", r.status)
		}
	})
	t.Run("429 fault counts as throttled", func(t *testing.T) {
		before := d.srv.Sim.Stats().Throttled
		d.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 1})
		r := call(t, http.MethodGet, u, d.token, nil)
		if r.status != 429 || r.header.Get("Retry-After") != "2" {
			t.Fatalf("%d %q", r.status, r.header.Get("Retry-After"))
		}
		if got := d.srv.Sim.Stats().Throttled; got != before+1 {
			t.Fatalf("throttled %d, want %d", got, before+1)
		}
	})
	t.Run("method and path must match", func(t *testing.T) {
		d.srv.Sim.InjectFault(bctest.Fault{Method: "PATCH", Status: 500})
		d.srv.Sim.InjectFault(bctest.Fault{PathPrefix: "/npretail/", Status: 500})
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 200 {
			t.Fatalf("%d", r.status)
		}
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "x"}, "If-Match: *")
		if r.status != 500 || r.code() != bctest.CodeInternalError {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		d.srv.Sim.ClearFaults()
		r = call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "x"}, "If-Match: *")
		if r.status != 200 {
			t.Fatalf("after ClearFaults: %d", r.status)
		}
	})
}
