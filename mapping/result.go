package mapping

// Change is one field whose value changes: From is the stored value, To the
// value from Vipps. Changes hold personal data: show them to the user who
// asked, never log them.
type Change struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Warning tells that a value was shortened or left out, or that the
// profile may belong to someone else. It names the target field and the
// reason only, never the value, so it is safe to log. A warning never names
// a field that is not written: a field the update policy keeps as it is
// gets no warning, and a "cut" warning means the cut value is in the patch.
type Warning struct {
	// Field is the target field the warning is about; "" when it is about
	// the record as a whole (the name mismatch).
	Field string `json:"field"`
	// Reason says what happened, in plain language.
	Reason string `json:"reason"`
	// Code identifies warnings a program may act on (WarningNameMismatch);
	// "" for the others.
	Code string `json:"code,omitempty"`
}

// Warning codes.
const (
	// WarningNameMismatch: the name in the Vipps profile differs clearly
	// from the stored customer's or member's name (see NameMismatch).
	WarningNameMismatch = "name-mismatch"
)

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
	ReasonNameMismatch     = "the name in Vipps differs from the stored name: check that the right person consented"
)

// changeSet collects the result of applying update policies, field by field
// in call order.
type changeSet struct {
	patch   map[string]any
	changes []Change
	// kept holds the fields the update policy keeps as they are stored.
	kept map[string]bool
}

// keep records fields the update policy keeps as they are.
func (c *changeSet) keep(fields ...string) {
	if c.kept == nil {
		c.kept = map[string]bool{}
	}
	for _, f := range fields {
		c.kept[f] = true
	}
}

// warnings drops the warnings that name a field that is not written: a
// field the update policy keeps, and a cut value that is not in the patch
// (it equals the stored value). A value left out for the reason a warning
// gives, where the policy would have written it, keeps its warning.
func (c *changeSet) warnings(ws []Warning) []Warning {
	var out []Warning
	for _, w := range ws {
		if w.Field != "" && c.kept[w.Field] {
			continue
		}
		if _, written := c.patch[w.Field]; w.Reason == ReasonTruncated && !written {
			continue
		}
		out = append(out, w)
	}
	return out
}

// set applies the policy for one field: an empty new value never clears
// stored data, and equal values (as judged by same) are not a change.
func (c *changeSet) set(field, current, next string, p Policy, same func(a, b string) bool) {
	c.setIf(field, current, clean(current) == "", next, p, same)
}

// setIf is set with the caller deciding whether the stored value counts as
// empty (NP Retail's NOT_SPECIFIED does).
func (c *changeSet) setIf(field, current string, empty bool, next string, p Policy, same func(a, b string) bool) {
	if p == PolicyNever || (p == PolicyIfEmpty && !empty) {
		c.keep(field)
		return
	}
	if next == "" {
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
