package config

import (
	"slices"
	"time"
)

// Defaults of the scalar sections, keyed by viper key path. Every key of
// those sections is listed so that viper knows it and a BCVIPPS_* variable
// can override it even when the file does not mention it.
func sectionDefaults() map[string]any {
	return map[string]any{
		"server.listen":          ":8080",
		"server.adminListen":     "127.0.0.1:9090",
		"server.publicBaseURL":   "",
		"server.shutdownTimeout": DefaultShutdownTimeout,
		"server.pprof":           false,
		"store.driver":           "sqlite",
		"store.dsn":              "file:data/bcvipps.db",
		"log.level":              "info",
		"log.format":             "json",
		"worker.pollBatch":       100,
		"worker.concurrency":     64,
		"worker.leaseDuration":   DefaultLeaseDuration,
		"worker.stepTimeout":     DefaultStepTimeout,
		"worker.applyDeadline":   24 * time.Hour,
		"worker.retryBackoffMax": 5 * time.Minute,
		"retention.profile":      DefaultRetentionProfile,
		"retention.requests":     30 * 24 * time.Hour,
		"login.defaultExpiry":    5 * time.Minute,
		"login.bindingMessage":   false,
		"upstream.caFile":        "",
		"upstream.timeout":       DefaultUpstreamTimeout,
	}
}

// Timeouts that work together: one upstream attempt fits in a step, a step
// ends inside its lease, and a shutdown waits for a step in progress.
const (
	DefaultUpstreamTimeout  = 10 * time.Second
	DefaultStepTimeout      = 25 * time.Second
	DefaultLeaseDuration    = 60 * time.Second
	DefaultShutdownTimeout  = 30 * time.Second
	DefaultRetentionProfile = 10 * time.Minute
)

// Tenant-level defaults.
const (
	DefaultBCBaseURL           = "https://api.businesscentral.dynamics.com/v2.0"
	DefaultBCRequestsPerWindow = 6000
	DefaultBCWindow            = 5 * time.Minute
	DefaultBCMaxInFlight       = 5
	DefaultImplicitPhonePrefix = "+47"
	DefaultNameFormat          = "firstLast"
	DefaultOnNameMismatch      = NameMismatchWarn
)

// defaultUseCases are added to a tenant that does not configure them.
func defaultUseCases() map[string]UseCase {
	return map[string]UseCase{
		UseCaseCustomerCard: {
			Kind:   KindCustomer,
			Scopes: []string{"openid", "name", "email", "address", "phoneNumber"},
		},
		UseCasePOSMemberRegistration: {
			Kind:   KindMember,
			Scopes: []string{"openid", "name", "email", "address", "birthDate", "phoneNumber", "delegatedConsents"},
		},
		UseCaseClubEnrollment: {
			Kind:   KindEnrollment,
			Scopes: []string{"openid", "name", "email", "birthDate", "phoneNumber", "delegatedConsents"},
		},
	}
}

// applyDefaults fills what the file and the environment left empty.
func (c *Config) applyDefaults() {
	for i := range c.Tenants {
		t := &c.Tenants[i]
		bc := &t.BusinessCentral
		if bc.BaseURL == "" {
			bc.BaseURL = DefaultBCBaseURL
		}
		if bc.Auth.Method == "" {
			bc.Auth.Method = AuthClientSecret
		}
		if bc.Limits.RequestsPerWindow == 0 {
			bc.Limits.RequestsPerWindow = DefaultBCRequestsPerWindow
		}
		if bc.Limits.Window == 0 {
			bc.Limits.Window = DefaultBCWindow
		}
		if bc.Limits.MaxInFlight == 0 {
			bc.Limits.MaxInFlight = DefaultBCMaxInFlight
		}
		if t.Vipps.Environment == "" {
			t.Vipps.Environment = VippsTest
		}
		for j := range t.Vipps.SalesUnits {
			if t.Vipps.SalesUnits[j].LoginAuthMethod == "" {
				t.Vipps.SalesUnits[j].LoginAuthMethod = LoginAuthBasic
			}
		}
		if t.UseCases == nil {
			t.UseCases = map[string]UseCase{}
		}
		for name, uc := range defaultUseCases() {
			if _, ok := t.UseCases[name]; !ok {
				// The default POS use case updates an existing member when
				// the tenant has NP Retail and the till names the member.
				uc.UpdateExisting = uc.Kind == KindMember && t.NPRetail.BaseURL != ""
				t.UseCases[name] = uc
			}
		}
		for name, uc := range t.UseCases {
			if uc.Kind == "" {
				uc.Kind = inferKind(name)
			}
			if len(uc.Scopes) == 0 {
				if d, ok := defaultUseCases()[name]; ok {
					uc.Scopes = d.Scopes
				}
			}
			if !slices.Contains(uc.Scopes, "openid") {
				uc.Scopes = append([]string{"openid"}, uc.Scopes...)
			}
			if uc.SalesUnit == "" && len(t.Vipps.SalesUnits) > 0 {
				uc.SalesUnit = t.Vipps.SalesUnits[0].MSN
			}
			if uc.RequestedExpiry == 0 {
				uc.RequestedExpiry = c.Login.DefaultExpiry
			}
			t.UseCases[name] = uc
		}
		if t.Jobs.PaymentSweep.Schedule == "" {
			t.Jobs.PaymentSweep.Schedule = DefaultPaymentSweep
		}
		if t.Jobs.Settlement.MissingAfterDays == 0 {
			t.Jobs.Settlement.MissingAfterDays = 3
		}
		if t.Payments.AuthorizationAlertHours == 0 {
			t.Payments.AuthorizationAlertHours = 24
		}
		m := &t.Mapping
		if m.ImplicitPhonePrefix == "" {
			m.ImplicitPhonePrefix = DefaultImplicitPhonePrefix
		}
		if m.NameFormat == "" {
			m.NameFormat = DefaultNameFormat
		}
		if m.OnNameMismatch == "" {
			m.OnNameMismatch = DefaultOnNameMismatch
		}
		if m.RequireVerifiedEmail == nil {
			yes := true
			m.RequireVerifiedEmail = &yes
		}
	}
}

// inferKind returns the kind of a well-known use case, or "" for others.
func inferKind(name string) string {
	switch name {
	case UseCaseCustomerCard:
		return KindCustomer
	case UseCasePOSMemberRegistration:
		return KindMember
	case UseCaseClubEnrollment:
		return KindEnrollment
	}
	return ""
}
