package vippstest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching requests misbehave, for tests of timeouts, retries
// and backoff. A fault matches when Method (empty = any) equals the
// request method and the path starts with PathPrefix. Latency is waited on
// the simulator's clock first; then Drop closes the connection without an
// answer, or a non-zero Status is answered (with Retry-After when set)
// instead of calling the endpoint. A fault with only Latency lets the
// request through afterwards. Times limits how many requests the fault
// hits (0 = until ClearFaults). Control API paths (/_sim/) never fault.
type Fault struct {
	Method     string        `json:"method,omitempty"`
	PathPrefix string        `json:"pathPrefix,omitempty"`
	Status     int           `json:"status,omitempty"`
	RetryAfter time.Duration `json:"-"`
	Latency    time.Duration `json:"-"`
	Drop       bool          `json:"drop,omitempty"`
	Times      int           `json:"times,omitempty"`
}

type faultState struct {
	Fault
	left int // remaining hits; -1 = unlimited
}

// InjectFault adds a fault. Faults are checked in the order added.
func (s *Sim) InjectFault(f Fault) {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f, left: left})
}

// ClearFaults removes all faults.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first fault matching r and uses up one of its hits.
func (s *Sim) takeFault(r *http.Request) (Fault, bool) {
	if isControlPath(r.URL.Path) {
		return Fault{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.FaultsInjected++
		return f.Fault, true
	}
	return Fault{}, false
}

// applyFault applies a matching fault; it reports whether the request has
// been fully answered (or dropped).
func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Latency > 0 {
		select {
		case <-s.clock.After(f.Latency):
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // net/http closes the connection
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		writeProblem(w, r, f.Status, http.StatusText(f.Status), "injected fault", "")
		return true
	}
	return false
}
