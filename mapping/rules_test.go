package mapping

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

func ptr[T any](v T) *T { return &v }

func basicProfile() *vipps.UserInfo {
	return &vipps.UserInfo{
		Sub: "sub-1", GivenName: "Kari", FamilyName: "Nordmann",
		Email: "kari@example.no", EmailVerified: ptr(true), PhoneNumber: "4791234567",
		Address: &vipps.Address{StreetAddress: "Storgata 1", PostalCode: "0155", Region: "Oslo", Country: "NO", AddressType: "home", Default: ptr(true)},
	}
}

func opts(mod func(*Options)) Options {
	o := DefaultOptions()
	o.ImplicitPhonePrefix = "+47"
	if mod != nil {
		mod(&o)
	}
	return o
}

// TestCustomerRules checks each mapping rule on the customer's patch.
func TestCustomerRules(t *testing.T) {
	tests := []struct {
		name    string
		profile func(p *vipps.UserInfo)
		current bc.Customer
		opts    func(o *Options)
		want    map[string]any // expected entries of the patch; nil value = absent
	}{
		{
			name:    "street line break splits into address lines 1 and 2",
			profile: func(p *vipps.UserInfo) { p.Address.StreetAddress = "Storgata 1\nH0302\n3. etg" },
			want:    map[string]any{"addressLine1": "Storgata 1", "addressLine2": "H0302, 3. etg"},
		},
		{
			name:    "region becomes the city",
			profile: func(p *vipps.UserInfo) { p.Address.Region = "Tromsø" },
			want:    map[string]any{"city": "Tromsø"},
		},
		{
			name: "default address wins over home",
			profile: func(p *vipps.UserInfo) {
				p.Address.Default = ptr(false)
				p.OtherAddresses = []vipps.Address{{StreetAddress: "Hytteveien 9", Region: "Geilo", PostalCode: "3580", Country: "NO", AddressType: "other", Default: ptr(true)}}
			},
			want: map[string]any{"addressLine1": "Hytteveien 9", "city": "Geilo"},
		},
		{
			name: "home address wins when none is default",
			profile: func(p *vipps.UserInfo) {
				p.Address = &vipps.Address{StreetAddress: "Jobbveien 1", Region: "Oslo", Country: "NO", AddressType: "work"}
				p.OtherAddresses = []vipps.Address{{StreetAddress: "Hjemveien 2", Region: "Asker", Country: "NO", AddressType: "home"}}
			},
			want: map[string]any{"addressLine1": "Hjemveien 2", "city": "Asker"},
		},
		{
			name: "first other address when neither default nor home",
			profile: func(p *vipps.UserInfo) {
				p.Address = &vipps.Address{}
				p.OtherAddresses = []vipps.Address{{StreetAddress: "Jobbveien 1", Region: "Bergen", Country: "NO", AddressType: "work"}, {StreetAddress: "Annen 3", Region: "Voss", AddressType: "other"}}
			},
			want: map[string]any{"addressLine1": "Jobbveien 1", "city": "Bergen"},
		},
		{
			name:    "profile without address leaves the BC address untouched",
			profile: func(p *vipps.UserInfo) { p.Address = &vipps.Address{} },
			opts:    func(o *Options) { o.UpdatePolicy = map[string]Policy{"address": PolicyAlways} },
			current: bc.Customer{AddressLine1: "Gammel vei 1", City: "Oslo"},
			want:    map[string]any{"addressLine1": nil, "addressLine2": nil, "city": nil, "postalCode": nil, "country": nil},
		},
		{
			name: "given and family name as First Last by default",
			want: map[string]any{"displayName": "Kari Nordmann"},
		},
		{
			name: "name format Last, First",
			opts: func(o *Options) { o.NameFormat = NameLastFirst },
			want: map[string]any{"displayName": "Nordmann, Kari"},
		},
		{
			name:    "full name is the fallback",
			profile: func(p *vipps.UserInfo) { p.GivenName, p.FamilyName, p.Name = "", "", "Kari  Nordmann" },
			want:    map[string]any{"displayName": "Kari Nordmann"},
		},
		{
			name: "country codes go through the table",
			opts: func(o *Options) { o.CountryCodes = map[string]string{"NO": "NOR"} },
			want: map[string]any{"country": "NOR"},
		},
		{
			name:    "country codes are identity when absent from the table",
			profile: func(p *vipps.UserInfo) { p.Address.Country = "dk" },
			opts:    func(o *Options) { o.CountryCodes = map[string]string{"NO": "NOR"} },
			want:    map[string]any{"country": "DK"},
		},
		{
			name:    "post codes are upper-cased",
			profile: func(p *vipps.UserInfo) { p.Address.PostalCode = " sw1a 1aa " },
			want:    map[string]any{"postalCode": "SW1A 1AA"},
		},
		{
			name:    "unverified e-mail is left out",
			profile: func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			want:    map[string]any{"email": nil},
		},
		{
			name:    "e-mail without verification flag is left out",
			profile: func(p *vipps.UserInfo) { p.EmailVerified = nil },
			want:    map[string]any{"email": nil},
		},
		{
			name:    "unverified e-mail is used when verification is not required",
			profile: func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			opts:    func(o *Options) { o.RequireVerifiedEmail = false },
			want:    map[string]any{"email": "kari@example.no"},
		},
		{
			name:    "invalid e-mail is left out",
			profile: func(p *vipps.UserInfo) { p.Email = "kari@localhost" },
			want:    map[string]any{"email": nil},
		},
		{
			name:    "values are trimmed",
			profile: func(p *vipps.UserInfo) { p.GivenName, p.Address.Region = "  Kari\t", " Oslo \n" },
			want:    map[string]any{"displayName": "Kari Nordmann", "city": "Oslo"},
		},
		{
			name:    "city is cut to 30 characters without splitting a letter",
			profile: func(p *vipps.UserInfo) { p.Address.Region = "Øvre Årdal og Kjøllefjordbråtenhøgda" },
			want:    map[string]any{"city": "Øvre Årdal og Kjøllefjordbråte"},
		},
		{
			name:    "decomposed letters are composed before cutting",
			profile: func(p *vipps.UserInfo) { p.Address.Region = "Bla\u030aba\u030arsvei Sto\u0308rre Ha\u030alogaland Aa" },
			want:    map[string]any{"city": "Blåbårsvei Större Hålogaland A"},
		},
		{
			name:    "phone number is stored in E.164",
			profile: func(p *vipps.UserInfo) { p.PhoneNumber = "4791234567" },
			want:    map[string]any{"phoneNumber": "+4791234567"},
		},
		{
			name:    "ifEmpty keeps a stored value",
			current: bc.Customer{DisplayName: "K. Nordmann", Email: "old@example.no"},
			want:    map[string]any{"displayName": nil, "email": nil},
		},
		{
			name:    "always overwrites a different stored value",
			current: bc.Customer{DisplayName: "K. Nordmann"},
			opts:    func(o *Options) { o.UpdatePolicy = map[string]Policy{"displayName": PolicyAlways} },
			want:    map[string]any{"displayName": "Kari Nordmann"},
		},
		{
			name: "never leaves even an empty field alone",
			opts: func(o *Options) { o.UpdatePolicy = map[string]Policy{"email": PolicyNever, "address": PolicyNever} },
			want: map[string]any{"email": nil, "addressLine1": nil, "city": nil},
		},
		{
			name:    "equal values are not a change",
			current: bc.Customer{DisplayName: "Kari Nordmann", Email: "KARI@example.no", PhoneNumber: "912 34 567", Country: "no", City: "Oslo", PostalCode: "0155", AddressLine1: "Storgata 1"},
			opts: func(o *Options) {
				o.DefaultPolicy = PolicyAlways
				o.UpdatePolicy = map[string]Policy{"address": PolicyAlways}
			},
			want: map[string]any{"displayName": nil, "email": nil, "phoneNumber": nil, "country": nil, "city": nil, "postalCode": nil, "addressLine1": nil},
		},
		{
			name:    "ifEmpty address is written only when the stored address is empty",
			current: bc.Customer{City: "Bergen"},
			want:    map[string]any{"addressLine1": nil, "postalCode": nil, "country": nil},
		},
		{
			name:    "ifEmpty address ignores a preset country",
			current: bc.Customer{Country: "SE"},
			want:    map[string]any{"addressLine1": "Storgata 1", "country": "NO"},
		},
		{
			name:    "missing Vipps value never clears stored data",
			profile: func(p *vipps.UserInfo) { p.Email, p.PhoneNumber = "", "" },
			current: bc.Customer{Email: "old@example.no", PhoneNumber: "+4799999999"},
			opts:    func(o *Options) { o.DefaultPolicy = PolicyAlways },
			want:    map[string]any{"email": nil, "phoneNumber": nil},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basicProfile()
			if tc.profile != nil {
				tc.profile(p)
			}
			o := opts(tc.opts)
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			r := Customer(p, tc.current, o)
			for field, want := range tc.want {
				got, ok := r.Patch[field]
				if want == nil {
					if ok {
						t.Errorf("patch[%s] = %q, want absent", field, got)
					}
					continue
				}
				if got != want {
					t.Errorf("patch[%s] = %q, want %q", field, got, want)
				}
			}
			checkChangesMatchPatch(t, r.Patch, r.Changes)
		})
	}
}

// checkChangesMatchPatch checks that Changes and Patch list the same fields
// and values, and that every change really changes something.
func checkChangesMatchPatch(t *testing.T, patch map[string]any, changes []Change) {
	t.Helper()
	if len(patch) != len(changes) {
		t.Fatalf("patch has %d fields, changes %d", len(patch), len(changes))
	}
	for _, c := range changes {
		if patch[c.Field] != c.To {
			t.Errorf("change %s to %q, patch has %q", c.Field, c.To, patch[c.Field])
		}
		if c.From == c.To {
			t.Errorf("change %s does not change anything", c.Field)
		}
	}
}

// TestCustomerWarnings checks that cuts and omissions are reported with the
// field and reason only.
func TestCustomerWarnings(t *testing.T) {
	long := "Åse Ærlighet Øydis Æsa Blåbærsyltetøy Gråtass Kjærlighetsfjøs Bjørnebærstrøm Østensjø Ærfugl Åsmund"
	tests := []struct {
		name    string
		profile func(p *vipps.UserInfo)
		want    []Warning
	}{
		{"cut is reported", func(p *vipps.UserInfo) { p.Address.Region = "Øvre Årdal og Kjøllefjordbråtenhøgda" },
			[]Warning{{Field: "city", Reason: ReasonTruncated}}},
		{"dropping given names is reported", func(p *vipps.UserInfo) { p.GivenName = long },
			[]Warning{{Field: "displayName", Reason: ReasonTruncated}}},
		{"unverified e-mail is reported", func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			[]Warning{{Field: "email", Reason: ReasonEmailUnverified}}},
		{"invalid e-mail is reported", func(p *vipps.UserInfo) { p.Email = "not an address" },
			[]Warning{{Field: "email", Reason: ReasonEmailInvalid}}},
		{"too long e-mail is left out, not cut", func(p *vipps.UserInfo) { p.Email = strings.Repeat("a", 80) + "@example.no" },
			[]Warning{{Field: "email", Reason: ReasonTooLong}}},
		{"empty address is reported", func(p *vipps.UserInfo) { p.Address = &vipps.Address{} },
			[]Warning{{Field: "address", Reason: ReasonNoAddress}}},
		{"bad country code is reported", func(p *vipps.UserInfo) { p.Address.Country = "Norge" },
			[]Warning{{Field: "country", Reason: ReasonCountryInvalid}}},
		{"bad phone is reported", func(p *vipps.UserInfo) { p.PhoneNumber = "12" },
			[]Warning{{Field: "phoneNumber", Reason: ReasonPhoneInvalid}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basicProfile()
			tc.profile(p)
			r := Customer(p, bc.Customer{}, opts(nil))
			if !reflect.DeepEqual(r.Warnings, tc.want) {
				t.Errorf("warnings = %v, want %v", r.Warnings, tc.want)
			}
			if n := utf8.RuneCountInString(r.Patch["displayName"].(string)); n > bc.MaxCustomerDisplayName {
				t.Errorf("displayName has %d characters", n)
			}
		})
	}
}

// TestCustomerExtra checks the custom-API fields.
func TestCustomerExtra(t *testing.T) {
	p := basicProfile()
	p.BirthDate = "1985-04-17"
	p.DelegatedConsents = &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email", Accepted: true}, {ID: "sms", Accepted: false}}}
	tests := []struct {
		name string
		opts func(o *Options)
		want map[string]any
	}{
		{"nothing without configuration", nil, nil},
		{"birthday and consents in their configured fields", func(o *Options) {
			o.CustomerBirthdayField = "birthDate"
			o.CustomerConsentFields = map[string]string{"email": "emailOk", "sms": "smsOk", "digital": "digitalOk"}
		}, map[string]any{"birthDate": "1985-04-17", "emailOk": true, "smsOk": false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Customer(p, bc.Customer{}, opts(tc.opts))
			if !reflect.DeepEqual(r.Extra, tc.want) {
				t.Errorf("extra = %v, want %v", r.Extra, tc.want)
			}
		})
	}
}

// TestMemberRules checks the member-specific rules.
func TestMemberRules(t *testing.T) {
	tests := []struct {
		name    string
		profile func(p *vipps.UserInfo)
		opts    func(o *Options)
		check   func(t *testing.T, m bc.Member)
	}{
		{"second street line is appended to the address", func(p *vipps.UserInfo) { p.Address.StreetAddress = "Storgata 1\nH0302" }, nil,
			func(t *testing.T, m bc.Member) { eq(t, "address", m.Address, "Storgata 1, H0302") }},
		{"given and family name go to first and last name", nil, nil,
			func(t *testing.T, m bc.Member) {
				eq(t, "first", m.FirstName, "Kari")
				eq(t, "last", m.LastName, "Nordmann")
			}},
		{"double given name stays the first name by default", func(p *vipps.UserInfo) { p.GivenName = "Anne Marie" }, nil,
			func(t *testing.T, m bc.Member) {
				eq(t, "first", m.FirstName, "Anne Marie")
				eq(t, "middle", m.MiddleName, "")
			}},
		{"SplitGivenName moves later given names to the middle name", func(p *vipps.UserInfo) { p.GivenName = "Ola Johan" }, func(o *Options) { o.SplitGivenName = true },
			func(t *testing.T, m bc.Member) {
				eq(t, "first", m.FirstName, "Ola")
				eq(t, "middle", m.MiddleName, "Johan")
			}},
		{"full name splits into first, middle and last", func(p *vipps.UserInfo) { p.GivenName, p.FamilyName, p.Name = "", "", "Mette Marit Navnesen" }, nil,
			func(t *testing.T, m bc.Member) {
				eq(t, "first", m.FirstName, "Mette")
				eq(t, "middle", m.MiddleName, "Marit")
				eq(t, "last", m.LastName, "Navnesen")
			}},
		{"city may be 50 characters on a member", func(p *vipps.UserInfo) { p.Address.Region = "Øvre Årdal og Kjøllefjordbråtenhøgda" }, nil,
			func(t *testing.T, m bc.Member) { eq(t, "city", m.City, "Øvre Årdal og Kjøllefjordbråtenhøgda") }},
		{"accepted consents give newsletter YES and GDPR ACCEPTED", func(p *vipps.UserInfo) {
			p.DelegatedConsents = &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email", Accepted: true}, {ID: "personal", Accepted: true}}}
		}, nil, func(t *testing.T, m bc.Member) {
			eq(t, "newsletter", m.Newsletter, "YES")
			eq(t, "gdpr", m.GDPRConsent, "ACCEPTED")
		}},
		{"declined consents give newsletter NO and GDPR REJECTED", func(p *vipps.UserInfo) {
			p.DelegatedConsents = &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email"}, {ID: "personal"}}}
		}, nil, func(t *testing.T, m bc.Member) {
			eq(t, "newsletter", m.Newsletter, "NO")
			eq(t, "gdpr", m.GDPRConsent, "REJECTED")
		}},
		{"newsletter consent is configurable", func(p *vipps.UserInfo) {
			p.DelegatedConsents = &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email"}, {ID: "sms", Accepted: true}}}
		}, func(o *Options) { o.NewsletterConsent = "sms" }, func(t *testing.T, m bc.Member) { eq(t, "newsletter", m.Newsletter, "YES") }},
		{"missing consents leave the fields empty", nil, nil,
			func(t *testing.T, m bc.Member) {
				eq(t, "newsletter", m.Newsletter, "")
				eq(t, "gdpr", m.GDPRConsent, "")
			}},
		{"gender maps to NP Retail options", func(p *vipps.UserInfo) { p.Gender = "Female" }, nil,
			func(t *testing.T, m bc.Member) { eq(t, "gender", m.Gender, "FEMALE") }},
		{"invalid birthdate is left out", func(p *vipps.UserInfo) { p.BirthDate = "1985-02-30" }, nil,
			func(t *testing.T, m bc.Member) { eq(t, "birthday", m.Birthday, "") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basicProfile()
			if tc.profile != nil {
				tc.profile(p)
			}
			tc.check(t, Member(p, opts(tc.opts)).Member)
		})
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// TestMemberChanges checks the update policies on an existing member.
func TestMemberChanges(t *testing.T) {
	p := basicProfile()
	p.DelegatedConsents = &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email", Accepted: true}}}
	tests := []struct {
		name    string
		current bc.Member
		opts    func(o *Options)
		want    map[string]any
	}{
		{"empty member gets everything", bc.Member{}, nil, map[string]any{
			"firstName": "Kari", "lastName": "Nordmann", "email": "kari@example.no", "phoneNo": "+4791234567",
			"address": "Storgata 1", "postCode": "0155", "city": "Oslo", "country": "NO", "newsletter": "YES"}},
		{"ifEmpty keeps stored values and NOT_SPECIFIED counts as empty",
			bc.Member{FirstName: "K", LastName: "Nordmann", Email: "x@example.no", PhoneNo: "91234567", Address: "Vei 1", Newsletter: "NOT_SPECIFIED"},
			nil, map[string]any{"firstName": nil, "email": nil, "phoneNo": nil, "address": nil, "city": nil, "newsletter": "YES"}},
		{"gdprConsent is not written to an existing member (NP Retail ignores it there)",
			bc.Member{GDPRConsent: "PENDING"}, func(o *Options) { o.GDPRConsent = "email" },
			map[string]any{"gdprConsent": nil}},
		{"NP Retail's words for no decision count as empty",
			bc.Member{Gender: "notSpecified", Newsletter: "unknown"}, nil,
			map[string]any{"newsletter": "YES"}},
		{"a member's country, answered by name, is kept",
			bc.Member{Address: "Old 1", City: "Bergen", Country: "Norway"}, func(o *Options) { o.UpdatePolicy = map[string]Policy{FieldAddress: PolicyAlways} },
			map[string]any{"country": nil, "city": "Oslo"}},
		{"always overwrites, never does not",
			bc.Member{FirstName: "K", Newsletter: "NO"},
			func(o *Options) {
				o.UpdatePolicy = map[string]Policy{"firstName": PolicyAlways, "newsletter": PolicyNever}
			}, map[string]any{"firstName": "Kari", "newsletter": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := MemberChanges(p, tc.current, opts(tc.opts))
			for field, want := range tc.want {
				got, ok := r.Patch[field]
				if want == nil {
					if ok {
						t.Errorf("patch[%s] = %q, want absent", field, got)
					}
					continue
				}
				if got != want {
					t.Errorf("patch[%s] = %q, want %q", field, got, want)
				}
			}
			checkChangesMatchPatch(t, r.Patch, r.Changes)
			for _, c := range r.Changes {
				if c.Field == "gdprConsent" && c.From != tc.current.GDPRConsent {
					t.Errorf("change from %q, stored %q", c.From, tc.current.GDPRConsent)
				}
			}
		})
	}
}

// TestNilProfile checks that a nil profile maps to nothing.
func TestNilProfile(t *testing.T) {
	if r := Customer(nil, bc.Customer{}, DefaultOptions()); r.Patch != nil || r.Changes != nil {
		t.Errorf("Customer(nil) = %+v", r)
	}
	if r := Member(nil, DefaultOptions()); r.Member != (bc.Member{}) {
		t.Errorf("Member(nil) = %+v", r)
	}
	if r := MemberChanges(nil, bc.Member{}, DefaultOptions()); r.Patch != nil {
		t.Errorf("MemberChanges(nil) = %+v", r)
	}
	if m := MatchCustomer(nil, []Candidate{{ID: "1"}}); m.By != MatchNone {
		t.Errorf("MatchCustomer(nil) = %+v", m)
	}
}
