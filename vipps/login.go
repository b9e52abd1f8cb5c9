package vipps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LoginService is merchant-initiated Vipps Login (CIBA): the merchant
// starts a login by phone number, the user confirms in the app, the
// merchant polls the token endpoint and reads userinfo.
type LoginService struct {
	c *Client

	mu      sync.Mutex
	disc    *discovery
	discExp time.Time
}

type discovery struct {
	Issuer              string   `json:"issuer"`
	TokenEndpoint       string   `json:"token_endpoint"`
	UserinfoEndpoint    string   `json:"userinfo_endpoint"`
	JWKSURI             string   `json:"jwks_uri"`
	BackchannelEndpoint string   `json:"backchannel_authentication_endpoint"`
	TokenAuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
}

const discoveryPath = "/access-management-1.0/access/.well-known/openid-configuration"

// endpoints returns the discovery document, cached for its max-age
// (default one hour).
func (s *LoginService) endpoints(ctx context.Context) (*discovery, error) {
	c := s.c
	s.mu.Lock()
	if s.disc != nil && c.clock.Now().Before(s.discExp) {
		d := s.disc
		s.mu.Unlock()
		return d, nil
	}
	s.mu.Unlock()
	var d discovery
	rep, err := c.send(ctx, call{op: "vipps login discovery", method: http.MethodGet, url: c.url(discoveryPath), auth: authNone}, &d)
	if err != nil {
		return nil, err
	}
	if d.TokenEndpoint == "" {
		d.TokenEndpoint = c.url("/access-management-1.0/access/oauth2/token")
	}
	if d.UserinfoEndpoint == "" {
		d.UserinfoEndpoint = c.url("/vipps-userinfo-api/userinfo")
	}
	if d.BackchannelEndpoint == "" {
		d.BackchannelEndpoint = c.url("/vipps-login-ciba/api/backchannel/authentication")
	}
	ttl := time.Hour
	if ma, ok := maxAge(rep.header.Get("Cache-Control")); ok {
		ttl = ma
	}
	s.mu.Lock()
	s.disc, s.discExp = &d, c.clock.Now().Add(ttl)
	s.mu.Unlock()
	return &d, nil
}

func maxAge(cc string) (time.Duration, bool) {
	for _, part := range strings.Split(cc, ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "max-age="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return time.Duration(n) * time.Second, true
			}
		}
	}
	return 0, false
}

// LoginRequest starts a merchant-initiated login.
type LoginRequest struct {
	PhoneNumber string   // MSISDN digits with country code, e.g. 4791234567
	Scopes      []string // "openid" is added when missing
	// BindingMessage is shown on both devices; ^[A-Z0-9\-]{5,8}$; optional.
	BindingMessage string
	// RequestedExpiry is 60 s..900 s; zero leaves Vipps' default.
	RequestedExpiry time.Duration
}

// LoginStart is the backchannel answer.
type LoginStart struct {
	AuthReqID string
	ExpiresIn time.Duration
	Interval  time.Duration // minimum time between polls
}

// String keeps auth_req_id out of logs.
func (l LoginStart) String() string {
	return fmt.Sprintf("LoginStart{AuthReqID:[redacted] ExpiresIn:%s Interval:%s}", l.ExpiresIn, l.Interval)
}

var (
	msisdnPattern  = regexp.MustCompile(`^[0-9]{8,15}$`)
	bindingPattern = regexp.MustCompile(`^[A-Z0-9\-]{5,8}$`)
	scopePattern   = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

// clientForm adds client_secret_post credentials to a form when configured.
func (s *LoginService) clientForm(f url.Values) {
	cfg := s.c.cfg
	if !cfg.PartnerKeys && cfg.LoginAuthMethod == AuthClientSecretPost {
		f.Set("client_id", cfg.ClientID)
		f.Set("client_secret", cfg.ClientSecret)
	}
}

func formCall(op, u string, f url.Values) call {
	return call{op: op, method: http.MethodPost, url: u, body: []byte(f.Encode()),
		contentType: "application/x-www-form-urlencoded", auth: authLoginClient}
}

// Start sends the backchannel authentication request
// (POST /vipps-login-ciba/api/backchannel/authentication). It is not
// retried: a repeat would start a second login. A login already in progress
// for the user gives *RateLimitError; an old app or ineligible user gives a
// *LoginError matching ErrOldApp or ErrInvalidUser.
func (s *LoginService) Start(ctx context.Context, req LoginRequest) (*LoginStart, error) {
	const op = "vipps login start"
	if !msisdnPattern.MatchString(req.PhoneNumber) {
		return nil, invalid(op, "phone number must be 8-15 digits with country code")
	}
	if req.BindingMessage != "" && !bindingPattern.MatchString(req.BindingMessage) {
		return nil, invalid(op, `binding message must match ^[A-Z0-9\-]{5,8}$`)
	}
	if req.RequestedExpiry != 0 && (req.RequestedExpiry < time.Minute || req.RequestedExpiry > 15*time.Minute || req.RequestedExpiry%time.Second != 0) {
		return nil, invalid(op, "requested expiry must be whole seconds between 60 and 900")
	}
	scopes := []string{"openid"}
	for _, sc := range req.Scopes {
		if !scopePattern.MatchString(sc) {
			return nil, invalid(op, "malformed scope")
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	d, err := s.endpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	f := url.Values{}
	f.Set("login_hint", "urn:msisdn:"+req.PhoneNumber)
	f.Set("scope", strings.Join(scopes, " "))
	if req.BindingMessage != "" {
		f.Set("binding_message", req.BindingMessage)
	}
	if req.RequestedExpiry != 0 {
		f.Set("requested_expiry", strconv.Itoa(int(req.RequestedExpiry/time.Second)))
	}
	s.clientForm(f)
	rep, err := s.c.raw(ctx, formCall(op, d.BackchannelEndpoint, f))
	if err != nil {
		return nil, err
	}
	if rep.status != http.StatusOK {
		if rep.status != http.StatusTooManyRequests {
			if le := parseOAuthError(op, rep.status, rep.body); le != nil {
				return nil, le
			}
		}
		return nil, decodeError(op, rep.status, rep.header, rep.body, s.c.clock.Now())
	}
	var r struct {
		AuthReqID string    `json:"auth_req_id"`
		ExpiresIn flexInt64 `json:"expires_in"`
		Interval  flexInt64 `json:"interval"`
	}
	if err := jsonDecode(rep.body, &r); err != nil || r.AuthReqID == "" {
		return nil, fmt.Errorf("%s: malformed backchannel response", op)
	}
	st := &LoginStart{AuthReqID: r.AuthReqID, ExpiresIn: time.Duration(r.ExpiresIn) * time.Second, Interval: time.Duration(r.Interval) * time.Second}
	if st.Interval <= 0 {
		st.Interval = defaultPollInterval
	}
	return st, nil
}

const (
	defaultPollInterval = 5 * time.Second
	slowDownStep        = 5 * time.Second
)

// PollResult is the outcome of one token poll that did not end the login.
type PollResult struct {
	Token      *LoginToken   // nil while the user has not answered
	Interval   time.Duration // interval to use from now on (+5 s after slow_down)
	NextPollAt time.Time     // earliest time for the next poll (interval, Retry-After)
}

// PollRetryError is a token poll that got no usable answer: the connection
// failed, the token endpoint answered 5xx, or (partner keys) no access
// token could be had. The login is still open: poll again no earlier than
// NextPollAt, which is at least one interval away (later when the server
// sent Retry-After), and back off further after repeated failures.
// IsRetryable reports true; Err is the *NetworkError, *Error or
// *RateLimitError.
type PollRetryError struct {
	Op         string
	NextPollAt time.Time
	Err        error
}

func (e *PollRetryError) Error() string {
	return e.Op + ": no usable answer, poll again later: " + e.Err.Error()
}

// Unwrap gives the underlying failure.
func (e *PollRetryError) Unwrap() error { return e.Err }

const tokenPath = "/access-management-1.0/access/oauth2/token"

// tokenEndpoint is the token endpoint of the last discovery document, or
// the documented path on the client's host when none was fetched yet. It
// never fetches discovery, so that a poll is one request.
func (s *LoginService) tokenEndpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disc != nil {
		return s.disc.TokenEndpoint
	}
	return s.c.url(tokenPath)
}

// Poll asks the token endpoint once (POST /access-management-1.0/access/oauth2/token,
// grant urn:openid:params:grant-type:ciba). It sends exactly one HTTP
// request to it per call and never retries within the call, whatever the
// RetryPolicy says, because Vipps counts every poll against the interval.
// (With partner keys, an access-token fetch may come first when the cached
// token needs refreshing; discovery is never fetched here.)
//
// While the user has not answered it returns a PollResult without token
// saying when to ask again; slow_down adds 5 s to the interval; 429 pushes
// NextPollAt past Retry-After. access_denied, expired_token, invalid_grant
// and other OAuth errors end the login with a *LoginError (errors.Is with
// ErrAccessDenied, ErrExpiredToken, ErrInvalidGrant, ...). A transient
// failure (network, 5xx) returns a *PollRetryError: the caller schedules the
// next poll no earlier than its NextPollAt. A done ctx returns ctx's error.
func (s *LoginService) Poll(ctx context.Context, authReqID string, interval time.Duration) (*PollResult, error) {
	const op = "vipps login poll"
	if authReqID == "" {
		return nil, invalid(op, "empty auth_req_id")
	}
	if interval <= 0 {
		interval = defaultPollInterval
	}
	f := url.Values{}
	f.Set("grant_type", "urn:openid:params:grant-type:ciba")
	f.Set("auth_req_id", authReqID)
	s.clientForm(f)
	cl := formCall(op, s.tokenEndpoint(), f)
	cl.safe, cl.no429Retry, cl.single = true, true, true
	rep, err := s.c.raw(ctx, cl)
	now := s.c.clock.Now()
	if err != nil {
		if ctx.Err() == nil && IsRetryable(err) {
			wait := interval
			var rl *RateLimitError
			if errors.As(err, &rl) {
				wait = max(wait, rl.RetryAfter)
			}
			return nil, &PollRetryError{Op: op, NextPollAt: now.Add(wait), Err: err}
		}
		return nil, err
	}
	switch {
	case rep.status == http.StatusOK:
		var r struct {
			AccessToken string    `json:"access_token"`
			IDToken     string    `json:"id_token"`
			ExpiresIn   flexInt64 `json:"expires_in"`
			Scope       string    `json:"scope"`
		}
		if err := jsonDecode(rep.body, &r); err != nil || r.AccessToken == "" {
			return nil, fmt.Errorf("%s: malformed token response", op)
		}
		tok := &LoginToken{AccessToken: r.AccessToken, IDToken: r.IDToken, Scope: r.Scope,
			ExpiresAt: now.Add(time.Duration(r.ExpiresIn) * time.Second)}
		return &PollResult{Token: tok, Interval: interval, NextPollAt: now}, nil
	case rep.status == http.StatusTooManyRequests:
		wait := max(parseRetryAfter(rep.header.Get("Retry-After"), now), interval)
		return &PollResult{Interval: interval, NextPollAt: now.Add(wait)}, nil
	case rep.status >= 500:
		// Checked before the OAuth error body: a 5xx never ends the login.
		wait := max(parseRetryAfter(rep.header.Get("Retry-After"), now), interval)
		return nil, &PollRetryError{Op: op, NextPollAt: now.Add(wait), Err: decodeError(op, rep.status, rep.header, rep.body, now)}
	}
	le := parseOAuthError(op, rep.status, rep.body)
	if le == nil {
		return nil, decodeError(op, rep.status, rep.header, rep.body, now)
	}
	switch le.Code {
	case "authorization_pending":
		return &PollResult{Interval: interval, NextPollAt: now.Add(interval)}, nil
	case "slow_down":
		interval += slowDownStep
		return &PollResult{Interval: interval, NextPollAt: now.Add(interval)}, nil
	}
	return nil, le
}

// maxPollBackoff caps Wait's backoff after failed polls (unless the
// interval itself is longer).
const maxPollBackoff = time.Minute

// pollBackoff is Wait's pause after the n-th failed poll in a row:
// interval×2ⁿ, capped at maxPollBackoff or the interval if longer.
func pollBackoff(interval time.Duration, n int) time.Duration {
	limit := max(interval, maxPollBackoff)
	d := interval
	for i := 0; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Wait polls until the user answers, the login expires or ctx is done,
// sleeping on the client's clock between polls. The first poll comes one
// interval after the call, and polls are never closer than the interval
// (or Retry-After). After a failed poll (*PollRetryError) it waits
// interval×2ⁿ for the n-th failure in a row (at most a minute, or the
// interval if longer) and tries again; other errors end it.
func (s *LoginService) Wait(ctx context.Context, start *LoginStart) (*LoginToken, error) {
	const op = "vipps login wait"
	if start == nil {
		return nil, invalid(op, "nil login start")
	}
	c := s.c
	interval := start.Interval
	if interval <= 0 {
		interval = defaultPollInterval
	}
	now := c.clock.Now()
	var deadline time.Time
	if start.ExpiresIn > 0 {
		deadline = now.Add(start.ExpiresIn)
	}
	next := now.Add(interval)
	failures := 0
	for {
		if err := c.sleep(ctx, next.Sub(c.clock.Now())); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		res, err := s.Poll(ctx, start.AuthReqID, interval)
		now := c.clock.Now()
		var retry *PollRetryError
		switch {
		case errors.As(err, &retry):
			failures++
			next = now.Add(pollBackoff(interval, failures))
			if !deadline.IsZero() && next.After(deadline) {
				next = deadline // only our own backoff is cut short
			}
			if next.Before(retry.NextPollAt) {
				next = retry.NextPollAt
			}
		case err != nil:
			return nil, err
		case res.Token != nil:
			return res.Token, nil
		default:
			failures = 0
			interval, next = res.Interval, res.NextPollAt
		}
		if !deadline.IsZero() && !now.Before(deadline) {
			return nil, &LoginError{Op: op, Code: "expired_token", Description: "no answer before the login expired"}
		}
	}
}

// UserInfo reads the profile of a logged-in user with the user's token
// (GET /vipps-userinfo-api/userinfo). Only consented claims are present.
func (s *LoginService) UserInfo(ctx context.Context, tok *LoginToken) (*UserInfo, error) {
	const op = "vipps login userinfo"
	if tok == nil || tok.AccessToken == "" {
		return nil, invalid(op, "no login token")
	}
	d, err := s.endpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var ui UserInfo
	if _, err := s.c.send(ctx, call{op: op, method: http.MethodGet, url: d.UserinfoEndpoint, auth: authUser, userToken: tok.AccessToken}, &ui); err != nil {
		return nil, err
	}
	return &ui, nil
}

// UserExists asks whether the phone number has a Vipps MobilePay account
// that can log in (POST /vipps-login-ciba/api/v1/user-exists). A lookup,
// so safe to retry.
func (s *LoginService) UserExists(ctx context.Context, phoneNumber string) (bool, error) {
	const op = "vipps login user-exists"
	if !msisdnPattern.MatchString(phoneNumber) {
		return false, invalid(op, "phone number must be 8-15 digits with country code")
	}
	f := url.Values{}
	f.Set("login_hint", "urn:msisdn:"+phoneNumber)
	s.clientForm(f)
	cl := formCall(op, s.c.url("/vipps-login-ciba/api/v1/user-exists"), f)
	cl.safe = true
	var r struct {
		Exists bool `json:"exists"`
	}
	rep, err := s.c.raw(ctx, cl)
	if err != nil {
		return false, err
	}
	if rep.status != http.StatusOK {
		if le := parseOAuthError(op, rep.status, rep.body); le != nil && rep.status != http.StatusTooManyRequests {
			return false, le
		}
		return false, decodeError(op, rep.status, rep.header, rep.body, s.c.clock.Now())
	}
	if err := jsonDecode(rep.body, &r); err != nil {
		return false, fmt.Errorf("%s: malformed response", op)
	}
	return r.Exists, nil
}
