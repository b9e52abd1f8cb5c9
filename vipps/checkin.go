package vipps

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// CheckInService notifies a customer's app that they checked in at the till.
type CheckInService struct{ c *Client }

var checkInPhone = regexp.MustCompile(`^47[0-9]{8}$`)

// LoyaltyCheckIn tells a (Norwegian) customer's open app that they are
// (isMember true) or are not a member (POST /point-of-sale/v1/loyalty-check-in).
// It returns Vipps' debug reference. Not retried: the API has no
// idempotency key and a repeat shows a second notification.
func (s *CheckInService) LoyaltyCheckIn(ctx context.Context, phoneNumber string, isMember bool) (string, error) {
	const op = "vipps loyalty check-in"
	if !checkInPhone.MatchString(phoneNumber) {
		return "", invalid(op, "phone number must be a Norwegian MSISDN (47 and 8 digits)")
	}
	cl, err := jsonCall(op, http.MethodPost, s.c.url("/point-of-sale/v1/loyalty-check-in"), map[string]any{
		"phoneNumber": phoneNumber, "isMember": isMember,
	})
	if err != nil {
		return "", err
	}
	rep, err := s.c.send(ctx, cl, nil)
	if err != nil {
		return "", err
	}
	var ref string
	if json.Unmarshal(rep.body, &ref) != nil {
		ref = strings.TrimSpace(string(rep.body))
	}
	return ref, nil
}
