package mapping

import (
	"strconv"
	"strings"

	"github.com/bcvipps/bcvipps/vipps"
)

// Candidate is a stored customer or member the profile may belong to.
type Candidate struct {
	// ID is the caller's key (BC SystemId, member id); mapping ignores it.
	ID string
	// VippsSub is the Vipps sub stored with the record when it was linked
	// earlier; "" when never linked.
	VippsSub string
	// Phone is the stored phone number in any spelling.
	Phone string
	// Email is the stored e-mail address.
	Email string
}

// MatchBy says how a match was found.
type MatchBy string

// Ways to match, strongest first.
const (
	MatchNone  MatchBy = ""
	MatchSub   MatchBy = "sub"
	MatchPhone MatchBy = "phone"
	MatchEmail MatchBy = "email"
)

// Match is the outcome of MatchCustomer.
type Match struct {
	// By is the rule that matched; MatchNone when nothing did.
	By MatchBy
	// Candidates are all candidates matched by that rule, in input order.
	Candidates []Candidate
}

// Unique returns the single matched candidate; ok is false when there is no
// match or more than one (which needs a person to decide).
func (m Match) Unique() (c Candidate, ok bool) {
	if len(m.Candidates) != 1 {
		return Candidate{}, false
	}
	return m.Candidates[0], true
}

// MatchCustomer finds the stored records a profile belongs to, by these
// rules in order, stopping at the first that matches:
//  1. the stored Vipps sub equals the profile's sub;
//  2. the phone number is the same number (any spelling; a stored number
//     without country code is read with the profile's country code);
//  3. the e-mail address is equal ignoring case, only when Vipps has
//     verified it.
//
// Candidates already linked to another sub are never matched by phone or
// e-mail, so two Vipps users are not merged into one record.
func MatchCustomer(p *vipps.UserInfo, candidates []Candidate) Match {
	if p == nil {
		return Match{}
	}
	if sub := strings.TrimSpace(p.Sub); sub != "" {
		if m := collect(MatchSub, candidates, func(c Candidate) bool {
			return strings.TrimSpace(c.VippsSub) == sub
		}); m.By != MatchNone {
			return m
		}
	}
	free := func(c Candidate) bool { return strings.TrimSpace(c.VippsSub) == "" }
	if ph, err := parseMSISDN(p.PhoneNumber); err == nil {
		cc := strconv.Itoa(ph.CountryCode)
		nsn := strings.TrimPrefix(ph.MSISDN, cc)
		if m := collect(MatchPhone, candidates, func(c Candidate) bool {
			// Every spelling of the number ends with its national digits;
			// checking that first avoids parsing most candidates.
			if !free(c) || !strings.HasSuffix(strings.Map(keepDigits, c.Phone), nsn) {
				return false
			}
			cp, err := ParsePhone(c.Phone, "+"+cc)
			return err == nil && cp.E164 == ph.E164
		}); m.By != MatchNone {
			return m
		}
	}
	if p.EmailVerified != nil && *p.EmailVerified {
		if e := clean(p.Email); e != "" {
			if m := collect(MatchEmail, candidates, func(c Candidate) bool {
				return free(c) && strings.EqualFold(clean(c.Email), e)
			}); m.By != MatchNone {
				return m
			}
		}
	}
	return Match{}
}

func collect(by MatchBy, cs []Candidate, ok func(Candidate) bool) Match {
	var m Match
	for _, c := range cs {
		if ok(c) {
			m.Candidates = append(m.Candidates, c)
		}
	}
	if len(m.Candidates) > 0 {
		m.By = by
	}
	return m
}

// keepDigits is a strings.Map function that keeps ASCII digits only.
func keepDigits(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}
