package mapping

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

// TestNameMismatch checks which stored names differ clearly from the name
// in Vipps.
func TestNameMismatch(t *testing.T) {
	tests := []struct {
		vipps, stored string
		mismatch      bool
	}{
		{"Kari Nordmann", "Kari Nordmann", false},
		{"Kari Nordmann", "kari nordmann", false},
		{"Kari Nordmann", "NORDMANN KARI", false},
		{"Kari Nordmann", "Nordmann, Kari", false},
		{"Kari Nordmann", "Kari M. Nordmann", false},
		{"Kari Marie Nordmann", "Kari Nordmann", false},
		{"Kari Nordmann", "K. Nordmann", false},
		{"Kari Nordmann", "K Nordmann", false},
		{"Kari Nordmann", "  Kari \t Nordmann\n", false},
		{"Kari Nordmann", "Kari", false},
		{"Kari Nordmann", "Kari Nordmann Hansen", false},
		{"Anne-Marie Nordmann", "Anne Marie Nordmann", false},
		{"Søren Kierkegård", "Soren Kierkegaard", false},
		{"Søren Kierkegaard", "Soeren Kierkegård", false},
		{"Åse Ødegård", "Aase Oedegaard", false},
		{"Björn Öberg", "Bjoern Oeberg", false},
		{"Björn Öberg", "Bjorn Oberg", false},
		{"Aino Järvinen", "Aino Jaervinen", false},
		{"Bla\u030aba\u030ar Hansen", "Blåbår Hansen", false},
		{"Chris O'Brien", "Chris OBrien", false},
		{"Christian Hansen", "Chr. Hansen", false},
		{"Kari Nordmann", "Kari Nordman", false},
		{"Kari Nordmann", "", false},
		{"", "Kari Nordmann", false},
		{"Kari Nordmann", " . , ", false},
		{"Ola Hansen", "Kari Nordmann", true},
		{"Ola Nordmann", "Kari Nordmann", true},
		{"Kari Hansen", "Kari Nordmann", true},
		{"Jan Hansen", "Janne Hansen", true},
		{"Karin Berg", "Karen Berg", true},
		{"Kari Nordmann", "Acme AS", true},
		{"Kari Nordmann", "O. Nordmann", true},
		{"Kari Nordmann", "Kari Kari", true},
	}
	for _, tc := range tests {
		t.Run(tc.vipps+" vs "+tc.stored, func(t *testing.T) {
			if got := NameMismatch(tc.vipps, tc.stored); got != tc.mismatch {
				t.Errorf("NameMismatch(%q, %q) = %v, want %v", tc.vipps, tc.stored, got, tc.mismatch)
			}
			if got := NameMismatch(tc.stored, tc.vipps); got != tc.mismatch {
				t.Errorf("NameMismatch is not symmetric for %q, %q", tc.stored, tc.vipps)
			}
		})
	}
}

// TestCustomerNameMismatch checks the warning and the skip option on an
// existing customer.
func TestCustomerNameMismatch(t *testing.T) {
	tests := []struct {
		name     string
		stored   string
		action   NameMismatchAction
		warning  bool
		hasPatch bool
	}{
		{"same person, other spelling", "NORDMANN, KARI M.", NameMismatchWarn, false, true},
		{"new customer", "", NameMismatchSkip, false, true},
		{"other person is written with a warning by default", "Ola Hansen", "", true, true},
		{"other person is written with a warning", "Ola Hansen", NameMismatchWarn, true, true},
		{"other person is skipped", "Ola Hansen", NameMismatchSkip, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts(func(o *Options) {
				o.OnNameMismatch = tc.action
				o.UpdatePolicy = map[string]Policy{"displayName": PolicyAlways}
				o.CustomerBirthdayField = "vippsBirthDate"
			})
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			p := basicProfile()
			p.BirthDate = "1985-04-17"
			p.EmailVerified = ptr(false)
			r := Customer(p, bc.Customer{DisplayName: tc.stored}, o)
			checkChangesMatchPatch(t, r.Patch, r.Changes)
			got := len(r.Warnings) > 0 && r.Warnings[0] == nameMismatchWarning
			if got != tc.warning {
				t.Fatalf("name-mismatch warning = %v, want %v (warnings %+v)", got, tc.warning, r.Warnings)
			}
			if (len(r.Patch) > 0) != tc.hasPatch {
				t.Fatalf("patch = %v, want a patch: %v", r.Patch, tc.hasPatch)
			}
			if !tc.hasPatch {
				if r.Changes != nil || r.Extra != nil || !reflect.DeepEqual(r.Warnings, []Warning{nameMismatchWarning}) {
					t.Errorf("skipped result = %+v, want only the name-mismatch warning", r)
				}
				return
			}
			if r.Patch["displayName"] != "Kari Nordmann" {
				t.Errorf("displayName = %v", r.Patch["displayName"])
			}
			if !reflect.DeepEqual(r.Warnings[len(r.Warnings)-1], Warning{Field: "email", Reason: ReasonEmailUnverified}) {
				t.Errorf("other warnings lost: %+v", r.Warnings)
			}
		})
	}
}

// TestMemberChangesNameMismatch checks the warning and the skip option on
// an existing NP Retail member.
func TestMemberChangesNameMismatch(t *testing.T) {
	tests := []struct {
		name     string
		stored   bc.Member
		action   NameMismatchAction
		warning  bool
		hasPatch bool
	}{
		{"same person with middle name", bc.Member{FirstName: "KARI", MiddleName: "M.", LastName: "NORDMANN"}, NameMismatchSkip, false, true},
		{"same person, names swapped", bc.Member{FirstName: "Nordmann", LastName: "Kari"}, NameMismatchSkip, false, true},
		{"member without a name", bc.Member{PhoneNo: "+4791234567"}, NameMismatchSkip, false, true},
		{"other person is written with a warning", bc.Member{FirstName: "Ola", LastName: "Hansen"}, NameMismatchWarn, true, true},
		{"other person is skipped", bc.Member{FirstName: "Ola", LastName: "Hansen"}, NameMismatchSkip, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts(func(o *Options) { o.OnNameMismatch = tc.action })
			r := MemberChanges(basicProfile(), tc.stored, o)
			checkChangesMatchPatch(t, r.Patch, r.Changes)
			got := len(r.Warnings) > 0 && r.Warnings[0] == nameMismatchWarning
			if got != tc.warning {
				t.Fatalf("name-mismatch warning = %v, want %v (warnings %+v)", got, tc.warning, r.Warnings)
			}
			if (len(r.Patch) > 0) != tc.hasPatch {
				t.Fatalf("patch = %v, want a patch: %v", r.Patch, tc.hasPatch)
			}
			if !tc.hasPatch && (r.Changes != nil || !reflect.DeepEqual(r.Warnings, []Warning{nameMismatchWarning})) {
				t.Errorf("skipped result = %+v, want only the name-mismatch warning", r)
			}
		})
	}
}

// TestNameMismatchWarningIsSafe checks that the warning names no field and
// no personal value, and carries its code in JSON.
func TestNameMismatchWarningIsSafe(t *testing.T) {
	r := Customer(basicProfile(), bc.Customer{DisplayName: "Ola Hansen"}, opts(nil))
	w := r.Warnings[0]
	if w.Code != "name-mismatch" || w.Field != "" {
		t.Fatalf("warning = %+v", w)
	}
	for _, v := range []string{"kari", "nordmann", "ola", "hansen"} {
		if strings.Contains(strings.ToLower(w.Reason), v) {
			t.Errorf("reason %q contains a name", w.Reason)
		}
	}
	if _, written := r.Patch[w.Field]; w.Field != "" && !written {
		t.Errorf("warning names %q, which is not written", w.Field)
	}
}

// TestWarningsOnlyForWrittenFields checks that no warning names a field the
// update policy keeps, or a cut value that is not written.
func TestWarningsOnlyForWrittenFields(t *testing.T) {
	longGiven := "Åse Ærlighet Øydis Æsa Blåbærsyltetøy Gråtass Kjærlighetsfjøs Bjørnebærstrøm Østensjø Ærfugl Åsmund"
	longCity := "Øvre Årdal og Kjøllefjordbråtenhøgda"
	cutCity := "Øvre Årdal og Kjøllefjordbråte"
	tests := []struct {
		name    string
		profile func(p *vipps.UserInfo)
		current bc.Customer
		opts    func(o *Options)
		want    []Warning
	}{
		{"cut name kept by ifEmpty", func(p *vipps.UserInfo) { p.GivenName = longGiven },
			bc.Customer{DisplayName: "Åse Nordmann"}, nil, nil},
		{"cut name written by always", func(p *vipps.UserInfo) { p.GivenName = longGiven },
			bc.Customer{DisplayName: "Åse Nordmann"}, func(o *Options) { o.UpdatePolicy = map[string]Policy{"displayName": PolicyAlways} },
			[]Warning{{Field: "displayName", Reason: ReasonTruncated}}},
		{"unverified e-mail kept by ifEmpty", func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			bc.Customer{Email: "old@example.no"}, nil, nil},
		{"unverified e-mail on a field that is never written", func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			bc.Customer{}, func(o *Options) { o.UpdatePolicy = map[string]Policy{"email": PolicyNever} }, nil},
		{"unverified e-mail that would have been written", func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			bc.Customer{}, nil, []Warning{{Field: "email", Reason: ReasonEmailUnverified}}},
		{"bad phone on a field that is never written", func(p *vipps.UserInfo) { p.PhoneNumber = "12" },
			bc.Customer{}, func(o *Options) { o.UpdatePolicy = map[string]Policy{"phoneNumber": PolicyNever} }, nil},
		{"bad country of an address that is kept", func(p *vipps.UserInfo) { p.Address.Country = "Norge" },
			bc.Customer{AddressLine1: "Gammel vei 1"}, nil, nil},
		{"bad country of an address that is never written", func(p *vipps.UserInfo) { p.Address.Country = "Norge" },
			bc.Customer{}, func(o *Options) { o.UpdatePolicy = map[string]Policy{"address": PolicyNever} }, nil},
		{"empty address where the address is kept", func(p *vipps.UserInfo) { p.Address = &vipps.Address{} },
			bc.Customer{City: "Oslo"}, nil, nil},
		{"cut city equal to the stored city", func(p *vipps.UserInfo) { p.Address.Region = longCity },
			bc.Customer{AddressLine1: "Storgata 1", City: cutCity, PostalCode: "0155", Country: "NO"},
			func(o *Options) { o.UpdatePolicy = map[string]Policy{"address": PolicyAlways} }, nil},
		{"cut city that is written", func(p *vipps.UserInfo) { p.Address.Region = longCity },
			bc.Customer{}, nil, []Warning{{Field: "city", Reason: ReasonTruncated}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := basicProfile()
			tc.profile(p)
			r := Customer(p, tc.current, opts(tc.opts))
			if !reflect.DeepEqual(r.Warnings, tc.want) {
				t.Errorf("warnings = %+v, want %+v", r.Warnings, tc.want)
			}
			checkWarningsWritten(t, r.Warnings, r.Patch)
		})
	}

	members := []struct {
		name    string
		profile func(p *vipps.UserInfo)
		current bc.Member
		opts    func(o *Options)
		want    []Warning
	}{
		{"cut first name kept by ifEmpty", func(p *vipps.UserInfo) { p.GivenName = longGiven },
			bc.Member{FirstName: "Åse", LastName: "Nordmann"}, nil, nil},
		{"cut first name that is written", func(p *vipps.UserInfo) { p.GivenName = longGiven },
			bc.Member{}, nil, []Warning{{Field: "firstName", Reason: ReasonTruncated}}},
		{"invalid birthday kept by ifEmpty", func(p *vipps.UserInfo) { p.BirthDate = "1985-02-30" },
			bc.Member{Birthday: "1985-02-28"}, nil, nil},
		{"unverified e-mail on a field that is never written", func(p *vipps.UserInfo) { p.EmailVerified = ptr(false) },
			bc.Member{}, func(o *Options) { o.UpdatePolicy = map[string]Policy{"email": PolicyNever} }, nil},
		{"empty address where the address is kept", func(p *vipps.UserInfo) { p.Address = &vipps.Address{} },
			bc.Member{Address: "Vei 1"}, nil, nil},
		{"bad country where the address is kept", func(p *vipps.UserInfo) { p.Address.Country = "Norge" },
			bc.Member{City: "Oslo"}, nil, nil},
	}
	for _, tc := range members {
		t.Run("member: "+tc.name, func(t *testing.T) {
			p := basicProfile()
			tc.profile(p)
			r := MemberChanges(p, tc.current, opts(tc.opts))
			if !reflect.DeepEqual(r.Warnings, tc.want) {
				t.Errorf("warnings = %+v, want %+v", r.Warnings, tc.want)
			}
			checkWarningsWritten(t, r.Warnings, r.Patch)
		})
	}
}

// checkWarningsWritten checks that a "cut" warning names a written field.
func checkWarningsWritten(t *testing.T, ws []Warning, patch map[string]any) {
	t.Helper()
	for _, w := range ws {
		if _, ok := patch[w.Field]; w.Reason == ReasonTruncated && !ok {
			t.Errorf("warning %+v names a field that is not written", w)
		}
	}
}
