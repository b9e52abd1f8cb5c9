package bc

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
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
//   - 429 Too Many Requests: BC (and NP Retail, which forwards to BC) did
//     not process the request — always retried.
//   - 503 Service Unavailable: retried for idempotent requests; for others
//     only with Retry-After, which says the request was not processed
//     (without it a gateway may have answered after forwarding it).
//   - 504 Gateway Timeout: BC may have processed it; retried only when the
//     request is idempotent (GET, DELETE, PATCH with If-Match, batches
//     without POST).
//   - network errors: retried when idempotent; otherwise only when the
//     connection was never made (refused, no route, DNS), so nothing was
//     sent. A timeout or dropped connection after sending is not retried.
//   - anything else (4xx, other 5xx, context ends, no token): not retried.
func decideRetry(ctx context.Context, idempotent bool, status int, hasRetryAfter bool, err error) retryDecision {
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
		var le *LimitError
		if errors.As(err, &le) {
			return retryDecision{false, "held back by the governor longer than the maximum wait"}
		}
		if idempotent {
			return retryDecision{true, "network error"}
		}
		if notSent(err) {
			return retryDecision{true, "could not connect (nothing was sent)"}
		}
		return retryDecision{false, "network error after a non-idempotent request may have been sent"}
	}
	switch status {
	case http.StatusTooManyRequests:
		return retryDecision{true, "throttled (429)"}
	case http.StatusServiceUnavailable:
		if idempotent || hasRetryAfter {
			return retryDecision{true, "unavailable (503)"}
		}
		return retryDecision{false, "unavailable (503) without Retry-After on a non-idempotent request"}
	case http.StatusGatewayTimeout:
		if idempotent {
			return retryDecision{true, "gateway timeout (504)"}
		}
		return retryDecision{false, "gateway timeout (504) on a non-idempotent request"}
	}
	return retryDecision{false, "not retryable"}
}

// notSent reports whether a transport error happened while connecting
// (dial: refused, unreachable, DNS; or connecting to a proxy), before any
// byte of the request was written.
func notSent(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && (oe.Op == "dial" || oe.Op == "proxyconnect")
}

// outcomeUnknown reports whether a write that failed with status (0: no
// answer, see err) may have been carried out by the server. sent is false
// for failures before the request was handed to the network.
func outcomeUnknown(method string, status int, hasRetryAfter bool, sent bool, err error) bool {
	if method == http.MethodGet || method == http.MethodHead || !sent {
		return false
	}
	if err != nil {
		return !notSent(err)
	}
	switch {
	case status == http.StatusServiceUnavailable:
		return !hasRetryAfter
	case status >= 500:
		return true
	}
	return false
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
// now). It returns 0 when absent or unreadable; ok reports a valid value
// (which may be 0: "now", or a date in the past).
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, math.MaxInt32)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
