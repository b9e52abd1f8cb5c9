package mapping

// Change is one field whose value changes: From is the stored value, To the
// value from Vipps. Changes hold personal data: show them to the user who
// asked, never log them.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Warning tells that a value was shortened or left out. It names the target
// field and the reason only, never the value, so it is safe to log.
type Warning struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Warning reasons.
const (
	ReasonTruncated        = "cut to the field length"
	ReasonEmailUnverified  = "left out: e-mail address not verified by Vipps"
	ReasonEmailInvalid     = "left out: not a valid e-mail address"
	ReasonTooLong          = "left out: longer than the field allows"
	ReasonNoAddress        = "left out: the profile has no address"
	ReasonCountryInvalid   = "left out: not an ISO 3166-1 alpha-2 country code"
	ReasonPhoneInvalid     = "left out: not a valid phone number"
	ReasonBirthdateInvalid = "left out: not a valid date"
)

// changeSet collects the result of applying update policies, field by field
// in call order.
type changeSet struct {
	patch   map[string]any
	changes []Change
}

// set applies the policy for one field: an empty new value never clears
// stored data, and equal values (as judged by same) are not a change.
func (c *changeSet) set(field, current, next string, p Policy, same func(a, b string) bool) {
	c.setIf(field, current, clean(current) == "", next, p, same)
}

// setIf is set with the caller deciding whether the stored value counts as
// empty (NP Retail's NOT_SPECIFIED does).
func (c *changeSet) setIf(field, current string, empty bool, next string, p Policy, same func(a, b string) bool) {
	if next == "" || p == PolicyNever {
		return
	}
	if p == PolicyIfEmpty && !empty {
		return
	}
	if same(current, next) {
		return
	}
	if c.patch == nil {
		c.patch = map[string]any{}
	}
	c.patch[field] = next
	c.changes = append(c.changes, Change{Field: field, From: current, To: next})
}

func sameText(a, b string) bool { return clean(a) == b }
