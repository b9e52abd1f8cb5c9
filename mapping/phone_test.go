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
