package login

import (
	"fmt"
	"maps"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/tenants"
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
	// membershipCode (enrollment) is the default membership of new members.
	membershipCode string
	// membershipItems (enrollment) are the membership codes' sales items
	// (NP Retail creates a membership from its item).
	membershipItems map[string]string
	options         mapping.Options
}

// membershipItem is the sales item of the membership code, "" when none
// is configured.
func (uc useCase) membershipItem(code string) string {
	return uc.membershipItems[code]
}

func newTenant(shared *tenants.Tenant, loginDflt time.Duration) (*tenant, error) {
	tc := shared.Config
	t := &tenant{id: tc.ID, cfg: tc, vipps: shared.Vipps, bc: shared.BC, np: shared.NP, useCases: map[string]useCase{}}

	opts, err := mappingOptions(tc.Mapping)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: mapping: %w", tc.ID, err)
	}
	t.mapping = opts

	for name, uc := range tc.UseCases {
		msn := uc.SalesUnit
		if msn == "" {
			msn = shared.DefaultMSN()
		}
		if _, ok := t.vipps[msn]; !ok {
			return nil, fmt.Errorf("tenant %s: use case %s: no sales unit %s", tc.ID, name, msn)
		}
		expiry := uc.RequestedExpiry
		if expiry == 0 {
			expiry = loginDflt
		}
		items := maps.Clone(uc.MembershipItems)
		if uc.MembershipCode != "" && uc.MembershipItem != "" {
			if items == nil {
				items = map[string]string{}
			}
			items[uc.MembershipCode] = uc.MembershipItem
		}
		t.useCases[name] = useCase{name: name, kind: uc.Kind, updateMember: uc.UpdateExisting, scopes: uc.Scopes, msn: msn, expiry: expiry,
			options: opts, membershipCode: uc.MembershipCode, membershipItems: items}
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
