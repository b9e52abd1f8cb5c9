package tenants

import (
	"slices"
	"testing"

	"github.com/bcvipps/bcvipps/mapping"
)

// TestPhoneForms: NP Retail matches "Phone No." exactly, so a member is
// found only when the form it was stored in is searched: every common way
// of writing a number of the tenant's country, with its trunk 0 where the
// country has one (Finland, Sweden); national forms never for a number of
// another country.
func TestPhoneForms(t *testing.T) {
	for _, c := range []struct {
		prefix, typed string
		want          []string
		not           []string
	}{
		{"+47", "91234567", []string{"+4791234567", "4791234567", "004791234567", "91234567", "912 34 567", "91 23 45 67", "+47 912 34 567", "+47 91 23 45 67"}, nil},
		{"+45", "+45 12 34 56 78", []string{"+4512345678", "12345678", "12 34 56 78", "+45 12 34 56 78"}, nil},
		{"+358", "0401234567", []string{"+358401234567", "0401234567", "040 1234567", "00358401234567"}, nil},
		{"+46", "0701234567", []string{"+46701234567", "0701234567", "46701234567"}, nil},
		// A Norwegian number at a Danish tenant: international forms only.
		{"+45", "+47 912 34 567", []string{"+4791234567", "4791234567"}, []string{"91234567", "91 23 45 67"}},
	} {
		p, err := mapping.ParsePhone(c.typed, c.prefix)
		if err != nil {
			t.Fatalf("%s %s: %v", c.prefix, c.typed, err)
		}
		forms := phoneForms(p, c.prefix)
		for _, w := range c.want {
			if !slices.Contains(forms, w) {
				t.Errorf("%s %s: a member stored as %q is never searched; forms %q", c.prefix, c.typed, w, forms)
			}
		}
		for _, n := range c.not {
			if slices.Contains(forms, n) {
				t.Errorf("%s %s: searches %q, another country's national form; forms %q", c.prefix, c.typed, n, forms)
			}
		}
	}
}
