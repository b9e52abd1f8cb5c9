package vippstest

import (
	"maps"
	"net/http"
)

// Stats are counters of what the simulator has seen.
type Stats struct {
	TokenRequests       int // POST /accesstoken/get and /miami/v1/token
	BackchannelRequests int // CIBA backchannel authentication requests
	TokenPolls          int // CIBA token endpoint calls
	EarlyPolls          int // token polls answered slow_down
	WebhookDeliveries   int // webhook delivery attempts answered 2xx
	WebhookFailures     int // webhook delivery attempts that failed
	FaultsInjected      int // requests answered by an injected fault
	// Requests counts every request by route pattern, e.g.
	// "POST /epayment/v1/payments" or "GET /epayment/v1/payments/{reference}".
	Requests map[string]int
}

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	return st
}

func (s *Sim) countRequest(r *http.Request, pattern string) {
	if pattern == "" || pattern == "/" {
		pattern = r.Method + " " + r.URL.Path
	}
	s.mu.Lock()
	s.stats.Requests[pattern]++
	s.mu.Unlock()
}
