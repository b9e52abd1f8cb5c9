package mapping

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

// customerLimits are the BC customer field lengths by JSON name.
var customerLimits = map[string]int{
	"displayName": bc.MaxCustomerDisplayName, "addressLine1": bc.MaxCustomerAddressLine1,
	"addressLine2": bc.MaxCustomerAddressLine2, "city": bc.MaxCustomerCity,
	"postalCode": bc.MaxCustomerPostalCode, "country": bc.MaxCustomerCountry,
	"phoneNumber": bc.MaxCustomerPhoneNumber, "email": bc.MaxCustomerEmail,
}

// memberLimits are the NP Retail member field lengths by JSON name.
var memberLimits = map[string]int{
	"firstName": bc.MaxMemberFirstName, "middleName": bc.MaxMemberMiddleName,
	"lastName": bc.MaxMemberLastName, "email": bc.MaxMemberEmail, "phoneNo": bc.MaxMemberPhoneNo,
	"address": bc.MaxMemberAddress, "postCode": bc.MaxMemberPostCode, "city": bc.MaxMemberCity,
	"country": bc.MaxMemberCountry, "birthday": 10, "gender": 13, "newsletter": 13, "gdprConsent": 8,
}

func checkValue(t *testing.T, field, v string, limits map[string]int) {
	t.Helper()
	if !utf8.ValidString(v) {
		t.Errorf("%s is not valid UTF-8", field)
	}
	max, ok := limits[field]
	if !ok {
		t.Errorf("unexpected field %s", field)
		return
	}
	if n := utf8.RuneCountInString(v); n > max {
		t.Errorf("%s has %d characters, field allows %d", field, n, max)
	}
	if strings.TrimSpace(v) != v {
		t.Errorf("%s is not trimmed", field)
	}
}

func checkWarnings(t *testing.T, ws []Warning) {
	t.Helper()
	for _, w := range ws {
		if w.Reason == "" || (w.Field == "" && w.Code == "") {
			t.Errorf("incomplete warning %+v", w)
		}
	}
}

// seedProfiles adds every golden profile to the fuzz corpus.
func seedProfiles(f *testing.F) {
	for _, path := range profiles(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func fuzzOptions() Options {
	o := goldenOptions()
	o.DefaultPolicy = PolicyAlways
	o.SplitGivenName = true
	return o
}

// FuzzCustomer maps arbitrary profiles onto a customer.
func FuzzCustomer(f *testing.F) {
	seedProfiles(f)
	o := fuzzOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		var p vipps.UserInfo
		if json.Unmarshal(data, &p) != nil {
			return
		}
		current := bc.Customer{DisplayName: p.Name, City: "x", Email: p.Email}
		r := Customer(&p, current, o)
		for field, v := range r.Patch {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("%s is %T", field, v)
			}
			checkValue(t, field, s, customerLimits)
		}
		checkChangesMatchPatch(t, r.Patch, r.Changes)
		checkWarnings(t, r.Warnings)
		MatchCustomer(&p, []Candidate{{VippsSub: p.Sub}, {Phone: p.PhoneNumber, Email: p.Email}})
	})
}

// FuzzMember maps arbitrary profiles onto member fields.
func FuzzMember(f *testing.F) {
	seedProfiles(f)
	o := fuzzOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		var p vipps.UserInfo
		if json.Unmarshal(data, &p) != nil {
			return
		}
		r := Member(&p, o)
		var fields map[string]string
		b, err := json.Marshal(r.Member)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatal(err)
		}
		for field, v := range fields {
			checkValue(t, field, v, memberLimits)
		}
		checkWarnings(t, r.Warnings)
		c := MemberChanges(&p, bc.Member{FirstName: "x"}, o)
		for field, v := range c.Patch {
			checkValue(t, field, v.(string), memberLimits)
		}
		checkChangesMatchPatch(t, c.Patch, c.Changes)
	})
}

// FuzzParsePhone parses arbitrary input: no panic, consistent forms, and an
// error never repeats the number.
func FuzzParsePhone(f *testing.F) {
	for _, path := range profiles(f) {
		var p vipps.UserInfo
		b, _ := os.ReadFile(path)
		if json.Unmarshal(b, &p) == nil && p.PhoneNumber != "" {
			f.Add(p.PhoneNumber, "")
			f.Add("+"+p.PhoneNumber, "+47")
		}
	}
	for _, s := range []string{"+47 912 34 567", "0047 91234567", "91234567", "912-34-567", "(+47) 912.34.567", "070-123 45 67", "abc", "", "+", "00", "+999 1",
		"4512345678", "12345", "+4712345", "358401234567", "+4300000000", "+39 06 1234 5678"} {
		f.Add(s, "+47")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, input, prefix string) {
		ph, err := ParsePhone(input, prefix)
		if err != nil {
			if digits := strings.Map(keepDigits, input); len(digits) >= 4 && strings.Contains(err.Error(), digits) {
				t.Errorf("error contains the number")
			}
			return
		}
		if ph.MSISDN == "" || strings.Map(keepDigits, ph.MSISDN) != ph.MSISDN {
			t.Errorf("MSISDN %q is not all digits", ph.MSISDN)
		}
		if ph.E164 != "+"+ph.MSISDN {
			t.Errorf("E164 %q does not match MSISDN %q", ph.E164, ph.MSISDN)
		}
		if n := utf8.RuneCountInString(ph.BCFormat()); n > bc.MaxCustomerPhoneNumber {
			t.Errorf("BCFormat has %d characters", n)
		}
		again, err := ParsePhone(ph.BCFormat(), "")
		if err != nil || again.E164 != ph.E164 {
			t.Errorf("BCFormat does not parse back to the same number: %v", err)
		}
	})
}
