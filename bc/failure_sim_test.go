package bc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// injectFaultHTTP adds a fault through the simulator's control API
// (POST /_sim/faults), as an operator of the sandbox would.
func injectFaultHTTP(t *testing.T, e *env, fault map[string]any) {
	t.Helper()
	body, err := json.Marshal(fault)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.srv.BCURL+"/_sim/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /_sim/faults: %d", resp.StatusCode)
	}
}

// npRetailPath is the simulator path of the demo company's NP Retail API.
func npRetailPath(suffix string) string {
	return "/npretail/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName + suffix
}

// checkNamesNPRetail fails unless err's text names NP Retail and not
// Business Central.
func checkNamesNPRetail(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	t.Logf("error: %s", msg)
	if !strings.Contains(msg, "NP Retail") {
		t.Errorf("error %q does not name NP Retail", msg)
	}
	if strings.Contains(msg, "Business Central") || strings.Contains(msg, "bc:") {
		t.Errorf("error %q names Business Central", msg)
	}
}

// TestNPRetailWritesAreNotRetriedBlindly: a POST that creates something is
// sent again only when the answer says it was not processed (429, 503 with
// Retry-After); after any other 5xx it is sent exactly once and the error
// says the outcome is unknown.
func TestNPRetailWritesAreNotRetriedBlindly(t *testing.T) {
	createMembership := func(np *bc.NPRetail) error {
		_, err := np.Members.CreateMembership(context.Background(), bc.Membership{ItemNumber: bctest.DemoMembershipItem})
		return err
	}
	addMember := func(np *bc.NPRetail) error {
		_, err := np.Members.AddMember(context.Background(), bctest.DemoMembershipID, bc.Member{FirstName: "Siri", LastName: "Dahl"})
		return err
	}
	tests := []struct {
		name        string
		fault       map[string]any
		call        func(*bc.NPRetail) error
		wantOK      bool
		wantTries   int
		wantUnknown bool
	}{
		{"membership create answered 500 is sent once, outcome unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 500, "times": 1},
			createMembership, false, 1, true},
		{"membership create answered 502 is sent once, outcome unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 502, "times": 1},
			createMembership, false, 1, true},
		{"membership create answered 504 is sent once, outcome unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 504, "times": 1},
			createMembership, false, 1, true},
		{"membership create answered 503 without Retry-After is sent once, outcome unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 503, "times": 1},
			createMembership, false, 1, true},
		{"add member answered 500 is sent once, outcome unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership/"), "status": 500, "times": 1},
			addMember, false, 1, true},
		{"membership create answered 503 with Retry-After is retried",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 503, "retryAfter": "5s", "times": 1},
			createMembership, true, 2, false},
		{"membership create answered 429 is retried",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 429, "retryAfter": "5s", "times": 2},
			createMembership, true, 3, false},
		{"a refused membership (400) is not retried and not unknown",
			map[string]any{"method": "POST", "pathPrefix": npRetailPath("/membership"), "status": 400, "times": 1},
			createMembership, false, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t)
			np := e.npretail(t, bctest.DemoNPRetailAPIKey) // default retries (6)
			injectFaultHTTP(t, e, tt.fault)
			stop := driveClock(t, e.clock, time.Second)
			err := tt.call(np)
			stop()
			if got := e.srv.Sim.Stats().Requests; got != tt.wantTries {
				t.Errorf("%d requests sent, want %d", got, tt.wantTries)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := bc.OutcomeUnknown(err); got != tt.wantUnknown {
				t.Errorf("OutcomeUnknown(%v) = %v, want %v", err, got, tt.wantUnknown)
			}
			be, ok := bc.AsError(err)
			if !ok || be.Service != bc.ServiceNPRetail {
				t.Fatalf("err %v is not an NP Retail *bc.Error", err)
			}
			checkNamesNPRetail(t, err)
		})
	}
}

// countingDialer counts the connections an HTTP client opens.
type countingDialer struct {
	n atomic.Int32
	d net.Dialer
}

func (c *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.n.Add(1)
	return c.d.DialContext(ctx, network, addr)
}

func (c *countingDialer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: c.DialContext}}
}

func TestNPRetailTransportFailures(t *testing.T) {
	t.Run("a refused connection is retried even for a POST (nothing was sent)", func(t *testing.T) {
		e := startEnv(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now: connections are refused
		dialer := &countingDialer{}
		np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: "http://" + addr + "/t/e/c", APIKey: "k", MaxRetries: 2},
			bc.WithHTTPClient(dialer.client()), bc.WithClock(e.clock))
		if err != nil {
			t.Fatal(err)
		}
		stop := driveClock(t, e.clock, time.Second)
		_, err = np.Members.CreateMembership(t.Context(), bc.Membership{ItemNumber: bctest.DemoMembershipItem})
		stop()
		if err == nil {
			t.Fatal("no error")
		}
		if got := dialer.n.Load(); got != 3 {
			t.Errorf("%d connection attempts, want 3 (1 + MaxRetries)", got)
		}
		if bc.OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%v) = true for a request never sent", err)
		}
		checkNamesNPRetail(t, err)
	})

	// dropper reads each request and closes the connection without an answer.
	dropper := func(t *testing.T) (url string, requests *atomic.Int32) {
		requests = &atomic.Int32{}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/t/e/c", requests
	}

	t.Run("a POST whose connection drops after sending is sent once, outcome unknown", func(t *testing.T) {
		e := startEnv(t)
		base, requests := dropper(t)
		np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: base, APIKey: "k"}, bc.WithClock(e.clock))
		if err != nil {
			t.Fatal(err)
		}
		stop := driveClock(t, e.clock, time.Second)
		_, err = np.Members.AddMember(t.Context(), "m1", bc.Member{FirstName: "Siri"})
		stop()
		if err == nil {
			t.Fatal("no error")
		}
		if got := requests.Load(); got != 1 {
			t.Errorf("the POST reached the server %d times, want 1", got)
		}
		if !bc.OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%v) = false", err)
		}
		if _, ok := bc.AsError(err); ok {
			t.Errorf("err %v is a *bc.Error without any answer", err)
		}
		checkNamesNPRetail(t, err)
	})

	t.Run("a GET whose connection drops is retried and is not a write", func(t *testing.T) {
		e := startEnv(t)
		base, requests := dropper(t)
		np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: base, APIKey: "k", MaxRetries: 2}, bc.WithClock(e.clock))
		if err != nil {
			t.Fatal(err)
		}
		stop := driveClock(t, e.clock, time.Second)
		_, err = np.Members.Get(t.Context(), "m1")
		stop()
		if err == nil {
			t.Fatal("no error")
		}
		// Go's transport may itself resend an idempotent request once on a
		// connection it reused; count at least one per attempt.
		if got := requests.Load(); got < 3 {
			t.Errorf("the GET reached the server %d times, want ≥ 3", got)
		}
		if bc.OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%v) = true for a read", err)
		}
	})

	t.Run("a POST cancelled while the server works on it is outcome unknown", func(t *testing.T) {
		e := startEnv(t)
		np := e.npretail(t, bctest.DemoNPRetailAPIKey)
		e.srv.Sim.InjectFault(bctest.Fault{Method: "POST", PathPrefix: npRetailPath("/membership"), Latency: time.Minute, Times: 1})
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := np.Members.CreateMembership(ctx, bc.Membership{ItemNumber: bctest.DemoMembershipItem})
			errc <- err
		}()
		// The simulator waits the fault's latency on the fake clock: the
		// request has arrived.
		if err := e.clock.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		err := <-errc
		// The simulator goes on and carries the request out (it has not
		// read the body, so it does not notice the client leaving).
		e.clock.Advance(time.Minute)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if !bc.OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%v) = false", err)
		}
		checkNamesNPRetail(t, err)
	})

	t.Run("a POST cancelled before it is sent is not outcome unknown", func(t *testing.T) {
		e := startEnv(t)
		g := bc.NewGovernor(bc.Limits{}, e.clock)
		g.Pause(e.clock.Now().Add(time.Hour))
		base := e.srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName
		np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: base, APIKey: bctest.DemoNPRetailAPIKey}, e.options(bc.WithGovernor(g))...)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := np.Members.CreateMembership(ctx, bc.Membership{ItemNumber: bctest.DemoMembershipItem})
			errc <- err
		}()
		if err := e.clock.BlockUntilContext(t.Context(), 1); err != nil { // held by the governor
			t.Fatal(err)
		}
		cancel()
		err = <-errc
		if err == nil || bc.OutcomeUnknown(err) {
			t.Fatalf("err = %v, OutcomeUnknown = %v; want an error, known not sent", err, bc.OutcomeUnknown(err))
		}
		if got := e.srv.Sim.Stats().Requests; got != 0 {
			t.Errorf("%d requests reached the server, want 0", got)
		}
	})
}

// TestRetryAfterIsExposed: the server's Retry-After reaches the caller on
// the typed error, so a durable scheduler can defer the step instead of
// the client sleeping.
func TestRetryAfterIsExposed(t *testing.T) {
	type result struct {
		err     error
		tries   int
		elapsed time.Duration
	}
	run := func(t *testing.T, e *env, fault *bctest.Fault, call func() error) result {
		t.Helper()
		e.srv.Sim.ResetStats()
		if fault != nil {
			e.srv.Sim.InjectFault(*fault)
		}
		start := e.clock.Now()
		stop := driveClock(t, e.clock, time.Second)
		err := call()
		stop()
		e.srv.Sim.ClearFaults()
		return result{err, e.srv.Sim.Stats().Requests, e.clock.Since(start)}
	}
	warm := func(t *testing.T, c *bc.Client) {
		t.Helper()
		if err := getCustomer(c); err != nil { // fetch the token first
			t.Fatal(err)
		}
	}
	checkRetryAfter := func(t *testing.T, err error, want time.Duration) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		got, ok := bc.RetryAfter(err)
		if !ok || got != want {
			t.Errorf("RetryAfter(%v) = %v, %v; want %v, true", err, got, ok, want)
		}
		if bc.OutcomeUnknown(err) {
			t.Errorf("OutcomeUnknown(%v) = true for a request not processed", err)
		}
	}

	t.Run("BC 429 with retries off returns at once with Retry-After", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, func(c *bc.Config) { c.MaxRetries = -1 })
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 30 * time.Second}, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 30*time.Second)
		if r.tries != 1 || r.elapsed != 0 {
			t.Errorf("%d tries over %v, want 1 try and no waiting", r.tries, r.elapsed)
		}
		if !bc.IsThrottled(r.err) {
			t.Errorf("IsThrottled(%v) = false", r.err)
		}
		if be, _ := bc.AsError(r.err); be == nil || be.Service != bc.ServiceBC || !strings.Contains(r.err.Error(), "Business Central") {
			t.Errorf("err %v does not name Business Central", r.err)
		}
	})

	t.Run("NP Retail 503 with retries off returns at once with Retry-After", func(t *testing.T) {
		e := startEnv(t)
		base := e.srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName
		np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: base, APIKey: bctest.DemoNPRetailAPIKey, MaxRetries: -1}, e.options()...)
		if err != nil {
			t.Fatal(err)
		}
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 503, RetryAfter: 45 * time.Second}, func() error {
			_, err := np.Members.Get(t.Context(), bctest.DemoMemberWithPhoneID)
			return err
		})
		checkRetryAfter(t, r.err, 45*time.Second)
		if r.tries != 1 || r.elapsed != 0 {
			t.Errorf("%d tries over %v, want 1 try and no waiting", r.tries, r.elapsed)
		}
		checkNamesNPRetail(t, r.err)
	})

	t.Run("after the last retry the error carries the last Retry-After", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, func(c *bc.Config) { c.MaxRetries = 2 })
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 5 * time.Second}, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 5*time.Second)
		if r.tries != 3 {
			t.Errorf("%d tries, want 3", r.tries)
		}
	})

	t.Run("a 500 carries no Retry-After", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil)
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 500, Times: 1}, func() error { return getCustomer(c) })
		if _, ok := bc.RetryAfter(r.err); ok || r.err == nil {
			t.Errorf("err = %v, RetryAfter ok = %v; want an error without Retry-After", r.err, ok)
		}
	})

	t.Run("WithMaxWait: a Retry-After beyond it returns at once", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil, bc.WithMaxWait(time.Minute))
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 2 * time.Minute, Times: 1}, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 2*time.Minute)
		if r.tries != 1 || r.elapsed != 0 {
			t.Errorf("%d tries over %v, want 1 try and no waiting", r.tries, r.elapsed)
		}
	})

	t.Run("WithMaxWait: waits within it are still taken", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil, bc.WithMaxWait(time.Minute))
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 20 * time.Second, Times: 2}, func() error { return getCustomer(c) })
		if r.err != nil || r.tries != 3 {
			t.Errorf("err = %v after %d tries, want success after 3", r.err, r.tries)
		}
	})

	t.Run("WithMaxWait bounds the total waiting of one call", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil, bc.WithMaxWait(time.Minute))
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 40 * time.Second}, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 40*time.Second)
		if r.tries != 2 || r.elapsed > time.Minute {
			t.Errorf("%d tries over %v, want 2 tries within a minute", r.tries, r.elapsed)
		}
	})

	t.Run("WithMaxWait: the governor's pause after a 429 is not waited out either", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil, bc.WithMaxWait(10*time.Second))
		warm(t, c)
		r := run(t, e, &bctest.Fault{Method: "GET", Status: 429, RetryAfter: 2 * time.Minute, Times: 1}, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 2*time.Minute)
		// BC's Retry-After paused the principal's governor; the next call
		// is held back without being sent.
		r = run(t, e, nil, func() error { return getCustomer(c) })
		checkRetryAfter(t, r.err, 2*time.Minute)
		var le *bc.LimitError
		if !errors.As(r.err, &le) || !bc.IsThrottled(r.err) {
			t.Errorf("err = %v, want a *bc.LimitError that IsThrottled", r.err)
		}
		if r.tries != 0 || r.elapsed != 0 {
			t.Errorf("%d requests over %v, want none and no waiting", r.tries, r.elapsed)
		}
		e.clock.Advance(2 * time.Minute)
		if err := getCustomer(c); err != nil {
			t.Fatalf("after the pause: %v", err)
		}
	})
}
