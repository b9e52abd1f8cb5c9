package vippstest

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

// profileShare records that a user shared profile data with a sales unit
// through a payment with profile.scope.
type profileShare struct {
	phone     string
	scopes    []string
	expiresAt time.Time
}

const profileShareTTL = 168 * time.Hour

// claimsFor returns the user's profile reduced to the claims of the
// consented scopes, with the sub for the sales unit.
func claimsFor(u User, msn string, scopes []string) vipps.UserInfo {
	p := u.Profile
	out := vipps.UserInfo{Sub: subFor(msn, u.PhoneNumber)}
	for _, sc := range scopes {
		switch sc {
		case "name":
			out.Name, out.GivenName, out.FamilyName = p.Name, p.GivenName, p.FamilyName
		case "email":
			out.Email, out.EmailVerified = p.Email, p.EmailVerified
			if out.EmailVerified == nil {
				out.EmailVerified = boolPtr(false)
			}
		case "phoneNumber":
			out.PhoneNumber, out.PhoneNumberVerified = u.PhoneNumber, boolPtr(true)
		case "address":
			if p.Address != nil {
				a := *p.Address
				out.Address = &a
			} else {
				out.Address = &vipps.Address{} // Vipps sends an address with empty strings
			}
			out.OtherAddresses = slices.Clone(p.OtherAddresses)
		case "birthDate":
			out.BirthDate = p.BirthDate
		case "nin":
			out.NIN = p.NIN
		case "delegatedConsents":
			if p.DelegatedConsents != nil {
				c := *p.DelegatedConsents
				out.DelegatedConsents = &c
			}
		case "gender":
			out.Gender = p.Gender
		}
	}
	return out
}

// GET /vipps-userinfo-api/userinfo with the user's login access token.
func (s *Sim) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	value, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	g, known := s.loginTokens[value]
	s.mu.Unlock()
	if !ok || !known || !s.now().Before(g.expiresAt) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		userinfoError(w, r, http.StatusUnauthorized, "Unauthorized", "The access token is missing, invalid or expired.", "")
		return
	}
	u, found := s.user(g.phone)
	if !found {
		userinfoError(w, r, http.StatusNotFound, "Not Found", "The user no longer exists.", "")
		return
	}
	writeJSON(w, http.StatusOK, claimsFor(u, g.msn, g.scopes))
}

// GET /vipps-userinfo-api/userinfo/{sub}: profile sharing after a payment
// with profile.scope, with the merchant's access token.
func (s *Sim) handleUserInfoBySub(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return
	}
	sub := r.PathValue("sub")
	s.mu.Lock()
	share, shared := s.profiles[m.msn+"/"+sub]
	s.mu.Unlock()
	if !shared {
		userinfoError(w, r, http.StatusNotFound, "Not Found", "No profile is shared for this sub.", "")
		return
	}
	u, found := s.user(share.phone)
	if !found {
		userinfoError(w, r, http.StatusNotFound, "Not Found", "The user no longer exists.", "")
		return
	}
	info := claimsFor(u, m.msn, share.scopes)
	if !s.now().Before(share.expiresAt) {
		info = expiredClaims(info)
	}
	writeJSON(w, http.StatusOK, info)
}

// expiredClaims replaces the values of shared claims by "[Expired]", as
// Vipps does after 168 hours.
func expiredClaims(in vipps.UserInfo) vipps.UserInfo {
	const x = "[Expired]"
	set := func(p *string) {
		if *p != "" {
			*p = x
		}
	}
	out := in
	for _, p := range []*string{&out.Name, &out.GivenName, &out.FamilyName, &out.Email, &out.PhoneNumber, &out.BirthDate, &out.NIN} {
		set(p)
	}
	if out.Address != nil {
		out.Address = &vipps.Address{StreetAddress: x, PostalCode: x, Region: x, Country: x}
	}
	out.OtherAddresses = nil
	return out
}

// userinfoError writes an RFC 7807 error with the content type the
// userinfo spec declares (application/json;charset=UTF-8).
func userinfoError(w http.ResponseWriter, r *http.Request, status int, title, detail, _ string) {
	writeJSON(w, status, problem{
		Type: "https://developer.vippsmobilepay.com/docs/knowledge-base/errors", Title: title, Status: status,
		Detail: detail, Instance: r.URL.Path, TraceID: randomToken(16),
	})
}
