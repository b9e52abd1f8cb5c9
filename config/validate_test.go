package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateRules(t *testing.T) {
	const hashB = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantKey string
		reason  string
	}{
		{"listen must be host:port", func(c *Config) { c.Server.Listen = "8080" }, "server.listen", "host:port"},
		{"publicBaseURL must be absolute", func(c *Config) { c.Server.PublicBaseURL = "/relative" }, "server.publicBaseURL", "absolute"},
		{"shutdownTimeout not negative", func(c *Config) { c.Server.ShutdownTimeout = -1 }, "server.shutdownTimeout", "negative"},
		{"driver must be known", func(c *Config) { c.Store.Driver = "mysql" }, "store.driver", "sqlite, postgres"},
		{"dsn required", func(c *Config) { c.Store.DSN = "" }, "store.dsn", "required"},
		{"log level known", func(c *Config) { c.Log.Level = "loud" }, "log.level", "one of"},
		{"log format known", func(c *Config) { c.Log.Format = "xml" }, "log.format", "one of"},
		{"pollBatch positive", func(c *Config) { c.Worker.PollBatch = 0 }, "worker.pollBatch", "greater than zero"},
		{"leaseDuration positive", func(c *Config) { c.Worker.LeaseDuration = 0 }, "worker.leaseDuration", "greater than zero"},
		{"applyDeadline positive", func(c *Config) { c.Worker.ApplyDeadline = 0 }, "worker.applyDeadline", "greater than zero"},
		{"retention profile not negative", func(c *Config) { c.Retention.Profile = -time.Second }, "retention.profile", "greater than zero"},
		{"retention profile not zero", func(c *Config) { c.Retention.Profile = 0 }, "retention.profile", "greater than zero"},
		{"stepTimeout positive", func(c *Config) { c.Worker.StepTimeout = 0 }, "worker.stepTimeout", "greater than zero"},
		{"step fits an upstream call", func(c *Config) { c.Upstream.Timeout = 26 * time.Second }, "worker.stepTimeout", "upstream.timeout"},
		{"step ends inside its lease", func(c *Config) { c.Worker.LeaseDuration = 25 * time.Second }, "worker.leaseDuration", "worker.stepTimeout"},
		{"shutdown waits for a step", func(c *Config) { c.Server.ShutdownTimeout = 24 * time.Second }, "server.shutdownTimeout", "worker.stepTimeout"},
		{"shutdown not zero", func(c *Config) { c.Server.ShutdownTimeout = 0 }, "server.shutdownTimeout", "worker.stepTimeout"},
		{"longer step needs longer lease and shutdown", func(c *Config) { c.Worker.StepTimeout = 90 * time.Second }, "worker.leaseDuration", "worker.stepTimeout"},
		{"login expiry within Vipps limits", func(c *Config) { c.Login.DefaultExpiry = 901 * time.Second }, "login.defaultExpiry", "900"},
		{"at least one tenant", func(c *Config) { c.Tenants = nil }, "tenants", "at least one"},
		{"tenant id required", func(c *Config) { c.Tenants[0].ID = "" }, "tenants[0].id", "required"},
		{"tenant id charset", func(c *Config) { c.Tenants[0].ID = "a b" }, "tenants[0].id", "letters"},
		{"tenant ids unique", dupTenant(func(t *Tenant) { t.APIKeys = []APIKey{{ID: "k", SHA256: hashB}} }), "tenants[1].id", "duplicates tenants[0].id"},
		{"key hashes unique across tenants", dupTenant(func(t *Tenant) { t.ID = "other" }), "tenants[1].apiKeys[0].sha256", "tenants[0].apiKeys[0]"},
		{"at least one api key", func(c *Config) { c.Tenants[0].APIKeys = nil }, "tenants[0].apiKeys", "at least one"},
		{"sha256 is 64 hex chars", func(c *Config) { c.Tenants[0].APIKeys[0].SHA256 = "abc" }, "tenants[0].apiKeys[0].sha256", "64 hex"},
		{"api key ids unique in tenant", func(c *Config) {
			c.Tenants[0].APIKeys = append(c.Tenants[0].APIKeys, APIKey{ID: "bc-prod", SHA256: hashB})
		}, "tenants[0].apiKeys[1].id", "duplicate"},
		{"bc baseURL parses", func(c *Config) { c.Tenants[0].BusinessCentral.BaseURL = "::" }, "tenants[0].businessCentral.baseURL", "URL"},
		{"bc environment required", func(c *Config) { c.Tenants[0].BusinessCentral.Environment = "" }, "tenants[0].businessCentral.environment", "required"},
		{"bc company required", func(c *Config) { c.Tenants[0].BusinessCentral.CompanyID = "" }, "tenants[0].businessCentral.companyId", "required"},
		{"bc auth method known", func(c *Config) { c.Tenants[0].BusinessCentral.Auth.Method = "password" }, "tenants[0].businessCentral.auth.method", "clientSecret"},
		{"clientSecret method needs secret", func(c *Config) { c.Tenants[0].BusinessCentral.Auth.ClientSecret = "" }, "tenants[0].businessCentral.auth.clientSecret", "required"},
		{"clientSecret method needs tenantId", func(c *Config) { c.Tenants[0].BusinessCentral.TenantID = "" }, "tenants[0].businessCentral.tenantId", "required"},
		{"certificate method needs path", func(c *Config) { c.Tenants[0].BusinessCentral.Auth.Method = AuthClientCertificate }, "tenants[0].businessCentral.auth.certificatePath", "required"},
		{"basic method needs access key", func(c *Config) {
			c.Tenants[0].BusinessCentral.Auth = BCAuth{Method: AuthBasic, Username: "u"}
		}, "tenants[0].businessCentral.auth.accessKey", "required"},
		{"authorityHost parses", func(c *Config) { c.Tenants[0].BusinessCentral.Auth.AuthorityHost = "login" }, "tenants[0].businessCentral.auth.authorityHost", "URL"},
		{"bc limits positive", func(c *Config) { c.Tenants[0].BusinessCentral.Limits.MaxInFlight = -1 }, "tenants[0].businessCentral.limits.maxInFlight", "greater than zero"},
		{"npRetail needs api key", func(c *Config) { c.Tenants[0].NPRetail.APIKey = "" }, "tenants[0].npRetail.apiKey", "required"},
		{"vipps environment known", func(c *Config) { c.Tenants[0].Vipps.Environment = "prod" }, "tenants[0].vipps.environment", "test, production"},
		{"vipps baseURL parses", func(c *Config) { c.Tenants[0].Vipps.BaseURL = "apitest" }, "tenants[0].vipps.baseURL", "URL"},
		{"Vipps-System-* at most 30 chars", func(c *Config) { c.Tenants[0].Vipps.System.PluginName = strings.Repeat("p", 31) }, "tenants[0].vipps.system.pluginName", "30"},
		{"at least one sales unit", func(c *Config) { c.Tenants[0].Vipps.SalesUnits = nil }, "tenants[0].vipps.salesUnits", "at least one"},
		{"msn is 4-6 digits", func(c *Config) { c.Tenants[0].Vipps.SalesUnits[0].MSN = "12a" }, "tenants[0].vipps.salesUnits[0].msn", "4 to 6 digits"},
		{"msn unique in tenant", func(c *Config) {
			c.Tenants[0].Vipps.SalesUnits = append(c.Tenants[0].Vipps.SalesUnits, c.Tenants[0].Vipps.SalesUnits[0])
		}, "tenants[0].vipps.salesUnits[1].msn", "duplicate"},
		{"subscription key required", func(c *Config) { c.Tenants[0].Vipps.SalesUnits[0].SubscriptionKey = "" }, "tenants[0].vipps.salesUnits[0].subscriptionKey", "required"},
		{"login auth method known", func(c *Config) { c.Tenants[0].Vipps.SalesUnits[0].LoginAuthMethod = "jwt" }, "tenants[0].vipps.salesUnits[0].loginAuthMethod", "client_secret_basic"},
		{"scopes known to Vipps", setUseCase("customer-card", func(u *UseCase) { u.Scopes = append(u.Scopes, "shoeSize") }), "tenants[0].useCases.customer-card.scopes[5]", "not a Vipps Login scope"},
		{"kind required for custom use case", setUseCase("custom", func(u *UseCase) { u.Kind = ""; u.SalesUnit = "123456"; u.RequestedExpiry = time.Minute }), "tenants[0].useCases.custom.kind", "required"},
		{"kind known", setUseCase("custom", func(u *UseCase) { u.Kind = "vendor"; u.SalesUnit = "123456"; u.RequestedExpiry = time.Minute }), "tenants[0].useCases.custom.kind", "customer, member"},
		{"use case sales unit exists", setUseCase("customer-card", func(u *UseCase) { u.SalesUnit = "999999" }), "tenants[0].useCases.customer-card.salesUnit", "sales units"},
		{"use case expiry within Vipps limits", setUseCase("customer-card", func(u *UseCase) { u.RequestedExpiry = 30 * time.Second }), "tenants[0].useCases.customer-card.requestedExpiry", "60"},
		{"updateExisting only for members", setUseCase("customer-card", func(u *UseCase) { u.UpdateExisting = true }), "tenants[0].useCases.customer-card.updateExisting", "member"},
		{"a membership code needs its sales item", setUseCase("club-enrollment", func(u *UseCase) { u.MembershipCode = "GOLD" }), "tenants[0].useCases.club-enrollment.membershipItem", "itemNumber"},
		{"a sales item needs its membership code", setUseCase("club-enrollment", func(u *UseCase) { u.MembershipItem = "31001" }), "tenants[0].useCases.club-enrollment.membershipItem", "membershipCode"},
		{"membership items are items", setUseCase("club-enrollment", func(u *UseCase) { u.MembershipItems = map[string]string{"SILVER": ""} }), "tenants[0].useCases.club-enrollment.membershipItems.SILVER", "sales item"},
		{"memberships only for enrolments", setUseCase("customer-card", func(u *UseCase) { u.MembershipItem = "31001" }), "tenants[0].useCases.customer-card.membershipCode", "enrollment"},
		{"updateExisting needs npRetail", func(c *Config) { c.Tenants[0].NPRetail = NPRetail{} }, "tenants[0].useCases.pos-member-registration.updateExisting", "npRetail"},
		{"implicit prefix starts with +", func(c *Config) { c.Tenants[0].Mapping.ImplicitPhonePrefix = "47" }, "tenants[0].mapping.implicitPhonePrefix", "+"},
		{"name format known", func(c *Config) { c.Tenants[0].Mapping.NameFormat = "first" }, "tenants[0].mapping.nameFormat", "firstLast"},
		{"name mismatch action known", func(c *Config) { c.Tenants[0].Mapping.OnNameMismatch = "ignore" }, "tenants[0].mapping.onNameMismatch", "warn, skip"},
		{"update policy known", func(c *Config) { c.Tenants[0].Mapping.UpdatePolicy["email"] = "sometimes" }, "tenants[0].mapping.updatePolicy.email", "always, ifEmpty, never"},
		{"country code keys are ISO-2", func(c *Config) { c.Tenants[0].Mapping.CountryCodes["nor"] = "NO" }, "tenants[0].mapping.countryCodes.nor", "ISO"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadFull(t)
			tc.mutate(cfg)
			ps := problems(t, cfg.Validate())
			for _, p := range ps {
				if p.Key == tc.wantKey && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q; got %+v", tc.wantKey, tc.reason, ps)
		})
	}
}

func dupTenant(edit func(*Tenant)) func(*Config) {
	return func(c *Config) {
		t := c.Tenants[0]
		edit(&t)
		c.Tenants = append(c.Tenants, t)
	}
}

func setUseCase(name string, edit func(*UseCase)) func(*Config) {
	return func(c *Config) {
		uc := c.Tenants[0].UseCases[name]
		edit(&uc)
		c.Tenants[0].UseCases[name] = uc
	}
}

func TestValidConfigHasNoProblems(t *testing.T) {
	if err := loadFull(t).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg := loadFull(t)
	cfg.Server.Listen = "x"
	cfg.Store.Driver = "x"
	cfg.Tenants[0].Mapping.NameFormat = "x"
	if n := len(problems(t, cfg.Validate())); n != 3 {
		t.Fatalf("want 3 problems, got %d", n)
	}
}

func TestProblemsNeverContainSecretValues(t *testing.T) {
	cfg := loadFull(t)
	// Make every secret-bearing field invalid in a way that could tempt a
	// reason to quote it.
	cfg.Tenants[0].APIKeys[0].SHA256 = "not-a-hash-" + testSecrets["TEST_NP_API_KEY"]
	cfg.Tenants[0].Vipps.SalesUnits[0].MSN = testSecrets["TEST_VIPPS_CLIENT_SECRET"]
	cfg.Store.Driver = testSecrets["TEST_DB_PASSWORD"]
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want problems")
	}
	for _, secret := range testSecrets {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes a secret value: %v", err)
		}
	}
}

// TestTimeoutBoundaries checks that equal timeouts are allowed where the
// rule says "at least" and refused where it says "greater than".
func TestTimeoutBoundaries(t *testing.T) {
	tests := []struct {
		name                            string
		upstream, step, lease, shutdown time.Duration
		badKeys                         []string
	}{
		{"defaults", 10 * time.Second, 25 * time.Second, 60 * time.Second, 30 * time.Second, nil},
		{"all equal where allowed", 25 * time.Second, 25 * time.Second, 26 * time.Second, 25 * time.Second, nil},
		{"lease equal to step", 10 * time.Second, 25 * time.Second, 25 * time.Second, 30 * time.Second, []string{"worker.leaseDuration"}},
		{"everything backwards", 60 * time.Second, 30 * time.Second, 20 * time.Second, 10 * time.Second,
			[]string{"worker.stepTimeout", "worker.leaseDuration", "server.shutdownTimeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadFull(t)
			cfg.Upstream.Timeout, cfg.Worker.StepTimeout = tc.upstream, tc.step
			cfg.Worker.LeaseDuration, cfg.Server.ShutdownTimeout = tc.lease, tc.shutdown
			err := cfg.Validate()
			if tc.badKeys == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var keys []string
			for _, p := range problems(t, err) {
				keys = append(keys, p.Key)
			}
			if !slices.Equal(keys, tc.badKeys) {
				t.Errorf("problems at %v, want %v", keys, tc.badKeys)
			}
		})
	}
}
