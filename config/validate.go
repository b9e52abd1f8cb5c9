package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/bcvipps/bcvipps/mapping"
)

// Problem is one thing wrong with the configuration. Reason never contains
// the configured value, so a problem can be logged even for a secret key.
type Problem struct {
	// Key is the YAML path, e.g. "tenants[0].vipps.salesUnits[1].msn".
	Key string
	// Reason says what is wrong.
	Reason string
}

// ValidationError lists every problem found by Validate.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration (%d problems)", len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "; %s: %s", p.Key, p.Reason)
	}
	return b.String()
}

// Known values.
var (
	drivers      = []string{"sqlite", "postgres"}
	logLevels    = []string{"debug", "info", "warn", "error"}
	logFormats   = []string{"json", "text"}
	authMethods  = []string{AuthClientSecret, AuthClientCertificate, AuthManagedIdentity, AuthWorkloadIdentity, AuthDefault, AuthBasic}
	vippsEnvs    = []string{VippsTest, VippsProduction}
	loginAuths   = []string{LoginAuthBasic, LoginAuthPost}
	kinds        = []string{KindCustomer, KindMember, KindEnrollment}
	nameFormats  = []string{"firstLast", "lastFirst"}
	policies     = []string{"always", "ifEmpty", "never"}
	onMismatch   = []string{NameMismatchWarn, NameMismatchSkip}
	vippsScopes  = []string{"openid", "name", "email", "phoneNumber", "address", "birthDate", "nin", "delegatedConsents", "customFlow", "gender", "paymentSourceReferences"}
	msnRe        = regexp.MustCompile(`^[0-9]{4,6}$`)
	sha256Re     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	tenantIDRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	prefixRe     = regexp.MustCompile(`^\+[1-9][0-9]{0,2}$`)
	countryRe    = regexp.MustCompile(`^[A-Z]{2}$`)
	useCaseRe    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	minExpiry    = 60 * time.Second
	maxExpiry    = 900 * time.Second
	maxSystemLen = 30
)

// validator collects problems.
type validator struct{ problems []Problem }

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Reason: fmt.Sprintf(format, args...)})
}

func (v *validator) required(key, val string) bool {
	if strings.TrimSpace(val) == "" {
		v.add(key, "is required")
		return false
	}
	return true
}

func (v *validator) oneOf(key, val string, allowed []string) {
	if !slices.Contains(allowed, val) {
		v.add(key, "must be one of %s", strings.Join(allowed, ", "))
	}
}

func (v *validator) url(key, val string, required bool) {
	if val == "" {
		if required {
			v.add(key, "is required")
		}
		return
	}
	u, err := url.Parse(val)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(key, "must be an absolute http(s) URL")
	}
}

func (v *validator) listen(key, val string) {
	if _, _, err := net.SplitHostPort(val); err != nil {
		v.add(key, "must be host:port (e.g. \":8080\")")
	}
}

func (v *validator) positive(key string, n int64) {
	if n <= 0 {
		v.add(key, "must be greater than zero")
	}
}

// Validate checks the whole configuration and returns a *ValidationError
// listing every problem, or nil.
func (c *Config) Validate() error {
	v := &validator{problems: slices.Clone(c.unresolved)}
	v.listen("server.listen", c.Server.Listen)
	v.listen("server.adminListen", c.Server.AdminListen)
	v.url("server.publicBaseURL", c.Server.PublicBaseURL, false)
	if c.Server.ShutdownTimeout < 0 {
		v.add("server.shutdownTimeout", "must not be negative")
	}
	v.oneOf("store.driver", c.Store.Driver, drivers)
	v.required("store.dsn", c.Store.DSN)
	v.oneOf("log.level", c.Log.Level, logLevels)
	v.oneOf("log.format", c.Log.Format, logFormats)
	v.positive("worker.pollBatch", int64(c.Worker.PollBatch))
	v.positive("worker.concurrency", int64(c.Worker.Concurrency))
	v.positive("worker.leaseDuration", int64(c.Worker.LeaseDuration))
	v.positive("worker.stepTimeout", int64(c.Worker.StepTimeout))
	v.positive("worker.applyDeadline", int64(c.Worker.ApplyDeadline))
	v.positive("worker.retryBackoffMax", int64(c.Worker.RetryBackoffMax))
	v.positive("retention.profile", int64(c.Retention.Profile))
	v.positive("retention.requests", int64(c.Retention.Requests))
	v.positive("upstream.timeout", int64(c.Upstream.Timeout))
	v.timeouts(c)
	v.expiry("login.defaultExpiry", c.Login.DefaultExpiry)

	if len(c.Tenants) == 0 {
		v.add("tenants", "at least one tenant is required")
	}
	tenantIDs := map[string]int{}
	keyHashes := map[string]string{}
	for i, t := range c.Tenants {
		p := fmt.Sprintf("tenants[%d]", i)
		if v.required(p+".id", t.ID) {
			if !tenantIDRe.MatchString(t.ID) {
				v.add(p+".id", "must be letters, digits, '.', '_' or '-' (at most 63)")
			}
			if j, dup := tenantIDs[t.ID]; dup {
				v.add(p+".id", "duplicates tenants[%d].id", j)
			}
			tenantIDs[t.ID] = i
		}
		v.apiKeys(p, t.APIKeys, keyHashes)
		v.businessCentral(p+".businessCentral", t.BusinessCentral)
		if t.NPRetail.BaseURL != "" || t.NPRetail.APIKey != "" {
			v.url(p+".npRetail.baseURL", t.NPRetail.BaseURL, true)
			v.required(p+".npRetail.apiKey", t.NPRetail.APIKey)
		}
		v.vipps(p+".vipps", t.Vipps)
		v.useCases(p, t)
		v.mapping(p+".mapping", t.Mapping)
		for key, spec := range map[string]string{".jobs.paymentSweep.schedule": t.Jobs.PaymentSweep.Schedule, ".jobs.settlement.schedule": t.Jobs.Settlement.Schedule} {
			if spec == "" || spec == "off" || spec == "hourly" {
				continue // hourly: at a random minute from :11 to :59
			}
			if _, err := cronParser.Parse(spec); err != nil {
				v.add(p+key, "is not a cron expression (five fields or a descriptor such as @every 5m): %v", err)
			}
		}
		if t.Jobs.Settlement.MissingAfterDays < 0 {
			v.add(p+".jobs.settlement.missingAfterDays", "must not be negative")
		}
		if t.Payments.AuthorizationAlertHours < 0 {
			v.add(p+".payments.authorizationAlertHours", "must not be negative")
		}
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

// timeouts checks that the timeouts work together: server.shutdownTimeout
// >= worker.stepTimeout >= upstream.timeout, and worker.leaseDuration >
// worker.stepTimeout. Values already reported as not positive are skipped.
func (v *validator) timeouts(c *Config) {
	step, up := c.Worker.StepTimeout, c.Upstream.Timeout
	lease, shutdown := c.Worker.LeaseDuration, c.Server.ShutdownTimeout
	if step <= 0 {
		return
	}
	if up > 0 && step < up {
		v.add("worker.stepTimeout", "must be at least upstream.timeout (a step makes at least one upstream call)")
	}
	if lease > 0 && lease <= step {
		v.add("worker.leaseDuration", "must be greater than worker.stepTimeout (a step must end inside its lease)")
	}
	if shutdown >= 0 && shutdown < step {
		v.add("server.shutdownTimeout", "must be at least worker.stepTimeout (a shutdown waits for the step in progress)")
	}
}

func (v *validator) expiry(key string, d time.Duration) {
	if d < minExpiry || d > maxExpiry {
		v.add(key, "must be between %ds and %ds (Vipps requested_expiry)", int(minExpiry.Seconds()), int(maxExpiry.Seconds()))
	}
}

func (v *validator) apiKeys(p string, keys []APIKey, seen map[string]string) {
	if len(keys) == 0 {
		v.add(p+".apiKeys", "at least one API key is required")
	}
	ids := map[string]bool{}
	for j, k := range keys {
		kp := fmt.Sprintf("%s.apiKeys[%d]", p, j)
		if v.required(kp+".id", k.ID) {
			if ids[k.ID] {
				v.add(kp+".id", "duplicate key id in this tenant")
			}
			ids[k.ID] = true
		}
		if !sha256Re.MatchString(k.SHA256) {
			v.add(kp+".sha256", "must be the hex SHA-256 of the key (64 hex characters)")
			continue
		}
		h := strings.ToLower(k.SHA256)
		if other, dup := seen[h]; dup {
			v.add(kp+".sha256", "the same key hash is configured at %s", other)
		}
		seen[h] = kp
	}
}

func (v *validator) businessCentral(p string, bc BusinessCentral) {
	v.url(p+".baseURL", bc.BaseURL, true)
	v.required(p+".environment", bc.Environment)
	v.required(p+".companyId", bc.CompanyID)
	a := bc.Auth
	ap := p + ".auth"
	v.oneOf(ap+".method", a.Method, authMethods)
	switch a.Method {
	case AuthClientSecret:
		v.required(p+".tenantId", bc.TenantID)
		v.required(ap+".clientId", a.ClientID)
		v.required(ap+".clientSecret", a.ClientSecret)
	case AuthClientCertificate:
		v.required(p+".tenantId", bc.TenantID)
		v.required(ap+".clientId", a.ClientID)
		v.required(ap+".certificatePath", a.CertificatePath)
	case AuthWorkloadIdentity:
		v.required(p+".tenantId", bc.TenantID)
		v.required(ap+".clientId", a.ClientID)
	case AuthBasic:
		v.required(ap+".username", a.Username)
		v.required(ap+".accessKey", a.AccessKey)
	}
	v.url(ap+".authorityHost", a.AuthorityHost, false)
	v.positive(p+".limits.requestsPerWindow", int64(bc.Limits.RequestsPerWindow))
	v.positive(p+".limits.window", int64(bc.Limits.Window))
	v.positive(p+".limits.maxInFlight", int64(bc.Limits.MaxInFlight))
}

func (v *validator) vipps(p string, vc Vipps) {
	v.oneOf(p+".environment", vc.Environment, vippsEnvs)
	v.url(p+".baseURL", vc.BaseURL, false)
	for _, f := range []struct{ key, val string }{
		{"name", vc.System.Name}, {"version", vc.System.Version},
		{"pluginName", vc.System.PluginName}, {"pluginVersion", vc.System.PluginVersion},
	} {
		if len(f.val) > maxSystemLen {
			v.add(p+".system."+f.key, "must be at most %d characters (Vipps-System-* header)", maxSystemLen)
		}
	}
	if len(vc.SalesUnits) == 0 {
		v.add(p+".salesUnits", "at least one sales unit is required")
	}
	msns := map[string]bool{}
	for j, su := range vc.SalesUnits {
		sp := fmt.Sprintf("%s.salesUnits[%d]", p, j)
		if !msnRe.MatchString(su.MSN) {
			v.add(sp+".msn", "must be a merchant serial number of 4 to 6 digits")
		} else if msns[su.MSN] {
			v.add(sp+".msn", "duplicate sales unit in this tenant")
		}
		msns[su.MSN] = true
		v.required(sp+".clientId", su.ClientID)
		v.required(sp+".clientSecret", su.ClientSecret)
		v.required(sp+".subscriptionKey", su.SubscriptionKey)
		v.oneOf(sp+".loginAuthMethod", su.LoginAuthMethod, loginAuths)
	}
}

func (v *validator) useCases(p string, t Tenant) {
	names := make([]string, 0, len(t.UseCases))
	for name := range t.UseCases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		uc := t.UseCases[name]
		up := p + ".useCases." + name
		if !useCaseRe.MatchString(name) {
			v.add(up, "use-case names are lower-case letters, digits and '-'")
		}
		if uc.Kind == "" {
			v.add(up+".kind", "is required (customer or member) for a use case that is not customer-card or pos-member-registration")
		} else {
			v.oneOf(up+".kind", uc.Kind, kinds)
		}
		for k, s := range uc.Scopes {
			if !slices.Contains(vippsScopes, s) {
				v.add(fmt.Sprintf("%s.scopes[%d]", up, k), "is not a Vipps Login scope (one of %s)", strings.Join(vippsScopes, ", "))
			}
		}
		if !slices.ContainsFunc(t.Vipps.SalesUnits, func(su SalesUnit) bool { return su.MSN == uc.SalesUnit }) {
			v.add(up+".salesUnit", "must be the msn of one of this tenant's sales units")
		}
		v.expiry(up+".requestedExpiry", uc.RequestedExpiry)
		if uc.Kind == KindEnrollment && uc.MembershipCode != "" && uc.MembershipItem == "" && uc.MembershipItems[uc.MembershipCode] == "" {
			v.add(up+".membershipItem", "is required with membershipCode: NP Retail creates a membership from its sales item (itemNumber)")
		}
		if uc.MembershipItem != "" && uc.MembershipCode == "" {
			v.add(up+".membershipItem", "needs membershipCode: it is the sales item of that membership")
		}
		if uc.Kind != KindEnrollment && (uc.MembershipCode != "" || uc.MembershipItem != "" || len(uc.MembershipItems) > 0) {
			v.add(up+".membershipCode", "and membershipItem(s) apply to enrollment use cases only")
		}
		for _, code := range sortedKeys(uc.MembershipItems) {
			if code == "" || len(code) > 20 {
				v.add(up+".membershipItems."+code, "keys are NP Retail membership codes of 1 to 20 characters")
			}
			if item := uc.MembershipItems[code]; item == "" || len(item) > 20 {
				v.add(up+".membershipItems."+code, "must be the membership's sales item number (1 to 20 characters)")
			}
		}
		if uc.UpdateExisting {
			if uc.Kind != KindMember {
				v.add(up+".updateExisting", "applies to member use cases only")
			} else if t.NPRetail.BaseURL == "" {
				v.add(up+".updateExisting", "needs npRetail.baseURL")
			}
		}
	}
}

func (v *validator) mapping(p string, m Mapping) {
	if !prefixRe.MatchString(m.ImplicitPhonePrefix) {
		v.add(p+".implicitPhonePrefix", "must be + followed by a country calling code, e.g. +47")
	}
	v.oneOf(p+".nameFormat", m.NameFormat, nameFormats)
	v.oneOf(p+".onNameMismatch", m.OnNameMismatch, onMismatch)
	for _, iso := range sortedKeys(m.CountryCodes) {
		if !countryRe.MatchString(iso) {
			v.add(p+".countryCodes."+iso, "keys are ISO 3166-1 alpha-2 codes in upper case")
		}
		if c := m.CountryCodes[iso]; c == "" || len(c) > 10 {
			v.add(p+".countryCodes."+iso, "BC country code must be 1 to 10 characters")
		}
	}
	for _, field := range sortedKeys(m.UpdatePolicy) {
		v.policyField(p+".updatePolicy."+field, field)
		v.oneOf(p+".updatePolicy."+field, m.UpdatePolicy[field], policies)
	}
}

// policyFields are the updatePolicy keys, as documented at
// mapping.Options.UpdatePolicy; mapping.Options.Validate decides.
var policyFields = []string{"displayName", "email", "phoneNumber", "firstName", "middleName", "lastName",
	"phoneNo", "birthday", "gender", "newsletter", "gdprConsent", mapping.FieldAddress}

// policyField reports an updatePolicy key that the mapping does not write.
func (v *validator) policyField(key, field string) {
	err := mapping.Options{UpdatePolicy: map[string]mapping.Policy{field: mapping.PolicyIfEmpty}}.Validate()
	var oe *mapping.OptionError
	if errors.As(err, &oe) {
		v.add(key, "is not a field the mapping writes (%s): use one of %s", oe.Reason, strings.Join(policyFields, ", "))
	} else if err != nil {
		v.add(key, "is not a field the mapping writes: use one of %s", strings.Join(policyFields, ", "))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cronParser reads schedules as the work engine does (robfig/cron v3).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
