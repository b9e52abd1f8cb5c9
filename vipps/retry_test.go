package vipps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

// TestRetryPolicyRules checks RetryPolicy.Decide rule by rule.
func TestRetryPolicyRules(t *testing.T) {
	p := vipps.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second, Rand: func() float64 { return 0.5 }}
	netErr := errors.New("connection reset")
	tests := []struct {
		name       string
		a          vipps.Attempt
		retry      bool
		minW, maxW time.Duration
	}{
		{"success is final", vipps.Attempt{Method: "GET", Number: 1, Status: 200}, false, 0, 0},
		{"context done stops", vipps.Attempt{Method: "GET", Number: 1, Status: 503, CtxErr: context.Canceled}, false, 0, 0},
		{"canceled transport error stops", vipps.Attempt{Method: "GET", Number: 1, Err: fmt.Errorf("x: %w", context.DeadlineExceeded)}, false, 0, 0},
		{"attempts exhausted stops", vipps.Attempt{Method: "GET", Number: 4, Status: 503}, false, 0, 0},
		{"GET network error retried", vipps.Attempt{Method: "GET", Number: 1, Err: netErr}, true, 500 * time.Millisecond, time.Second},
		{"GET 500 retried", vipps.Attempt{Method: "GET", Number: 1, Status: 500}, true, 500 * time.Millisecond, time.Second},
		{"GET 503 retried with growing backoff", vipps.Attempt{Method: "GET", Number: 3, Status: 503}, true, 2 * time.Second, 4 * time.Second},
		{"backoff is bounded by MaxDelay", vipps.Attempt{Method: "DELETE", Idempotent: true, Number: 3, Status: 503}, true, 0, 8 * time.Second},
		{"429 honours Retry-After", vipps.Attempt{Method: "GET", Number: 1, Status: 429, RetryAfter: 3 * time.Second}, true, 3 * time.Second, 3 * time.Second},
		{"429 without Retry-After backs off", vipps.Attempt{Method: "GET", Number: 1, Status: 429}, true, 500 * time.Millisecond, time.Second},
		{"429 with Retry-After beyond MaxDelay is left to the caller", vipps.Attempt{Method: "GET", Number: 1, Status: 429, RetryAfter: time.Minute}, false, 0, 0},
		{"400 never retried", vipps.Attempt{Method: "GET", Number: 1, Status: 400}, false, 0, 0},
		{"401 never retried", vipps.Attempt{Method: "GET", Number: 1, Status: 401}, false, 0, 0},
		{"404 never retried", vipps.Attempt{Method: "GET", Number: 1, Status: 404}, false, 0, 0},
		{"409 never retried", vipps.Attempt{Method: "POST", Idempotent: true, Number: 1, Status: 409}, false, 0, 0},
		{"POST without idempotency key not retried on 5xx", vipps.Attempt{Method: "POST", Number: 1, Status: 502}, false, 0, 0},
		{"POST without idempotency key not retried on network error", vipps.Attempt{Method: "POST", Number: 1, Err: netErr}, false, 0, 0},
		{"POST without idempotency key not retried on 429", vipps.Attempt{Method: "POST", Number: 1, Status: 429, RetryAfter: time.Second}, false, 0, 0},
		{"POST with idempotency key retried on 5xx", vipps.Attempt{Method: "POST", Idempotent: true, Number: 1, Status: 500}, true, 500 * time.Millisecond, time.Second},
		{"POST defined safe retried on network error", vipps.Attempt{Method: "POST", Idempotent: true, Number: 2, Err: netErr}, true, time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.a)
			if d.Retry != tt.retry {
				t.Fatalf("Retry = %v (%s), want %v", d.Retry, d.Reason, tt.retry)
			}
			if d.Reason == "" {
				t.Fatal("decision without reason")
			}
			if d.Retry && (d.Wait < tt.minW || d.Wait > tt.maxW) {
				t.Fatalf("Wait = %s, want in [%s, %s]", d.Wait, tt.minW, tt.maxW)
			}
		})
	}
}

func TestRetryJitterStaysInBounds(t *testing.T) {
	p := vipps.DefaultRetryPolicy()
	for n := 1; n < p.MaxAttempts; n++ {
		for range 200 {
			d := p.Decide(vipps.Attempt{Method: "GET", Number: n, Status: 503})
			if d.Wait <= 0 || d.Wait > p.MaxDelay {
				t.Fatalf("attempt %d: wait %s outside (0, %s]", n, d.Wait, p.MaxDelay)
			}
		}
	}
}

// TestRetriedBodiesAreIdentical: a capture that meets two 503s is sent
// three times with the same bytes and the same Idempotency-Key.
func TestRetriedBodiesAreIdentical(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"amount":{"currency":"NOK","value":100},"state":"AUTHORIZED","aggregate":{"authorizedAmount":{"currency":"NOK","value":100},"cancelledAmount":{"currency":"NOK","value":0},"capturedAmount":{"currency":"NOK","value":100},"refundedAmount":{"currency":"NOK","value":0}},"pspReference":"p1","reference":"store1-order-0001"}`)
	})
	c, clk := fakeClient(t, f)
	driveClock(t, clk, time.Second)
	if _, err := c.EPayment.Capture(context.Background(), "cap-key-1", "store1-order-0001", vipps.Amount{Currency: "NOK", Value: 100}); err != nil {
		t.Fatal(err)
	}
	rec := f.recorded()
	if len(rec) != 3 {
		t.Fatalf("attempts = %d, want 3", len(rec))
	}
	for i, r := range rec {
		if !bytes.Equal(r.body, rec[0].body) || len(r.body) == 0 {
			t.Fatalf("attempt %d body %q differs from %q", i+1, r.body, rec[0].body)
		}
		if r.header.Get("Idempotency-Key") != "cap-key-1" {
			t.Fatalf("attempt %d idempotency key %q", i+1, r.header.Get("Idempotency-Key"))
		}
	}
}

func TestRetryBehaviourOverHTTP(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		status   int
		call     func(c *vipps.Client) error
		attempts int
	}{
		{"GET retried on 5xx until attempts run out", 500, func(c *vipps.Client) error { _, err := c.EPayment.Get(ctx, "store1-order-0001"); return err }, 4},
		{"GET 404 not retried", 404, func(c *vipps.Client) error { _, err := c.EPayment.Get(ctx, "store1-order-0001"); return err }, 1},
		{"POST without idempotency key not retried", 503, func(c *vipps.Client) error {
			_, err := c.Webhooks.Register(ctx, "https://example.com/hook", []string{"epayments.payment.captured.v1"})
			return err
		}, 1},
		{"check-in (no key) not retried", 500, func(c *vipps.Client) error { _, err := c.CheckIn.LoyaltyCheckIn(ctx, "4791234567", true); return err }, 1},
		{"QR exchange (a lookup) retried", 502, func(c *vipps.Client) error {
			_, err := c.QR.Exchange(ctx, "https://qr.vipps.no/28/2/01/031/4791234567?v=1")
			return err
		}, 4},
		{"DELETE webhook retried", 503, func(c *vipps.Client) error { return c.Webhooks.Delete(ctx, "id-1") }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			c, clk := fakeClient(t, f)
			driveClock(t, clk, time.Second)
			err := tt.call(c)
			var ve *vipps.Error
			if !errors.As(err, &ve) || ve.Status != tt.status {
				t.Fatalf("err = %v, want *Error %d", err, tt.status)
			}
			if got := len(f.recorded()); got != tt.attempts {
				t.Fatalf("attempts = %d, want %d", got, tt.attempts)
			}
		})
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	c, clk := fakeClient(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_ = clk.BlockUntilContext(ctx, 1) // the client sleeps before its second attempt
		cancel()
	}()
	_, err := c.EPayment.Get(ctx, "store1-order-0001")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := len(f.recorded()); got != 1 {
		t.Fatalf("attempts = %d, want 1", got)
	}
}
