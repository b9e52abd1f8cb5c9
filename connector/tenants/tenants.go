// Package tenants builds the upstream clients of every configured tenant
// once, for all the job packages: a Vipps client per sales unit (sharing
// one access-token cache), the Business Central client (one request
// governor per BC principal, shared by tenants that use the same one) and
// the NP Retail client.
package tenants

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/vipps"
)

// MaxInCallWait bounds how long one BC or NP Retail call may wait inside
// itself (Retry-After, backoff, the governor): a longer wait returns at once
// with the wait in the error, and the step defers the job instead of
// sleeping past its lease.
const MaxInCallWait = 5 * time.Second

// Tenant is one configured tenant with its clients.
type Tenant struct {
	ID     string
	Config config.Tenant
	// Vipps holds a client per sales unit, by MSN.
	Vipps map[string]*vipps.Client
	BC    *bc.Client
	// NP is nil when NP Retail is not configured.
	NP *bc.NPRetail
}

// DefaultMSN is the tenant's first sales unit.
func (t *Tenant) DefaultMSN() string {
	if len(t.Config.Vipps.SalesUnits) == 0 {
		return ""
	}
	return t.Config.Vipps.SalesUnits[0].MSN
}

// Deps is what the clients are built with.
type Deps struct {
	// HTTP is the (instrumented) client for every outbound call.
	HTTP  *http.Client
	Clock clockwork.Clock
	Log   *slog.Logger
	// NoRetry turns off the retries inside each upstream call (tests on a
	// fake clock); the engine still retries every step durably.
	NoRetry bool
}

// Build builds the clients of every tenant of cfg. Nothing is contacted.
func Build(cfg *config.Config, d Deps) (map[string]*Tenant, error) {
	tokens := vipps.NewTokenCache()
	governors := map[string]*bc.Governor{}
	bcRetries := 2
	var vippsRetry *vipps.RetryPolicy
	if d.NoRetry {
		bcRetries = -1
		vippsRetry = &vipps.RetryPolicy{MaxAttempts: 1}
	}
	out := make(map[string]*Tenant, len(cfg.Tenants))
	for _, tc := range cfg.Tenants {
		t := &Tenant{ID: tc.ID, Config: tc, Vipps: map[string]*vipps.Client{}}
		env := vipps.EnvironmentTest
		if tc.Vipps.Environment == config.VippsProduction {
			env = vipps.EnvironmentProduction
		}
		for _, su := range tc.Vipps.SalesUnits {
			vopts := []vipps.Option{vipps.WithHTTPClient(d.HTTP), vipps.WithClock(d.Clock),
				vipps.WithLogger(d.Log.With("tenant", tc.ID)), vipps.WithTokenCache(tokens)}
			if vippsRetry != nil {
				vopts = append(vopts, vipps.WithRetryPolicy(*vippsRetry))
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
			t.Vipps[su.MSN] = c
		}

		b := tc.BusinessCentral
		limits := bc.Limits{RequestsPerWindow: b.Limits.RequestsPerWindow, Window: b.Limits.Window, MaxInFlight: b.Limits.MaxInFlight}
		principal := b.TenantID + "/" + b.Auth.ClientID + "/" + b.Auth.Username
		gov, ok := governors[principal]
		if !ok {
			gov = bc.NewGovernor(limits, d.Clock)
			governors[principal] = gov
		}
		var err error
		t.BC, err = bc.New(bc.Config{
			BaseURL: b.BaseURL, TenantID: b.TenantID, Environment: b.Environment, CompanyID: b.CompanyID,
			Auth: bc.AuthConfig{
				Method: b.Auth.Method, TenantID: b.TenantID, ClientID: b.Auth.ClientID, ClientSecret: b.Auth.ClientSecret,
				CertificatePath: b.Auth.CertificatePath, CertificatePassword: b.Auth.CertificatePassword,
				TokenFilePath: b.Auth.TokenFilePath, Username: b.Auth.Username, AccessKey: b.Auth.AccessKey,
				AuthorityHost: b.Auth.AuthorityHost, DisableInstanceDiscovery: b.Auth.AuthorityHost != "",
			},
			Limits: limits, MaxRetries: bcRetries, MaxConflictRetries: 3,
			PhoneRegion: RegionForPrefix(tc.Mapping.ImplicitPhonePrefix),
		}, bc.WithHTTPClient(d.HTTP), bc.WithClock(d.Clock), bc.WithLogger(d.Log.With("tenant", tc.ID)), bc.WithGovernor(gov),
			bc.WithMaxWait(MaxInCallWait))
		if err != nil {
			return nil, fmt.Errorf("tenant %s: business central: %w", tc.ID, err)
		}

		if tc.NPRetail.BaseURL != "" {
			t.NP, err = bc.NewNPRetail(bc.NPRetailConfig{BaseURL: tc.NPRetail.BaseURL, APIKey: tc.NPRetail.APIKey, MaxRetries: bcRetries},
				bc.WithHTTPClient(d.HTTP), bc.WithClock(d.Clock), bc.WithLogger(d.Log.With("tenant", tc.ID)), bc.WithMaxWait(MaxInCallWait))
			if err != nil {
				return nil, fmt.Errorf("tenant %s: np retail: %w", tc.ID, err)
			}
		}
		out[tc.ID] = t
	}
	return out, nil
}

// RegionForPrefix names the ISO region BC phone searches assume for numbers
// stored without a country code.
func RegionForPrefix(prefix string) string {
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
