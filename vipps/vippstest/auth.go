package vippstest

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	authBasic = "client_secret_basic"
	authPost  = "client_secret_post"

	merchantTokenTTL = time.Hour // test environment lifetime
	miamiTokenTTL    = 15 * time.Minute
)

// accessToken is a merchant or partner token from /accesstoken/get (or an
// accounting token from /miami/v1/token).
type accessToken struct {
	expiresAt       time.Time
	subscriptionKey string   // the key it was issued with
	miami           bool     // from /miami/v1/token: used without a subscription key
	msn             string   // sales unit; "" for partner tokens
	partnerMSNs     []string // for partner tokens
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// POST /accesstoken/get
func (s *Sim) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	id, secret, key := r.Header.Get("client_id"), r.Header.Get("client_secret"), r.Header.Get("Ocp-Apim-Subscription-Key")
	if key == "" {
		writeAPIM(w, http.StatusUnauthorized, "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.")
		return
	}
	tok := &accessToken{subscriptionKey: key}
	s.mu.Lock()
	u, isUnit := s.salesUnits[id]
	p, isPartner := s.partners[id]
	s.mu.Unlock()
	switch {
	case isUnit && equal(u.ClientSecret, secret) && equal(u.SubscriptionKey, key):
		if msn := r.Header.Get("Merchant-Serial-Number"); msn != "" && msn != u.MSN {
			writeAPIM(w, http.StatusForbidden, "Merchant-Serial-Number does not belong to these keys.")
			return
		}
		tok.msn = u.MSN
	case isPartner && equal(p.ClientSecret, secret) && equal(p.SubscriptionKey, key):
		tok.partnerMSNs = p.MSNs
	case (isUnit && equal(u.ClientSecret, secret)) || (isPartner && equal(p.ClientSecret, secret)):
		writeAPIM(w, http.StatusUnauthorized, "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.")
		return
	default:
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"error":             "unauthorized_client",
			"error_description": "AADSTS7000215: Invalid client secret or client id provided.",
		})
		return
	}
	now := s.now()
	tok.expiresAt = now.Add(merchantTokenTTL)
	value := "sim-at-" + randomToken(32)
	s.mu.Lock()
	s.tokens[value] = tok
	s.mu.Unlock()
	secs := strconv.Itoa(int(merchantTokenTTL/time.Second) - 1)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	writeJSONType(w, "application/json;charset=UTF-8", http.StatusOK, map[string]string{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"expires_on":     strconv.FormatInt(tok.expiresAt.Unix(), 10),
		"not_before":     strconv.FormatInt(now.Unix(), 10),
		"resource":       "00000002-0000-0000-c000-000000000000",
		"access_token":   value,
	})
}

// POST /miami/v1/token: OAuth2 client credentials with Basic auth (or the
// client_id/client_secret headers of the spec copy), for
// accounting and management keys. Sales-unit and partner keys are accepted
// too; the token then has the same reach as one from /accesstoken/get.
func (s *Sim) handleMiamiToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenRequests++
	s.mu.Unlock()
	id, secret, ok := r.BasicAuth()
	if !ok { // the older, header-based style of the spec copy
		id, secret = r.Header.Get("client_id"), r.Header.Get("client_secret")
	}
	if id == "" {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication with Basic auth is required", "")
		return
	}
	if err := r.ParseForm(); err != nil || (ok && r.PostForm.Get("grant_type") != "client_credentials") {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials", "")
		return
	}
	tok := &accessToken{}
	s.mu.Lock()
	u, isUnit := s.salesUnits[id]
	p, isPartner := s.partners[id]
	s.mu.Unlock()
	switch {
	case isUnit && equal(u.ClientSecret, secret):
		tok.msn = u.MSN
		tok.subscriptionKey = u.SubscriptionKey
	case isPartner && equal(p.ClientSecret, secret):
		tok.partnerMSNs = p.MSNs
		tok.subscriptionKey = p.SubscriptionKey
	default:
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret", "")
		return
	}
	tok.miami = true
	tok.expiresAt = s.now().Add(miamiTokenTTL)
	value := "sim-miami-" + randomToken(32)
	s.mu.Lock()
	s.tokens[value] = tok
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": value, "token_type": "Bearer", "expires_in": int(miamiTokenTTL / time.Second)})
}

// merchant is the caller of a merchant API, after authentication.
type merchant struct {
	msn             string
	subscriptionKey string
}

// authMerchant checks Authorization (Bearer word mandatory, token known and
// unexpired), Ocp-Apim-Subscription-Key (present and the one the token was
// issued with) and Merchant-Serial-Number (required for partner tokens and
// when msnRequired; must belong to the token). On failure it writes the
// APIM-style answer and returns false.
func (s *Sim) authMerchant(w http.ResponseWriter, r *http.Request, msnRequired bool) (merchant, bool) {
	key := r.Header.Get("Ocp-Apim-Subscription-Key")
	authz := r.Header.Get("Authorization")
	value, ok := strings.CutPrefix(authz, "Bearer ")
	if key == "" && !s.isMiamiToken(value) {
		writeAPIM(w, http.StatusUnauthorized, "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.")
		return merchant{}, false
	}
	if !ok || value == "" {
		writeAPIM(w, http.StatusUnauthorized, "Unauthorized. Access token is missing or invalid (the Authorization header must be 'Bearer <token>').")
		return merchant{}, false
	}
	s.mu.Lock()
	tok, known := s.tokens[value]
	s.mu.Unlock()
	if !known {
		writeAPIM(w, http.StatusUnauthorized, "Unauthorized. Access token is missing or invalid.")
		return merchant{}, false
	}
	if !s.now().Before(tok.expiresAt) {
		writeAPIM(w, http.StatusUnauthorized, "Unauthorized. Access token has expired.")
		return merchant{}, false
	}
	if key != "" && !equal(tok.subscriptionKey, key) {
		writeAPIM(w, http.StatusUnauthorized, "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.")
		return merchant{}, false
	}
	msn := r.Header.Get("Merchant-Serial-Number")
	if tok.msn == "" { // partner
		if msn == "" {
			writeProblem(w, r, http.StatusForbidden, "Forbidden", "Partner keys require the Merchant-Serial-Number header.", "")
			return merchant{}, false
		}
		if !slices.Contains(tok.partnerMSNs, msn) {
			writeProblem(w, r, http.StatusForbidden, "Forbidden", "The partner has no access to this Merchant-Serial-Number.", "")
			return merchant{}, false
		}
		return merchant{msn: msn, subscriptionKey: key}, true
	}
	if msn == "" && msnRequired {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The Merchant-Serial-Number header is required.", "")
		return merchant{}, false
	}
	if msn != "" && msn != tok.msn {
		writeProblem(w, r, http.StatusForbidden, "Forbidden", "The Merchant-Serial-Number does not match the access token.", "")
		return merchant{}, false
	}
	return merchant{msn: tok.msn, subscriptionKey: key}, true
}

// isMiamiToken reports whether value is an unexpired /miami/v1/token
// token, which is used without a subscription key.
func (s *Sim) isMiamiToken(value string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.tokens[value]
	return tok != nil && tok.miami
}
