package mapping

import (
	"errors"
	"strconv"
	"strings"
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
// "4791234567". The number must have a possible length for its country
// (checked by github.com/nyaruka/phonenumbers); number ranges are not
// checked, so Vipps test numbers pass. Errors are *PhoneError.
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
		return parseIntl(d)
	}
	if implicitPrefix == "" {
		return Phone{}, &PhoneError{PhoneNoCountryCode}
	}
	region, err := regionOf(implicitPrefix)
	if err != nil {
		return Phone{}, err
	}
	ph, err := parseWith(d, region)
	if err == nil {
		return ph, nil
	}
	// A Vipps MSISDN typed without "+" ("4791234567") already holds the
	// country code.
	if cc := strings.TrimPrefix(implicitPrefix, "+"); strings.HasPrefix(d, cc) {
		if intl, err2 := parseIntl(d); err2 == nil {
			return intl, nil
		}
	}
	return Phone{}, err
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

func parseIntl(d string) (Phone, error) {
	if d == "" {
		return Phone{}, &PhoneError{PhoneTooShort}
	}
	return parseWith("+"+d, "")
}

func parseWith(number, region string) (Phone, error) {
	num, err := phonenumbers.Parse(number, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
			return Phone{}, &PhoneError{PhoneUnknownCountryCode}
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			return Phone{}, &PhoneError{PhoneTooShort}
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			return Phone{}, &PhoneError{PhoneTooLong}
		}
		return Phone{}, &PhoneError{PhoneNotANumber}
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.INVALID_COUNTRY_CODE:
		return Phone{}, &PhoneError{PhoneUnknownCountryCode}
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return Phone{}, &PhoneError{PhoneTooShort}
	case phonenumbers.TOO_LONG:
		return Phone{}, &PhoneError{PhoneTooLong}
	default:
		return Phone{}, &PhoneError{PhoneInvalidLength}
	}
	if phonenumbers.GetRegionCodeForNumber(num) == "" &&
		phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode())) == phonenumbers.UNKNOWN_REGION {
		return Phone{}, &PhoneError{PhoneUnknownCountryCode}
	}
	msisdn := strconv.Itoa(int(num.GetCountryCode())) + phonenumbers.GetNationalSignificantNumber(num)
	return Phone{
		MSISDN:      msisdn,
		E164:        "+" + msisdn,
		National:    phonenumbers.Format(num, phonenumbers.NATIONAL),
		CountryCode: int(num.GetCountryCode()),
	}, nil
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
