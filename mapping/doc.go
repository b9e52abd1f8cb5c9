// Package mapping decides what a merchant sees in Business Central (BC) and
// NP Retail after a customer shares a Vipps MobilePay profile. It holds pure
// functions only: no I/O, no clock, no logging. The connector fetches the
// profile (package vipps), calls this package, and writes the result
// (package bc).
//
// # Entry points
//
//   - Customer maps a profile onto a BC customer (API v2.0) and returns a
//     change set: only the fields whose value really changes, with the old
//     and the new value, plus warnings and optional custom-API fields.
//   - Member fills the NP Retail member fields for the POS member dialog.
//   - MemberChanges maps a profile onto an existing NP Retail member (for
//     PATCH /membership/member/:memberId), with the same rules as Customer.
//   - ParsePhone turns what a cashier types into the number Vipps wants and
//     the form BC stores.
//   - MatchCustomer finds the stored customer or member a profile belongs to.
//
// # The rules, in plain language
//
// Names. The customer's name is "First Last" ("Kari Nordmann") or, when
// configured, "Last, First" ("Nordmann, Kari"), built from the given and
// family names. If Vipps sends only the full name, that is used as it is.
// On a member, the given name goes to First Name and the family name to Last
// Name; from a full name only, the first word is the first name, the last
// word the last name and the words in between the middle name. When a name
// is too long, later given names are dropped first (the family name is kept)
// and names are only cut between words where possible.
//
// Address. Vipps can send several addresses; we take the one marked as
// default, else the home address, else the first of the other addresses,
// else the main address. A profile without an address never clears or
// changes the address in BC. Vipps puts the unit or floor on a second line of
// the street: the first line becomes Address, the rest becomes Address 2
// (several lines are joined with ", "). A member has no Address 2, so there
// the second line is appended to Address after ", ", as NP Retail does. The
// town arrives in Vipps' "region" and goes to City. Post codes are stored in
// upper case. Vipps sends ISO country codes ("NO", "DK"); they are
// translated through the CountryCodes table to the codes of your
// Country/Region table, and used unchanged when the table has no entry. The
// address is treated as one unit: it is either written completely or not at
// all, so an address is never mixed from two sources.
//
// E-mail. Used only when Vipps has verified it (unless RequireVerifiedEmail
// is turned off) and when it is a valid address. An address longer than the
// field (80 characters) is left out rather than cut, because a cut address
// would reach someone else.
//
// Phone. Vipps sends the number with country code and no "+"; BC stores it
// as "+4791234567". A cashier may type "+47 912 34 567", "0047 91234567",
// "912-34-567" (the implicit prefix supplies the country) or Vipps' own
// "4791234567". Digits that are no valid number of the implicit country but
// start with a Nordic country code (45, 46, 47, 354, 358) are read as an
// international number typed without "+": with prefix "+47", "4512345678"
// is the Danish +45 12 34 56 78, while "45123456" is Norwegian. A number is
// refused, with the reason, when it is empty, has letters or other
// characters, has no country code and no implicit prefix is configured, has
// an unknown country code, has too few or too many digits for its country,
// or is no valid number of its country ("12345" in Norway). Mobile-length
// numbers are accepted without checking their number range, so Vipps test
// numbers such as +45 12 34 56 78 work.
//
// Birthday and consents. The standard BC customer has no birthday or consent
// fields; when CustomerBirthdayField / CustomerConsentFields name fields of a
// custom API page, the values are returned in CustomerResult.Extra. On a
// member, the birthday is set, the newsletter flag (YES/NO) comes from one
// marketing consent (default "email") and the GDPR approval
// (ACCEPTED/REJECTED) from another (default "personal"). A consent the
// profile does not hold leaves the field alone. Gender "male"/"female"/
// "other" becomes MALE/FEMALE/OTHER, anything else NOT_SPECIFIED.
//
// Clean-up and length. Every value is trimmed, line breaks and control
// characters become spaces, repeated spaces become one, and letters are
// stored in composed form. A value longer than its BC field is cut to the
// field's length counted in characters, never inside a letter (æ, ø, å and
// accented letters stay whole); each cut is reported as a warning.
//
// Updating existing data. Each field has an update policy: "always" (Vipps
// wins whenever it differs), "ifEmpty" (default: only fill an empty field)
// or "never". A value Vipps did not send never clears stored data. Two
// spellings of the same value are not a change: e-mail and country compared
// without case, phone numbers compared as numbers. For members, NP Retail's
// "not specified" values (NOT_SPECIFIED, NA, PENDING) count as empty.
// A warning never names a field that is not written: a field its policy
// keeps as it is gets no warning, and a cut value equal to the stored one is
// not reported.
//
// Someone else's phone. The person who consents in Vipps may not be the
// person on the card (a spouse's phone, a typo in the number). When the
// name in Vipps differs clearly from the stored customer name or the
// member's first, middle and last name, the result starts with a warning
// with code "name-mismatch" and no field. Case, accents and Nordic letters
// (ø/o/oe, å/a/aa, æ/ä/ae), word order, middle names and initials do not
// count: "Kari M. Nordmann" and "NORDMANN KARI" match "Kari Nordmann", "Ola
// Hansen" and "Ola Nordmann" do not. An empty stored name never differs.
// With OnNameMismatch "skip" nothing is written: only the warning is
// returned.
//
// Matching. A profile belongs to the record that stores its Vipps "sub";
// failing that, to records with the same phone number; failing that, to
// records with the same e-mail, only when Vipps has verified the e-mail.
// Records already linked to another sub are not matched by phone or e-mail.
// More than one record at the same step means a person must decide.
//
// Privacy. Warnings and errors name the field and the reason only, never
// the value, so they may be logged. Changes and the mapped values hold
// personal data and must not be logged.
//
// # Options
//
// See Options for every setting; DefaultOptions gives "First Last" names,
// identity country codes, verified e-mail only, PolicyIfEmpty for all fields,
// newsletter from the "email" consent, GDPR from "personal", no implicit
// phone prefix, no custom customer fields and OnNameMismatch "warn".
// UpdatePolicy keys are the target field names ("displayName", "email",
// "phoneNumber", "firstName", "middleName", "lastName", "phoneNo",
// "birthday", "gender", "newsletter", "gdprConsent") and "address" for all
// address fields together. Example configuration (DESIGN.md):
//
//	mapping: {implicitPhonePrefix: "+47", onNameMismatch: warn, updatePolicy: {email: ifEmpty, displayName: always}}
//
// # Tests
//
// testdata/profiles holds Vipps profiles with the reviewed customer and
// member results next to them (*.golden.json): they are the specification.
// `go test ./mapping -update` rewrites them; review the diff by hand.
// FuzzParsePhone, FuzzCustomer and FuzzMember check that arbitrary input
// never panics and always yields valid UTF-8 within the field lengths.
//
// # Performance
//
// Measured with `go test -run '^$' -bench . -benchmem ./mapping` on a
// 2-core Intel Xeon @ 2.80GHz (linux/amd64, Go 1.26):
//
//	BenchmarkCustomer         ~48 µs/op   5.6 kB/op  145 allocs/op
//	BenchmarkMember          ~106 µs/op   6.4 kB/op  115 allocs/op
//	BenchmarkParsePhone       ~23 µs/op   3.0 kB/op   80 allocs/op
//	BenchmarkMatchCustomer   ~250 µs/op   6.3 kB/op  283 allocs/op (100 candidates, no match)
//
// Mapping runs once per consent, so this is far below any network call.
package mapping
