package mapping

import (
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
)

// TestMatchCustomer checks the order of the matching rules.
func TestMatchCustomer(t *testing.T) {
	profile := func(verified bool) *vipps.UserInfo {
		return &vipps.UserInfo{Sub: "sub-1", PhoneNumber: "4791234567", Email: "Kari@Example.no", EmailVerified: &verified}
	}
	tests := []struct {
		name       string
		verified   bool
		candidates []Candidate
		by         MatchBy
		ids        []string
	}{
		{"stored sub wins over phone and e-mail", true, []Candidate{
			{ID: "phone", Phone: "+4791234567"}, {ID: "sub", VippsSub: "sub-1"}, {ID: "mail", Email: "kari@example.no"},
		}, MatchSub, []string{"sub"}},
		{"phone in any spelling matches", true, []Candidate{
			{ID: "other", Phone: "+4799999999"}, {ID: "phone", Phone: "912 34 567"}, {ID: "mail", Email: "kari@example.no"},
		}, MatchPhone, []string{"phone"}},
		{"verified e-mail matches ignoring case", true, []Candidate{
			{ID: "other", Phone: "+4799999999"}, {ID: "mail", Email: " kari@example.NO "},
		}, MatchEmail, []string{"mail"}},
		{"unverified e-mail never matches", false, []Candidate{
			{ID: "mail", Email: "kari@example.no"},
		}, MatchNone, nil},
		{"records linked to another sub are not matched by phone or e-mail", true, []Candidate{
			{ID: "linked", VippsSub: "sub-2", Phone: "+4791234567", Email: "kari@example.no"},
		}, MatchNone, nil},
		{"several matches at one step are all returned", true, []Candidate{
			{ID: "a", Phone: "+47 91234567"}, {ID: "b", Phone: "004791234567"},
		}, MatchPhone, []string{"a", "b"}},
		{"no candidates, no match", true, nil, MatchNone, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := MatchCustomer(profile(tc.verified), tc.candidates)
			if m.By != tc.by {
				t.Errorf("By = %q, want %q", m.By, tc.by)
			}
			var ids []string
			for _, c := range m.Candidates {
				ids = append(ids, c.ID)
			}
			if len(ids) != len(tc.ids) {
				t.Fatalf("ids = %v, want %v", ids, tc.ids)
			}
			for i := range ids {
				if ids[i] != tc.ids[i] {
					t.Errorf("ids = %v, want %v", ids, tc.ids)
				}
			}
			if c, ok := m.Unique(); ok != (len(tc.ids) == 1) || (ok && c.ID != tc.ids[0]) {
				t.Errorf("Unique() = %v, %v", c, ok)
			}
		})
	}
}
