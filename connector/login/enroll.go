package login

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/mapping"
)

// EnrollmentRoute is the route prefix of club enrolments (J3): a Login
// consent with the club-enrollment use case, then the member created in
// NP Retail, once.
const EnrollmentRoute = "/v1/enrollments"

// kindEnrollment is the job kind of an enrolment.
const kindEnrollment = "enrollment"

type enrollmentBody struct {
	PhoneNumber    string `json:"phoneNumber"`
	QRCode         string `json:"qrCode"`
	MembershipCode string `json:"membershipCode"`
	UseCase        string `json:"useCase"`
}

// maxMembershipCode is NP Retail's Membership Code length (Code[20]).
const maxMembershipCode = 20

// createEnrollment answers POST /v1/enrollments: 202 with a pending
// request (the customer gets the consent push), or 200 with the existing
// member when the phone number already belongs to one.
func (s *Flows) createEnrollment(c *gin.Context) {
	t := s.tenantOf(c)
	var body enrollmentBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	uc, errs := t.useCaseFor(body.UseCase, config.KindEnrollment, config.UseCaseClubEnrollment)
	body.PhoneNumber, body.QRCode = strings.TrimSpace(body.PhoneNumber), strings.TrimSpace(body.QRCode)
	code := strings.TrimSpace(body.MembershipCode)
	if code == "" {
		code = uc.membershipCode
	}
	phone, perrs := tenants.PhoneOrQR(body.PhoneNumber, body.QRCode, t.mapping.ImplicitPhonePrefix)
	errs = append(errs, perrs...)
	switch {
	case t.np == nil:
		api.WriteProblem(c, &api.Problem{Type: api.ProblemNPRetailNotConfigured, Title: "NP Retail is not configured", Status: http.StatusUnprocessableEntity,
			Detail: "Enrolment creates the member in NP Retail, which is not configured for this tenant (npRetail)."})
		return
	case len([]rune(code)) > maxMembershipCode:
		errs = append(errs, api.FieldProblem{Field: "membershipCode", Reason: "is longer than 20 characters"})
	case code == "" && uc.name != "":
		errs = append(errs, api.FieldProblem{Field: "membershipCode", Reason: "is required: no membershipCode is configured for use case " + uc.name})
	case uc.name != "" && uc.membershipItem(code) == "":
		errs = append(errs, api.FieldProblem{Field: "membershipCode", Reason: "has no membership sales item configured for use case " + uc.name + " (membershipItems)"})
	}
	hash, ok := s.checked(c, t, kindEnrollment, uc.name, key, errs, fingerprint{MSISDN: phone.MSISDN, QRCode: body.QRCode, MemberID: code})
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), lookupTimeout)
	defer cancel()
	if body.QRCode != "" {
		var p *api.Problem
		if phone, p = s.exchangeQR(ctx, t, uc.msn, body.QRCode); p != nil {
			api.WriteProblem(c, p)
			return
		}
	}
	members, err := s.membersByPhone(ctx, t, phone)
	if err != nil {
		api.WriteProblem(c, npProblem("Could not look up the phone number in NP Retail", err))
		return
	}
	m := meta{MembershipCode: code, MembershipItem: uc.membershipItem(code), ViaQR: body.QRCode != ""}
	if len(members) > 0 {
		s.alreadyMember(c, t, uc, key, hash, members[0], m)
		return
	}
	s.create(c, t, uc, kindEnrollment, "enr_", key, hash, input{MSISDN: phone.MSISDN, ViaQR: body.QRCode != ""}, m)
}

// alreadyMember answers an enrolment for a phone that belongs to a member:
// a completed request holding that member, stored so that GET and a retry
// with the same key answer the same, and nobody is pushed.
func (s *Flows) alreadyMember(c *gin.Context, t *tenant, uc useCase, key, hash string, member bc.Member, m meta) {
	now := s.clock.Now()
	r := request{
		Job: store.Job{
			ID: newID("enr_"), TenantID: t.id, Kind: kindEnrollment, Status: statusCompleted,
			IdempotencyKey: key, RequestHash: hash,
			Result: mustJSON(result{Member: memberSummary(member), Warnings: []mapping.Warning{alreadyMemberWarning}}),
		},
		UseCase: uc.name, MSN: uc.msn, ExpiresAt: now, Meta: mustJSON(m),
	}
	stored, err := s.engine.Create(c.Request.Context(), r.job())
	if err != nil {
		if isDuplicate(err) {
			s.answerDuplicate(c, stored, kindEnrollment, key, hash)
			return
		}
		s.storeProblem(c, err)
		return
	}
	c.JSON(http.StatusAccepted, s.view(toRequest(stored)))
	// This answer is final and written: it is delivered, so the member's
	// name goes with retention.profile like a fetched login's.
	s.markDelivered(c.Request.Context(), t.id, stored.ID)
}

// alreadyMemberWarning says that no member was created: the phone number
// belongs to one.
var alreadyMemberWarning = mapping.Warning{Code: "already-member",
	Reason: "The phone number already belongs to a member; no new member was created."}

// membersByPhone finds the NP Retail members with the phone number.
func (s *Flows) membersByPhone(ctx context.Context, t *tenant, p mapping.Phone) ([]bc.Member, error) {
	return tenants.MembersByPhone(ctx, t.np, p, t.mapping.ImplicitPhonePrefix, func(err error) { s.observe("npretail", "members.search", err) })
}

// addSettle is how long a member sent to NP Retail with an unknown
// outcome may still appear (BC online queues a request for minutes): until
// then the member is looked for, not sent again.
const addSettle = 10 * time.Minute

// applyEnrollment creates the consented customer as a member of the
// membership code, at most once. The enrolment holds its tenant's lock of
// the phone (enrollmentKey) until it ends, so no other enrolment of the
// phone creates a member meanwhile. The
// phone is looked up first (a member this request added before a crash,
// or one that exists already, is the answer); the new membership's id is
// stored before the member is added to it; the time the member is sent is
// stored before it is sent, and after an unknown outcome the member is
// looked for until addSettle has passed, never sent again before.
func (s *Flows) applyEnrollment(ctx context.Context, t *tenant, r request) {
	profile, in, uc, ok := s.consented(ctx, t, r)
	if !ok {
		return
	}
	// The tenant's enrolment lock (enrollmentKey) keeps two enrolments of
	// the phone from both creating a member. One that could not take it at
	// its consent (another enrolment of the phone held it: a race between
	// replicas) still holds the phone's key, and takes the lock now or
	// waits for the other to end.
	if want := r.keyAfterConsent(); r.ExclusiveKey != want {
		next := r
		next.ExclusiveKey = want
		u, err := s.save(ctx, r, next, s.keepLease())
		if errors.Is(err, store.ErrExclusive) {
			s.waitForEnrolment(ctx, r)
			return
		}
		if err != nil {
			return
		}
		r = u
	}
	m, _ := decodeJSON[meta](r.Meta)
	phone, err := mapping.ParsePhone("+"+in.MSISDN, uc.options.ImplicitPhonePrefix)
	if err != nil || t.np == nil {
		s.fail(ctx, r, &api.Problem{Type: api.ProblemInternal, Title: "Stored request is unreadable", Status: http.StatusInternalServerError})
		return
	}
	res, _ := decodeJSON[result](r.Result)
	if s.enrolmentFound(ctx, t, r, phone, res) {
		return
	}
	now := s.clock.Now()
	if !res.AddSentAt.IsZero() && now.Before(res.AddSentAt.Add(addSettle)) {
		// The last add may still land: look again later.
		s.deferApply(ctx, r, "npretail", errAddPending)
		return
	}
	mr := mapping.Member(profile, uc.options)
	member := mr.Member
	// The number the login ran on is verified by Vipps: it is the
	// member's, whatever the profile says.
	member.PhoneNo = phone.BCFormat()
	membershipCreated := false
	if res.MembershipID == "" {
		item := m.MembershipItem
		if item == "" {
			item = uc.membershipItem(m.MembershipCode) // a request stored before the item was
		}
		ms, err := t.np.Members.CreateMembership(ctx, bc.Membership{ItemNumber: item})
		s.observe("npretail", "memberships.create", err)
		if err != nil {
			if bc.OutcomeUnknown(err) {
				// NP Retail offers no way to find a membership by a key of
				// ours, so the next attempt creates one again: say so,
				// for whoever looks after NP Retail's memberships.
				s.log.Warn("NP Retail may have created a membership without confirming it; the next attempt creates another, and the first, if it exists, stays without members",
					"tenant", t.id, "request", r.ID, "membershipCode", m.MembershipCode)
				s.metrics.unconfirmedMemberships.WithLabelValues(t.id).Inc()
			}
			s.bcFailure(ctx, r, "npretail", err)
			return
		}
		res.MembershipID, res.Warnings = ms.ID, mr.Warnings
		membershipCreated = true
	}
	prev := r
	res.AddSentAt = now
	r.Result = mustJSON(res)
	u, err := s.save(ctx, prev, r, s.keepLease())
	if err != nil {
		if membershipCreated {
			// The new membership's id is lost with the write: the next
			// attempt creates another.
			s.log.Warn("an NP Retail membership was created but could not be recorded; the next attempt creates another, and this one stays without members",
				"tenant", t.id, "request", r.ID, "membershipCode", m.MembershipCode, "err", err)
			s.metrics.unconfirmedMemberships.WithLabelValues(t.id).Inc()
		}
		return
	}
	r = u
	created, err := t.np.Members.AddMember(ctx, res.MembershipID, member)
	s.observe("npretail", "members.add", err)
	if err != nil {
		if classifyBC(err).Verdict == work.Refused {
			// Refused: nothing was added; the next attempt may send again.
			prev := r
			res.AddSentAt = time.Time{}
			r.Result = mustJSON(res)
			if u, err := s.save(ctx, prev, r, s.keepLease()); err == nil {
				r = u
			}
		}
		s.bcFailure(ctx, r, "npretail", err)
		return
	}
	s.finish(ctx, r, statusCompleted, &result{Member: viewMember(*created), Warnings: mr.Warnings, Changes: []mapping.Change{}}, nil)
}

// errAddPending is the deferral reason while a member sent with an
// unknown outcome may still appear.
var errAddPending = errors.New("NP Retail has not confirmed the new member yet")

// waitForEnrolment defers enrolment r while another enrolment of its
// phone creates its member, backing off up to worker.retryBackoffMax.
func (s *Flows) waitForEnrolment(ctx context.Context, r request) {
	prev := r
	m, _ := decodeJSON[meta](r.Meta)
	m.LastError = "Another enrolment of this phone number is creating its member; this one waits for it."
	r.Meta = mustJSON(m)
	r.DueAt = s.clock.Now().Add(work.Backoff(r.Attempts+1, s.cfg.Worker.RetryBackoffMax))
	r.Attempts++
	_, _ = s.save(ctx, prev, r)
}

// enrolmentFound ends the enrolment when the phone belongs to a member:
// the one this request added (it sent one), or one that existed (a
// warning says so; only name and id are shown). It reports whether it
// ended the request (or deferred it on an NP Retail failure).
func (s *Flows) enrolmentFound(ctx context.Context, t *tenant, r request, phone mapping.Phone, res result) bool {
	existing, err := s.membersByPhone(ctx, t, phone)
	if err != nil {
		s.bcFailure(ctx, r, "npretail", err)
		return true
	}
	if len(existing) == 0 {
		return false
	}
	if !res.AddSentAt.IsZero() {
		s.finish(ctx, r, statusCompleted, &result{Member: viewMember(existing[0]), Warnings: res.Warnings, Changes: []mapping.Change{}}, nil)
		return true
	}
	s.finish(ctx, r, statusCompleted, &result{Member: memberSummary(existing[0]), Warnings: []mapping.Warning{alreadyMemberWarning}, Changes: []mapping.Change{}}, nil)
	return true
}

// enrolmentLanded is the apply deadline's last look for an enrolment: a
// member that landed after all completes it.
func (s *Flows) enrolmentLanded(ctx context.Context, t *tenant, r request) bool {
	if r.Kind != kindEnrollment || t.np == nil {
		return false
	}
	in, _ := decodeJSON[input](r.Input)
	res, _ := decodeJSON[result](r.Result)
	phone, err := mapping.ParsePhone("+"+in.MSISDN, t.mapping.ImplicitPhonePrefix)
	if err != nil || res.AddSentAt.IsZero() {
		return false
	}
	existing, err := s.membersByPhone(ctx, t, phone)
	if err != nil || len(existing) == 0 {
		return false
	}
	s.finish(ctx, r, statusCompleted, &result{Member: viewMember(existing[0]), Warnings: res.Warnings, Changes: []mapping.Change{}}, nil)
	return true
}

// memberSummary is what an enrolment shows of a member it did not create:
// the id and the name, nothing the customer at the till did not give.
func memberSummary(m bc.Member) *memberView {
	return &memberView{MemberID: m.ID, FirstName: m.FirstName, LastName: m.LastName}
}
