package work

import (
	"math/rand/v2"
	"time"
)

// Backoff is 1 s doubling per attempt with ±20 % jitter, capped at limit
// (and never below 100 ms).
func Backoff(attempt int, limit time.Duration) time.Duration {
	d := time.Second
	for i := 0; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return max(d+jitter, 100*time.Millisecond)
}

// Verdict is what a step does about a failed upstream call.
type Verdict int

// Verdicts of Classify functions.
const (
	// Refused: the upstream refused the request; retrying the same call
	// cannot succeed. The step ends the job (or asks the caller).
	Refused Verdict = iota
	// RetryAfter: the upstream said when to come back (429/503 with
	// Retry-After, a poll interval); the step defers the job to then.
	RetryAfter
	// BackOff: the upstream may recover (outage, timeout, no answer); the
	// step defers the job with exponential backoff.
	BackOff
	// Unknown: a non-idempotent call may or may not have taken effect (a
	// 5xx or timeout after a POST without idempotency key). The step must
	// find out before it calls again, never retry blindly.
	Unknown
)

func (v Verdict) String() string {
	switch v {
	case Refused:
		return "refused"
	case RetryAfter:
		return "retry-after"
	case BackOff:
		return "back-off"
	case Unknown:
		return "unknown"
	}
	return "invalid"
}

// Failure is the classification of an upstream error, shared by the
// Vipps, BC and NP Retail calls of every kind: a step never sleeps inside
// itself; it stores when it wants to run again.
type Failure struct {
	Verdict Verdict
	// After is the wait the upstream asked for (RetryAfter).
	After time.Duration
}

// Next returns when a job that failed with f on its attempt-th try (0 for
// the first) should run again: after the upstream's wait, or after the
// backoff capped at limit, whichever is later. ok is false for Refused and
// Unknown.
func (f Failure) Next(now time.Time, attempt int, limit time.Duration) (time.Time, bool) {
	switch f.Verdict {
	case RetryAfter:
		return now.Add(max(f.After, 100*time.Millisecond)), true
	case BackOff:
		return now.Add(Backoff(attempt, limit)), true
	}
	return time.Time{}, false
}

// Again is Next for a write that is retried whatever the upstream said
// (an outbox: what BC refused now it may take after a fix there): when
// Next has no time, the backoff's.
func (f Failure) Again(now time.Time, attempt int, limit time.Duration) time.Time {
	if at, ok := f.Next(now, attempt, limit); ok {
		return at
	}
	return now.Add(Backoff(attempt, limit))
}
