package mapping

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Phone is a parsed phone number in the forms the connector needs.
type Phone struct {
	// MSISDN is the number as Vipps wants it: digits with the country
	// code, no "+" ("4791234567").
	MSISDN string
	// E164 is the international form with "+" ("+4791234567").
	E164 string
	// National is the number as written inside its country ("912 34 567").
	National string
	// CountryCode is the country calling code (47 for Norway).
	CountryCode int
}

// BCFormat returns the form stored in BC's "Phone No." (Text[30]): E.164
// with a leading "+", which BC's validation accepts (no letters) and which
// is unambiguous across countries. It is at most 16 characters.
func (p Phone) BCFormat() string { return p.E164 }

// PhoneReason says why a phone number was refused.
type PhoneReason string

// Reasons a phone number is refused.
const (
	PhoneEmpty              PhoneReason = "empty"
	PhoneLetters            PhoneReason = "contains letters"
	PhoneInvalidCharacters  PhoneReason = "contains characters other than digits, spaces, dashes, dots, slashes and brackets"
	PhoneMisplacedPlus      PhoneReason = `"+" is only allowed before the digits`
	PhoneNoCountryCode      PhoneReason = "no country code and no implicit prefix configured"
	PhoneBadImplicitPrefix  PhoneReason = "the implicit prefix is not a known country calling code"
	PhoneUnknownCountryCode PhoneReason = "unknown country code"
	PhoneTooShort           PhoneReason = "too short"
	PhoneTooLong            PhoneReason = "too long"
	PhoneInvalidLength      PhoneReason = "wrong number of digits for its country"
	PhoneInvalidNumber      PhoneReason = "not a valid number for its country"
	PhoneNotANumber         PhoneReason = "not a phone number"
)

// PhoneError is returned by ParsePhone. It never contains the number.
type PhoneError struct {
	Reason PhoneReason
}

func (e *PhoneError) Error() string { return "parse phone number: " + string(e.Reason) }

const maxPhoneInput = 64

// ParsePhone parses a phone number as a cashier or a customer types it:
// "+47 912 34 567", "0047 91234567", "912-34-567" or "91234567" (the
// implicitPrefix, e.g. "+47", gives the country), or Vipps' own MSISDN
// "4791234567". Digits that are not a valid national number of the implicit
// country but start with a Nordic country code (45, 46, 47, 354, 358) or the
// implicit one are read as an international number typed without "+"
// ("4512345678" with implicit prefix "+47" is a Danish number); without an
// implicit prefix such digits are read as international too.
//
// The number must be valid for its country (github.com/nyaruka/phonenumbers),
// or have the length of a mobile number there: number ranges of mobile
// numbers are not checked, so Vipps test numbers such as "+45 12 34 56 78"
// pass, while "12345" in Norway (a length only service numbers have) is
// refused. Errors are *PhoneError.
func ParsePhone(input, implicitPrefix string) (Phone, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return Phone{}, &PhoneError{PhoneEmpty}
	}
	if len(s) > maxPhoneInput {
		return Phone{}, &PhoneError{PhoneTooLong}
	}
	var digits strings.Builder
	plus := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+':
			if plus || digits.Len() > 0 {
				return Phone{}, &PhoneError{PhoneMisplacedPlus}
			}
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')' || r == '\u00a0':
		case unicode.IsLetter(r):
			return Phone{}, &PhoneError{PhoneLetters}
		default:
			return Phone{}, &PhoneError{PhoneInvalidCharacters}
		}
	}
	d := digits.String()
	if d == "" {
		return Phone{}, &PhoneError{PhoneNotANumber}
	}
	if !plus && strings.HasPrefix(d, "00") {
		plus, d = true, d[2:]
	}
	if plus {
		ph, _, err := parseIntl(d)
		return ph, err
	}
	if implicitPrefix == "" {
		// Without a country to assume, digits that start with a Nordic
		// country code can only be an international number.
		if nordicCode(d) {
			if ph, _, err := parseIntl(d); err == nil {
				return ph, nil
			}
		}
		return Phone{}, &PhoneError{PhoneNoCountryCode}
	}
	region, err := regionOf(implicitPrefix)
	if err != nil {
		return Phone{}, err
	}
	nat, natValid, natErr := parseNumber(d, region)
	if natErr == nil && natValid {
		return nat, nil
	}
	// A number typed with its country code but without "+" or "00": Vipps'
	// MSISDN ("4791234567") or a number of a neighbouring country
	// ("4512345678"). A valid national number of the implicit country wins;
	// a national number accepted only for its length yields to a valid
	// international one.
	if strings.HasPrefix(d, implicitPrefix[1:]) || nordicCode(d) {
		if intl, intlValid, err := parseIntl(d); err == nil && (natErr != nil || intlValid) {
			return intl, nil
		}
	}
	if natErr != nil {
		return Phone{}, natErr
	}
	return nat, nil
}

// nordicCodes are the country calling codes of Norway, Denmark, Sweden,
// Finland (with Åland) and Iceland.
var nordicCodes = []string{"47", "45", "46", "358", "354"}

// nordicCode reports whether digits start with a Nordic country code.
func nordicCode(digits string) bool {
	for _, cc := range nordicCodes {
		if strings.HasPrefix(digits, cc) {
			return true
		}
	}
	return false
}

func regionOf(prefix string) (string, error) {
	if !prefixRE.MatchString(prefix) {
		return "", &PhoneError{PhoneBadImplicitPrefix}
	}
	cc, _ := strconv.Atoi(prefix[1:])
	region := phonenumbers.GetRegionCodeForCountryCode(cc)
	if region == phonenumbers.UNKNOWN_REGION {
		return "", &PhoneError{PhoneBadImplicitPrefix}
	}
	return region, nil
}

func parseIntl(d string) (Phone, bool, error) {
	if d == "" {
		return Phone{}, false, &PhoneError{PhoneTooShort}
	}
	return parseNumber("+"+d, "")
}

// parseNumber parses number in region (or an international number when
// region is "") and accepts it when it is a valid number of its country or
// has the length of a mobile number there. valid reports the former.
func parseNumber(number, region string) (ph Phone, valid bool, err error) {
	num, err := phonenumbers.Parse(number, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return Phone{}, false, &PhoneError{PhoneUnknownCountryCode}
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return Phone{}, false, &PhoneError{PhoneTooShort}
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return Phone{}, false, &PhoneError{PhoneTooLong}
		}
		return Phone{}, false, &PhoneError{PhoneNotANumber}
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return Phone{}, false, &PhoneError{PhoneUnknownCountryCode}
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Phone{}, false, &PhoneError{PhoneTooShort}
	case phonenumbers.TOO_LONG:
		return Phone{}, false, &PhoneError{PhoneTooLong}
	default:
		return Phone{}, false, &PhoneError{PhoneInvalidLength}
	}
	cc := int(num.GetCountryCode())
	if phonenumbers.GetRegionCodeForNumber(num) == "" &&
		phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
		return Phone{}, false, &PhoneError{PhoneUnknownCountryCode}
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	valid = phonenumbers.IsValidNumber(num)
	if !valid {
		if reason := mobileLength(cc, len(nsn)); reason != "" {
			return Phone{}, false, &PhoneError{reason}
		}
	}
	msisdn := strconv.Itoa(cc) + nsn
	if num.GetItalianLeadingZero() {
		// A national number with leading zeros must read back as the
		// same number from the stored form.
		again, err := phonenumbers.Parse("+"+msisdn, "")
		if err != nil || int(again.GetCountryCode()) != cc || phonenumbers.GetNationalSignificantNumber(again) != nsn {
			return Phone{}, false, &PhoneError{PhoneNotANumber}
		}
	}
	return Phone{
		MSISDN:      msisdn,
		E164:        "+" + msisdn,
		National:    phonenumbers.Format(num, phonenumbers.NATIONAL),
		CountryCode: cc,
	}, valid, nil
}

// numberLengths are the lengths of national significant numbers of one
// country calling code: of mobile numbers, and of mobile or fixed-line
// numbers.
type numberLengths struct {
	mobile, personal []int
}

// lengthsByCode holds numberLengths by country calling code, read once from
// the phonenumbers metadata (regions sharing a code are merged).
var lengthsByCode = sync.OnceValue(func() map[int]numberLengths {
	out := map[int]numberLengths{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil || coll == nil {
		return out
	}
	for _, md := range coll.GetMetadata() {
		cc := int(md.GetCountryCode())
		l := out[cc]
		mobile := descLengths(md.GetMobile(), md.GetGeneralDesc())
		l.mobile = append(l.mobile, mobile...)
		l.personal = append(l.personal, mobile...)
		l.personal = append(l.personal, descLengths(md.GetFixedLine(), md.GetGeneralDesc())...)
		out[cc] = l
	}
	for cc, l := range out {
		slices.Sort(l.mobile)
		slices.Sort(l.personal)
		out[cc] = numberLengths{slices.Compact(l.mobile), slices.Compact(l.personal)}
	}
	return out
})

// descLengths returns the possible lengths of a number type; an empty list
// means "as the general description", -1 means the type does not exist.
func descLengths(desc, general *phonenumbers.PhoneNumberDesc) []int {
	ls := desc.GetPossibleLength()
	if len(ls) == 0 {
		ls = general.GetPossibleLength()
	}
	var out []int
	for _, l := range ls {
		if l > 0 {
			out = append(out, int(l))
		}
	}
	return out
}

// mobileLength returns "" when n is the length of a mobile number for
// country code cc, else why a number of that length that is not a valid
// number is refused.
func mobileLength(cc, n int) PhoneReason {
	l := lengthsByCode()[cc]
	switch {
	case slices.Contains(l.mobile, n):
		return ""
	case len(l.personal) == 0:
		return PhoneInvalidNumber
	case n < l.personal[0]:
		return PhoneTooShort
	case n > l.personal[len(l.personal)-1]:
		return PhoneTooLong
	}
	return PhoneInvalidNumber
}

// parseMSISDN parses a phone_number claim: Vipps sends digits with the
// country code and no "+".
func parseMSISDN(raw string) (Phone, error) {
	raw = clean(raw)
	if raw != "" && !strings.HasPrefix(raw, "+") && !strings.HasPrefix(raw, "00") {
		raw = "+" + raw
	}
	return ParsePhone(raw, "")
}
