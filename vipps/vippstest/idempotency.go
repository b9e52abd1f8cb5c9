package vippstest

import (
	"bytes"
	"crypto/sha256"
	"net/http"
)

// idemEntry is the remembered answer to an idempotent request.
type idemEntry struct {
	bodyHash    [32]byte
	status      int
	contentType string
	body        []byte
}

// recorder captures a handler's answer so it can be stored and replayed.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, status: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func (r *recorder) replay(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body.Bytes())
}

// idempotent runs op once per (scope, key): a repeat with the same body
// replays the stored answer (4xx answers included — a 4xx stays a 4xx for
// that key); a repeat with another body is refused with 409. 5xx and 429
// answers are not stored, so a retry runs the operation again. The caller
// holds s.opMu, which serialises all payment operations.
func (s *Sim) idempotent(w http.ResponseWriter, r *http.Request, scope, key string, body []byte, op func(w http.ResponseWriter)) {
	id := scope + "\x00" + key
	sum := sha256.Sum256(body)
	s.mu.Lock()
	prev, seen := s.idem[id]
	s.mu.Unlock()
	if seen {
		if prev.bodyHash != sum {
			writeProblem(w, r, http.StatusConflict, "Conflict", "The Idempotency-Key was already used with a different request body.", "4010")
			return
		}
		w.Header().Set("Content-Type", prev.contentType)
		w.WriteHeader(prev.status)
		_, _ = w.Write(prev.body)
		return
	}
	rec := newRecorder()
	op(rec)
	if rec.status < 500 && rec.status != http.StatusTooManyRequests {
		s.mu.Lock()
		s.idem[id] = idemEntry{bodyHash: sum, status: rec.status, contentType: rec.header.Get("Content-Type"), body: rec.body.Bytes()}
		s.mu.Unlock()
	}
	rec.replay(w)
}
