package mapping

import (
	"errors"
	"strings"
	"testing"
)

// TestParsePhone checks what a cashier may type and what is refused.
func TestParsePhone(t *testing.T) {
	tests := []struct {
		name, input, prefix string
		msisdn              string
		reason              PhoneReason
	}{
		{name: "international with spaces", input: "+47 912 34 567", msisdn: "4791234567"},
		{name: "00 instead of plus", input: "0047 91234567", msisdn: "4791234567"},
		{name: "implicit prefix for a national number", input: "91234567", prefix: "+47", msisdn: "4791234567"},
		{name: "dashes and dots are ignored", input: "912-34-567", prefix: "+47", msisdn: "4791234567"},
		{name: "brackets are ignored", input: "(+47) 912.34.567", msisdn: "4791234567"},
		{name: "Vipps MSISDN without plus", input: "4791234567", prefix: "+47", msisdn: "4791234567"},
		{name: "Swedish trunk zero is dropped", input: "070-123 45 67", prefix: "+46", msisdn: "46701234567"},
		{name: "Danish number", input: "+45 20 12 34 56", msisdn: "4520123456"},
		{name: "Finnish number", input: "040 123 4567", prefix: "+358", msisdn: "358401234567"},
		{name: "explicit country code beats the implicit prefix", input: "+45 20123456", prefix: "+47", msisdn: "4520123456"},
		{name: "empty is refused", input: "  ", reason: PhoneEmpty},
		{name: "letters are refused", input: "912 34 ABC", prefix: "+47", reason: PhoneLetters},
		{name: "other characters are refused", input: "912#34567", prefix: "+47", reason: PhoneInvalidCharacters},
		{name: "plus in the middle is refused", input: "47+91234567", reason: PhoneMisplacedPlus},
		{name: "national number without prefix is refused", input: "91234567", reason: PhoneNoCountryCode},
		{name: "bad implicit prefix is refused", input: "91234567", prefix: "47", reason: PhoneBadImplicitPrefix},
		{name: "unknown country code is refused", input: "+999 1234567", reason: PhoneUnknownCountryCode},
		{name: "too short is refused", input: "+47 912", reason: PhoneTooShort},
		{name: "too long is refused", input: "+47 912 34 567 890", reason: PhoneTooLong},
		{name: "only separators is refused", input: "- -", prefix: "+47", reason: PhoneNotANumber},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ph, err := ParsePhone(tc.input, tc.prefix)
			if tc.reason != "" {
				var pe *PhoneError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v, want *PhoneError %q", err, tc.reason)
				}
				if pe.Reason != tc.reason {
					t.Errorf("reason = %q, want %q", pe.Reason, tc.reason)
				}
				if digits := strings.Map(keepDigits, tc.input); len(digits) >= 3 && strings.Contains(err.Error(), digits) {
					t.Errorf("error %q contains the number", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePhone: %v", err)
			}
			if ph.MSISDN != tc.msisdn {
				t.Errorf("MSISDN = %q, want %q", ph.MSISDN, tc.msisdn)
			}
			if ph.E164 != "+"+tc.msisdn || ph.BCFormat() != "+"+tc.msisdn {
				t.Errorf("E164 = %q, BCFormat = %q, want +%s", ph.E164, ph.BCFormat(), tc.msisdn)
			}
			if ph.National == "" {
				t.Error("National is empty")
			}
		})
	}
}

// TestParsePhoneNordic checks the common ways Nordic numbers are typed, and
// that numbers which cannot be real are refused.
func TestParsePhoneNordic(t *testing.T) {
	tests := []struct {
		name, input, prefix string
		msisdn              string
		reason              PhoneReason
	}{
		// Norway
		{name: "NO mobile international", input: "+47 912 34 567", prefix: "+47", msisdn: "4791234567"},
		{name: "NO mobile national", input: "91234567", prefix: "+47", msisdn: "4791234567"},
		{name: "NO landline national", input: "22 12 34 56", prefix: "+47", msisdn: "4722123456"},
		{name: "NO MSISDN without plus, Danish prefix", input: "4791234567", prefix: "+45", msisdn: "4791234567"},
		{name: "NO MSISDN without plus, Swedish prefix", input: "4791234567", prefix: "+46", msisdn: "4791234567"},
		// Denmark
		{name: "DK country code without plus, Norwegian prefix", input: "4512345678", prefix: "+47", msisdn: "4512345678"},
		{name: "DK country code without plus, no prefix", input: "4512345678", msisdn: "4512345678"},
		{name: "DK with plus and pairs", input: "+45 12 34 56 78", prefix: "+47", msisdn: "4512345678"},
		{name: "DK with 00", input: "0045 12345678", prefix: "+47", msisdn: "4512345678"},
		{name: "DK landline", input: "+45 33 12 34 56", msisdn: "4533123456"},
		{name: "DK national number starting like a country code stays national", input: "45 12 34 56", prefix: "+45", msisdn: "4545123456"},
		// Sweden
		{name: "SE mobile international", input: "+46 70 123 45 67", prefix: "+47", msisdn: "46701234567"},
		{name: "SE mobile with 00", input: "0046701234567", prefix: "+47", msisdn: "46701234567"},
		{name: "SE MSISDN without plus, Norwegian prefix", input: "46701234567", prefix: "+47", msisdn: "46701234567"},
		{name: "SE landline with trunk zero", input: "08-123 456 78", prefix: "+46", msisdn: "46812345678"},
		// Finland
		{name: "FI mobile international", input: "+358 40 1234567", prefix: "+47", msisdn: "358401234567"},
		{name: "FI MSISDN without plus, Norwegian prefix", input: "358401234567", prefix: "+47", msisdn: "358401234567"},
		{name: "FI landline with trunk zero", input: "09 123 4567", prefix: "+358", msisdn: "35891234567"},
		// Iceland
		{name: "IS mobile international", input: "+354 611 1234", prefix: "+47", msisdn: "3546111234"},
		{name: "IS MSISDN without plus, Norwegian prefix", input: "3546111234", prefix: "+47", msisdn: "3546111234"},
		// Refused
		{name: "five digits with implicit prefix", input: "12345", prefix: "+47", reason: PhoneTooShort},
		{name: "five digits with country code", input: "+4712345", reason: PhoneTooShort},
		{name: "five digits with 00", input: "004712345", prefix: "+47", reason: PhoneTooShort},
		{name: "five digits in Denmark", input: "12345", prefix: "+45", reason: PhoneTooShort},
		{name: "Finnish length of no valid number", input: "+358 12345", reason: PhoneInvalidNumber},
		{name: "national number without prefix is still refused", input: "91234567", reason: PhoneNoCountryCode},
		{name: "digits without prefix that are no valid international number", input: "4712345", reason: PhoneNoCountryCode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ph, err := ParsePhone(tc.input, tc.prefix)
			if tc.reason != "" {
				var pe *PhoneError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v (%+v), want *PhoneError %q", err, ph, tc.reason)
				}
				if pe.Reason != tc.reason {
					t.Errorf("reason = %q, want %q", pe.Reason, tc.reason)
				}
				if digits := strings.Map(keepDigits, tc.input); strings.Contains(err.Error(), digits) || strings.Contains(err.Error(), "12345") {
					t.Errorf("error %q contains the number", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePhone: %v", err)
			}
			if ph.MSISDN != tc.msisdn || ph.E164 != "+"+tc.msisdn {
				t.Errorf("MSISDN = %q, E164 = %q, want %s", ph.MSISDN, ph.E164, tc.msisdn)
			}
			again, err := ParsePhone(ph.BCFormat(), tc.prefix)
			if err != nil || again.E164 != ph.E164 {
				t.Errorf("BCFormat does not parse back: %+v, %v", again, err)
			}
		})
	}
}
