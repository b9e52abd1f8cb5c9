package bc_test

import (
	"context"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestThrottling(t *testing.T) {
	t.Run("BC's 429s slow the client down without failing the work", func(t *testing.T) {
		e := startEnv(t, bctest.WithThrottle(10, time.Minute))
		c := e.client(t, nil)
		stop := driveClock(t, e.clock, time.Second)
		defer stop()
		start := e.clock.Now()
		for i := range 35 {
			if _, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID); err != nil {
				t.Fatalf("request %d failed: %v", i, err)
			}
		}
		stop()
		st := e.srv.Sim.Stats()
		if st.Throttled == 0 {
			t.Fatal("the simulator never throttled; the test proves nothing")
		}
		if elapsed := e.clock.Since(start); elapsed < 3*time.Minute {
			t.Fatalf("35 requests at 10/min took %v of simulated time, want ≥ 3m", elapsed)
		}
	})

	t.Run("a governor set to the server's limit avoids 429s altogether", func(t *testing.T) {
		e := startEnv(t, bctest.WithThrottle(10, time.Minute))
		c := e.client(t, func(c *bc.Config) { c.Limits = bc.Limits{RequestsPerWindow: 10, Window: time.Minute} })
		stop := driveClock(t, e.clock, time.Second)
		defer stop()
		for i := range 25 {
			if _, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID); err != nil {
				t.Fatalf("request %d failed: %v", i, err)
			}
		}
		stop()
		if got := e.srv.Sim.Stats().Throttled; got != 0 {
			t.Fatalf("%d requests throttled, want 0", got)
		}
	})

	t.Run("clients sharing a governor stay inside the principal's concurrency", func(t *testing.T) {
		e := startEnv(t)
		g := bc.NewGovernor(bc.Limits{MaxInFlight: 2}, e.clock)
		c1 := e.client(t, nil, bc.WithGovernor(g))
		c2 := e.client(t, nil, bc.WithGovernor(g))
		e.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Latency: 100 * time.Millisecond})
		stop := driveClock(t, e.clock, 100*time.Millisecond)
		defer stop()
		errc := make(chan error, 8)
		for i := range 8 {
			c := c1
			if i%2 == 1 {
				c = c2
			}
			go func() {
				_, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID)
				errc <- err
			}()
		}
		for range 8 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		stop()
		if got := e.srv.Sim.Stats().MaxInFlight; got > 2 {
			t.Fatalf("BC saw %d requests in flight, want ≤ 2", got)
		}
	})
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		fault     bctest.Fault
		call      func(*bc.Client) error
		wantOK    bool
		wantTries int
	}{
		{"429 with Retry-After is retried", bctest.Fault{Method: "GET", Status: 429, RetryAfter: 30 * time.Second, Times: 2},
			getCustomer, true, 3},
		{"503 is retried", bctest.Fault{Method: "GET", Status: 503, Times: 1}, getCustomer, true, 2},
		{"504 on GET is retried", bctest.Fault{Method: "GET", Status: 504, Times: 1}, getCustomer, true, 2},
		{"504 on POST is not retried (it may have been done)", bctest.Fault{Method: "POST", Status: 504, Times: 1}, createCustomer, false, 1},
		{"500 is not retried", bctest.Fault{Method: "GET", Status: 500, Times: 1}, getCustomer, false, 1},
		{"retries are bounded", bctest.Fault{Method: "GET", Status: 503}, getCustomer, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t)
			c := e.client(t, func(c *bc.Config) { c.MaxRetries = 2 })
			// Fetch the token first so the counts below are BC requests only.
			if err := getCustomer(c); err != nil {
				t.Fatal(err)
			}
			e.srv.Sim.ResetStats()
			e.srv.Sim.InjectFault(tt.fault)
			stop := driveClock(t, e.clock, time.Second)
			err := tt.call(c)
			stop()
			if (err == nil) != tt.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tt.wantOK)
			}
			if got := e.srv.Sim.Stats().Requests; got != tt.wantTries {
				t.Fatalf("%d attempts, want %d", got, tt.wantTries)
			}
			if !tt.wantOK {
				if _, ok := bc.AsError(err); !ok {
					t.Fatalf("err %v is not a *bc.Error", err)
				}
			}
		})
	}
}

func getCustomer(c *bc.Client) error {
	_, err := c.Customers.Get(context.Background(), bctest.DemoCustomerEmptyAddressID)
	return err
}

func createCustomer(c *bc.Client) error {
	_, err := c.Customers.Create(context.Background(), bc.Customer{DisplayName: "Retry Test"})
	return err
}
