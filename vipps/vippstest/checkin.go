package vippstest

import (
	"net/http"
	"regexp"

	"github.com/google/uuid"
)

var checkInPhoneRE = regexp.MustCompile(`^47[0-9]{8}$`)

// CheckIn is one recorded loyalty check-in.
type CheckIn struct {
	MSN, PhoneNumber string
	IsMember         bool
	ID               string // the GUID returned to the caller
}

// CheckIns returns the loyalty check-ins received so far, oldest first.
func (s *Sim) CheckIns() []CheckIn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CheckIn(nil), s.checkIns...)
}

// POST /point-of-sale/v1/loyalty-check-in. Unlike the real test
// environment (which always answers 500), the simulator accepts valid
// check-ins so that flows can be tested end to end.
func (s *Sim) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return
	}
	var req struct {
		PhoneNumber *string `json:"phoneNumber"`
		IsMember    *bool   `json:"isMember"`
	}
	bad := func(name, reason string) {
		writeJSON(w, http.StatusBadRequest, map[string]any{ // the spec declares application/json
			"type":          "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1",
			"title":         "One or more validation errors occurred.",
			"detail":        "BadRequest",
			"instance":      "00-" + randomToken(16) + "-" + randomToken(8) + "-00",
			"invalidParams": []extraDetail{{Name: name, Reason: reason}},
		})
	}
	if err := decodeJSON(r, &req); err != nil {
		bad("body", "The request body must be JSON.")
		return
	}
	if req.PhoneNumber == nil || !checkInPhoneRE.MatchString(*req.PhoneNumber) {
		bad("phoneNumber", "The field phoneNumber must be a Norwegian MSISDN matching ^47[0-9]{8}$.")
		return
	}
	if req.IsMember == nil {
		bad("isMember", "The field isMember is required.")
		return
	}
	id := uuid.NewString()
	s.mu.Lock()
	s.checkIns = append(s.checkIns, CheckIn{MSN: m.msn, PhoneNumber: *req.PhoneNumber, IsMember: *req.IsMember, ID: id})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, id)
}
