package vipps

import (
	"context"
	"net/http"
	"net/url"
)

// UserInfoService reads profiles shared through payments (profile.scope
// on an ePayment).
type UserInfoService struct{ c *Client }

// BySub reads the profile of sub with the merchant's token
// (GET /vipps-userinfo-api/userinfo/{sub}); available for 168 hours after
// the payment.
func (s *UserInfoService) BySub(ctx context.Context, sub string) (*UserInfo, error) {
	const op = "vipps userinfo by sub"
	if sub == "" {
		return nil, invalid(op, "empty sub")
	}
	var ui UserInfo
	cl := call{op: op, method: http.MethodGet, url: s.c.url("/vipps-userinfo-api/userinfo/" + url.PathEscape(sub))}
	if _, err := s.c.send(ctx, cl, &ui); err != nil {
		return nil, err
	}
	return &ui, nil
}
