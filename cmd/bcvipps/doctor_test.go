package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// doctorPublicBaseURL is the publicBaseURL of the doctor tests' config.
const doctorPublicBaseURL = "http://127.0.0.1:18080"

// doctorSims starts the simulators in this process and returns the
// sandbox configuration pointing at them (with publicBaseURL), as YAML,
// and the Vipps simulator's URL.
func doctorSims(t *testing.T, publicBaseURL string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	vsim := vippstest.Start(t)
	bsim, err := newSandboxBC("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bsim.Close() })
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, bsim.AuthorityCAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	data, _, err := sandboxConfigYAML(sandboxEnv{
		Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", DataDir: dir, CAFile: caFile,
		BCURL: bsim.BCURL, AuthorityURL: bsim.AuthorityURL, NPRetailURL: bsim.NPRetailURL,
		VippsBaseURL: vsim.URL, PublicBaseURL: publicBaseURL,
		APIKeyHash: connector.HashAPIKey(sandboxAPIKey), LogLevel: "warn", LogFormat: "json",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(data), vsim.URL
}

func writeDoctorConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doctor.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lineWith returns the output line containing every part, or "".
func lineWith(out string, parts ...string) string {
	for l := range strings.Lines(out) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func TestDoctorGoodCredentials(t *testing.T) {
	yaml, vippsURL := doctorSims(t, doctorPublicBaseURL)
	path := writeDoctorConfig(t, yaml)

	out, errOut, err := runRoot(t, "doctor", "--config", path)
	if err != nil {
		t.Fatalf("doctor failed: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	for _, want := range [][]string{
		{"ok", "vipps sales unit " + vippstest.DefaultMSN + " access token"},
		{"ok", "vipps sales unit " + vippstest.DefaultMSN + " webhooks", "not registered yet"},
		{"ok", "business central entra token"},
		{"ok", "business central company", "customers readable"},
		{"ok", "np retail api key"},
		{"all 5 checks passed"},
	} {
		if lineWith(out, want...) == "" {
			t.Errorf("no line with %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a check failed:\n%s", out)
	}

	t.Run("a webhook registered for publicBaseURL is reported", func(t *testing.T) {
		c, err := vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: vippsURL, MSN: vippstest.DefaultMSN,
			ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret,
			SubscriptionKey: vippstest.DefaultSubscriptionKey})
		if err != nil {
			t.Fatal(err)
		}
		hook := payment.WebhookURL(doctorPublicBaseURL, sandboxTenant, vippstest.DefaultMSN)
		if _, err := c.Webhooks.Register(context.Background(), hook, []string{"epayments.payment.authorized.v1"}); err != nil {
			t.Fatal(err)
		}
		out, _, err := runRoot(t, "doctor", "--config", path)
		if err != nil {
			t.Fatalf("doctor failed: %v\n%s", err, out)
		}
		if lineWith(out, "ok", "webhooks", "registered for "+hook) == "" || strings.Contains(out, "not registered") {
			t.Errorf("registration not reported:\n%s", out)
		}
	})
}

func TestDoctorBadCredentials(t *testing.T) {
	yaml, _ := doctorSims(t, doctorPublicBaseURL)
	tests := []struct {
		name      string
		secret    string   // replaced in the YAML by a wrong value
		failing   []string // parts of the FAIL line
		todo      string   // in the FAIL line: what to do
		stillOK   []string // checks that must still pass
		skipped   string   // a check that cannot run without the failed one
		wantTotal string
	}{
		{
			name: "wrong Vipps client secret", secret: vippstest.DefaultClientSecret,
			failing: []string{"FAIL", "vipps sales unit " + vippstest.DefaultMSN + " access token"},
			todo:    "tenants[0].vipps.salesUnits[0]",
			stillOK: []string{"business central entra token", "business central company", "np retail api key"},
			skipped: "webhooks", wantTotal: "1 of 4 checks failed",
		},
		{
			name: "wrong BC client secret", secret: bctest.DemoClientSecret,
			failing: []string{"FAIL", "business central entra token"},
			todo:    "tenants[0].businessCentral.auth.clientId",
			stillOK: []string{"vipps sales unit " + vippstest.DefaultMSN + " access token", "webhooks", "np retail api key"},
			skipped: "business central company", wantTotal: "1 of 4 checks failed",
		},
		{
			name: "wrong NP Retail key", secret: bctest.DemoNPRetailAPIKey,
			failing:   []string{"FAIL", "np retail api key"},
			todo:      "tenants[0].npRetail.apiKey",
			stillOK:   []string{"vipps sales unit " + vippstest.DefaultMSN + " access token", "webhooks", "business central entra token", "business central company"},
			wantTotal: "1 of 5 checks failed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(yaml, tc.secret) != 1 {
				t.Fatalf("the secret occurs %d times in the config, want 1", strings.Count(yaml, tc.secret))
			}
			path := writeDoctorConfig(t, strings.Replace(yaml, tc.secret, "wrong-"+tc.secret, 1))
			out, _, err := runRoot(t, "doctor", "--config", path)
			if err == nil || !strings.Contains(err.Error(), tc.wantTotal) {
				t.Errorf("error %v, want %q", err, tc.wantTotal)
			}
			line := lineWith(out, tc.failing...)
			if line == "" {
				t.Fatalf("no line with %q in:\n%s", tc.failing, out)
			}
			if !strings.Contains(line, tc.todo) {
				t.Errorf("the FAIL line does not say what to check (%q): %s", tc.todo, line)
			}
			if strings.Contains(line, "wrong-"+tc.secret) {
				t.Errorf("the FAIL line shows the secret: %s", line)
			}
			if strings.Count(out, "FAIL") != 1 {
				t.Errorf("want exactly one failing check:\n%s", out)
			}
			for _, ok := range tc.stillOK {
				if lineWith(out, "ok", ok) == "" {
					t.Errorf("no ok line for %q:\n%s", ok, out)
				}
			}
			if tc.skipped != "" && lineWith(out, "skip", tc.skipped) == "" {
				t.Errorf("no skip line for %q:\n%s", tc.skipped, out)
			}
		})
	}
}

func TestDoctorRefusesAnInvalidConfig(t *testing.T) {
	path := writeDoctorConfig(t, "server:\n  lisen: \":8080\"\n")
	_, errOut, err := runRoot(t, "doctor", "--config", path)
	if err == nil || !strings.Contains(errOut, "server.lisen") {
		t.Fatalf("err %v, stderr:\n%s", err, errOut)
	}
}
