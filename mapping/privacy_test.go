package mapping

import (
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/vipps"
)

// TestWarningsHoldNoPersonalData maps every golden profile and checks that
// no warning repeats a personal value from it.
func TestWarningsHoldNoPersonalData(t *testing.T) {
	o := goldenOptions()
	for _, path := range profiles(t) {
		p := loadProfile(t, path)
		var values []string
		add := func(s string) {
			for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ' ' || r == ',' }) {
				if len([]rune(part)) >= 4 {
					values = append(values, strings.ToLower(part))
				}
			}
		}
		add(p.Name)
		add(p.GivenName)
		add(p.FamilyName)
		add(p.Email)
		add(p.PhoneNumber)
		add(p.BirthDate)
		for _, a := range append([]vipps.Address{}, p.OtherAddresses...) {
			add(a.StreetAddress)
			add(a.Region)
		}
		if p.Address != nil {
			add(p.Address.StreetAddress)
			add(p.Address.Region)
		}
		var ws []Warning
		ws = append(ws, Customer(p, bc.Customer{}, o).Warnings...)
		ws = append(ws, Member(p, o).Warnings...)
		ws = append(ws, MemberChanges(p, bc.Member{FirstName: "x"}, o).Warnings...)
		for _, w := range ws {
			text := strings.ToLower(w.Field + " " + w.Reason)
			for _, v := range values {
				if strings.Contains(text, v) {
					t.Errorf("%s: warning %q contains a personal value", path, text)
				}
			}
		}
	}
}
