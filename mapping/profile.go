package mapping

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bcvipps/bcvipps/vipps"
)

// address is a chosen, cleaned profile address before it is cut to a
// target's field lengths.
type address struct {
	Line1, Line2, City, PostalCode, Country string
}

// chooseAddress picks the address to use: the one marked default, else the
// home address, else the first of other_addresses, else the main address
// claim. Empty addresses are ignored; nil means the profile has none.
func chooseAddress(p *vipps.UserInfo) *vipps.Address {
	var all []*vipps.Address
	if !p.Address.IsEmpty() {
		all = append(all, p.Address)
	}
	var others []*vipps.Address
	for i := range p.OtherAddresses {
		if a := &p.OtherAddresses[i]; !a.IsEmpty() {
			all = append(all, a)
			others = append(others, a)
		}
	}
	for _, a := range all {
		if a.Default != nil && *a.Default {
			return a
		}
	}
	for _, a := range all {
		if strings.EqualFold(strings.TrimSpace(a.AddressType), "home") {
			return a
		}
	}
	if len(others) > 0 {
		return others[0]
	}
	if len(all) > 0 {
		return all[0]
	}
	return nil
}

// splitStreet splits street_address at its line breaks: the first non-empty
// line is the street, the remaining lines (unit, floor) are joined with ", ".
func splitStreet(s string) (line1, line2 string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = clean(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "", ""
	}
	return lines[0], strings.Join(lines[1:], ", ")
}

// profileAddress returns the cleaned address, with the country translated
// to a BC code, or ok=false when the profile has none. Warnings name
// fieldCountry.
func profileAddress(p *vipps.UserInfo, o Options, fieldCountry string, w *[]Warning) (address, bool) {
	a := chooseAddress(p)
	if a == nil {
		return address{}, false
	}
	var out address
	out.Line1, out.Line2 = splitStreet(a.StreetAddress)
	out.City = clean(a.Region)
	out.PostalCode = strings.ToUpper(clean(a.PostalCode))
	if c := strings.ToUpper(clean(a.Country)); c != "" {
		if isoRE.MatchString(c) {
			out.Country = c
			if bcCode, ok := o.CountryCodes[c]; ok {
				out.Country = bcCode
			}
		} else {
			*w = append(*w, Warning{Field: fieldCountry, Reason: ReasonCountryInvalid})
		}
	}
	return out, true
}

// names returns the cleaned given and family names, falling back to
// splitting the full name (first word given, last word family, words in
// between are middle names).
func names(p *vipps.UserInfo) (given, middle, family string) {
	given, family = clean(p.GivenName), clean(p.FamilyName)
	if given != "" || family != "" {
		return given, "", family
	}
	words := strings.Fields(clean(p.Name))
	switch len(words) {
	case 0:
		return "", "", ""
	case 1:
		return words[0], "", ""
	}
	return words[0], strings.Join(words[1:len(words)-1], " "), words[len(words)-1]
}

// displayName builds the customer name in the configured format, falling
// back to the full name claim. When the name is longer than max, later
// given names are dropped first so that the family name survives.
func displayName(p *vipps.UserInfo, o Options, max int) (name string, shortened bool) {
	given, family := clean(p.GivenName), clean(p.FamilyName)
	switch {
	case given != "" && family != "":
		format := func(g string) string {
			if o.NameFormat == NameLastFirst {
				return family + ", " + g
			}
			return g + " " + family
		}
		words := strings.Fields(given)
		for n := len(words); n > 1; n-- {
			if s := format(strings.Join(words[:n], " ")); utf8.RuneCountInString(s) <= max {
				return s, n < len(words)
			}
		}
		return format(words[0]), len(words) > 1
	case given != "" || family != "":
		return given + family, false
	}
	return clean(p.Name), false
}

// profileEmail returns the e-mail address when it may be used, with a
// warning naming field when it is left out.
func profileEmail(p *vipps.UserInfo, o Options, field string, max int, w *[]Warning) string {
	e := clean(p.Email)
	if e == "" {
		return ""
	}
	if o.RequireVerifiedEmail && (p.EmailVerified == nil || !*p.EmailVerified) {
		*w = append(*w, Warning{Field: field, Reason: ReasonEmailUnverified})
		return ""
	}
	if !validEmail(e) {
		*w = append(*w, Warning{Field: field, Reason: ReasonEmailInvalid})
		return ""
	}
	if utf8.RuneCountInString(e) > max {
		// A shortened address would reach someone else: leave it out.
		*w = append(*w, Warning{Field: field, Reason: ReasonTooLong})
		return ""
	}
	return e
}

// validEmail accepts a plain addr-spec (no display name, no comments) with a
// dotted domain, as BC's e-mail validation expects.
func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(e, '@')
	if at <= 0 || strings.Count(e, "@") != 1 || strings.ContainsAny(e, " \"()<>[]\\,;:") {
		return false
	}
	domain := e[at+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.Contains(domain, "..")
}

// profilePhone returns the profile's phone number in BC form, with a
// warning naming field when it cannot be parsed.
func profilePhone(p *vipps.UserInfo, field string, w *[]Warning) string {
	if clean(p.PhoneNumber) == "" {
		return ""
	}
	ph, err := parseMSISDN(p.PhoneNumber)
	if err != nil {
		*w = append(*w, Warning{Field: field, Reason: ReasonPhoneInvalid})
		return ""
	}
	return ph.BCFormat()
}

// birthday returns the birthdate when it is a real YYYY-MM-DD date.
func birthday(p *vipps.UserInfo, field string, w *[]Warning) string {
	b := clean(p.BirthDate)
	if b == "" {
		return ""
	}
	if _, err := time.Parse("2006-01-02", b); err != nil {
		*w = append(*w, Warning{Field: field, Reason: ReasonBirthdateInvalid})
		return ""
	}
	return b
}

// consent returns whether the consent with the given id was accepted, and
// whether the profile holds that consent at all.
func consent(p *vipps.UserInfo, id string) (accepted, ok bool) {
	if id == "" || p.DelegatedConsents == nil {
		return false, false
	}
	for _, c := range p.DelegatedConsents.Consents {
		if strings.EqualFold(strings.TrimSpace(c.ID), id) {
			return c.Accepted, true
		}
	}
	return false, false
}
