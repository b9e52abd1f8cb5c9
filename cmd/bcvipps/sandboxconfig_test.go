package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func testSandboxEnv(dir string) sandboxEnv {
	return sandboxEnv{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", DataDir: dir, CAFile: dir + "/ca.pem",
		BCURL: "http://127.0.0.1:8082", AuthorityURL: "https://127.0.0.1:8443/", NPRetailURL: "http://127.0.0.1:8082/npretail",
		VippsBaseURL: "http://127.0.0.1:8081", PublicBaseURL: "http://127.0.0.1:8080", APIKeyHash: connector.HashAPIKey("sandbox"), LogLevel: "info", LogFormat: "json"}
}

func TestSandboxConfig(t *testing.T) {
	dir := t.TempDir()
	data, cfg, err := sandboxConfigYAML(testSandboxEnv(dir))
	if err != nil {
		t.Fatalf("the sandbox configuration does not pass serve's loading: %v", err)
	}
	reloaded, err := config.LoadFromBytes(data)
	if err != nil {
		t.Fatalf("the written YAML does not load: %v", err)
	}
	tn := reloaded.Tenants[0]
	checks := []struct {
		rule      string
		got, want any
	}{
		{"the API key hash is the configured one", tn.APIKeys[0].SHA256, connector.HashAPIKey("sandbox")},
		{"BC points at the simulator's v2.0 root", tn.BusinessCentral.BaseURL, "http://127.0.0.1:8082/v2.0"},
		{"BC authenticates with the demo app", tn.BusinessCentral.Auth.ClientID, bctest.DemoClientID},
		{"BC uses the simulated authority", tn.BusinessCentral.Auth.AuthorityHost, "https://127.0.0.1:8443/"},
		{"BC company is the demo company", tn.BusinessCentral.CompanyID, bctest.DemoCompanyID},
		{"NP Retail base includes tenant, environment and company", tn.NPRetail.BaseURL,
			"http://127.0.0.1:8082/npretail/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyID},
		{"Vipps is the test environment", tn.Vipps.Environment, config.VippsTest},
		{"Vipps calls go to the base URL", tn.Vipps.BaseURL, "http://127.0.0.1:8081"},
		{"the default sales unit is used", tn.Vipps.SalesUnits[0].MSN, vippstest.DefaultMSN},
		{"use cases get their defaults", len(tn.UseCases), 2},
		{"the store is SQLite in the data dir", reloaded.Store.DSN, "file:" + dir + "/bcvipps.db"},
		{"the CA file is trusted for upstream calls", reloaded.Upstream.CAFile, dir + "/ca.pem"},
		{"durations survive the YAML round trip", reloaded.Worker.LeaseDuration, 20 * time.Second},
		{"the sandbox runs on what it wrote", cfg.Worker.RetryBackoffMax, reloaded.Worker.RetryBackoffMax},
		{"webhooks go to the connector's loopback API (plain http passes validation)", reloaded.Server.PublicBaseURL, "http://127.0.0.1:8080"},
	}
	for _, c := range checks {
		t.Run(c.rule, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	t.Run("an invalid flag value is reported as a config problem", func(t *testing.T) {
		e := testSandboxEnv(dir)
		e.Listen = "no-port"
		if _, _, err := sandboxConfigYAML(e); err == nil || !strings.Contains(err.Error(), "server.listen") {
			t.Errorf("err = %v, want a problem naming server.listen", err)
		}
	})
}

func TestBannerLines(t *testing.T) {
	b := bannerInfo{APIURL: "http://127.0.0.1:8080", VippsURL: "http://127.0.0.1:8081", BCURL: "http://127.0.0.1:8082",
		APIKey: "it's a key"}
	l := tryLines(b)
	customer, member, bcLines, own, pay := l.customer, l.member, l.bcCustomers, l.ownUser, l.payment
	t.Run("the API key is quoted for the shell", func(t *testing.T) {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(b.APIKey)).Output()
		if err != nil || string(out) != b.APIKey {
			t.Fatalf("shell quoting: %q, %v", out, err)
		}
		if !strings.Contains(customer[0], shellQuote("Authorization: Bearer "+b.APIKey)) {
			t.Errorf("customer line does not carry the quoted key: %s", customer[0])
		}
	})
	t.Run("the customer line asks for the empty-address customer with the approving persona", func(t *testing.T) {
		if !strings.Contains(customer[0], `"customerNo":"`+bctest.DemoCustomerEmptyAddress+`"`) ||
			!strings.Contains(customer[0], personaPhone) {
			t.Errorf("customer line: %s", customer[0])
		}
		if !strings.Contains(customer[1], "?wait=30") {
			t.Errorf("GET line lacks the long-poll: %s", customer[1])
		}
	})
	t.Run("the member line posts to the member endpoint", func(t *testing.T) {
		if !strings.Contains(member[0], b.APIURL+"/v1/member-info-requests ") {
			t.Errorf("member line: %s", member[0])
		}
	})
	t.Run("the simulator lines use the control API", func(t *testing.T) {
		if bcLines[0] != "curl -s http://127.0.0.1:8082/_sim/customers" || !strings.Contains(own[0], "http://127.0.0.1:8081/_sim/users") {
			t.Errorf("lines: %v %v", bcLines, own)
		}
	})
	t.Run("the payment lines create, long-poll, capture and refund $PAY, then show BC's vippsPayments", func(t *testing.T) {
		if len(pay) != 5 {
			t.Fatalf("%d payment lines, want 5: %v", len(pay), pay)
		}
		checks := []struct {
			line int
			want []string
		}{
			{0, []string{"PAY=$(curl ", b.APIURL + "/v1/payments ", `"Idempotency-Key: pay-$(date +%s)"`, shellQuote(paymentBody), idFromJSON, `echo "$PAY"`}},
			{1, []string{b.APIURL + "/v1/payments/$PAY?wait=30"}},
			{2, []string{b.APIURL + "/v1/payments/$PAY/capture", `"Idempotency-Key: capture-$PAY"`, "-d '{}'"}},
			{3, []string{b.APIURL + "/v1/payments/$PAY/refund", `"Idempotency-Key: refund-$PAY"`, `-d '{"amount":10000}'`}},
		}
		for _, c := range checks {
			for _, w := range append(c.want, shellQuote("Authorization: Bearer "+b.APIKey)) {
				if !strings.Contains(pay[c.line], w) {
					t.Errorf("payment line %d lacks %s: %s", c.line, w, pay[c.line])
				}
			}
		}
		if pay[4] != "curl -s http://127.0.0.1:8082/_sim/entitysets/vippsPayments" {
			t.Errorf("BC line: %s", pay[4])
		}
		for _, l := range pay {
			if strings.Contains(l, "$ID") || strings.HasPrefix(l, "ID=") {
				t.Errorf("a payment line uses the login lines' $ID: %s", l)
			}
		}
	})
	t.Run("the banner prints the payment section only with the connector", func(t *testing.T) {
		var full, sims strings.Builder
		printBanner(&full, b)
		printBanner(&sims, bannerInfo{VippsURL: b.VippsURL, BCURL: b.BCURL, SimulatorsOnly: true, ConfigFile: "/x/serve.yaml"})
		for _, l := range pay {
			if !strings.Contains(full.String(), "  "+l+"\n") {
				t.Errorf("banner lacks %s", l)
			}
		}
		if !strings.Contains(full.String(), "# Payment at the till") || strings.Contains(sims.String(), "/v1/payments") {
			t.Errorf("payment section: with connector %v, simulators only %v",
				strings.Contains(full.String(), "# Payment at the till"), strings.Contains(sims.String(), "/v1/payments"))
		}
	})
	t.Run("the persona phone is the approving persona", func(t *testing.T) {
		if digits := strings.NewReplacer("+", "", " ", "").Replace(personaPhone); digits != vippstest.PersonaApprove {
			t.Errorf("%s is not %s", personaPhone, vippstest.PersonaApprove)
		}
	})
}

// TestBannerPaymentLinesInShell runs the printed payment lines in sh with
// curl against a stand-in API and checks what arrives: the headers
// (quoting of the key and of the generated Idempotency-Key), the bodies,
// and that the create line leaves the id in $PAY for the lines after it.
func TestBannerPaymentLinesInShell(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to check the printed lines: %v", err)
	}
	type seen struct{ method, path, auth, key, body string }
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), string(body)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"pay_abc123","reference":"bcv-x","status":"created","amount":29900}`)
	}))
	t.Cleanup(srv.Close)
	b := bannerInfo{APIURL: srv.URL, BCURL: srv.URL, VippsURL: srv.URL, APIKey: "it's a key"}
	pay := tryLines(b).payment
	out, err := exec.Command("sh", "-c", strings.Join(pay[:4], "\n")).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	if first, _, _ := strings.Cut(string(out), "\n"); first != "pay_abc123" {
		t.Errorf("the create line echoes %q, want the id pay_abc123", first)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4: %+v", len(got), got)
	}
	want := []seen{
		{method: "POST", path: "/v1/payments", body: paymentBody},
		{method: "GET", path: "/v1/payments/pay_abc123?wait=30"},
		{method: "POST", path: "/v1/payments/pay_abc123/capture", key: "capture-pay_abc123", body: "{}"},
		{method: "POST", path: "/v1/payments/pay_abc123/refund", key: "refund-pay_abc123", body: `{"amount":10000}`},
	}
	for i, w := range want {
		g := got[i]
		if g.method != w.method || g.path != w.path || g.body != w.body || g.auth != "Bearer "+b.APIKey {
			t.Errorf("request %d: %+v, want %+v with the API key", i, g, w)
		}
		if i == 0 {
			if !regexp.MustCompile(`^pay-[0-9]+$`).MatchString(g.key) {
				t.Errorf("create Idempotency-Key %q, want pay-<unix time>", g.key)
			}
		} else if g.key != w.key {
			t.Errorf("request %d: Idempotency-Key %q, want %q", i, g.key, w.key)
		}
	}
}

func TestLoopbackURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{":8080", "http://127.0.0.1:8080"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"[::]:8080", "http://[::1]:8080"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"localhost:8080", "http://localhost:8080"},
		{"127.0.0.1:0", ""},
		{"no-port", ""},
	}
	for _, tc := range tests {
		if got := loopbackURL(tc.addr); got != tc.want {
			t.Errorf("loopbackURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
