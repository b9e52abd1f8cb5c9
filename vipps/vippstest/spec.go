package vippstest

import "net/http"

type specValidator struct{}

func newSpecValidator(string) *specValidator { return &specValidator{} }

func (v *specValidator) serve(h http.Handler, w http.ResponseWriter, r *http.Request) {
	h.ServeHTTP(w, r)
}

// SpecViolations returns the recorded spec violations.
func (s *Sim) SpecViolations() []string { return nil }
