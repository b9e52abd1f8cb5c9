package config

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckGoLive(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantKey string // "" means no problem
		reason  string
	}{
		{"a public https URL is fine", func(c *Config) {}, "", ""},
		{"no publicBaseURL is fine (payments are polled)", func(c *Config) { c.Server.PublicBaseURL = "" }, "", ""},
		{"a public IP over https is fine", func(c *Config) { c.Server.PublicBaseURL = "https://20.50.2.1/bcvipps" }, "", ""},
		{"http is refused", func(c *Config) { c.Server.PublicBaseURL = "http://bcvipps.example.com" }, "server.publicBaseURL", "https"},
		{"localhost is refused", func(c *Config) { c.Server.PublicBaseURL = "https://localhost:8443" }, "server.publicBaseURL", "localhost"},
		{"a .localhost name is refused", func(c *Config) { c.Server.PublicBaseURL = "https://app.localhost" }, "server.publicBaseURL", "localhost"},
		{"IPv4 loopback is refused", func(c *Config) { c.Server.PublicBaseURL = "https://127.0.0.1:8080" }, "server.publicBaseURL", "loopback"},
		{"IPv6 loopback is refused", func(c *Config) { c.Server.PublicBaseURL = "https://[::1]:8080" }, "server.publicBaseURL", "loopback"},
		{"unspecified address is refused", func(c *Config) { c.Server.PublicBaseURL = "https://0.0.0.0" }, "server.publicBaseURL", "loopback"},
		{"10/8 is refused", func(c *Config) { c.Server.PublicBaseURL = "https://10.1.2.3" }, "server.publicBaseURL", "private"},
		{"172.16/12 is refused", func(c *Config) { c.Server.PublicBaseURL = "https://172.20.0.5" }, "server.publicBaseURL", "private"},
		{"192.168/16 is refused", func(c *Config) { c.Server.PublicBaseURL = "https://192.168.1.10" }, "server.publicBaseURL", "private"},
		{"IPv6 ULA is refused", func(c *Config) { c.Server.PublicBaseURL = "https://[fd00::1]" }, "server.publicBaseURL", "private"},
		{"CGNAT is refused", func(c *Config) { c.Server.PublicBaseURL = "https://100.64.1.1" }, "server.publicBaseURL", "private"},
		{"IPv4-mapped private is refused", func(c *Config) { c.Server.PublicBaseURL = "https://[::ffff:192.168.1.1]" }, "server.publicBaseURL", "private"},
		{"link-local is refused", func(c *Config) { c.Server.PublicBaseURL = "https://169.254.169.254" }, "server.publicBaseURL", "link-local"},
		{"IPv6 link-local is refused", func(c *Config) { c.Server.PublicBaseURL = "https://[fe80::1]" }, "server.publicBaseURL", "link-local"},
		{"tenant id GUID is fine", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "72F988BF-86F1-41AF-91AB-2D7CD011DB47" }, "", ""},
		{"tenant id domain is fine", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "contoso.onmicrosoft.com" }, "", ""},
		{"tenant id placeholder is refused", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "<Entra tenant id>" }, "tenants[0].businessCentral.tenantId", "GUID"},
		{"tenant id short GUID is refused", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "72f988bf-86f1-41af-91ab-2d7cd011db4" }, "tenants[0].businessCentral.tenantId", "GUID"},
		{"tenant id single label is refused", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "contoso" }, "tenants[0].businessCentral.tenantId", "domain"},
		{"tenant id of on-premises basic auth is not checked", func(c *Config) {
			c.Tenants[0].BusinessCentral.TenantID = "default"
			c.Tenants[0].BusinessCentral.Auth = BCAuth{Method: AuthBasic, Username: "u", AccessKey: "k"}
		}, "", ""},
		{"company id name is refused", func(c *Config) { c.Tenants[0].BusinessCentral.CompanyID = "CRONUS Norge AS" }, "tenants[0].businessCentral.companyId", "GUID"},
		{"company id with braces is refused", func(c *Config) {
			c.Tenants[0].BusinessCentral.CompanyID = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}"
		}, "tenants[0].businessCentral.companyId", "GUID"},
		{"second tenant is checked too", func(c *Config) {
			t2 := c.Tenants[0]
			t2.BusinessCentral.CompanyID = "c"
			c.Tenants = append(c.Tenants, t2)
		}, "tenants[1].businessCentral.companyId", "GUID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadFull(t)
			tc.mutate(cfg)
			err := cfg.CheckGoLive()
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("want no problem, got %v", err)
				}
				return
			}
			ps := problems(t, err)
			for _, p := range ps {
				if p.Key == tc.wantKey && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q; got %+v", tc.wantKey, tc.reason, ps)
		})
	}
}

func TestCheckGoLiveListsEveryProblem(t *testing.T) {
	cfg := loadFull(t)
	cfg.Server.PublicBaseURL = "http://10.0.0.1:8080"
	cfg.Tenants[0].BusinessCentral.TenantID = "t"
	cfg.Tenants[0].BusinessCentral.CompanyID = "c"
	var keys []string
	for _, p := range problems(t, cfg.CheckGoLive()) {
		keys = append(keys, p.Key)
	}
	want := []string{"server.publicBaseURL", "server.publicBaseURL", "tenants[0].businessCentral.tenantId", "tenants[0].businessCentral.companyId"}
	if !slices.Equal(keys, want) {
		t.Fatalf("problem keys %v, want %v (https and private address both reported)", keys, want)
	}
}

// The go-live rules are not part of Validate: serve, the sandbox and tests
// run on http://127.0.0.1 with placeholder ids.
func TestValidateAllowsLoopbackAndPlaceholders(t *testing.T) {
	cfg := loadFull(t)
	cfg.Server.PublicBaseURL = "http://127.0.0.1:8080"
	cfg.Tenants[0].BusinessCentral.TenantID = "demo"
	cfg.Tenants[0].BusinessCentral.CompanyID = "c"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUpdatePolicyKeys(t *testing.T) {
	t.Run("every documented key is accepted", func(t *testing.T) {
		cfg := loadFull(t)
		for _, f := range policyFields {
			cfg.Tenants[0].Mapping.UpdatePolicy[f] = "never"
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct{ name, key, reason string }{
		{"unknown key", "shoeSize", "unknown field"},
		{"misspelt key", "emial", "email"},
		{"address part instead of address", "city", `"address"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadFull(t)
			cfg.Tenants[0].Mapping.UpdatePolicy[tc.key] = "always"
			ps := problems(t, cfg.Validate())
			if len(ps) != 1 || ps[0].Key != "tenants[0].mapping.updatePolicy."+tc.key || !strings.Contains(ps[0].Reason, tc.reason) {
				t.Fatalf("problems = %+v", ps)
			}
		})
	}
	t.Run("unknown key and bad policy are both reported", func(t *testing.T) {
		cfg := loadFull(t)
		cfg.Tenants[0].Mapping.UpdatePolicy["shoeSize"] = "sometimes"
		ps := problems(t, cfg.Validate())
		if len(ps) != 2 {
			t.Fatalf("problems = %+v", ps)
		}
	})
}

func TestUnknownKeysAreProblems(t *testing.T) {
	setSecrets(t)
	full := string(readFile(t, "testdata/full.yaml"))
	doc := strings.Replace(full, "  listen: \":8080\"", "  lisen: \":8080\"\n  colour: blue", 1)
	doc = strings.Replace(doc, "          clientId: \"vipps-client\"", "          clientId: \"vipps-client\"\n          clientScret: x", 1)
	doc = strings.Replace(doc, "      implicitPhonePrefix: \"+47\"", "      implicitPhonePrefix: \"47\"", 1)
	doc += "extra: {a: 1}\n"
	_, err := LoadFromBytes([]byte(doc))
	var keys []string
	for _, p := range problems(t, err) {
		keys = append(keys, p.Key)
	}
	want := []string{"server.lisen", "server.colour", "tenants[0].vipps.salesUnits[0].clientScret", "extra", "tenants[0].mapping.implicitPhonePrefix"}
	if !slices.Equal(keys, want) {
		t.Fatalf("problem keys %v, want %v (every unknown key and the other problems in one run)", keys, want)
	}
}

func TestUnknownKeysFollowAnchorsAndMerges(t *testing.T) {
	doc := `
base: &srv {listen: ":8080", lisen: ":1"}
server:
  <<: *srv
`
	_, err := LoadFromBytes([]byte(doc))
	var keys []string
	for _, p := range problems(t, err) {
		keys = append(keys, p.Key)
	}
	if !slices.Contains(keys, "base") || !slices.Contains(keys, "server.lisen") {
		t.Fatalf("problem keys %v, want base and server.lisen", keys)
	}
}

func TestKnownKeysOfEveryKindAreAccepted(t *testing.T) {
	setSecrets(t)
	// Every key of the full example, maps with free keys (useCases,
	// countryCodes, updatePolicy) included, is known.
	if _, err := LoadFromBytes(readFile(t, "testdata/full.yaml")); err != nil {
		t.Fatal(err)
	}
}
