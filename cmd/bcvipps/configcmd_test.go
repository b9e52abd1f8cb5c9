package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// productionConfig passes every rule of config check, go-live included.
const productionConfig = `server: {listen: ":8080", publicBaseURL: "https://bcvipps.example.com"}
store: {driver: sqlite, dsn: "file:data/bcvipps.db"}
tenants:
  - id: cronus-no
    apiKeys: [{id: bc-prod, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    businessCentral:
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47"
      environment: production
      companyId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
      auth: {method: clientSecret, clientId: app, clientSecret: s}
    vipps:
      environment: production
      salesUnits: [{msn: "123456", clientId: a, clientSecret: b, subscriptionKey: c}]
    mapping: {implicitPhonePrefix: "+47", updatePolicy: {email: ifEmpty, displayName: always}}
`

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	edit := func(pairs ...string) string { return strings.NewReplacer(pairs...).Replace(productionConfig) }
	good := write("good.yaml", productionConfig)
	loopback := write("loopback.yaml", edit(`"https://bcvipps.example.com"`, `"http://127.0.0.1:8080"`))
	everything := write("everything.yaml", edit(
		`"https://bcvipps.example.com"`, `"https://192.168.1.20"`,
		`"72f988bf-86f1-41af-91ab-2d7cd011db47"`, `"<Entra tenant id>"`,
		`"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"`, `"CRONUS Norge AS"`,
		`displayName: always`, `displayName: always, shoeSize: never`,
		`listen: ":8080"`, `lisen: ":8080"`,
		`environment: production
      salesUnits`, `environment: production
      colour: blue
      salesUnits`,
	))
	domainTenant := write("domain.yaml", edit(`"72f988bf-86f1-41af-91ab-2d7cd011db47"`, `contoso.onmicrosoft.com`))
	sandbox := filepath.Join(dir, "sandbox.yaml")
	data, _, err := sandboxConfigYAML(testSandboxEnv(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sandbox, data, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		args    []string
		wantErr bool
		want    []string // substrings of stderr
		notWant []string
	}{
		{name: "a production config passes", args: []string{good}},
		{name: "a domain name as tenant id passes", args: []string{domainTenant}},
		{name: "an http loopback publicBaseURL is refused", args: []string{loopback}, wantErr: true,
			want: []string{"server.publicBaseURL: must be an https URL", "server.publicBaseURL: must not be a loopback address"}},
		{name: "--sandbox allows an http loopback publicBaseURL", args: []string{loopback, "--sandbox"}},
		{name: "the sandbox's own config needs --sandbox", args: []string{sandbox}, wantErr: true,
			want: []string{"server.publicBaseURL: must be an https URL"}},
		{name: "the sandbox's own config passes with --sandbox", args: []string{sandbox, "--sandbox"}},
		{name: "every problem is reported in one run", args: []string{everything}, wantErr: true, want: []string{
			"server.lisen: unknown key",
			"tenants[0].vipps.colour: unknown key",
			"tenants[0].mapping.updatePolicy.shoeSize: is not a field the mapping writes",
			"server.publicBaseURL: must not be a private address",
			"tenants[0].businessCentral.tenantId: must be the Entra tenant id",
			"tenants[0].businessCentral.companyId: must be the company's id, a GUID",
		}},
		{name: "--sandbox still reports unknown keys and policy keys", args: []string{everything, "--sandbox"}, wantErr: true,
			want:    []string{"server.lisen", "tenants[0].vipps.colour", "updatePolicy.shoeSize"},
			notWant: []string{"publicBaseURL", "tenantId", "companyId"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config", "check", "--config"}, tc.args...)
			out, errOut, err := runRoot(t, args...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v\nstdout: %s\nstderr: %s", err, tc.wantErr, out, errOut)
			}
			if !tc.wantErr && !strings.Contains(out, ": OK") {
				t.Errorf("stdout lacks OK: %s", out)
			}
			if tc.wantErr && !strings.Contains(err.Error(), "problem(s)") {
				t.Errorf("error %v does not count the problems", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(errOut, w) {
					t.Errorf("stderr has %q:\n%s", w, errOut)
				}
			}
		})
	}
}
