package mapping

import (
	"strings"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

// MemberResult holds the member fields for the POS member dialog.
type MemberResult struct {
	Member   bc.Member `json:"member"`
	Warnings []Warning `json:"warnings"`
}

// MemberChangeResult is what to write to an existing NP Retail member
// through the NP Retail API (PATCH /membership/member/:memberId, body
// {"member": Patch}).
type MemberChangeResult struct {
	// Patch holds only the fields whose value really changes, under their
	// NP Retail JSON names.
	Patch map[string]any `json:"patch"`
	// Changes lists the same fields with old and new values; never log it.
	Changes []Change `json:"changes"`
	// Warnings name fields that were shortened or left out. Safe to log.
	Warnings []Warning `json:"warnings"`
}

// Member maps a Vipps profile onto NP Retail member fields, for filling the
// POS member dialog. Fields the profile lacks stay empty.
func Member(p *vipps.UserInfo, o Options) MemberResult {
	var r MemberResult
	if p == nil {
		return r
	}
	m, warns := memberFields(p, o)
	r.Member, r.Warnings = m.Member, warns
	return r
}

// memberValues is a mapped member plus whether the profile had an address.
type memberValues struct {
	bc.Member
	hasAddress bool
}

func memberFields(p *vipps.UserInfo, o Options) (memberValues, []Warning) {
	var w []Warning
	var m memberValues
	given, middle, family := names(p)
	if o.SplitGivenName && middle == "" {
		if words := strings.Fields(given); len(words) > 1 {
			given, middle = words[0], strings.Join(words[1:], " ")
		}
	}
	m.FirstName = fitName(given, bc.MaxMemberFirstName, "firstName", &w)
	m.MiddleName = fitName(middle, bc.MaxMemberMiddleName, "middleName", &w)
	m.LastName = fitName(family, bc.MaxMemberLastName, "lastName", &w)
	m.Email = profileEmail(p, o, "email", bc.MaxMemberEmail, &w)
	m.PhoneNo = profilePhone(p, "phoneNo", &w)
	m.Birthday = birthday(p, "birthday", &w)
	m.Gender = gender(p.Gender)
	if a, ok := profileAddress(p, o, "country", &w); ok {
		m.hasAddress = true
		street := a.Line1
		if a.Line2 != "" {
			// A member has no second address line: NP Retail appends it.
			street = strings.TrimPrefix(street+", "+a.Line2, ", ")
		}
		m.Address = fit(street, bc.MaxMemberAddress, "address", &w)
		m.PostCode = fit(a.PostalCode, bc.MaxMemberPostCode, "postCode", &w)
		m.City = fit(a.City, bc.MaxMemberCity, "city", &w)
		m.Country = fit(a.Country, bc.MaxMemberCountry, "country", &w)
	} else if p.Address != nil || len(p.OtherAddresses) > 0 {
		w = append(w, Warning{Field: FieldAddress, Reason: ReasonNoAddress})
	}
	m.Newsletter = yesNo(p, o.NewsletterConsent)
	m.GDPRConsent = gdpr(p, o.GDPRConsent)
	return m, w
}

// MemberChanges maps a Vipps profile onto an existing member, applying the
// same update policies as Customer. When the profile's name differs clearly
// from the member's first, middle and last name (NameMismatch), the result
// starts with the name-mismatch warning; with NameMismatchSkip it holds
// nothing else.
func MemberChanges(p *vipps.UserInfo, current bc.Member, o Options) MemberChangeResult {
	var r MemberChangeResult
	if p == nil {
		return r
	}
	mismatch := NameMismatch(profileName(p), joinWords(current.FirstName, current.MiddleName, current.LastName))
	if mismatch && o.OnNameMismatch == NameMismatchSkip {
		r.Warnings = []Warning{nameMismatchWarning}
		return r
	}
	m, warns := memberFields(p, o)
	var cs changeSet
	cs.set("firstName", current.FirstName, m.FirstName, o.policy("firstName"), sameText)
	cs.set("middleName", current.MiddleName, m.MiddleName, o.policy("middleName"), sameText)
	cs.set("lastName", current.LastName, m.LastName, o.policy("lastName"), sameText)
	cs.set("email", current.Email, m.Email, o.policy("email"), sameEmail)
	cs.set("phoneNo", current.PhoneNo, m.PhoneNo, o.policy("phoneNo"), samePhone(o.ImplicitPhonePrefix))
	cs.set("birthday", current.Birthday, m.Birthday, o.policy("birthday"), sameText)
	cs.setIf("gender", current.Gender, unspecified(current.Gender), m.Gender, o.policy("gender"), sameUpper)
	// The address is written as a whole, as on a customer.
	pol := o.policy(FieldAddress)
	if pol == PolicyAlways ||
		(pol == PolicyIfEmpty && clean(current.Address) == "" && clean(current.City) == "" && clean(current.PostCode) == "") {
		if m.hasAddress {
			cs.set("address", current.Address, m.Address, PolicyAlways, sameText)
			cs.set("postCode", current.PostCode, m.PostCode, PolicyAlways, sameUpper)
			cs.set("city", current.City, m.City, PolicyAlways, sameText)
			// NP Retail answers a member's country by name and keeps it
			// on an update (it refills it from the member's country
			// code): only a member without one gets it.
			if clean(current.Country) == "" {
				cs.set("country", current.Country, m.Country, PolicyAlways, sameUpper)
			}
		}
	} else {
		cs.keep(FieldAddress, "postCode", "city", "country")
	}
	cs.setIf("newsletter", current.Newsletter, unspecified(current.Newsletter), m.Newsletter, o.policy("newsletter"), sameUpper)
	// gdprConsent is not written to an existing member: NP Retail's member
	// update ignores it (GDPR approval is a membership's) and its answer
	// has none, so it would be sent, and reported changed, every time.
	r.Patch, r.Changes = cs.patch, cs.changes
	r.Warnings = cs.warnings(warns)
	if mismatch {
		r.Warnings = append([]Warning{nameMismatchWarning}, r.Warnings...)
	}
	return r
}

// unspecified reports whether an NP Retail option holds no decision (empty,
// NOT_SPECIFIED, NA, PENDING), which the ifEmpty policy treats as empty.
func unspecified(s string) bool {
	// NP Retail's API answers the options as words: notSpecified,
	// unknownGender; newsletter unknown.
	switch strings.ToUpper(clean(s)) {
	case "", "NOT_SPECIFIED", "NOTSPECIFIED", "UNKNOWNGENDER", "UNKNOWN", "NA", "PENDING":
		return true
	}
	return false
}

// gender maps the Vipps gender claim to NP Retail's option.
func gender(g string) string {
	switch strings.ToLower(clean(g)) {
	case "":
		return ""
	case "male", "m":
		return "MALE"
	case "female", "f":
		return "FEMALE"
	case "other":
		return "OTHER"
	}
	return "NOT_SPECIFIED"
}

// yesNo maps a consent to YES/NO; "" when the profile does not hold it.
func yesNo(p *vipps.UserInfo, id string) string {
	accepted, ok := consent(p, id)
	switch {
	case !ok:
		return ""
	case accepted:
		return "YES"
	}
	return "NO"
}

// gdpr maps a consent to NP Retail's GDPR approval (ACCEPTED/REJECTED); ""
// when the profile does not hold it.
func gdpr(p *vipps.UserInfo, id string) string {
	accepted, ok := consent(p, id)
	switch {
	case !ok:
		return ""
	case accepted:
		return "ACCEPTED"
	}
	return "REJECTED"
}
