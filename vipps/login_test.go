package vipps_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func TestLoginPollStepThenUserInfo(t *testing.T) {
	ctx := context.Background()
	for _, method := range []string{vipps.AuthClientSecretBasic, vipps.AuthClientSecretPost} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, nil, func(c *vipps.Config) {
				c.LoginAuthMethod = method
				c.MSN, c.ClientID, c.ClientSecret, c.SubscriptionKey = "223344", "cid-"+method, "secret-"+method, "sub-"+method
			})
			e.sim.AddSalesUnit(vippstest.SalesUnit{MSN: "223344", ClientID: "cid-" + method, ClientSecret: "secret-" + method,
				SubscriptionKey: "sub-" + method, LoginAuthMethod: method})
			start, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove,
				Scopes: []string{"name", "email", "address", "birthDate", "phoneNumber", "delegatedConsents"}, BindingMessage: "4MZ-CQ3"})
			if err != nil {
				t.Fatal(err)
			}
			if start.AuthReqID == "" || start.Interval != 5*time.Second || start.ExpiresIn <= 0 {
				t.Fatalf("start = %+v", start)
			}
			e.advance(time.Second)
			res, err := e.client.Login.Poll(ctx, start.AuthReqID, start.Interval)
			if err != nil {
				t.Fatal(err)
			}
			if res.Token != nil || res.Interval != 5*time.Second || !res.NextPollAt.Equal(e.cliClock.Now().Add(5*time.Second)) {
				t.Fatalf("pending poll = %+v", res)
			}
			e.advance(5 * time.Second)
			res, err = e.client.Login.Poll(ctx, start.AuthReqID, res.Interval)
			if err != nil {
				t.Fatal(err)
			}
			if res.Token == nil || res.Token.AccessToken == "" || res.Token.IDToken == "" {
				t.Fatalf("no token after approval: %+v", res)
			}
			ui, err := e.client.Login.UserInfo(ctx, res.Token)
			if err != nil {
				t.Fatal(err)
			}
			if ui.Sub == "" || ui.GivenName == "" || ui.Address == nil || !strings.Contains(ui.Address.StreetAddress, "\n") ||
				ui.EmailVerified == nil || !*ui.EmailVerified || ui.BirthDate == "" || ui.DelegatedConsents == nil {
				t.Fatalf("profile incomplete: %+v", ui)
			}
			if ui.NIN != "" {
				t.Fatal("nin returned without the nin scope")
			}
		})
	}
}

func TestLoginUserInfoOnlyConsentedClaims(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	start, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaDanish, Scopes: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(5 * time.Second)
	res, err := e.client.Login.Poll(ctx, start.AuthReqID, start.Interval)
	if err != nil || res.Token == nil {
		t.Fatalf("poll: %v %+v", err, res)
	}
	ui, err := e.client.Login.UserInfo(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if ui.Name == "" || ui.Email != "" || ui.Address != nil {
		t.Fatalf("want only name claims, got %+v", ui)
	}
}

func TestLoginWaitBlocksUntilApproval(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	start, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove, Scopes: []string{"name"}})
	if err != nil {
		t.Fatal(err)
	}
	e.drive(t)
	tok, err := e.client.Login.Wait(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" {
		t.Fatal("empty token")
	}
	if st := e.sim.Stats(); st.EarlyPolls != 0 {
		t.Fatalf("Wait polled faster than interval: %d slow_down answers", st.EarlyPolls)
	}
}

func TestLoginWaitEndsOnContext(t *testing.T) {
	e := newEnv(t, nil, nil)
	start, err := e.client.Login.Start(context.Background(), vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.client.Login.Wait(ctx, start); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestLoginErrorTable covers every CIBA outcome the connector branches on.
func TestLoginErrorTable(t *testing.T) {
	ctx := context.Background()
	type outcome func(t *testing.T, e *env) error
	startThenPoll := func(phone string, wait time.Duration) outcome {
		return func(t *testing.T, e *env) error {
			st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: phone})
			if err != nil {
				t.Fatal(err)
			}
			e.advance(wait)
			_, err = e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
			return err
		}
	}
	start := func(phone string) outcome {
		return func(t *testing.T, e *env) error {
			_, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: phone})
			return err
		}
	}
	tests := []struct {
		name string
		run  outcome
		want error
	}{
		{"access_denied when the user declines", startThenPoll(vippstest.PersonaReject, 5*time.Second), vipps.ErrAccessDenied},
		{"expired_token after the request expires", startThenPoll(vippstest.PersonaIgnore, 11*time.Minute), vipps.ErrExpiredToken},
		{"invalid_grant for an unknown auth_req_id", func(t *testing.T, e *env) error {
			_, err := e.client.Login.Poll(ctx, "no-such-request", 5*time.Second)
			return err
		}, vipps.ErrInvalidGrant},
		{"invalid_grant when the token was already redeemed", func(t *testing.T, e *env) error {
			st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
			if err != nil {
				t.Fatal(err)
			}
			e.advance(5 * time.Second)
			if r, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval); err != nil || r.Token == nil {
				t.Fatalf("first redeem: %v", err)
			}
			e.advance(5 * time.Second)
			_, err = e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
			return err
		}, vipps.ErrInvalidGrant},
		{"old_app at start", start(vippstest.PersonaOldApp), vipps.ErrOldApp},
		{"invalid_user at start", start(vippstest.PersonaInvalidUser), vipps.ErrInvalidUser},
		{"invalid_client with wrong keys", func(t *testing.T, e *env) error {
			e.sim.AddSalesUnit(vippstest.SalesUnit{MSN: "654321", ClientID: "x", ClientSecret: "right", SubscriptionKey: "k"})
			c, err := vipps.New(vipps.Config{BaseURL: e.sim.URL, MSN: "654321", ClientID: "x", ClientSecret: "wrong", SubscriptionKey: "k"},
				vipps.WithClock(e.cliClock))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
			return err
		}, vipps.ErrInvalidClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			err := tt.run(t, e)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var le *vipps.LoginError
			if !errors.As(err, &le) || le.Status < 400 {
				t.Fatalf("err %v is not a *LoginError with status", err)
			}
		})
	}
}

func TestLoginPollSchedule(t *testing.T) {
	ctx := context.Background()
	t.Run("slow_down adds five seconds to the interval", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore})
		if err != nil {
			t.Fatal(err)
		}
		e.advance(5 * time.Second)
		if _, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval); err != nil {
			t.Fatal(err)
		}
		e.advance(time.Second) // too early
		res, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
		if err != nil {
			t.Fatal(err)
		}
		if res.Interval != 10*time.Second || !res.NextPollAt.Equal(e.cliClock.Now().Add(10*time.Second)) {
			t.Fatalf("after slow_down: %+v", res)
		}
	})
	t.Run("authorization_pending keeps the interval", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			e.advance(st.Interval)
			res, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
			if err != nil || res.Token != nil || res.Interval != st.Interval {
				t.Fatalf("pending poll: %v %+v", err, res)
			}
		}
	})
	t.Run("429 on the token endpoint honours Retry-After", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore})
		if err != nil {
			t.Fatal(err)
		}
		e.sim.InjectFault(vippstest.Fault{Method: "POST", PathPrefix: "/access-management-1.0/access/oauth2/token", Status: 429, RetryAfter: 30 * time.Second, Times: 1})
		e.advance(5 * time.Second)
		res, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
		if err != nil {
			t.Fatal(err)
		}
		if res.Token != nil || !res.NextPollAt.Equal(e.cliClock.Now().Add(30*time.Second)) {
			t.Fatalf("after 429: %+v (now %s)", res, e.cliClock.Now())
		}
	})
	t.Run("429 at start when the user already has a login in progress", func(t *testing.T) {
		e := newEnv(t, nil, nil)
		if _, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore}); err != nil {
			t.Fatal(err)
		}
		_, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaIgnore})
		var rl *vipps.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("err = %v, want *RateLimitError", err)
		}
		if st := e.sim.Stats(); st.BackchannelRequests != 2 {
			t.Fatalf("backchannel requests = %d, want 2 (no retry of a login start)", st.BackchannelRequests)
		}
	})
}

func TestLoginStartValidation(t *testing.T) {
	c, err := vipps.New(vipps.Config{BaseURL: "http://127.0.0.1:1", ClientID: "a", ClientSecret: "b", SubscriptionKey: "c"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  vipps.LoginRequest
	}{
		{"phone number must be digits", vipps.LoginRequest{PhoneNumber: "+47 912 34 567"}},
		{"binding message pattern", vipps.LoginRequest{PhoneNumber: "4791234567", BindingMessage: "abc"}},
		{"binding message too long", vipps.LoginRequest{PhoneNumber: "4791234567", BindingMessage: "ABCDEFGHI"}},
		{"requested expiry below 60 s", vipps.LoginRequest{PhoneNumber: "4791234567", RequestedExpiry: 30 * time.Second}},
		{"requested expiry above 900 s", vipps.LoginRequest{PhoneNumber: "4791234567", RequestedExpiry: 901 * time.Second}},
		{"malformed scope", vipps.LoginRequest{PhoneNumber: "4791234567", Scopes: []string{"name email"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Login.Start(context.Background(), tt.req); !errors.Is(err, vipps.ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
}

func TestUserExists(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, tt := range []struct {
		phone string
		want  bool
	}{{vippstest.PersonaApprove, true}, {"4799999999", false}} {
		got, err := e.client.Login.UserExists(context.Background(), tt.phone)
		if err != nil || got != tt.want {
			t.Fatalf("UserExists = %v, %v; want %v", got, err, tt.want)
		}
	}
}
