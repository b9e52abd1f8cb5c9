package vippstest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

const tokenPath = "/access-management-1.0/access/oauth2/token"

func (e *env) backchannel(phone, scope string, extra ...string) answer {
	e.t.Helper()
	kv := append([]string{"login_hint", "urn:msisdn:" + phone, "scope", scope}, extra...)
	return e.do("POST", "/vipps-login-ciba/api/backchannel/authentication", form(kv...), basic()...)
}

func (e *env) startLogin(phone, scope string, extra ...string) string {
	e.t.Helper()
	a := e.backchannel(phone, scope, extra...)
	if a.status != 200 {
		e.t.Fatalf("backchannel: %d %s", a.status, a.body)
	}
	m := a.json(e.t)
	if m["interval"] != float64(5) {
		e.t.Fatalf("interval: %s", a.body)
	}
	return m["auth_req_id"].(string)
}

func (e *env) poll(id string) answer {
	e.t.Helper()
	return e.do("POST", tokenPath, form("grant_type", cibaGrantType, "auth_req_id", id), basic()...)
}

// oauthErr returns the error code of an OAuth error answer ("" on 200).
func oauthErr(t *testing.T, a answer) string {
	t.Helper()
	if a.status == 200 {
		return ""
	}
	e, _ := a.json(t)["error"].(string)
	return e
}

func TestLoginApproveFlow(t *testing.T) {
	e := start(t)
	id := e.startLogin(PersonaApprove, "openid name address", "binding_message", "AB-123")
	if got := oauthErr(t, e.poll(id)); got != "authorization_pending" {
		t.Fatalf("first poll: %s", got)
	}
	e.clock.Advance(5 * time.Second)
	p := e.poll(id)
	if p.status != 200 {
		t.Fatalf("poll after approval: %d %s", p.status, p.body)
	}
	m := p.json(t)
	if m["token_type"] != "Bearer" || m["expires_in"] != float64(300) || m["scope"] != "openid name address" {
		t.Fatalf("token answer: %s", p.body)
	}
	verifyIDToken(t, e, m["id_token"].(string))
	if got := oauthErr(t, func() answer { e.clock.Advance(5 * time.Second); return e.poll(id) }()); got != "invalid_grant" {
		t.Fatalf("second redemption: %s, want invalid_grant", got)
	}
}

// verifyIDToken checks the RS256 signature with the served JWKS.
func verifyIDToken(t *testing.T, e *env, tok string) {
	t.Helper()
	var set struct {
		Keys []struct{ Kid, Alg, N, E string } `json:"keys"`
	}
	if err := json.Unmarshal(e.do("GET", "/access-management-1.0/access/.well-known/jwks.json", "").body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("jwks: %v", err)
	}
	k := set.Keys[0]
	n, _ := b64.DecodeString(k.N)
	ex, _ := b64.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(ex).Int64())}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token is not a JWT")
	}
	sig, _ := b64.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("id_token signature: %v", err)
	}
	payload, _ := b64.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	if claims["sub"] != subFor(DefaultMSN, PersonaApprove) || !strings.HasSuffix(claims["iss"].(string), "/access-management-1.0/access/") {
		t.Fatalf("claims: %v", claims)
	}
}

func TestDiscovery(t *testing.T) {
	e := start(t)
	a := e.do("GET", "/access-management-1.0/access/.well-known/openid-configuration", "")
	if a.status != 200 || a.header.Get("Cache-Control") != "max-age=3600" {
		t.Fatalf("%d %v", a.status, a.header)
	}
	m := a.json(t)
	if m["backchannel_authentication_endpoint"] != e.srv.URL+"/vipps-login-ciba/api/backchannel/authentication" ||
		m["token_endpoint"] != e.srv.URL+tokenPath {
		t.Fatalf("endpoints not absolute on the server's base URL: %s", a.body)
	}
}

func TestCIBAErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func(e *env) answer
		want string // OAuth error
	}{
		{"pending until the user answers", func(e *env) answer {
			return e.poll(e.startLogin(PersonaIgnore, "openid"))
		}, "authorization_pending"},
		{"slow_down when polled sooner than interval", func(e *env) answer {
			id := e.startLogin(PersonaIgnore, "openid")
			e.poll(id)
			e.clock.Advance(4 * time.Second)
			return e.poll(id)
		}, "slow_down"},
		{"slow_down adds 5 s to the interval", func(e *env) answer {
			id := e.startLogin(PersonaIgnore, "openid")
			e.poll(id)
			e.clock.Advance(time.Second)
			e.poll(id) // slow_down: interval is now 10 s
			e.clock.Advance(5 * time.Second)
			return e.poll(id)
		}, "slow_down"},
		{"interval honoured after slow_down passes", func(e *env) answer {
			id := e.startLogin(PersonaIgnore, "openid")
			e.poll(id)
			e.clock.Advance(time.Second)
			e.poll(id)
			e.clock.Advance(10 * time.Second)
			return e.poll(id)
		}, "authorization_pending"},
		{"access_denied when the user declines", func(e *env) answer {
			id := e.startLogin(PersonaReject, "openid")
			e.clock.Advance(2 * time.Second)
			return e.poll(id)
		}, "access_denied"},
		{"expired_token after the request expires", func(e *env) answer {
			id := e.startLogin(PersonaIgnore, "openid", "requested_expiry", "60")
			e.clock.Advance(60 * time.Second)
			return e.poll(id)
		}, "expired_token"},
		{"expired_token when the user answers too late", func(e *env) answer {
			e.srv.AddUser(User{PhoneNumber: "4799999999", Behaviour: BehaviourApprove, Delay: 2 * time.Minute})
			id := e.startLogin("4799999999", "openid", "requested_expiry", "60")
			e.clock.Advance(3 * time.Minute)
			return e.poll(id)
		}, "expired_token"},
		{"expired_token when an approved request is redeemed too late", func(e *env) answer {
			id := e.startLogin(PersonaApprove, "openid", "requested_expiry", "60")
			e.clock.Advance(60 * time.Second)
			return e.poll(id)
		}, "expired_token"},
		{"invalid_grant for an unknown auth_req_id", func(e *env) answer {
			return e.poll("00000000-0000-0000-0000-000000000000")
		}, "invalid_grant"},
		{"invalid_grant for another client's auth_req_id", func(e *env) answer {
			id := e.startLogin(PersonaApprove, "openid")
			e.srv.AddSalesUnit(SalesUnit{MSN: "654321", ClientID: "other", ClientSecret: "other-secret", SubscriptionKey: "k"})
			e.clock.Advance(5 * time.Second)
			req, _ := http.NewRequest("GET", "/", nil)
			req.SetBasicAuth("other", "other-secret")
			return e.do("POST", tokenPath, form("grant_type", cibaGrantType, "auth_req_id", id), "Authorization", req.Header.Get("Authorization"))
		}, "invalid_grant"},
		{"invalid_client for a wrong secret", func(e *env) answer {
			return e.do("POST", tokenPath, form("grant_type", cibaGrantType, "auth_req_id", "x", "client_id", DefaultClientID, "client_secret", "wrong"))
		}, "invalid_client"},
		{"unsupported_grant_type for other grants", func(e *env) answer {
			return e.do("POST", tokenPath, form("grant_type", "client_credentials"), basic()...)
		}, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			a := tc.run(e)
			if got := oauthErr(t, a); got != tc.want {
				t.Fatalf("error %q, want %q (%d %s)", got, tc.want, a.status, a.body)
			}
			if a.status != 400 && a.status != 401 {
				t.Fatalf("status %d, want 400/401", a.status)
			}
		})
	}
}

func TestCIBAEarlyPollsCounted(t *testing.T) {
	e := start(t)
	id := e.startLogin(PersonaIgnore, "openid")
	e.poll(id)
	e.poll(id)
	st := e.srv.Stats()
	if st.EarlyPolls != 1 || st.TokenPolls != 2 || st.BackchannelRequests != 1 || st.Requests["POST "+tokenPath] != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBackchannelRefusals(t *testing.T) {
	tests := []struct {
		name       string
		phone      string
		extra      []string
		scope      string
		wantStatus int
		wantError  string
		wantCode   string
	}{
		{"old app is refused with error_code old_app", PersonaOldApp, nil, "openid", 400, "invalid_request", "old_app"},
		{"invalid user is refused with error_code invalid_user", PersonaInvalidUser, nil, "openid", 400, "unknown_user_id", "invalid_user"},
		{"unknown number is refused with error_code invalid_user", "4700000000", nil, "openid", 400, "unknown_user_id", "invalid_user"},
		{"scope without openid is refused", PersonaApprove, nil, "name", 400, "invalid_scope", ""},
		{"lower-case binding_message is refused", PersonaApprove, []string{"binding_message", "ab-123"}, "openid", 400, "invalid_binding_message", ""},
		{"too long binding_message is refused", PersonaApprove, []string{"binding_message", "ABCDEFGHI"}, "openid", 400, "invalid_binding_message", ""},
		{"requested_expiry below 60 is refused", PersonaApprove, []string{"requested_expiry", "59"}, "openid", 400, "invalid_request", ""},
		{"requested_expiry above 900 is refused", PersonaApprove, []string{"requested_expiry", "901"}, "openid", 400, "invalid_request", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			a := e.backchannel(tc.phone, tc.scope, tc.extra...)
			if a.status != tc.wantStatus {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			m := a.json(t)
			if m["error"] != tc.wantError || (tc.wantCode != "" && m["error_code"] != tc.wantCode) {
				t.Fatalf("got %s", a.body)
			}
		})
	}
	t.Run("second concurrent login of the same user gets 429 with Retry-After", func(t *testing.T) {
		e := start(t)
		e.startLogin(PersonaIgnore, "openid", "requested_expiry", "120")
		e.clock.Advance(20 * time.Second)
		a := e.backchannel(PersonaIgnore, "openid")
		if a.status != 429 || a.header.Get("Retry-After") != "100" {
			t.Fatalf("got %d Retry-After=%q %s", a.status, a.header.Get("Retry-After"), a.body)
		}
		e.clock.Advance(100 * time.Second)
		if a := e.backchannel(PersonaIgnore, "openid"); a.status != 200 {
			t.Fatalf("after the first expired: %d %s", a.status, a.body)
		}
	})
}

func TestLoginClientAuthentication(t *testing.T) {
	e := start(t)
	e.srv.AddSalesUnit(SalesUnit{MSN: "222222", ClientID: "post-client", ClientSecret: "post-secret", SubscriptionKey: "post-key", LoginAuthMethod: "client_secret_post"})
	e.srv.AddPartner(Partner{ClientID: "partner", ClientSecret: "partner-secret", SubscriptionKey: "partner-key", MSNs: []string{DefaultMSN}})
	partnerTok := e.do("POST", "/accesstoken/get", "", "client_id", "partner", "client_secret", "partner-secret", "Ocp-Apim-Subscription-Key", "partner-key").json(t)["access_token"].(string)
	postReq, _ := http.NewRequest("GET", "/", nil)
	postReq.SetBasicAuth("post-client", "post-secret")
	creds := func(kv ...string) []string { return kv }
	tests := []struct {
		name    string
		body    []string
		headers []string
		want    int
	}{
		{"client_secret_basic accepted for a basic unit", nil, basic(), 200},
		{"client_secret_post accepted for a post unit", creds("client_id", "post-client", "client_secret", "post-secret"), nil, 200},
		{"client_secret_basic refused for a post unit", nil, []string{"Authorization", postReq.Header.Get("Authorization")}, 401},
		{"client_secret_post refused for a basic unit", creds("client_id", DefaultClientID, "client_secret", DefaultClientSecret), nil, 401},
		{"partner token with the merchant's MSN accepted", nil, []string{"Authorization", "Bearer " + partnerTok, "Merchant-Serial-Number", DefaultMSN}, 200},
		{"partner token without MSN refused", nil, []string{"Authorization", "Bearer " + partnerTok}, 401},
		{"wrong secret refused", creds("client_id", "post-client", "client_secret", "wrong"), nil, 401},
		{"no client authentication refused", nil, nil, 401},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			phone := fmt.Sprintf("479000%04d", i) // a user of its own: no login in progress
			e.srv.AddUser(User{PhoneNumber: phone, Behaviour: BehaviourIgnore})
			body := append([]string{"login_hint", "urn:msisdn:" + phone, "scope", "openid"}, tc.body...)
			a := e.do("POST", "/vipps-login-ciba/api/backchannel/authentication", form(body...), tc.headers...)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d: %s", a.status, tc.want, a.body)
			}
			if tc.want == 401 && oauthErr(t, a) != "invalid_client" {
				t.Fatalf("error: %s", a.body)
			}
		})
	}
}

func TestUserExists(t *testing.T) {
	e := start(t)
	for phone, want := range map[string]bool{PersonaApprove: true, PersonaInvalidUser: false, "4700000000": false} {
		a := e.do("POST", "/vipps-login-ciba/api/v1/user-exists", form("login_hint", "urn:msisdn:"+phone), basic()...)
		if a.status != 200 || a.json(t)["exists"] != want {
			t.Errorf("%s: %d %s, want exists=%v", phone, a.status, a.body, want)
		}
	}
}

func TestUserInfoOnlyConsentedClaims(t *testing.T) {
	tests := []struct {
		scope   string
		present []string
		absent  []string
	}{
		{"openid", []string{"sub"}, []string{"name", "email", "address", "phone_number", "birthdate", "nin", "delegatedConsents"}},
		{"openid name", []string{"sub", "name", "given_name", "family_name"}, []string{"email", "address"}},
		{"openid email", []string{"email", "email_verified"}, []string{"name"}},
		{"openid phoneNumber", []string{"phone_number", "phone_number_verified"}, []string{"email"}},
		{"openid address", []string{"address", "other_addresses"}, []string{"name"}},
		{"openid birthDate nin", []string{"birthdate", "nin"}, []string{"address"}},
		{"openid delegatedConsents", []string{"delegatedConsents"}, []string{"email"}},
	}
	for _, tc := range tests {
		t.Run(tc.scope, func(t *testing.T) {
			e := start(t)
			id := e.startLogin(PersonaApprove, tc.scope)
			e.clock.Advance(2 * time.Second)
			tok := e.poll(id).json(t)["access_token"].(string)
			a := e.do("GET", "/vipps-userinfo-api/userinfo", "", "Authorization", "Bearer "+tok)
			if a.status != 200 {
				t.Fatalf("%d %s", a.status, a.body)
			}
			m := a.json(t)
			for _, k := range tc.present {
				if _, ok := m[k]; !ok {
					t.Errorf("claim %s missing", k)
				}
			}
			for _, k := range tc.absent {
				if _, ok := m[k]; ok {
					t.Errorf("claim %s present without consent", k)
				}
			}
			if tc.scope == "openid address" {
				addr := m["address"].(map[string]any)
				if !strings.Contains(addr["street_address"].(string), "\n") || addr["country"] != "NO" {
					t.Errorf("address: %v", addr)
				}
			}
		})
	}
	t.Run("refused without Bearer or after expiry", func(t *testing.T) {
		e := start(t)
		id := e.startLogin(PersonaApprove, "openid")
		e.clock.Advance(2 * time.Second)
		tok := e.poll(id).json(t)["access_token"].(string)
		if a := e.do("GET", "/vipps-userinfo-api/userinfo", "", "Authorization", tok); a.status != 401 {
			t.Fatalf("without Bearer word: %d", a.status)
		}
		e.clock.Advance(300 * time.Second)
		if a := e.do("GET", "/vipps-userinfo-api/userinfo", "", "Authorization", "Bearer "+tok); a.status != 401 {
			t.Fatalf("expired: %d", a.status)
		}
	})
}
