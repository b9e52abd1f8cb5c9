package vippstest

import (
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

// Behaviour is how a simulated user answers a login or payment request.
type Behaviour string

// Behaviours of simulated users.
const (
	BehaviourApprove     Behaviour = "approve"      // approves after the user's Delay
	BehaviourReject      Behaviour = "reject"       // declines after the user's Delay
	BehaviourIgnore      Behaviour = "ignore"       // never answers; requests expire
	BehaviourOldApp      Behaviour = "old_app"      // login refused: app too old
	BehaviourInvalidUser Behaviour = "invalid_user" // login refused: no or ineligible account
)

func (b Behaviour) valid() bool {
	switch b {
	case BehaviourApprove, BehaviourReject, BehaviourIgnore, BehaviourOldApp, BehaviourInvalidUser:
		return true
	}
	return false
}

// User is a simulated Vipps user ("persona").
type User struct {
	PhoneNumber string // MSISDN digits, e.g. 4791234567
	Behaviour   Behaviour
	Delay       time.Duration // how long the user takes to answer
	// Profile holds every claim the user can share; userinfo returns the
	// consented subset. Sub is ignored: it is derived per sales unit.
	Profile vipps.UserInfo
}

// SalesUnit is a merchant sales unit with its API keys.
type SalesUnit struct {
	MSN, ClientID, ClientSecret, SubscriptionKey string
	// LoginAuthMethod is "client_secret_basic" (default) or
	// "client_secret_post": the login client authentication the unit accepts.
	LoginAuthMethod string
	// Currency is the one currency the unit takes payments in and settles
	// (its ledger's); default NOK.
	Currency string
}

// Partner holds partner keys that may act for the sales units in MSNs; a
// partner call must send the Merchant-Serial-Number of one of them.
type Partner struct {
	ClientID, ClientSecret, SubscriptionKey string
	MSNs                                    []string
}

// MSISDNs of the built-in personas.
const (
	PersonaApprove     = "4791234567" // Norwegian, approves after 2 s, full profile
	PersonaReject      = "4792345678" // declines after 2 s
	PersonaIgnore      = "4793456789" // never answers
	PersonaDanish      = "4512345678" // Danish, approves after 2 s
	PersonaOldApp      = "4794567890" // login refused with error_code old_app
	PersonaInvalidUser = "4795678901" // login refused with error_code invalid_user
)

func boolPtr(b bool) *bool { return &b }

func builtinPersonas() []User {
	consents := &vipps.DelegatedConsents{
		Language:                 "NO",
		Heading:                  "Bli medlem i kundeklubben",
		Text:                     "Vi vil gjerne sende deg tilbud.",
		TermsDescription:         "Les vilkårene",
		ConfirmConsentButtonText: "Bli medlem",
		Links:                    map[string]string{"termsLinkText": "Vilkår", "termsLinkUrl": "https://example.com/terms"},
		TimeOfConsent:            "2026-01-15T10:00:00Z",
		Consents: []vipps.Consent{
			{ID: "email", Accepted: true, TextDisplayedToUser: "E-post"},
			{ID: "sms", Accepted: true, TextDisplayedToUser: "SMS"},
			{ID: "digital", Accepted: false, TextDisplayedToUser: "Digital markedsføring"},
		},
	}
	return []User{
		{
			PhoneNumber: PersonaApprove, Behaviour: BehaviourApprove, Delay: 2 * time.Second,
			Profile: vipps.UserInfo{
				Name: "Åse Ærlig Østby", GivenName: "Åse Ærlig", FamilyName: "Østby",
				BirthDate: "1985-04-17", Email: "ase.ostby@example.com", EmailVerified: boolPtr(true),
				PhoneNumber: PersonaApprove, PhoneNumberVerified: boolPtr(true),
				NIN: "17048512345",
				Address: &vipps.Address{
					StreetAddress: "Storgata 1\nH0301", PostalCode: "0155", Region: "Oslo", Country: "NO",
					Formatted: "Storgata 1\nH0301\n0155 Oslo\nNO", AddressType: "home", Default: boolPtr(true),
				},
				OtherAddresses: []vipps.Address{{
					StreetAddress: "Hyttevegen 7", PostalCode: "3580", Region: "Geilo", Country: "NO",
					Formatted: "Hyttevegen 7\n3580 Geilo\nNO", AddressType: "other", Default: boolPtr(false),
				}},
				DelegatedConsents: consents,
			},
		},
		{
			PhoneNumber: PersonaReject, Behaviour: BehaviourReject, Delay: 2 * time.Second,
			Profile: vipps.UserInfo{Name: "Nils Nei", GivenName: "Nils", FamilyName: "Nei", PhoneNumber: PersonaReject, PhoneNumberVerified: boolPtr(true)},
		},
		{
			PhoneNumber: PersonaIgnore, Behaviour: BehaviourIgnore,
			Profile: vipps.UserInfo{Name: "Ingrid Ingen", GivenName: "Ingrid", FamilyName: "Ingen", PhoneNumber: PersonaIgnore, PhoneNumberVerified: boolPtr(true)},
		},
		{
			PhoneNumber: PersonaDanish, Behaviour: BehaviourApprove, Delay: 2 * time.Second,
			Profile: vipps.UserInfo{
				Name: "Søren Kierkegård", GivenName: "Søren", FamilyName: "Kierkegård",
				BirthDate: "1990-05-05", Email: "soren@example.dk", EmailVerified: boolPtr(true),
				PhoneNumber: PersonaDanish, PhoneNumberVerified: boolPtr(true),
				Address: &vipps.Address{
					StreetAddress: "Nørregade 10, 2. th.", PostalCode: "1165", Region: "København K", Country: "DK",
					Formatted: "Nørregade 10, 2. th.\n1165 København K\nDK", AddressType: "home", Default: boolPtr(true),
				},
			},
		},
		{PhoneNumber: PersonaOldApp, Behaviour: BehaviourOldApp},
		{PhoneNumber: PersonaInvalidUser, Behaviour: BehaviourInvalidUser},
	}
}

// AddUser adds or replaces a simulated user.
func (s *Sim) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u.Profile.Sub = ""
	s.users[u.PhoneNumber] = u
}

// AddSalesUnit adds or replaces a sales unit whose keys the simulator then
// accepts.
func (s *Sim) AddSalesUnit(u SalesUnit) {
	if u.LoginAuthMethod == "" {
		u.LoginAuthMethod = authBasic
	}
	if u.Currency == "" {
		u.Currency = "NOK"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.salesUnits[u.ClientID] = u
}

// unitCurrency is the currency of the sales unit msn (NOK when the unit is
// not one of the simulator's own, e.g. a partner's). s.mu is held.
func (s *Sim) unitCurrency(msn string) string {
	for _, u := range s.salesUnits {
		if u.MSN == msn {
			return u.Currency
		}
	}
	return "NOK"
}

// AddPartner adds or replaces partner keys.
func (s *Sim) AddPartner(p Partner) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partners[p.ClientID] = p
}

func (s *Sim) user(msisdn string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[msisdn]
	return u, ok
}
