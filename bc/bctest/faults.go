package bctest

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// Fault makes matching requests to the BC or NP Retail API fail or slow
// down. Method "" matches any method; PathPrefix "" matches any path (the
// path includes the /npretail prefix for NP Retail). Latency is waited on the
// sim clock first (a test with a fake clock must Advance it). Status 0 only
// delays; otherwise the request is answered with Status and a BC error body,
// plus Retry-After when RetryAfter > 0. Times is how many requests the fault
// hits; 0 means every request until ClearFaults.
type Fault struct {
	Method     string        `json:"method,omitempty"`
	PathPrefix string        `json:"pathPrefix,omitempty"`
	Status     int           `json:"status,omitempty"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	Latency    time.Duration `json:"latency,omitempty"`
	Times      int           `json:"times,omitempty"`
}

type faultEntry struct {
	f    Fault
	left int // remaining hits; -1 = unlimited
}

// InjectFault adds a fault. Faults are checked in the order added; the first
// match applies.
func (s *Sim) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.faults = append(s.faults, &faultEntry{f: f, left: left})
}

// ClearFaults removes every injected fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Sim) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if (e.f.Method == "" || strings.EqualFold(e.f.Method, method)) && strings.HasPrefix(path, e.f.PathPrefix) {
			if e.left > 0 {
				e.left--
				if e.left == 0 {
					s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				}
			}
			s.stats.FaultsInjected++
			return e.f, true
		}
	}
	return Fault{}, false
}

// applyFault delays and/or fails the request when a fault matches. It
// reports an error to answer, or nil to go on.
func (s *Sim) applyFault(ctx context.Context, r *http.Request) *apiError {
	f, ok := s.takeFault(r.Method, r.URL.Path)
	if !ok {
		return nil
	}
	if f.Latency > 0 {
		select {
		case <-s.clock.After(f.Latency):
		case <-ctx.Done():
			return errf(http.StatusRequestTimeout, CodeInternalError, "The request was canceled.")
		}
	}
	if f.Status == 0 {
		return nil
	}
	code := CodeInternalError
	switch f.Status {
	case http.StatusTooManyRequests:
		code = CodeTooManyRequests
	case http.StatusServiceUnavailable:
		code = CodeServiceUnavailable
	}
	e := errf(f.Status, code, "Injected fault: %s.", http.StatusText(f.Status))
	if f.RetryAfter > 0 {
		e.header = http.Header{"Retry-After": {retryAfterSeconds(f.RetryAfter)}}
	}
	return e
}
