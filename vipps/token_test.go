package vipps_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/jonboulle/clockwork"
)

func okList(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"webhooks":[]}`)
}

func TestTokenCacheOneFetchForManyCallers(t *testing.T) {
	f := newFake(t, okList)
	gate := make(chan struct{})
	f.tokenGate = gate
	c, _ := fakeClient(t, f)
	const callers = 40
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			_, err := c.Webhooks.List(context.Background())
			errs <- err
		})
	}
	// Let the fetch finish only once it has started; callers that arrive
	// meanwhile must wait for it instead of fetching themselves.
	select {
	case <-f.entered:
	case err := <-errs:
		t.Fatalf("call finished before the token fetch: %v", err)
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokens(); got != 1 {
		t.Fatalf("token fetches = %d, want 1", got)
	}
	for _, r := range f.recorded() {
		if r.header.Get("Authorization") != "Bearer tok-SECRET-0123456789abcdef" {
			t.Fatalf("Authorization = %q", r.header.Get("Authorization"))
		}
	}
}

func TestTokenCacheRefresh(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		expiresIn string
		advance   time.Duration
		fetches   int
	}{
		{"string expires_in, well before expiry uses the cache", `"3599"`, 50 * time.Minute, 1},
		{"refreshed ahead of expiry", `"3599"`, 55 * time.Minute, 2},
		{"refreshed after expiry", `"3599"`, 2 * time.Hour, 2},
		{"numeric expires_in accepted", `3599`, 50 * time.Minute, 1},
		{"24 h production token kept for 21 h", `"86398"`, 21 * time.Hour, 1},
		{"24 h production token refreshed at 22 h", `"86398"`, 22 * time.Hour, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, okList)
			f.expiresIn = tt.expiresIn
			c, clk := fakeClient(t, f)
			if _, err := c.Webhooks.List(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(tt.advance)
			if _, err := c.Webhooks.List(ctx); err != nil {
				t.Fatal(err)
			}
			if got := f.tokens(); got != tt.fetches {
				t.Fatalf("fetches = %d, want %d", got, tt.fetches)
			}
		})
	}
}

func TestTokenCacheKeys(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, okList)
	shared := vipps.NewTokenCache()
	clk := clockwork.NewFakeClockAt(epoch)
	mk := func(edit func(*vipps.Config)) *vipps.Client {
		cfg := fakeConfig(f)
		edit(&cfg)
		c, err := vipps.New(cfg, vipps.WithTokenCache(shared), vipps.WithClock(clk))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := mk(func(*vipps.Config) {})
	b := mk(func(*vipps.Config) {})
	otherMSN := mk(func(c *vipps.Config) { c.MSN = "654321" })
	otherKeys := mk(func(c *vipps.Config) { c.ClientSecret = "another-secret" })
	for _, c := range []*vipps.Client{a, b, otherMSN, otherKeys, a} {
		if _, err := c.Webhooks.List(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.tokens(); got != 3 {
		t.Fatalf("fetches = %d, want 3 (same keys share, other MSN and other keys do not)", got)
	}
}

func TestTokenRequestHeaders(t *testing.T) {
	f := newFake(t, okList)
	cfg := fakeConfig(f)
	cfg.PartnerKeys = true
	c, err := vipps.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Webhooks.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := f.tokenHdrs[0]
	for k, want := range map[string]string{"client_id": cfg.ClientID, "client_secret": cfg.ClientSecret,
		"Ocp-Apim-Subscription-Key": cfg.SubscriptionKey, "Merchant-Serial-Number": "123456", "Vipps-System-Name": "bcvipps"} {
		if h.Get(k) != want {
			t.Errorf("token request header %s = %q, want %q", k, h.Get(k), want)
		}
	}
}

// TestCommonHeadersOnEveryCall: each service sends the subscription key,
// MSN, the four Vipps-System-* headers and the Bearer token.
func TestCommonHeadersOnEveryCall(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/events") {
			_, _ = io.WriteString(w, `[]`)
			return
		}
		_, _ = io.WriteString(w, `{}`)
	})
	c, _ := fakeClient(t, f)
	amt := vipps.Amount{Currency: "NOK", Value: 100}
	calls := map[string]func() error{
		"epayment get":     func() error { _, err := c.EPayment.Get(ctx, "store1-order-0001"); return err },
		"epayment events":  func() error { _, err := c.EPayment.Events(ctx, "store1-order-0001"); return err },
		"epayment capture": func() error { _, err := c.EPayment.Capture(ctx, "k1", "store1-order-0001", amt); return err },
		"epayment cancel":  func() error { _, err := c.EPayment.Cancel(ctx, "k2", "store1-order-0001"); return err },
		"userinfo by sub":  func() error { _, err := c.UserInfo.BySub(ctx, "c06c4afe-d9e1-4c5d-939a-177d752a0944"); return err },
		"qr exchange": func() error {
			_, err := c.QR.Exchange(ctx, "https://qr.vipps.no/28/2/01/031/4791234567?v=1")
			return err
		},
		"webhooks list": func() error { _, err := c.Webhooks.List(ctx); return err },
		"report feed":   func() error { _, err := c.Report.Feed(ctx, vipps.TopicFunds, "302321", "c1"); return err },
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for _, r := range f.recorded() {
		for k, want := range map[string]string{
			"Authorization": "Bearer tok-SECRET-0123456789abcdef", "Ocp-Apim-Subscription-Key": "subkey-SECRET-value-1",
			"Merchant-Serial-Number": "123456", "Vipps-System-Name": "bcvipps", "Vipps-System-Version": "1.0.0",
			"Vipps-System-Plugin-Name": "bcvipps-bc", "Vipps-System-Plugin-Version": "2.0.0",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s %s: header %s = %q, want %q", r.method, r.path, k, got, want)
			}
		}
	}
	if len(f.recorded()) != len(calls) {
		t.Fatalf("recorded %d calls, want %d", len(f.recorded()), len(calls))
	}
}
