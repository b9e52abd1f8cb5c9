package bc

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Backoff bounds. Retry-After is honoured up to maxRetryAfter; without it
// the wait grows from baseBackoff, doubling, up to maxBackoff, with jitter.
const (
	baseBackoff   = 500 * time.Millisecond
	maxBackoff    = 30 * time.Second
	maxRetryAfter = 5 * time.Minute
)

// retryDecision says whether a failed attempt is tried again and why.
type retryDecision struct {
	retry  bool
	reason string
}

// decideRetry is the one place that decides what is retried:
//
//   - 429 Too Many Requests and 503 Service Unavailable: BC did not process
//     the request (throttled, or it timed out in BC's queue) — always retried.
//   - 504 Gateway Timeout: BC may have processed it; retried only when the
//     request is idempotent (GET, DELETE, PATCH with If-Match, batches
//     without POST).
//   - network errors: retried only when idempotent, for the same reason.
//   - anything else (4xx, other 5xx, context ends): not retried.
func decideRetry(ctx context.Context, idempotent bool, status int, err error) retryDecision {
	if ctx.Err() != nil {
		return retryDecision{false, "context done"}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return retryDecision{false, "context done"}
		}
		var ae *AuthError
		if errors.As(err, &ae) {
			return retryDecision{false, "no token (the credential has its own retries)"}
		}
		if idempotent {
			return retryDecision{true, "network error"}
		}
		return retryDecision{false, "network error on a non-idempotent request"}
	}
	switch status {
	case http.StatusTooManyRequests:
		return retryDecision{true, "throttled (429)"}
	case http.StatusServiceUnavailable:
		return retryDecision{true, "unavailable (503)"}
	case http.StatusGatewayTimeout:
		if idempotent {
			return retryDecision{true, "gateway timeout (504)"}
		}
		return retryDecision{false, "gateway timeout (504) on a non-idempotent request"}
	}
	return retryDecision{false, "not retryable"}
}

// backoff is the wait before retry number attempt (0-based). retryAfter > 0
// (from the response) wins, capped at maxRetryAfter; otherwise exponential
// with jitter in [d/2, d].
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	d := baseBackoff << min(attempt, 16)
	d = min(d, maxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date (relative to
// now). It returns 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
