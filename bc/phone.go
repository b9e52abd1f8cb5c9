package bc

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone is returned by FindByPhone for input that is not a phone
// number. (The number itself is never put in an error.)
var ErrInvalidPhone = errors.New("not a valid phone number")

// Phone search.
//
// BC stores "Phone No." as free text (Text[30], letters refused), so the same
// number can be stored as "91234567", "+4791234567", "+47 912 34 567",
// "0047 91234567" or "91 23 45 67". BC's $filter has no "digits only"
// function, and contains() on a digit run fails as soon as the stored form
// has a space inside that run. FindByPhone therefore:
//
//  1. reads the input with libphonenumber (nyaruka/phonenumbers) using
//     Config.PhoneRegion for numbers without a country code;
//  2. builds every plausible stored form of that number (phoneForms): the
//     national significant number, with +CC / 00CC / CC prefixes, the
//     library's national and international formats, and the usual
//     groupings of the digits with spaces (2-2-2-2, 3-2-3, 4-4 for
//     eight-digit numbers, 3-3-x and 3-2-2-x otherwise), each also after
//     "+CC ";
//  3. asks BC for customers whose phoneNumber equals any of them (one
//     $filter of "eq" terms joined with "or" on the one field, which BC
//     supports);
//  4. compares the answers client-side on the normalised number (E.164),
//     so only the same number is returned.
//
// A stored form outside that list (e.g. dashes, brackets) is not found; the
// mapping package writes numbers in E.164 so the connector's own writes
// always are.

// phoneForms returns the E.164 form of phone and the stored forms to query.
func phoneForms(phone, region string) (string, []string, error) {
	num, err := phonenumbers.Parse(phone, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", nil, ErrInvalidPhone
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	cc := strconv.Itoa(int(num.GetCountryCode()))
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	seen := map[string]bool{}
	var forms []string
	add := func(s string) {
		if s != "" && len(s) <= MaxCustomerPhoneNumber && !seen[s] {
			seen[s] = true
			forms = append(forms, s)
		}
	}
	national := phonenumbers.Format(num, phonenumbers.NATIONAL)
	for _, b := range append([]string{nsn}, groupings(nsn)...) {
		add(b)
		add("+" + cc + " " + b)
	}
	add(national)             // e.g. "070-123 45 67" with the trunk prefix
	add(digitsOnly(national)) // e.g. "0701234567"
	add("+" + cc + nsn)
	add("00" + cc + nsn)
	add("00" + cc + " " + nsn)
	add(cc + nsn)
	add(phonenumbers.Format(num, phonenumbers.INTERNATIONAL))
	return e164, forms, nil
}

// groupings splits digits into the common spaced groupings.
func groupings(d string) []string {
	split := func(sizes ...int) string {
		var parts []string
		rest := d
		for _, n := range sizes {
			if len(rest) <= n {
				break
			}
			parts = append(parts, rest[:n])
			rest = rest[n:]
		}
		return strings.Join(append(parts, rest), " ")
	}
	if len(d) == 8 {
		return []string{split(2, 2, 2), split(3, 2), split(4)}
	}
	return []string{split(3, 3), split(3, 2, 2), split(2, 3, 2), split(3, 4)}
}

// phoneFilter is the OData filter "field eq 'a' or field eq 'b' …".
func phoneFilter(field string, forms []string) string {
	terms := make([]string, len(forms))
	for i, f := range forms {
		terms[i] = field + " eq " + Quote(f)
	}
	return strings.Join(terms, " or ")
}

// samePhone reports whether stored is the number whose E.164 form is want.
func samePhone(stored, want, region string) bool {
	num, err := phonenumbers.Parse(stored, region)
	if err != nil {
		return false
	}
	return phonenumbers.Format(num, phonenumbers.E164) == want
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
