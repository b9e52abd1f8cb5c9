package login

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// tenant is one configured tenant with its clients, built once at start-up.
type tenant struct {
	id       string
	cfg      config.Tenant
	vipps    map[string]*vipps.Client // by MSN
	bc       *bc.Client
	np       *bc.NPRetail // nil when NP Retail is not configured
	mapping  mapping.Options
	useCases map[string]useCase
}

// useCase is a configured use case with its resolved sales unit.
type useCase struct {
	name string
	kind string
	// updateMember allows memberId: the member is updated in NP Retail.
	updateMember bool
	scopes       []string
	msn          string
	expiry       time.Duration
	options      mapping.Options
}

// maxInCallWait bounds how long one BC or NP Retail call may wait inside
// itself (Retry-After, backoff, the governor): a longer wait returns at once
// with the wait in the error, and the step defers the job instead of
// sleeping past its lease.
const maxInCallWait = 5 * time.Second

// ClientDeps is what the connector gives for the upstream clients.
type ClientDeps struct {
	// HTTP is the (instrumented) client for every outbound call.
	HTTP *http.Client
	// NoRetry turns off the retries inside each upstream call (tests on a
	// fake clock); the engine still retries every step durably.
	NoRetry bool
}

// clientDeps are the shared pieces every tenant's clients are built with.
type clientDeps struct {
	http       *http.Client
	clock      clockwork.Clock
	log        *slog.Logger
	tokens     *vipps.TokenCache
	governors  map[string]*bc.Governor // one per BC principal
	loginDflt  time.Duration
	bcRetries  int
	bcConflict int
	vippsRetry *vipps.RetryPolicy
}

func newTenant(tc config.Tenant, d *clientDeps) (*tenant, error) {
	t := &tenant{id: tc.ID, cfg: tc, vipps: map[string]*vipps.Client{}, useCases: map[string]useCase{}}

	opts, err := mappingOptions(tc.Mapping)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: mapping: %w", tc.ID, err)
	}
	t.mapping = opts

	env := vipps.EnvironmentTest
	if tc.Vipps.Environment == config.VippsProduction {
		env = vipps.EnvironmentProduction
	}
	for _, su := range tc.Vipps.SalesUnits {
		vopts := []vipps.Option{vipps.WithHTTPClient(d.http), vipps.WithClock(d.clock),
			vipps.WithLogger(d.log.With("tenant", tc.ID)), vipps.WithTokenCache(d.tokens)}
		if d.vippsRetry != nil {
			vopts = append(vopts, vipps.WithRetryPolicy(*d.vippsRetry))
		}
		c, err := vipps.New(vipps.Config{
			Environment: env, BaseURL: tc.Vipps.BaseURL, MSN: su.MSN,
			ClientID: su.ClientID, ClientSecret: su.ClientSecret, SubscriptionKey: su.SubscriptionKey,
			PartnerKeys: su.PartnerKeys, LoginAuthMethod: su.LoginAuthMethod,
			System: vipps.System{Name: tc.Vipps.System.Name, Version: tc.Vipps.System.Version,
				PluginName: tc.Vipps.System.PluginName, PluginVersion: tc.Vipps.System.PluginVersion},
		}, vopts...)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: vipps sales unit %s: %w", tc.ID, su.MSN, err)
		}
		t.vipps[su.MSN] = c
	}

	b := tc.BusinessCentral
	principal := b.TenantID + "/" + b.Auth.ClientID + "/" + b.Auth.Username
	gov, ok := d.governors[principal]
	if !ok {
		gov = bc.NewGovernor(bc.Limits{RequestsPerWindow: b.Limits.RequestsPerWindow, Window: b.Limits.Window, MaxInFlight: b.Limits.MaxInFlight}, d.clock)
		d.governors[principal] = gov
	}
	t.bc, err = bc.New(bc.Config{
		BaseURL: b.BaseURL, TenantID: b.TenantID, Environment: b.Environment, CompanyID: b.CompanyID,
		Auth: bc.AuthConfig{
			Method: b.Auth.Method, TenantID: b.TenantID, ClientID: b.Auth.ClientID, ClientSecret: b.Auth.ClientSecret,
			CertificatePath: b.Auth.CertificatePath, CertificatePassword: b.Auth.CertificatePassword,
			TokenFilePath: b.Auth.TokenFilePath, Username: b.Auth.Username, AccessKey: b.Auth.AccessKey,
			AuthorityHost: b.Auth.AuthorityHost, DisableInstanceDiscovery: b.Auth.AuthorityHost != "",
		},
		Limits:     bc.Limits{RequestsPerWindow: b.Limits.RequestsPerWindow, Window: b.Limits.Window, MaxInFlight: b.Limits.MaxInFlight},
		MaxRetries: d.bcRetries, MaxConflictRetries: d.bcConflict,
		PhoneRegion: regionForPrefix(tc.Mapping.ImplicitPhonePrefix),
	}, bc.WithHTTPClient(d.http), bc.WithClock(d.clock), bc.WithLogger(d.log.With("tenant", tc.ID)), bc.WithGovernor(gov),
		bc.WithMaxWait(maxInCallWait))
	if err != nil {
		return nil, fmt.Errorf("tenant %s: business central: %w", tc.ID, err)
	}

	if tc.NPRetail.BaseURL != "" {
		t.np, err = bc.NewNPRetail(bc.NPRetailConfig{BaseURL: tc.NPRetail.BaseURL, APIKey: tc.NPRetail.APIKey, MaxRetries: d.bcRetries},
			bc.WithHTTPClient(d.http), bc.WithClock(d.clock), bc.WithLogger(d.log.With("tenant", tc.ID)), bc.WithMaxWait(maxInCallWait))
		if err != nil {
			return nil, fmt.Errorf("tenant %s: np retail: %w", tc.ID, err)
		}
	}

	for name, uc := range tc.UseCases {
		msn := uc.SalesUnit
		if msn == "" && len(tc.Vipps.SalesUnits) > 0 {
			msn = tc.Vipps.SalesUnits[0].MSN
		}
		if _, ok := t.vipps[msn]; !ok {
			return nil, fmt.Errorf("tenant %s: use case %s: no sales unit %s", tc.ID, name, msn)
		}
		expiry := uc.RequestedExpiry
		if expiry == 0 {
			expiry = d.loginDflt
		}
		t.useCases[name] = useCase{name: name, kind: uc.Kind, updateMember: uc.UpdateExisting, scopes: uc.Scopes, msn: msn, expiry: expiry, options: opts}
	}
	return t, nil
}

// mappingOptions turns the tenant's mapping settings into mapping.Options.
func mappingOptions(m config.Mapping) (mapping.Options, error) {
	o := mapping.DefaultOptions()
	if m.NameFormat != "" {
		o.NameFormat = mapping.NameFormat(m.NameFormat)
	}
	if len(m.CountryCodes) > 0 {
		o.CountryCodes = m.CountryCodes
	}
	if m.RequireVerifiedEmail != nil {
		o.RequireVerifiedEmail = *m.RequireVerifiedEmail
	}
	if len(m.UpdatePolicy) > 0 {
		o.UpdatePolicy = make(map[string]mapping.Policy, len(m.UpdatePolicy))
		for k, v := range m.UpdatePolicy {
			o.UpdatePolicy[k] = mapping.Policy(v)
		}
	}
	if m.ImplicitPhonePrefix != "" {
		o.ImplicitPhonePrefix = m.ImplicitPhonePrefix
	}
	if m.OnNameMismatch != "" {
		o.OnNameMismatch = mapping.NameMismatchAction(m.OnNameMismatch)
	}
	return o, o.Validate()
}

// regionForPrefix names the ISO region BC phone searches assume for numbers
// stored without a country code.
func regionForPrefix(prefix string) string {
	switch strings.TrimSpace(prefix) {
	case "+45":
		return "DK"
	case "+46":
		return "SE"
	case "+358":
		return "FI"
	default:
		return "NO"
	}
}
