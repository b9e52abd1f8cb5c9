package vippstest

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Run("status faults hit Times requests, then the endpoint answers", func(t *testing.T) {
		e := start(t)
		e.srv.InjectFault(Fault{Method: "POST", PathPrefix: "/accesstoken/", Status: 503, Times: 2})
		for range 2 {
			if a := e.do("POST", "/accesstoken/get", "", "client_id", DefaultClientID, "client_secret", DefaultClientSecret, "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey); a.status != 503 {
				t.Fatalf("status %d", a.status)
			}
		}
		e.token() // third request passes
		if st := e.srv.Stats(); st.FaultsInjected != 2 || st.TokenRequests != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
	t.Run("429 carries Retry-After", func(t *testing.T) {
		e := start(t)
		e.srv.InjectFault(Fault{PathPrefix: "/epayment/", Status: 429, RetryAfter: 7 * time.Second})
		a := e.do("GET", "/epayment/v1/payments/any-ref-123", "", e.merchant()...)
		if a.status != 429 || a.header.Get("Retry-After") != "7" {
			t.Fatalf("%d Retry-After=%q", a.status, a.header.Get("Retry-After"))
		}
		e.srv.ClearFaults()
		if a := e.do("GET", "/epayment/v1/payments/any-ref-123", "", e.merchant()...); a.status != 404 {
			t.Fatalf("after ClearFaults: %d", a.status)
		}
	})
	t.Run("dropped connections give the client a transport error", func(t *testing.T) {
		e := start(t)
		e.srv.InjectFault(Fault{PathPrefix: "/accesstoken/", Drop: true, Times: 1})
		req, _ := http.NewRequest("POST", e.srv.URL+"/accesstoken/get", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			t.Fatalf("got status %d, want a transport error", resp.StatusCode)
		}
	})
	t.Run("latency waits on the simulator clock", func(t *testing.T) {
		e := start(t)
		e.srv.InjectFault(Fault{PathPrefix: "/access-management-1.0/", Latency: 30 * time.Second, Times: 1})
		done := make(chan int, 1)
		go func() {
			resp, err := http.Get(e.srv.URL + "/access-management-1.0/access/.well-known/jwks.json")
			if err != nil {
				done <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			done <- resp.StatusCode
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("answered before the latency passed")
		default:
		}
		e.clock.Advance(30 * time.Second)
		if got := <-done; got != 200 {
			t.Fatalf("status %d after latency", got)
		}
	})
}

func TestControlAPI(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"add user", "POST", "/_sim/users", `{"phoneNumber":"4798765432","behaviour":"approve","delaySeconds":1,"profile":{"name":"Kari Nordmann","given_name":"Kari","family_name":"Nordmann"}}`, 201},
		{"user with bad behaviour is refused", "POST", "/_sim/users", `{"phoneNumber":"4798765432","behaviour":"maybe"}`, 400},
		{"user with bad phone is refused", "POST", "/_sim/users", `{"phoneNumber":"+47 987","behaviour":"approve"}`, 400},
		{"user with negative delay is refused", "POST", "/_sim/users", `{"phoneNumber":"4798765432","behaviour":"approve","delaySeconds":-1}`, 400},
		{"non-JSON is refused", "POST", "/_sim/users", `nope`, 400},
		{"add sales unit", "POST", "/_sim/sales-units", `{"msn":"777777","clientId":"c7","clientSecret":"s7","subscriptionKey":"k7"}`, 201},
		{"sales unit with bad msn is refused", "POST", "/_sim/sales-units", `{"msn":"12","clientId":"c","clientSecret":"s","subscriptionKey":"k"}`, 400},
		{"sales unit without keys is refused", "POST", "/_sim/sales-units", `{"msn":"1234"}`, 400},
		{"add fault", "POST", "/_sim/faults", `{"pathPrefix":"/qr/","status":500,"times":1}`, 201},
		{"fault without effect is refused", "POST", "/_sim/faults", `{"pathPrefix":"/qr/"}`, 400},
		{"clear faults", "DELETE", "/_sim/faults", "", 204},
		{"list users", "GET", "/_sim/users", "", 200},
		{"stats", "GET", "/_sim/stats", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(tc.method, tc.path, tc.body)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d: %s", a.status, tc.want, a.body)
			}
			if a.status == 400 && a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("bad input must be problem+json, got %q", a.header.Get("Content-Type"))
			}
		})
	}
	t.Run("the added user logs in with its behaviour and profile", func(t *testing.T) {
		id := e.startLogin("4798765432", "openid name")
		e.clock.Advance(time.Second)
		tok := e.poll(id).json(t)["access_token"].(string)
		if m := e.do("GET", "/vipps-userinfo-api/userinfo", "", "Authorization", "Bearer "+tok).json(t); m["given_name"] != "Kari" {
			t.Fatalf("userinfo %v", m)
		}
	})
	t.Run("the added sales unit gets tokens", func(t *testing.T) {
		if a := e.do("POST", "/accesstoken/get", "", "client_id", "c7", "client_secret", "s7", "Ocp-Apim-Subscription-Key", "k7"); a.status != 200 {
			t.Fatalf("status %d", a.status)
		}
	})
}

func TestSpecValidationCatchesViolations(t *testing.T) {
	if _, err := os.Stat(specDir); err != nil {
		t.Skipf("spec folder %s absent", specDir)
	}
	e := startRefusals(t)
	// A request that breaks the spec (reference too short) is recorded.
	e.create("k", pushPayment("short", PersonaApprove, 1000))
	if v := e.srv.SpecViolations(); len(v) == 0 {
		t.Fatal("a request violating the spec was not recorded")
	}
	t.Run("a missing spec folder is recorded, not ignored", func(t *testing.T) {
		s := New(WithSpecValidation(t.TempDir()))
		if len(s.SpecViolations()) == 0 {
			t.Fatal("empty spec folder not reported")
		}
	})
	t.Run("the spec folder loads without errors (remote Receipt ref resolved locally)", func(t *testing.T) {
		if v := New(WithSpecValidation(specDir)).SpecViolations(); len(v) != 0 {
			t.Fatalf("%v", v)
		}
	})
}
