package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrintContainsNoSecret(t *testing.T) {
	cfg := loadFull(t)
	cfg.Tenants[0].BusinessCentral.Auth.CertificatePassword = "cert-pass-Gh90"
	cfg.Tenants[0].BusinessCentral.Auth.AccessKey = "access-key-Ij12"
	var buf bytes.Buffer
	if err := cfg.Print(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	secrets := []string{"cert-pass-Gh90", "access-key-Ij12", cfg.Tenants[0].APIKeys[0].SHA256}
	for _, s := range testSecrets {
		secrets = append(secrets, s)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("printed config contains secret %q", s)
		}
	}
	for _, keep := range []string{"cronus-no", "vipps-client", "123456", "db.example.com", "displayName: always"} {
		if !strings.Contains(out, keep) {
			t.Errorf("printed config lost non-secret %q:\n%s", keep, out)
		}
	}
	if cfg.Tenants[0].BusinessCentral.Auth.ClientSecret != testSecrets["TEST_BC_CLIENT_SECRET"] {
		t.Error("Redacted changed the original config")
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ name, in, secret string }{
		{"url password", "postgres://u:pw-Secret1@h:5432/db?sslmode=disable", "pw-Secret1"},
		{"query password", "postgres://h/db?user=u&password=pw-Secret2", "pw-Secret2"},
		{"key=value password", "host=h user=u password=pw-Secret3 dbname=db", "pw-Secret3"},
		{"quoted key=value password", "host=h password='pw Secret4' dbname=db", "Secret4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := redactDSN(tc.in)
			if strings.Contains(got, tc.secret) {
				t.Errorf("redactDSN(%q) = %q", tc.in, got)
			}
		})
	}
	if got := redactDSN("file:data/bcvipps.db"); got != "file:data/bcvipps.db" {
		t.Errorf("sqlite dsn changed: %q", got)
	}
}
