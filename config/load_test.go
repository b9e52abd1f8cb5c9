package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadFull(t *testing.T) {
	cfg := loadFull(t)
	tn := cfg.Tenants[0]
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"listen from file", cfg.Server.Listen, ":8080"},
		{"adminListen default", cfg.Server.AdminListen, "127.0.0.1:9090"},
		{"shutdownTimeout default", cfg.Server.ShutdownTimeout, 30 * time.Second},
		{"leaseDuration default", cfg.Worker.LeaseDuration, 60 * time.Second},
		{"stepTimeout default", cfg.Worker.StepTimeout, 25 * time.Second},
		{"upstream timeout default", cfg.Upstream.Timeout, 10 * time.Second},
		{"driver from file", cfg.Store.Driver, "postgres"},
		{"embedded ${} expanded", cfg.Store.DSN, "postgres://bcvipps:db-pass-Zq81@db.example.com:5432/bcvipps?sslmode=require"},
		{"log format default", cfg.Log.Format, "json"},
		{"applyDeadline default", cfg.Worker.ApplyDeadline, 24 * time.Hour},
		{"retention profile default keeps a delivered answer for 10m", cfg.Retention.Profile, 10 * time.Minute},
		{"retention requests default", cfg.Retention.Requests, 30 * 24 * time.Hour},
		{"login expiry default", cfg.Login.DefaultExpiry, 5 * time.Minute},
		{"whole-value ${} expanded", tn.BusinessCentral.Auth.ClientSecret, "bc-secret-Xy77"},
		{"prefix around ${} kept", tn.Vipps.SalesUnits[0].SubscriptionKey, "sub-subkey-Ef56"},
		{"bc baseURL default", tn.BusinessCentral.BaseURL, DefaultBCBaseURL},
		{"bc limits default", tn.BusinessCentral.Limits, BCLimits{6000, 5 * time.Minute, 5}},
		{"login auth method default", tn.Vipps.SalesUnits[0].LoginAuthMethod, LoginAuthBasic},
		{"customer-card kind inferred", tn.UseCases["customer-card"].Kind, KindCustomer},
		{"member kind inferred", tn.UseCases["pos-member-registration"].Kind, KindMember},
		{"openid added", tn.UseCases["customer-card"].Scopes, []string{"openid", "name", "email", "address", "phoneNumber"}},
		{"salesUnit defaults to first", tn.UseCases["quick-signup"].SalesUnit, "123456"},
		{"requestedExpiry from file", tn.UseCases["quick-signup"].RequestedExpiry, 2 * time.Minute},
		{"requestedExpiry defaults to login.defaultExpiry", tn.UseCases["customer-card"].RequestedExpiry, 5 * time.Minute},
		{"map keys keep their case", tn.Mapping.UpdatePolicy["displayName"], "always"},
		{"country code keys keep their case", tn.Mapping.CountryCodes["SE"], "SE"},
		{"requireVerifiedEmail defaults to true", *tn.Mapping.RequireVerifiedEmail, true},
		{"name format default", tn.Mapping.NameFormat, "firstLast"},
		{"onNameMismatch default", tn.Mapping.OnNameMismatch, NameMismatchWarn},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !equal(c.got, c.want) {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func equal(a, b any) bool {
	as, ok1 := a.([]string)
	bs, ok2 := b.([]string)
	if ok1 && ok2 {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestDefaultUseCasesAddedWhenAbsent(t *testing.T) {
	cfg, err := LoadFromBytes([]byte(minimalTenant))
	if err != nil {
		t.Fatal(err)
	}
	uc := cfg.Tenants[0].UseCases
	want := map[string][]string{
		UseCaseCustomerCard:          {"openid", "name", "email", "address", "phoneNumber"},
		UseCasePOSMemberRegistration: {"openid", "name", "email", "address", "birthDate", "phoneNumber", "delegatedConsents"},
	}
	for name, scopes := range want {
		if !slices.Equal(uc[name].Scopes, scopes) {
			t.Errorf("%s scopes = %v, want %v", name, uc[name].Scopes, scopes)
		}
	}
}

const minimalTenant = `
tenants:
  - id: t1
    apiKeys: [{id: k, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
    businessCentral:
      tenantId: tid
      environment: production
      companyId: cid
      auth: {method: clientSecret, clientId: c, clientSecret: s}
    vipps:
      salesUnits: [{msn: "1234", clientId: c, clientSecret: s, subscriptionKey: k}]
`

func TestEnvOverrides(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(*Config) bool
	}{
		{"BCVIPPS_SERVER_LISTEN overrides server.listen",
			map[string]string{"BCVIPPS_SERVER_LISTEN": ":9999"},
			func(c *Config) bool { return c.Server.Listen == ":9999" }},
		{"camelCase keys are upper-cased without separator",
			map[string]string{"BCVIPPS_SERVER_ADMINLISTEN": "0.0.0.0:9191"},
			func(c *Config) bool { return c.Server.AdminListen == "0.0.0.0:9191" }},
		{"env overrides a value set in the file",
			map[string]string{"BCVIPPS_STORE_DRIVER": "sqlite"},
			func(c *Config) bool { return c.Store.Driver == "sqlite" }},
		{"durations parse from env",
			map[string]string{"BCVIPPS_WORKER_LEASEDURATION": "45s"},
			func(c *Config) bool { return c.Worker.LeaseDuration == 45*time.Second }},
		{"stepTimeout from env",
			map[string]string{"BCVIPPS_WORKER_STEPTIMEOUT": "20s"},
			func(c *Config) bool { return c.Worker.StepTimeout == 20*time.Second }},
		{"ints parse from env",
			map[string]string{"BCVIPPS_WORKER_POLLBATCH": "7"},
			func(c *Config) bool { return c.Worker.PollBatch == 7 }},
		{"bools parse from env",
			map[string]string{"BCVIPPS_LOGIN_BINDINGMESSAGE": "true"},
			func(c *Config) bool { return c.Login.BindingMessage }},
		{"env value may itself reference ${}",
			map[string]string{"BCVIPPS_STORE_DSN": "postgres://u:${TEST_DB_PASSWORD}@h/db"},
			func(c *Config) bool { return c.Store.DSN == "postgres://u:db-pass-Zq81@h/db" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg := loadFull(t)
			if !tc.check(cfg) {
				t.Errorf("override not applied: %+v", cfg.Server)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "1", "B": "two"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name, in, want string
		missing        []string
	}{
		{"whole value", "${A}", "1", nil},
		{"embedded", "x-${A}-${B}-y", "x-1-two-y", nil},
		{"missing variable kept and reported", "${NOPE}", "${NOPE}", []string{"NOPE"}},
		{"$${ escapes a literal", "$${A}", "${A}", nil},
		{"plain $ untouched", "pa$$word $A", "pa$$word $A", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, missing := expand(tc.in, lookup)
			if got != tc.want || !slices.Equal(missing, tc.missing) {
				t.Errorf("expand(%q) = %q, %v; want %q, %v", tc.in, got, missing, tc.want, tc.missing)
			}
		})
	}
}

func TestMissingEnvIsValidationErrorNamingTheKey(t *testing.T) {
	setSecrets(t)
	data := strings.Replace(string(readFile(t, "testdata/full.yaml")), "${TEST_NP_API_KEY}", "${BCVIPPS_TEST_UNSET_VAR}", 1)
	cfg, err := LoadFromBytes([]byte(data))
	if cfg == nil {
		t.Fatal("want the loaded config together with the validation error")
	}
	ps := problems(t, err)
	if len(ps) != 1 || ps[0].Key != "tenants[0].npRetail.apiKey" || !strings.Contains(ps[0].Reason, "BCVIPPS_TEST_UNSET_VAR") {
		t.Fatalf("problems = %+v", ps)
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"wrong type is rejected", "worker: {pollBatch: many}\n"},
		{"broken YAML is rejected", "server: [\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFromBytes([]byte(tc.doc))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want *SyntaxError, got %v", err)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml"); err == nil {
		t.Fatal("want an error")
	}
}

func TestFromReader(t *testing.T) {
	cfg, err := FromReader(strings.NewReader(minimalTenant))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tenants[0].ID != "t1" {
		t.Fatalf("tenant = %q", cfg.Tenants[0].ID)
	}
}

func TestOnNameMismatchFromFile(t *testing.T) {
	doc := strings.Replace(minimalTenant, "    vipps:\n", "    mapping: {onNameMismatch: skip}\n    vipps:\n", 1)
	cfg, err := LoadFromBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Tenants[0].Mapping.OnNameMismatch; got != NameMismatchSkip {
		t.Fatalf("onNameMismatch = %q, want skip", got)
	}
}

// TestDefaultTimeoutsWorkTogether checks the defaults against the rules
// Validate enforces: shutdownTimeout >= stepTimeout >= upstream.timeout and
// leaseDuration > stepTimeout.
func TestDefaultTimeoutsWorkTogether(t *testing.T) {
	cfg, err := LoadFromBytes([]byte(minimalTenant))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]time.Duration{
		"upstream.timeout":       {cfg.Upstream.Timeout, 10 * time.Second},
		"worker.stepTimeout":     {cfg.Worker.StepTimeout, 25 * time.Second},
		"worker.leaseDuration":   {cfg.Worker.LeaseDuration, 60 * time.Second},
		"server.shutdownTimeout": {cfg.Server.ShutdownTimeout, 30 * time.Second},
		"retention.profile":      {cfg.Retention.Profile, 10 * time.Minute},
	}
	for key, gw := range want {
		if gw[0] != gw[1] {
			t.Errorf("%s = %s, want %s", key, gw[0], gw[1])
		}
	}
	w, s := cfg.Worker, cfg.Server
	if !(s.ShutdownTimeout >= w.StepTimeout && w.StepTimeout >= cfg.Upstream.Timeout && w.LeaseDuration > w.StepTimeout) {
		t.Errorf("default timeouts do not work together: %+v %+v %+v", s, w, cfg.Upstream)
	}
}
