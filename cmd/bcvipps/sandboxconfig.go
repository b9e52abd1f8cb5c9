package main

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/cmd/bcvipps/internal/version"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// sandboxTenant is the id of the sandbox's demo tenant.
const sandboxTenant = "demo"

// sandboxMembershipCode is the membership a sandbox enrolment joins: the
// one the NP Retail simulator seeds (bctest.DemoMembershipID), created
// from its sales item bctest.DemoMembershipItem.
const sandboxMembershipCode = bctest.DemoMembershipCode

// sandboxEnv is where the sandbox's simulators listen and what the
// connector in front of them is configured with.
type sandboxEnv struct {
	Listen, AdminListen string
	DataDir             string // absolute
	CAFile              string // the authority's CA certificate (PEM)
	BCURL               string // http://host:port of the BC simulator
	AuthorityURL        string
	NPRetailURL         string
	VippsBaseURL        string
	PublicBaseURL       string // where Vipps delivers webhooks; "" for none
	APIKeyHash          string
	LogLevel, LogFormat string
}

// sandboxConfig returns the configuration of the demo tenant against the
// simulators. Every scalar section is filled, because in the YAML form a
// zero overrides the default.
func sandboxConfig(e sandboxEnv) *config.Config {
	return &config.Config{
		// A step outlasts its upstream call (a slow Vipps token endpoint
		// must not cut off a poll that redeems the consent), the lease
		// outlasts the step, and shutdown waits for a step.
		Server: config.Server{Listen: e.Listen, AdminListen: e.AdminListen, PublicBaseURL: e.PublicBaseURL, ShutdownTimeout: 15 * time.Second},
		Store:  config.Store{Driver: "sqlite", DSN: "file:" + filepath.ToSlash(filepath.Join(e.DataDir, "bcvipps.db"))},
		Log:    config.Log{Level: e.LogLevel, Format: e.LogFormat},
		Worker: config.Worker{PollBatch: 100, Concurrency: 64, LeaseDuration: 20 * time.Second, StepTimeout: 15 * time.Second,
			ApplyDeadline: time.Hour, RetryBackoffMax: 5 * time.Second},
		Retention: config.Retention{Profile: 10 * time.Minute, Requests: 7 * 24 * time.Hour},
		Login:     config.Login{DefaultExpiry: 5 * time.Minute, BindingMessage: true},
		Upstream:  config.Upstream{CAFile: e.CAFile, Timeout: 10 * time.Second},
		Tenants: []config.Tenant{{
			ID:      sandboxTenant,
			APIKeys: []config.APIKey{{ID: "sandbox", SHA256: e.APIKeyHash}},
			// Enrolment joins the membership the NP Retail simulator
			// seeds; the other use cases and this one's scopes, sales
			// unit and expiry are the defaults.
			UseCases: map[string]config.UseCase{
				config.UseCaseClubEnrollment: {Kind: config.KindEnrollment, MembershipCode: sandboxMembershipCode, MembershipItem: bctest.DemoMembershipItem},
			},
			BusinessCentral: config.BusinessCentral{
				BaseURL:     e.BCURL + "/v2.0",
				TenantID:    bctest.DemoTenantID,
				Environment: bctest.DemoEnvironment,
				CompanyID:   bctest.DemoCompanyID,
				Auth: config.BCAuth{Method: config.AuthClientSecret, ClientID: bctest.DemoClientID,
					ClientSecret: bctest.DemoClientSecret, AuthorityHost: e.AuthorityURL},
			},
			NPRetail: config.NPRetail{
				BaseURL: e.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyID,
				APIKey:  bctest.DemoNPRetailAPIKey,
			},
			Vipps: config.Vipps{
				Environment: config.VippsTest,
				BaseURL:     e.VippsBaseURL,
				System:      config.VippsSystem{Name: "bcvipps-sandbox", Version: version.Version},
				SalesUnits: []config.SalesUnit{{MSN: vippstest.DefaultMSN, ClientID: vippstest.DefaultClientID,
					ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey}},
			},
		}},
	}
}

// sandboxConfigHeader starts a configuration file written by the sandbox.
const sandboxConfigHeader = `# Written by 'bcvipps sandbox --simulators-only --write-config'.
# Points at the simulators of that process; run it with:
#   bcvipps serve --sandbox-key --config THIS-FILE
# The secrets below are the simulators' fixed demo credentials.
`

// sandboxConfigYAML renders the sandbox configuration as the YAML file that
// serve reads, and loads it back through config.LoadFromBytes, so the
// sandbox runs on exactly what serve would (defaults, BCVIPPS_* overrides
// and validation included).
func sandboxConfigYAML(e sandboxEnv) ([]byte, *config.Config, error) {
	var buf bytes.Buffer
	buf.WriteString(sandboxConfigHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(sandboxConfig(e)); err != nil {
		return nil, nil, fmt.Errorf("sandbox config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("sandbox config: %w", err)
	}
	cfg, err := config.LoadFromBytes(buf.Bytes())
	if err != nil {
		var verr *config.ValidationError
		if errors.As(err, &verr) {
			return nil, nil, fmt.Errorf("sandbox config is invalid (check the flags and BCVIPPS_* variables): %w", err)
		}
		return nil, nil, fmt.Errorf("sandbox config: %w", err)
	}
	return buf.Bytes(), cfg, nil
}
