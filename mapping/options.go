package mapping

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Policy says whether a value from Vipps may overwrite a value that already
// exists in Business Central or NP Retail.
type Policy string

// Update policies.
const (
	// PolicyAlways writes the Vipps value whenever it differs from the stored one.
	PolicyAlways Policy = "always"
	// PolicyIfEmpty writes the Vipps value only when the stored field is empty.
	PolicyIfEmpty Policy = "ifEmpty"
	// PolicyNever never writes the field.
	PolicyNever Policy = "never"
)

// NameFormat says how a customer's display name is built from the given
// and family names.
type NameFormat string

// Name formats.
const (
	// NameFirstLast gives "Kari Nordmann" (the default).
	NameFirstLast NameFormat = "firstLast"
	// NameLastFirst gives "Nordmann, Kari".
	NameLastFirst NameFormat = "lastFirst"
)

// FieldAddress is the UpdatePolicy key that governs all address fields
// together (address lines, city, post code, country), so that an address is
// never assembled from two different sources.
const FieldAddress = "address"

// Options configure the mapping for one use case. Start from DefaultOptions:
// the zero value does not require verified e-mail addresses.
type Options struct {
	// NameFormat builds the customer's displayName; "" means NameFirstLast.
	NameFormat NameFormat
	// CountryCodes maps ISO 3166-1 alpha-2 codes (as Vipps sends them) to
	// the codes of BC's Country/Region table. A code that is not in the
	// table is used as it is.
	CountryCodes map[string]string
	// RequireVerifiedEmail leaves out an e-mail address that Vipps has not
	// verified (email_verified is false or absent). Default true.
	RequireVerifiedEmail bool
	// UpdatePolicy decides per target field whether existing data may be
	// overwritten. Keys are the target JSON field names: for customers
	// "displayName", "email", "phoneNumber"; for members "firstName",
	// "middleName", "lastName", "email", "phoneNo", "birthday", "gender",
	// "newsletter", "gdprConsent"; and FieldAddress ("address") for all
	// address fields of either. Fields without an entry use DefaultPolicy.
	UpdatePolicy map[string]Policy
	// DefaultPolicy applies to fields without an UpdatePolicy entry;
	// "" means PolicyIfEmpty.
	DefaultPolicy Policy
	// ImplicitPhonePrefix is the country calling code (for example "+47")
	// put in front of a phone number typed without one.
	ImplicitPhonePrefix string
	// SplitGivenName puts the second and later given names into the
	// member's middle name ("Ola Johan" → first "Ola", middle "Johan").
	// Off by default, because double first names such as "Anne Marie" are
	// one first name.
	SplitGivenName bool
	// NewsletterConsent is the Vipps consent id ("email", "sms", "digital",
	// "personal") that sets the member's newsletter flag; "" turns it off.
	// Default "email".
	NewsletterConsent string
	// GDPRConsent is the Vipps consent id that sets the member's GDPR
	// consent; "" turns it off. Default "personal".
	GDPRConsent string
	// CustomerBirthdayField is the JSON name of a birthday field on a
	// custom BC customer API page; "" (default) leaves the birthday out of
	// CustomerResult.Extra.
	CustomerBirthdayField string
	// CustomerConsentFields maps Vipps consent ids to boolean fields on a
	// custom BC customer API page, for CustomerResult.Extra.
	CustomerConsentFields map[string]string
	// OnNameMismatch says what Customer and MemberChanges do when the
	// profile's name differs clearly from the stored name (NameMismatch):
	// NameMismatchWarn (default; "" means the same) writes as usual and adds
	// the name-mismatch warning, NameMismatchSkip writes nothing and returns
	// only that warning.
	OnNameMismatch NameMismatchAction
}

// DefaultOptions returns the recommended settings: "First Last" names,
// identity country codes, verified e-mail only, ifEmpty for every field,
// newsletter from the "email" consent, GDPR consent from "personal", and a
// warning when the profile's name differs clearly from the stored one.
func DefaultOptions() Options {
	return Options{
		NameFormat:           NameFirstLast,
		RequireVerifiedEmail: true,
		DefaultPolicy:        PolicyIfEmpty,
		NewsletterConsent:    "email",
		GDPRConsent:          "personal",
		OnNameMismatch:       NameMismatchWarn,
	}
}

// OptionError reports an invalid option. Option names the option (and the
// key within it); Reason says what is wrong.
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string {
	return "mapping option " + e.Option + ": " + e.Reason
}

// policyKeys are the keys UpdatePolicy accepts.
var policyKeys = map[string]bool{
	"displayName": true, "email": true, "phoneNumber": true,
	"firstName": true, "middleName": true, "lastName": true, "phoneNo": true,
	"birthday": true, "gender": true, "newsletter": true, "gdprConsent": true,
	FieldAddress: true,
}

// addressFieldKeys are address fields that must be set through FieldAddress.
var addressFieldKeys = map[string]bool{
	"addressLine1": true, "addressLine2": true, "city": true, "postalCode": true,
	"postCode": true, "country": true,
}

var (
	prefixRE  = regexp.MustCompile(`^\+[1-9][0-9]{0,3}$`)
	isoRE     = regexp.MustCompile(`^[A-Z]{2}$`)
	consentID = map[string]bool{"email": true, "sms": true, "digital": true, "personal": true}
)

// Validate checks the options and returns an *OptionError naming the first
// bad option.
func (o Options) Validate() error {
	switch o.NameFormat {
	case "", NameFirstLast, NameLastFirst:
	default:
		return &OptionError{"NameFormat", `must be "firstLast" or "lastFirst"`}
	}
	if o.DefaultPolicy != "" && !validPolicy(o.DefaultPolicy) {
		return &OptionError{"DefaultPolicy", `must be "always", "ifEmpty" or "never"`}
	}
	for _, k := range sortedKeys(o.UpdatePolicy) {
		switch {
		case addressFieldKeys[k]:
			return &OptionError{"UpdatePolicy[" + k + "]", `address fields share the key "address"`}
		case !policyKeys[k]:
			return &OptionError{"UpdatePolicy[" + k + "]", "unknown field"}
		case !validPolicy(o.UpdatePolicy[k]):
			return &OptionError{"UpdatePolicy[" + k + "]", `must be "always", "ifEmpty" or "never"`}
		}
	}
	for _, k := range sortedKeys(o.CountryCodes) {
		v := o.CountryCodes[k]
		if !isoRE.MatchString(k) {
			return &OptionError{"CountryCodes[" + k + "]", "key must be an upper-case ISO 3166-1 alpha-2 code"}
		}
		if v == "" || len([]rune(v)) > 10 || strings.TrimSpace(v) != v {
			return &OptionError{"CountryCodes[" + k + "]", "value must be a BC country code of 1 to 10 characters"}
		}
	}
	if o.ImplicitPhonePrefix != "" {
		if !prefixRE.MatchString(o.ImplicitPhonePrefix) {
			return &OptionError{"ImplicitPhonePrefix", `must be "+" and a country calling code, e.g. "+47"`}
		}
		cc, _ := strconv.Atoi(o.ImplicitPhonePrefix[1:])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			return &OptionError{"ImplicitPhonePrefix", "unknown country calling code"}
		}
	}
	if o.NewsletterConsent != "" && !consentID[o.NewsletterConsent] {
		return &OptionError{"NewsletterConsent", `must be "email", "sms", "digital" or "personal"`}
	}
	if o.GDPRConsent != "" && !consentID[o.GDPRConsent] {
		return &OptionError{"GDPRConsent", `must be "email", "sms", "digital" or "personal"`}
	}
	switch o.OnNameMismatch {
	case "", NameMismatchWarn, NameMismatchSkip:
	default:
		return &OptionError{"OnNameMismatch", `must be "warn" or "skip"`}
	}
	for _, k := range sortedKeys(o.CustomerConsentFields) {
		if !consentID[k] {
			return &OptionError{"CustomerConsentFields[" + k + "]", "unknown consent id"}
		}
		if o.CustomerConsentFields[k] == "" {
			return &OptionError{"CustomerConsentFields[" + k + "]", "field name is empty"}
		}
	}
	return nil
}

// policy returns the policy for a target field.
func (o Options) policy(field string) Policy {
	if p, ok := o.UpdatePolicy[field]; ok {
		return p
	}
	if o.DefaultPolicy != "" {
		return o.DefaultPolicy
	}
	return PolicyIfEmpty
}

func validPolicy(p Policy) bool {
	return p == PolicyAlways || p == PolicyIfEmpty || p == PolicyNever
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
