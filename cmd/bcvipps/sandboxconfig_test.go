package main

import (
	"os/exec"
	"strings"
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
		VippsBaseURL: "http://127.0.0.1:8081", APIKeyHash: connector.HashAPIKey("sandbox"), LogLevel: "info", LogFormat: "json"}
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
	customer, member, bcLines, own := tryLines(b)
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
	t.Run("the persona phone is the approving persona", func(t *testing.T) {
		if digits := strings.NewReplacer("+", "", " ", "").Replace(personaPhone); digits != vippstest.PersonaApprove {
			t.Errorf("%s is not %s", personaPhone, vippstest.PersonaApprove)
		}
	})
}
