package bc

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestDecideRetry(t *testing.T) {
	netErr := errors.New("connection reset")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		idempotent bool
		status     int
		err        error
		want       bool
	}{
		{"429 is retried even for POST", context.Background(), false, http.StatusTooManyRequests, nil, true},
		{"503 is retried even for POST", context.Background(), false, http.StatusServiceUnavailable, nil, true},
		{"504 is retried when idempotent", context.Background(), true, http.StatusGatewayTimeout, nil, true},
		{"504 is not retried for POST (BC may have done it)", context.Background(), false, http.StatusGatewayTimeout, nil, false},
		{"network error is retried when idempotent", context.Background(), true, 0, netErr, true},
		{"network error is not retried for POST", context.Background(), false, 0, netErr, false},
		{"a token failure is not retried", context.Background(), true, 0, &AuthError{Err: netErr}, false},
		{"400 is not retried", context.Background(), true, http.StatusBadRequest, nil, false},
		{"409 is not retried here (Update re-reads)", context.Background(), true, http.StatusConflict, nil, false},
		{"500 is not retried", context.Background(), true, http.StatusInternalServerError, nil, false},
		{"nothing is retried after the context ended", cancelled, true, http.StatusTooManyRequests, nil, false},
		{"a context error is not retried", context.Background(), true, 0, context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideRetry(tt.ctx, tt.idempotent, tt.status, tt.err); got.retry != tt.want {
				t.Fatalf("retry = %v (%s), want %v", got.retry, got.reason, tt.want)
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
	}{
		{"seconds", "12", 12 * time.Second},
		{"HTTP date in the future", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"HTTP date in the past means no wait", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"absent", "", 0},
		{"garbage", "soon", 0},
		{"negative", "-3", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
