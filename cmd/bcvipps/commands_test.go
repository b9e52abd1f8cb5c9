package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badMSN := write("bad-msn.yaml", `tenants:
  - id: acme
    apiKeys: [{id: bc, sha256: "`+strings.Repeat("a", 64)+`"}]
    businessCentral: {tenantId: t, environment: production, companyId: c, auth: {clientId: x, clientSecret: y}}
    vipps: {salesUnits: [{msn: "12", clientId: a, clientSecret: b, subscriptionKey: c}]}
`)
	typo := write("typo.yaml", "server:\n  lisen: \":8080\"\n")

	t.Run("apikey new prints a key whose SHA-256 is the printed hash", func(t *testing.T) {
		out, _, code := runBinary(t, nil, "apikey", "new", "--id", "pos")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		key := regexp.MustCompile(`(?m)^\s+(bcv_[A-Za-z0-9_-]{43})\s*$`).FindStringSubmatch(out)
		hash := regexp.MustCompile(`sha256: ([0-9a-f]{64})`).FindStringSubmatch(out)
		if key == nil || hash == nil {
			t.Fatalf("no key or hash in:\n%s", out)
		}
		sum := sha256.Sum256([]byte(key[1]))
		if hex.EncodeToString(sum[:]) != hash[1] {
			t.Errorf("hash %s is not the SHA-256 of the key", hash[1])
		}
		if !strings.Contains(out, "id: pos") {
			t.Errorf("key id missing:\n%s", out)
		}
	})

	t.Run("two apikey new runs give different keys", func(t *testing.T) {
		a, _, _ := runBinary(t, nil, "apikey", "new")
		b, _, _ := runBinary(t, nil, "apikey", "new")
		if a == b {
			t.Error("same output twice")
		}
	})

	cases := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		wantErr  []string // substrings of stderr
		wantOut  []string // substrings of stdout
	}{
		{name: "config check names the bad key and fails", args: []string{"config", "check", "--config", badMSN},
			wantCode: 1, wantErr: []string{"tenants[0].vipps.salesUnits[0].msn", "problem"}},
		{name: "config check names an unknown key and fails", args: []string{"config", "check", "--config", typo},
			wantCode: 1, wantErr: []string{"lisen"}},
		{name: "serve refuses an invalid configuration and lists the problem", args: []string{"serve", "--config", badMSN},
			wantCode: 1, wantErr: []string{"tenants[0].vipps.salesUnits[0].msn"}},
		{name: "serve reads the config path from BCVIPPS_CONFIG", args: []string{"serve"}, env: []string{"BCVIPPS_CONFIG=" + badMSN},
			wantCode: 1, wantErr: []string{"tenants[0].vipps.salesUnits[0].msn"}},
		{name: "migrate refuses an invalid configuration", args: []string{"migrate", "--config", badMSN},
			wantCode: 1, wantErr: []string{"tenants[0].vipps.salesUnits[0].msn"}},
		{name: "config print masks secrets", args: []string{"config", "print", "--config", badMSN},
			wantCode: 1, wantOut: []string{"clientSecret: '***'"}},
		{name: "version prints the version", args: []string{"version"}, wantOut: []string{"bcvipps dev"}},
		{name: "sandbox help documents the flags and the banner", args: []string{"sandbox", "--help"},
			wantOut: []string{"--listen", "--vipps-listen", "--bc-listen", "--vipps-base-url", "--data-dir", "--api-key",
				"--simulators-only", "--write-config", "curl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runBinary(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	data, _, err := sandboxConfigYAML(testSandboxEnv(dir))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, run := range []string{"first run creates the schema", "second run changes nothing"} {
		t.Run(run, func(t *testing.T) {
			out, errOut, code := runBinary(t, nil, "migrate", "--config", path)
			if code != 0 || !strings.Contains(out, "sqlite store is up to date") {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dir, "bcvipps.db")); err != nil {
				t.Fatalf("database not created: %v", err)
			}
		})
	}
}
