package login

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// maxReplans bounds how often one attempt re-reads a customer that others
// keep changing before it defers to a later attempt.
const maxReplans = 3

// applyCustomer writes the consented profile to the BC customer, at most
// once: the PATCH is planned (and stored) against the customer's ETag before
// it is sent; a later attempt recognises a plan that already landed.
func (s *Flows) applyCustomer(ctx context.Context, t *tenant, r request) {
	profile, in, uc, ok := s.consented(ctx, t, r)
	if !ok {
		return
	}
	for replan := 0; ; replan++ {
		cur, err := t.bc.Customers.Get(ctx, in.CustomerID)
		s.observe("bc", "customers.get", err)
		if err != nil {
			s.bcFailure(ctx, r, "bc", err)
			return
		}
		res, _ := decodeJSON[result](r.Result)
		p := res.Plan
		if p != nil && cur.ODataETag != p.ETag {
			if landed(cur, p.Patch) {
				// The PATCH was sent before a crash and BC took it.
				s.finish(ctx, r, statusCompleted, &result{Customer: viewCustomer(cur), Changes: p.Changes, Warnings: p.Warnings}, nil)
				return
			}
			p = nil // someone else changed the customer: plan again
		}
		if p == nil {
			mr := mapping.Customer(profile, *cur, uc.options)
			if len(mr.Patch) == 0 {
				s.finish(ctx, r, statusCompleted, &result{Customer: viewCustomer(cur), Changes: []mapping.Change{}, Warnings: mr.Warnings}, nil)
				return
			}
			p = &plan{ETag: cur.ODataETag, Patch: mr.Patch, Changes: mr.Changes, Warnings: mr.Warnings}
			prev := r
			r.Result = mustJSON(result{Plan: p})
			u, err := s.save(ctx, prev, r, s.keepLease())
			if err != nil {
				return
			}
			r = u
		}
		written, err := t.bc.Customers.Patch(ctx, in.CustomerID, p.ETag, p.Patch)
		s.observe("bc", "customers.patch", err)
		if err == nil {
			s.finish(ctx, r, statusCompleted, &result{Customer: viewCustomer(written), Changes: p.Changes, Warnings: p.Warnings}, nil)
			return
		}
		if bc.IsConflict(err) {
			if replan < maxReplans {
				continue // re-read, re-apply the policy to the new state
			}
			// Others keep changing the customer: try again later.
			s.deferApply(ctx, r, "bc", err)
			return
		}
		s.bcFailure(ctx, r, "bc", err)
		return
	}
}

// consented returns what an applying request needs: the stored profile,
// the input and the use case. A row without a profile fails.
func (s *Flows) consented(ctx context.Context, t *tenant, r request) (*vipps.UserInfo, input, useCase, bool) {
	sec, err := decodeJSON[secret](r.Private)
	if err != nil || sec.Profile == nil {
		s.fail(ctx, r, &api.Problem{Type: api.ProblemInternal, Title: "The consented profile is missing", Status: http.StatusInternalServerError})
		return nil, input{}, useCase{}, false
	}
	in, _ := decodeJSON[input](r.Input)
	return sec.Profile, in, t.useCases[r.UseCase], true
}

// landed reports whether every planned field already has its planned value.
func landed(cur *bc.Customer, patch map[string]any) bool {
	raw, err := json.Marshal(cur)
	if err != nil {
		return false
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		return false
	}
	for k, want := range patch {
		if fmt.Sprint(fields[k]) != fmt.Sprint(want) {
			return false
		}
	}
	return true
}

// applyMember maps the profile to the POS dialog's member fields and, when
// a memberId was given, updates that member through NP Retail. Setting the
// same values twice is harmless, so a retry after a crash needs no plan.
func (s *Flows) applyMember(ctx context.Context, t *tenant, r request) {
	profile, in, uc, ok := s.consented(ctx, t, r)
	if !ok {
		return
	}
	mr := mapping.Member(profile, uc.options)
	member := mr.Member
	if member.PhoneNo == "" || in.ViaQR {
		// The number the login ran on is verified by Vipps; use it when the
		// profile has none or the cashier only scanned a QR code.
		if ph, err := mapping.ParsePhone("+"+in.MSISDN, uc.options.ImplicitPhonePrefix); err == nil {
			member.PhoneNo = ph.BCFormat()
		}
	}
	out := &result{Member: viewMember(member), Warnings: mr.Warnings, Changes: []mapping.Change{}}
	if in.MemberID == "" || t.np == nil {
		s.finish(ctx, r, statusCompleted, out, nil)
		return
	}
	cur, err := t.np.Members.Get(ctx, in.MemberID)
	s.observe("npretail", "members.get", err)
	if err != nil {
		s.bcFailure(ctx, r, "npretail", err)
		return
	}
	ch := mapping.MemberChanges(profile, *cur, uc.options)
	if len(ch.Patch) > 0 {
		if _, err := t.np.Members.Update(ctx, in.MemberID, ch.Patch); err != nil {
			s.observe("npretail", "members.update", err)
			s.bcFailure(ctx, r, "npretail", err)
			return
		}
		s.observe("npretail", "members.update", nil)
	}
	out.Member.MemberID = in.MemberID
	out.Changes = ch.Changes
	out.Warnings = mergeWarnings(mr.Warnings, ch.Warnings)
	if uc.options.OnNameMismatch == mapping.NameMismatchSkip && hasNameMismatch(ch.Warnings) {
		// Another person consented: nothing of the profile goes to the
		// member or into the dialog.
		out.Member = &memberView{MemberID: in.MemberID}
		out.Warnings = ch.Warnings
	}
	s.finish(ctx, r, statusCompleted, out, nil)
}

// bcFailure defers the write when BC may recover, and fails the request
// when BC refused the data.
func (s *Flows) bcFailure(ctx context.Context, r request, target string, err error) {
	if classifyBC(err).Verdict != work.Refused {
		s.deferApply(ctx, r, target, err)
		return
	}
	title := "Business Central refused the update"
	typ := api.ProblemBCRejected
	if target == "npretail" {
		title, typ = "NP Retail refused the update", api.ProblemNPRetailRejected
	}
	if bc.IsNotFound(err) {
		title = "The record no longer exists"
	}
	s.fail(ctx, r, &api.Problem{Type: typ, Title: title, Status: http.StatusBadGateway, Detail: upstreamDetail(target, err)})
}

func hasNameMismatch(ws []mapping.Warning) bool {
	for _, w := range ws {
		if w.Code == mapping.WarningNameMismatch {
			return true
		}
	}
	return false
}

func mergeWarnings(a, b []mapping.Warning) []mapping.Warning {
	seen := map[mapping.Warning]bool{}
	var out []mapping.Warning
	for _, w := range append(append([]mapping.Warning{}, a...), b...) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
