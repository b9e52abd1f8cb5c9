package vipps

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy is the one place that decides whether a failed call is
// tried again and how long to wait first.
//
// Rules, in order (see Decide):
//  1. the caller's context is done → stop;
//  2. attempts exhausted → stop;
//  3. a POST/PUT/PATCH/DELETE without an idempotency key that the API does
//     not define as safe to repeat → stop (it may have taken effect);
//  4. network error (no answer) → retry;
//  5. 429 → retry after Retry-After (or backoff when absent), unless
//     Retry-After exceeds MaxDelay — then stop and let the caller schedule;
//  6. 5xx → retry;
//  7. any other status (2xx, 3xx, other 4xx) → stop.
//
// Waits are exponential from BaseDelay, capped at MaxDelay, with jitter
// drawn from [wait/2, wait].
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first; 1 disables retries
	BaseDelay   time.Duration // first backoff
	MaxDelay    time.Duration // upper bound of every wait
	// Rand returns a number in [0,1) for jitter; nil uses math/rand/v2.
	Rand func() float64
}

// DefaultRetryPolicy is 4 attempts, 250 ms doubling up to 5 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 250 * time.Millisecond, MaxDelay: 5 * time.Second}
}

func (p RetryPolicy) validate() error {
	if p.MaxAttempts < 1 || p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
		return fmt.Errorf("vipps: invalid retry policy (attempts %d, base %s, max %s)", p.MaxAttempts, p.BaseDelay, p.MaxDelay)
	}
	return nil
}

// Attempt describes the outcome of one try, the input to Decide.
type Attempt struct {
	Method string
	// Idempotent is true when the request carries an Idempotency-Key or
	// the API defines repeating it as safe (token endpoints, lookups).
	Idempotent bool
	Number     int           // 1 for the first try
	Status     int           // HTTP status; 0 when Err is set
	Err        error         // transport error
	RetryAfter time.Duration // parsed Retry-After header
	CtxErr     error         // the caller's context error, if any
}

// Decision is the policy's answer, with the rule that produced it.
type Decision struct {
	Retry  bool
	Wait   time.Duration
	Reason string
}

// Decide applies the rules listed on RetryPolicy.
func (p RetryPolicy) Decide(a Attempt) Decision {
	switch {
	case a.CtxErr != nil || errors.Is(a.Err, context.Canceled) || errors.Is(a.Err, context.DeadlineExceeded):
		return Decision{Reason: "context done"}
	case a.Err == nil && a.Status < 400:
		return Decision{Reason: "success"}
	case a.Number >= p.MaxAttempts:
		return Decision{Reason: "attempts exhausted"}
	case !a.Idempotent && !safeMethod(a.Method):
		return Decision{Reason: "unsafe method without idempotency key"}
	case a.Err != nil:
		return Decision{Retry: true, Wait: p.backoff(a.Number), Reason: "network error"}
	case a.Status == http.StatusTooManyRequests:
		if a.RetryAfter > p.MaxDelay {
			return Decision{Reason: "retry-after beyond max delay"}
		}
		if a.RetryAfter > 0 {
			return Decision{Retry: true, Wait: a.RetryAfter, Reason: "rate limited, honour retry-after"}
		}
		return Decision{Retry: true, Wait: p.backoff(a.Number), Reason: "rate limited"}
	case a.Status >= 500:
		return Decision{Retry: true, Wait: p.backoff(a.Number), Reason: "server error"}
	default:
		return Decision{Reason: "client error is final"}
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// backoff is the jittered wait after attempt n (n ≥ 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand
	}
	return d/2 + time.Duration(r()*float64(d/2))
}
