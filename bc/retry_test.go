package bc

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestDecideRetry(t *testing.T) {
	netErr := &url.Error{Op: "Post", URL: "/x", Err: errors.New("connection reset by peer")}
	refused := &url.Error{Op: "Post", URL: "/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dropped := &url.Error{Op: "Post", URL: "/x", Err: io.EOF}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	tests := []struct {
		name          string
		ctx           context.Context
		idempotent    bool
		status        int
		hasRetryAfter bool
		err           error
		want          bool
	}{
		{"429 is retried even for POST", bg, false, http.StatusTooManyRequests, false, nil, true},
		{"503 with Retry-After is retried for POST (not processed)", bg, false, http.StatusServiceUnavailable, true, nil, true},
		{"503 without Retry-After is not retried for POST", bg, false, http.StatusServiceUnavailable, false, nil, false},
		{"503 is retried when idempotent", bg, true, http.StatusServiceUnavailable, false, nil, true},
		{"504 is retried when idempotent", bg, true, http.StatusGatewayTimeout, false, nil, true},
		{"504 is not retried for POST (BC may have done it)", bg, false, http.StatusGatewayTimeout, true, nil, false},
		{"500 is not retried for POST", bg, false, http.StatusInternalServerError, false, nil, false},
		{"502 is not retried for POST", bg, false, http.StatusBadGateway, false, nil, false},
		{"network error is retried when idempotent", bg, true, 0, false, netErr, true},
		{"network error is not retried for POST", bg, false, 0, false, netErr, false},
		{"a dropped connection is not retried for POST", bg, false, 0, false, dropped, false},
		{"connection refused is retried for POST (nothing was sent)", bg, false, 0, false, refused, true},
		{"a token failure is not retried", bg, true, 0, false, &AuthError{Err: netErr}, false},
		{"the governor's limit is not retried", bg, true, 0, false, &LimitError{RetryAfter: time.Minute}, false},
		{"400 is not retried", bg, true, http.StatusBadRequest, false, nil, false},
		{"409 is not retried here (Update re-reads)", bg, true, http.StatusConflict, false, nil, false},
		{"500 is not retried", bg, true, http.StatusInternalServerError, false, nil, false},
		{"nothing is retried after the context ended", cancelled, true, http.StatusTooManyRequests, true, nil, false},
		{"a context error is not retried", bg, true, 0, false, context.DeadlineExceeded, false},
		{"a timeout after sending a POST is not retried", bg, false, 0, false, &url.Error{Op: "Post", URL: "/x", Err: context.DeadlineExceeded}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideRetry(tt.ctx, tt.idempotent, tt.status, tt.hasRetryAfter, tt.err); got.retry != tt.want {
				t.Fatalf("retry = %v (%s), want %v", got.retry, got.reason, tt.want)
			}
		})
	}
}

func TestOutcomeUnknownRules(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	dropped := &url.Error{Op: "Post", URL: "/x", Err: io.EOF}
	tests := []struct {
		name          string
		method        string
		status        int
		hasRetryAfter bool
		sent          bool
		err           error
		want          bool
	}{
		{"POST answered 500", "POST", 500, false, true, nil, true},
		{"POST answered 502", "POST", 502, false, true, nil, true},
		{"POST answered 504", "POST", 504, false, true, nil, true},
		{"POST answered 503 without Retry-After", "POST", 503, false, true, nil, true},
		{"POST answered 503 with Retry-After was not processed", "POST", 503, true, true, nil, false},
		{"POST answered 429 was not processed", "POST", 429, true, true, nil, false},
		{"POST refused with 400", "POST", 400, false, true, nil, false},
		{"POST whose connection dropped", "POST", 0, false, true, dropped, true},
		{"POST whose connection was refused", "POST", 0, false, true, refused, false},
		{"POST that never left (no token)", "POST", 0, false, false, &AuthError{Err: io.EOF}, false},
		{"PATCH answered 500", "PATCH", 500, false, true, nil, true},
		{"DELETE whose connection dropped", "DELETE", 0, false, true, dropped, true},
		{"GET answered 500 changed nothing", "GET", 500, false, true, nil, false},
		{"GET whose connection dropped changed nothing", "GET", 0, false, true, dropped, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outcomeUnknown(tt.method, tt.status, tt.hasRetryAfter, tt.sent, tt.err); got != tt.want {
				t.Fatalf("outcomeUnknown = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Run("Retry-After is honoured exactly", func(t *testing.T) {
		if got := backoff(3, 7*time.Second); got != 7*time.Second {
			t.Fatalf("backoff = %v, want 7s", got)
		}
	})
	t.Run("Retry-After is capped", func(t *testing.T) {
		if got := backoff(0, time.Hour); got != maxRetryAfter {
			t.Fatalf("backoff = %v, want %v", got, maxRetryAfter)
		}
	})
	t.Run("without Retry-After the wait grows, jittered and bounded", func(t *testing.T) {
		for attempt := range 40 {
			want := min(baseBackoff<<min(attempt, 16), maxBackoff)
			for range 20 {
				got := backoff(attempt, 0)
				if got < want/2 || got > want {
					t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, got, want/2, want)
				}
			}
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
		wantOK   bool
	}{
		{"seconds", "12", 12 * time.Second, true},
		{"seconds with spaces", " 12 ", 12 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"HTTP date in the future", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"HTTP date in the past means no wait", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"absent", "", 0, false},
		{"garbage", "soon", 0, false},
		{"negative", "-3", 0, false},
		{"huge does not overflow", "99999999999", time.Duration(math.MaxInt32) * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
