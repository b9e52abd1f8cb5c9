package vippstest

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

const (
	cibaGrantType       = "urn:openid:params:grant-type:ciba"
	loginDefaultExpiry  = 600 * time.Second
	loginInterval       = 5 * time.Second
	loginSlowDownAdd    = 5 * time.Second
	loginAccessTokenTTL = 300 * time.Second
)

var bindingMessageRE = regexp.MustCompile(`^[A-Z0-9\-]{5,8}$`)

// login is one merchant-initiated (CIBA) login request.
type login struct {
	id        string
	clientID  string // the sales unit's client id that started it
	msn       string
	phone     string
	scopes    []string
	nonce     string
	behaviour Behaviour
	created   time.Time
	expiresAt time.Time
	answerAt  time.Time // when the user answers (approve/reject); zero = never
	interval  time.Duration
	lastPoll  time.Time
	redeemed  bool
}

type loginStatus int

const (
	loginPending loginStatus = iota
	loginApproved
	loginRejected
	loginExpired
	loginRedeemed
)

func (l *login) status(now time.Time) loginStatus {
	// An answered request must still be redeemed before it expires.
	switch {
	case l.redeemed:
		return loginRedeemed
	case !now.Before(l.expiresAt):
		return loginExpired
	case !l.answerAt.IsZero() && !now.Before(l.answerAt):
		if l.behaviour == BehaviourReject {
			return loginRejected
		}
		return loginApproved
	}
	return loginPending
}

// loginGrant is the user's access token after a successful login.
type loginGrant struct {
	msn       string
	phone     string
	scopes    []string
	expiresAt time.Time
}

// loginClient is the authenticated caller of the login endpoints.
type loginClient struct {
	clientID string
	msn      string
}

func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// GET /access-management-1.0/access/.well-known/openid-configuration
func (s *Sim) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	w.Header().Set("Cache-Control", "max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                              base + "/access-management-1.0/access/",
		"authorization_endpoint":              base + "/access-management-1.0/access/oauth2/auth",
		"token_endpoint":                      base + "/access-management-1.0/access/oauth2/token",
		"userinfo_endpoint":                   base + "/vipps-userinfo-api/userinfo",
		"jwks_uri":                            base + "/access-management-1.0/access/.well-known/jwks.json",
		"backchannel_authentication_endpoint": base + "/vipps-login-ciba/api/backchannel/authentication",
		"backchannel_token_delivery_modes_supported": []string{"poll", "ping"},
		"backchannel_user_code_parameter_supported":  false,
		"token_endpoint_auth_methods_supported":      []string{authBasic, authPost},
		"grant_types_supported":                      []string{"authorization_code", cibaGrantType, "urn:vipps:params:grant-type:ciba-redirect"},
		"response_types_supported":                   []string{"code"},
		"subject_types_supported":                    []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported":      []string{"RS256"},
		"scopes_supported":                           []string{"openid", "name", "email", "phoneNumber", "address", "birthDate", "nin", "delegatedConsents", "gender"},
		"claims_supported":                           []string{"sub", "name", "given_name", "family_name", "email", "email_verified", "phone_number", "address", "birthdate", "nin"},
	})
}

// GET /access-management-1.0/access/.well-known/jwks.json
func (s *Sim) handleJWKS(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, jwks())
}

// authLoginClient authenticates a call to the backchannel, user-exists or
// token endpoint: client_secret_basic, client_secret_post (whichever the
// sales unit is configured for), or partner keys (Bearer access token plus
// Merchant-Serial-Number). It parses the form. On failure it writes an
// invalid_client answer and returns false.
func (s *Sim) authLoginClient(w http.ResponseWriter, r *http.Request) (loginClient, bool) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded", "")
		return loginClient{}, false
	}
	fail := func(desc string) (loginClient, bool) {
		w.Header().Set("WWW-Authenticate", `Basic realm="vipps"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", desc, "")
		return loginClient{}, false
	}
	authz := r.Header.Get("Authorization")
	if bearer, ok := strings.CutPrefix(authz, "Bearer "); ok {
		msn := r.Header.Get("Merchant-Serial-Number")
		s.mu.Lock()
		tok, known := s.tokens[bearer]
		var unit *SalesUnit
		for _, u := range s.salesUnits {
			if u.MSN == msn {
				unit = &u
				break
			}
		}
		s.mu.Unlock()
		switch {
		case !known || !s.now().Before(tok.expiresAt):
			return fail("the access token is unknown or expired")
		case msn == "" || unit == nil:
			return fail("partner calls need the Merchant-Serial-Number of a known sales unit")
		case tok.msn != "" && tok.msn != msn, tok.msn == "" && !slices.Contains(tok.partnerMSNs, msn):
			return fail("the access token has no access to this Merchant-Serial-Number")
		}
		return loginClient{clientID: unit.ClientID, msn: msn}, true
	}
	id, secret, basic := r.BasicAuth()
	method := authBasic
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		method = authPost
		if id == "" {
			return fail("client authentication is required")
		}
	}
	s.mu.Lock()
	u, ok := s.salesUnits[id]
	s.mu.Unlock()
	if !ok || !equal(u.ClientSecret, secret) {
		return fail("unknown client or wrong secret")
	}
	if u.LoginAuthMethod != method {
		return fail("this client is configured for " + u.LoginAuthMethod)
	}
	return loginClient{clientID: id, msn: u.MSN}, true
}

func parseLoginHint(hint string) (string, bool) {
	msisdn, ok := strings.CutPrefix(hint, "urn:msisdn:")
	if !ok || len(msisdn) < 8 || len(msisdn) > 15 {
		return "", false
	}
	for _, c := range msisdn {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return msisdn, true
}

// POST /vipps-login-ciba/api/backchannel/authentication
func (s *Sim) handleBackchannel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.BackchannelRequests++
	s.mu.Unlock()
	client, ok := s.authLoginClient(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	phone, ok := parseLoginHint(f.Get("login_hint"))
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "login_hint must be urn:msisdn:<digits>", "")
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	if !slices.Contains(scopes, "openid") {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", "scope must contain openid", "")
		return
	}
	if bm := f.Get("binding_message"); bm != "" && !bindingMessageRE.MatchString(bm) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_binding_message", "binding_message must match ^[A-Z0-9\\-]{5,8}$", "")
		return
	}
	expiry := loginDefaultExpiry
	if re := f.Get("requested_expiry"); re != "" {
		n, err := strconv.Atoi(re)
		if err != nil || n < 60 || n > 900 {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "requested_expiry must be 60..900 seconds", "")
			return
		}
		expiry = time.Duration(n) * time.Second
	}
	u, known := s.user(phone)
	switch {
	case !known || u.Behaviour == BehaviourInvalidUser:
		writeOAuthError(w, http.StatusBadRequest, "unknown_user_id", "the user cannot log in with Vipps MobilePay", "invalid_user")
		return
	case u.Behaviour == BehaviourOldApp:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the user's app is too old", "old_app")
		return
	}
	now := s.now()
	s.mu.Lock()
	// The phone's own logins, not every login: a scan of all of them made
	// the simulator slower with every login of a load run.
	for _, l := range s.phoneLogins[phone] {
		if l.status(now) == loginPending {
			retry := int(math.Ceil(l.expiresAt.Sub(now).Seconds()))
			s.mu.Unlock()
			w.Header().Set("Retry-After", strconv.Itoa(retry))
			writeOAuthError(w, http.StatusTooManyRequests, "too_many_requests", "the user already has a login in progress", "")
			return
		}
	}
	l := &login{
		id: uuid.NewString(), clientID: client.clientID, msn: client.msn, phone: phone, scopes: scopes,
		nonce: f.Get("nonce"), behaviour: u.Behaviour, created: now, expiresAt: now.Add(expiry), interval: loginInterval,
	}
	if u.Behaviour == BehaviourApprove || u.Behaviour == BehaviourReject {
		l.answerAt = now.Add(u.Delay)
	}
	s.logins[l.id] = l
	s.phoneLogins[phone] = append(s.phoneLogins[phone], l)
	s.mu.Unlock()
	if !l.answerAt.IsZero() && l.answerAt.Before(l.expiresAt) {
		id, msn := l.id, l.msn
		s.clock.AfterFunc(u.Delay, func() { s.emitLoginPing(msn, id) })
	}
	writeJSON(w, http.StatusOK, map[string]any{"auth_req_id": l.id, "expires_in": int(expiry / time.Second), "interval": int(loginInterval / time.Second)})
}

// POST /vipps-login-ciba/api/v1/user-exists
func (s *Sim) handleUserExists(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authLoginClient(w, r); !ok {
		return
	}
	phone, ok := parseLoginHint(r.PostForm.Get("login_hint"))
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "login_hint must be urn:msisdn:<digits>", "")
		return
	}
	u, known := s.user(phone)
	writeJSON(w, http.StatusOK, map[string]bool{"exists": known && u.Behaviour != BehaviourInvalidUser})
}

// POST /access-management-1.0/access/oauth2/token (CIBA grant)
func (s *Sim) handleLoginToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.TokenPolls++
	s.mu.Unlock()
	client, ok := s.authLoginClient(w, r)
	if !ok {
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != cibaGrantType {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "only the CIBA grant is simulated", "")
		return
	}
	id := r.PostForm.Get("auth_req_id")
	now := s.now()
	s.mu.Lock()
	l, known := s.logins[id]
	if !known || l.clientID != client.clientID {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "unknown auth_req_id", "")
		return
	}
	st := l.status(now)
	if st == loginRedeemed {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "auth_req_id already used", "")
		return
	}
	if st == loginExpired {
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "expired_token", "the login request has expired", "")
		return
	}
	if !l.lastPoll.IsZero() && now.Sub(l.lastPoll) < l.interval {
		l.interval += loginSlowDownAdd
		l.lastPoll = now
		s.stats.EarlyPolls++
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "slow_down", fmt.Sprintf("poll at most every %d seconds", int(l.interval/time.Second)), "")
		return
	}
	l.lastPoll = now
	switch st {
	case loginPending:
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "authorization_pending", "the user has not answered yet", "")
		return
	case loginRejected:
		s.mu.Unlock()
		writeOAuthError(w, http.StatusBadRequest, "access_denied", "the user declined the login", "")
		return
	}
	l.redeemed = true
	access := "sim-login-" + randomToken(32)
	s.loginTokens[access] = &loginGrant{msn: l.msn, phone: l.phone, scopes: l.scopes, expiresAt: now.Add(loginAccessTokenTTL)}
	s.mu.Unlock()
	claims := map[string]any{
		"iss":       baseURL(r) + "/access-management-1.0/access/",
		"sub":       subFor(l.msn, l.phone),
		"aud":       []string{client.clientID},
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"auth_time": l.answerAt.Unix(),
		"msn":       l.msn,
		"sid":       l.id,
		"jti":       uuid.NewString(),
	}
	if l.nonce != "" {
		claims["nonce"] = l.nonce
	}
	idToken, err := signJWT(claims)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "signing failed", "")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"token_type":   "Bearer",
		"expires_in":   int(loginAccessTokenTTL / time.Second),
		"id_token":     idToken,
		"scope":        strings.Join(l.scopes, " "),
	})
}

// subFor is the user's stable subject identifier for a sales unit.
func subFor(msn, phone string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("vippstest/"+msn+"/"+phone)).String()
}
