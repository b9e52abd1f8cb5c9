package mapping

import (
	"strings"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

// CustomerResult is what to write to a BC customer (API v2.0).
type CustomerResult struct {
	// Patch holds only the fields whose value really changes, under their
	// BC API v2.0 JSON names; send it as the PATCH (or POST) body.
	Patch map[string]any `json:"patch"`
	// Changes lists the same fields with their old and new values, in a
	// fixed order. It holds personal data: never log it.
	Changes []Change `json:"changes"`
	// Warnings name fields that were shortened or left out. Safe to log.
	Warnings []Warning `json:"warnings"`
	// Extra holds values for fields of a custom customer API page
	// (birthday, consents) as configured in Options. The standard customer
	// has no such fields, so they are not compared with stored data.
	Extra map[string]any `json:"extra"`
}

// Customer maps a Vipps profile onto a BC customer. current is the stored
// customer (the zero value for a new one); only fields the update policies
// allow and whose values differ end up in the result. A profile without an
// address leaves the stored address untouched.
//
// When the profile's name differs clearly from the stored displayName
// (NameMismatch), the result starts with the name-mismatch warning; with
// NameMismatchSkip it holds nothing else.
func Customer(p *vipps.UserInfo, current bc.Customer, o Options) CustomerResult {
	var r CustomerResult
	if p == nil {
		return r
	}
	mismatch := NameMismatch(profileName(p), current.DisplayName)
	if mismatch && o.OnNameMismatch == NameMismatchSkip {
		r.Warnings = []Warning{nameMismatchWarning}
		return r
	}
	var cs changeSet
	var warns []Warning
	w := &warns

	name, shortened := displayName(p, o, bc.MaxCustomerDisplayName)
	if shortened && utf8.RuneCountInString(name) <= bc.MaxCustomerDisplayName {
		*w = append(*w, Warning{Field: "displayName", Reason: ReasonTruncated})
	}
	cs.set("displayName", current.DisplayName,
		fitName(name, bc.MaxCustomerDisplayName, "displayName", w),
		o.policy("displayName"), sameText)

	// The address is written as a whole: ifEmpty looks at the whole stored
	// address, so that two addresses are never mixed.
	pol := o.policy(FieldAddress)
	writeAddress := pol == PolicyAlways || (pol == PolicyIfEmpty && customerAddressEmpty(current))
	if !writeAddress {
		cs.keep(FieldAddress, "addressLine1", "addressLine2", "city", "postalCode", "country")
	}
	addr, ok := profileAddress(p, o, "country", w)
	if !ok {
		if p.Address != nil || len(p.OtherAddresses) > 0 {
			*w = append(*w, Warning{Field: FieldAddress, Reason: ReasonNoAddress})
		}
	} else if writeAddress {
		cs.set("addressLine1", current.AddressLine1, fit(addr.Line1, bc.MaxCustomerAddressLine1, "addressLine1", w), PolicyAlways, sameText)
		cs.set("addressLine2", current.AddressLine2, fit(addr.Line2, bc.MaxCustomerAddressLine2, "addressLine2", w), PolicyAlways, sameText)
		cs.set("city", current.City, fit(addr.City, bc.MaxCustomerCity, "city", w), PolicyAlways, sameText)
		cs.set("postalCode", current.PostalCode, fit(addr.PostalCode, bc.MaxCustomerPostalCode, "postalCode", w), PolicyAlways, sameUpper)
		cs.set("country", current.Country, fit(addr.Country, bc.MaxCustomerCountry, "country", w), PolicyAlways, sameUpper)
	}

	cs.set("phoneNumber", current.PhoneNumber, profilePhone(p, "phoneNumber", w),
		o.policy("phoneNumber"), samePhone(o.ImplicitPhonePrefix))
	cs.set("email", current.Email, profileEmail(p, o, "email", bc.MaxCustomerEmail, w),
		o.policy("email"), sameEmail)

	r.Patch, r.Changes = cs.patch, cs.changes
	r.Extra = customerExtra(p, o, w)
	r.Warnings = cs.warnings(warns)
	if mismatch {
		r.Warnings = append([]Warning{nameMismatchWarning}, r.Warnings...)
	}
	return r
}

// customerAddressEmpty reports whether the stored address has no street,
// city or post code. The country is ignored: templates often preset it.
func customerAddressEmpty(c bc.Customer) bool {
	return clean(c.AddressLine1) == "" && clean(c.AddressLine2) == "" &&
		clean(c.City) == "" && clean(c.PostalCode) == ""
}

func customerExtra(p *vipps.UserInfo, o Options, w *[]Warning) map[string]any {
	extra := map[string]any{}
	if o.CustomerBirthdayField != "" {
		if b := birthday(p, o.CustomerBirthdayField, w); b != "" {
			extra[o.CustomerBirthdayField] = b
		}
	}
	for _, id := range sortedKeys(o.CustomerConsentFields) {
		if accepted, ok := consent(p, id); ok {
			extra[o.CustomerConsentFields[id]] = accepted
		}
	}
	if len(extra) == 0 {
		return nil
	}
	return extra
}

// fitName is fit for names: a name cut in the middle of a word is cut back
// to the end of the last whole word (or hyphenated part) when one exists.
func fitName(s string, max int, field string, w *[]Warning) string {
	full := clean(s)
	v := fit(full, max, field, w)
	if v != full && !wordEnd(full, len(v)) {
		if i := strings.LastIndexAny(v, " -"); i > 0 {
			v = strings.TrimRight(v[:i], " ,-")
		}
	}
	return v
}

// wordEnd reports whether byte offset i of s is the end of a word.
func wordEnd(s string, i int) bool {
	return i >= len(s) || s[i] == ' ' || s[i] == '-' || s[i] == ','
}

func sameUpper(a, b string) bool { return strings.EqualFold(clean(a), b) }

func sameEmail(a, b string) bool { return strings.EqualFold(clean(a), b) }

// samePhone treats two spellings of the same number as equal.
func samePhone(implicitPrefix string) func(a, b string) bool {
	return func(a, b string) bool {
		if clean(a) == b {
			return true
		}
		pa, err := ParsePhone(a, implicitPrefix)
		if err != nil {
			return false
		}
		pb, err := ParsePhone(b, implicitPrefix)
		return err == nil && pa.E164 == pb.E164
	}
}
