package vipps_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

var systemHeaders = []string{"Vipps-System-Name", "Vipps-System-Version", "Vipps-System-Plugin-Name", "Vipps-System-Plugin-Version"}

// TestSystemHeadersDefault: a client configured without plugin name and
// version (or without any System) still sends all four Vipps-System-*
// headers, non-empty, on the access-token, login, userinfo and ePayment
// calls.
func TestSystemHeadersDefault(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		sys  vipps.System
		want [4]string
	}{
		{"plugin name and version empty", vipps.System{Name: "bcvipps", Version: "1.0.0"},
			[4]string{"bcvipps", "1.0.0", vipps.DefaultPluginName, vipps.DefaultPluginVersion}},
		{"all empty", vipps.System{},
			[4]string{vipps.DefaultPluginName, vipps.DefaultPluginVersion, vipps.DefaultPluginName, vipps.DefaultPluginVersion}},
		{"all configured", vipps.System{Name: "acme-erp", Version: "25.1", PluginName: "acme-plugin", PluginVersion: "3.2"},
			[4]string{"acme-erp", "25.1", "acme-plugin", "3.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, tp := newTappedEnv(t, func(c *vipps.Config) { c.System = tt.sys })
			// Login (discovery, backchannel, token poll) and userinfo.
			st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove, Scopes: []string{"name"}})
			if err != nil {
				t.Fatal(err)
			}
			e.advance(st.Interval)
			res, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
			if err != nil || res.Token == nil {
				t.Fatalf("poll: %v %+v", err, res)
			}
			if _, err := e.client.Login.UserInfo(ctx, res.Token); err != nil {
				t.Fatal(err)
			}
			// ePayment, which first fetches a merchant access token.
			if _, err := e.client.EPayment.Create(ctx, "key-headers-1", pushPayment("headers-order-0001", 1000)); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, r := range tp.requests() {
				if strings.HasPrefix(r.path, "/_sim/") {
					continue
				}
				seen[r.method+" "+r.path] = true
				for i, h := range systemHeaders {
					if got := r.header.Values(h); len(got) != 1 || got[0] != tt.want[i] {
						t.Errorf("%s %s: %s = %q, want %q", r.method, r.path, h, got, tt.want[i])
					}
				}
			}
			for _, want := range []string{
				"POST /accesstoken/get",
				"POST /vipps-login-ciba/api/backchannel/authentication",
				"POST " + cibaTokenPath,
				"GET /vipps-userinfo-api/userinfo",
				"POST /epayment/v1/payments",
			} {
				if !seen[want] {
					t.Errorf("no %s call recorded; saw %v", want, seen)
				}
			}
		})
	}
}

// TestDefaultPluginVersion: the binary's build version is used as set at
// the time the client is made, trimmed and cut to the 30-character limit.
func TestDefaultPluginVersion(t *testing.T) {
	if vipps.DefaultPluginVersion == "" {
		t.Fatal("DefaultPluginVersion is empty")
	}
	saved := vipps.DefaultPluginVersion
	t.Cleanup(func() { vipps.DefaultPluginVersion = saved })
	for _, tt := range []struct{ set, want string }{
		{"1.4.2", "1.4.2"},
		{" 1.4.2\n", "1.4.2"},
		{"v0.0.0-20260301123456-abcdef123456", "v0.0.0-20260301123456-abcdef12"},
		{"", "dev"},
	} {
		vipps.DefaultPluginVersion = tt.set
		got := make(chan string, 1)
		srv := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			got <- r.Header.Get("Vipps-System-Plugin-Version")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"exists":true}`))
		})
		cfg := fakeConfig(srv)
		cfg.System.PluginVersion = ""
		c, err := vipps.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		vipps.DefaultPluginVersion = "changed-after-new"
		if _, err := c.Login.UserExists(context.Background(), vippstest.PersonaApprove); err != nil {
			t.Fatal(err)
		}
		if h := <-got; h != tt.want {
			t.Errorf("DefaultPluginVersion %q: header %q, want %q", tt.set, h, tt.want)
		}
	}
}
