package vippstest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Documented ePayment rate limits: create, capture, cancel and refund 5
// per minute per reference and MSN; get and events 120 per minute per
// reference and subscription key.
const (
	rateWindow       = time.Minute
	rateModifyLimit  = 5
	rateReadingLimit = 120
)

// allow records a call under key and reports whether it is within limit
// calls per rateWindow (sliding window on the simulator clock). When it is
// not, it answers 429 with Retry-After.
func (s *Sim) allow(w http.ResponseWriter, r *http.Request, key string, limit int) bool {
	now := s.now()
	s.mu.Lock()
	calls := s.rate[key]
	i := 0
	for i < len(calls) && !now.Before(calls[i].Add(rateWindow)) {
		i++
	}
	calls = calls[i:]
	if len(calls) >= limit {
		retry := calls[0].Add(rateWindow).Sub(now)
		s.rate[key] = calls
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		writeProblem(w, r, http.StatusTooManyRequests, "Too Many Requests", "Rate limit exceeded for this reference.", "")
		return false
	}
	s.rate[key] = append(calls, now)
	s.mu.Unlock()
	return true
}
