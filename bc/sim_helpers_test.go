package bc_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/jonboulle/clockwork"
)

// env is a simulator plus a client authenticated through the real
// azidentity ClientSecretCredential against the simulated authority.
type env struct {
	srv   *bctest.Servers
	clock *clockwork.FakeClock
	logs  *syncBuffer
}

func startEnv(t *testing.T, opts ...bctest.Option) *env {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Now())
	srv := bctest.Start(t, append([]bctest.Option{bctest.WithClock(clock)}, opts...)...)
	return &env{srv: srv, clock: clock, logs: &syncBuffer{}}
}

func (e *env) config() bc.Config {
	return bc.Config{
		BaseURL:     e.srv.BCURL + "/v2.0",
		TenantID:    bctest.DemoTenantID,
		Environment: bctest.DemoEnvironment,
		CompanyID:   bctest.DemoCompanyID,
		Auth: bc.AuthConfig{
			Method: bc.AuthClientSecret, TenantID: bctest.DemoTenantID,
			ClientID: bctest.DemoClientID, ClientSecret: bctest.DemoClientSecret,
			AuthorityHost: e.srv.AuthorityURL, DisableInstanceDiscovery: true,
		},
	}
}

func (e *env) options(extra ...bc.Option) []bc.Option {
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return append([]bc.Option{bc.WithHTTPClient(e.srv.HTTPClient()), bc.WithClock(e.clock), bc.WithLogger(logger)}, extra...)
}

func (e *env) client(t *testing.T, mutate func(*bc.Config), extra ...bc.Option) *bc.Client {
	t.Helper()
	cfg := e.config()
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := bc.New(cfg, e.options(extra...)...)
	if err != nil {
		t.Fatalf("bc.New: %v", err)
	}
	return c
}

// driveClock advances the fake clock whenever something waits on it (the
// client's backoff, the governor, the simulator's queue) until stop is
// called. Nothing sleeps: the simulated time runs only as fast as the work
// asks for it.
func driveClock(t *testing.T, clock *clockwork.FakeClock, step time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := clock.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			clock.Advance(step)
		}
	}()
	return func() { cancel(); <-done }
}

func addCustomers(t *testing.T, sim *bctest.Sim, n int) []bc.Customer {
	t.Helper()
	out := make([]bc.Customer, n)
	for i := range n {
		c, err := sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{
			Number: fmt.Sprintf("T%05d", i), DisplayName: fmt.Sprintf("Test Customer %d", i), Country: "NO",
		})
		if err != nil {
			t.Fatalf("add customer %d: %v", i, err)
		}
		out[i] = c
	}
	return out
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// staticCredential is an azcore.TokenCredential that always returns the
// same token, valid for an hour.
type staticCredential string

func (s staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}
