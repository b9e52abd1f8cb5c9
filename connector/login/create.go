package login

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/mapping"
)

// lookupTimeout bounds the synchronous BC / NP Retail / QR calls of a POST.
const lookupTimeout = 20 * time.Second

// storeTimeout bounds one try of a POST's write.
const storeTimeout = 5 * time.Second

type customerRequestBody struct {
	CustomerNo  string `json:"customerNo"`
	CustomerID  string `json:"customerId"`
	PhoneNumber string `json:"phoneNumber"`
	UseCase     string `json:"useCase"`
}

type memberRequestBody struct {
	PhoneNumber string `json:"phoneNumber"`
	QRCode      string `json:"qrCode"`
	UseCase     string `json:"useCase"`
	MemberID    string `json:"memberId"`
}

// newID returns a request id: a kind prefix and 128 random bits.
func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// useCaseFor resolves the use case named in the body (or the default of the
// kind) and checks it is of the right kind.
// The problems slice is where the caller collects further field problems.
func (t *tenant) useCaseFor(name, kind, dflt string) (useCase, []api.FieldProblem) {
	if name == "" {
		name = dflt
	}
	uc, ok := t.useCases[name]
	if !ok {
		return useCase{}, []api.FieldProblem{{Field: "useCase", Reason: "is not configured for this tenant"}}
	}
	if uc.kind != kind {
		endpoint := "/v1/" + uc.kind + "-info-requests"
		if uc.kind == config.KindEnrollment {
			endpoint = EnrollmentRoute
		}
		return useCase{}, []api.FieldProblem{{Field: "useCase", Reason: "is a " + uc.kind + " use case; use " + endpoint}}
	}
	return uc, nil
}

func (s *Flows) createCustomerRequest(c *gin.Context) {
	t := s.tenantOf(c)
	var body customerRequestBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	uc, errs := t.useCaseFor(body.UseCase, config.KindCustomer, config.UseCaseCustomerCard)
	body.CustomerNo = strings.TrimSpace(body.CustomerNo)
	body.CustomerID = strings.TrimSpace(body.CustomerID)
	switch {
	case body.CustomerNo == "" && body.CustomerID == "":
		errs = append(errs, api.FieldProblem{Field: "customerNo", Reason: "is required (or give customerId)"})
	case body.CustomerNo != "" && body.CustomerID != "":
		errs = append(errs, api.FieldProblem{Field: "customerId", Reason: "give customerNo or customerId, not both"})
	case len([]rune(body.CustomerNo)) > bc.MaxCustomerNumber:
		errs = append(errs, api.FieldProblem{Field: "customerNo", Reason: "is longer than 20 characters"})
	case body.CustomerID != "":
		if id, ok := canonicalGUID(body.CustomerID); ok {
			body.CustomerID = id
		} else {
			errs = append(errs, api.FieldProblem{Field: "customerId", Reason: "must be a GUID"})
		}
	}
	var phone mapping.Phone
	if strings.TrimSpace(body.PhoneNumber) == "" {
		errs = append(errs, api.FieldProblem{Field: "phoneNumber", Reason: "is required"})
	} else if ph, p := tenants.ParsePhoneInput(body.PhoneNumber, t.mapping.ImplicitPhonePrefix); p != nil {
		errs = append(errs, *p)
	} else {
		phone = ph
	}
	hash, ok := s.checked(c, t, kindCustomer, uc.name, key, errs,
		fingerprint{CustomerNo: body.CustomerNo, CustomerID: body.CustomerID, MSISDN: phone.MSISDN})
	if !ok {
		return
	}

	// The customer must exist before the customer is bothered with a push.
	ctx, cancel := context.WithTimeout(c.Request.Context(), lookupTimeout)
	defer cancel()
	var cust *bc.Customer
	var err error
	if body.CustomerID != "" {
		cust, err = t.bc.Customers.Get(ctx, body.CustomerID)
	} else {
		cust, err = t.bc.Customers.GetByNumber(ctx, body.CustomerNo)
	}
	s.observe("bc", "customers.get", err)
	if err != nil {
		if bc.IsNotFound(err) {
			field := "customerNo"
			if body.CustomerID != "" {
				field = "customerId"
			}
			api.WriteProblem(c, &api.Problem{Type: api.ProblemUnknownCustomer, Title: "Unknown customer", Status: http.StatusUnprocessableEntity,
				Detail: "Business Central has no such customer in the configured company.",
				Errors: []api.FieldProblem{{Field: field, Reason: "no such customer in Business Central"}}})
			return
		}
		api.WriteProblem(c, bcProblem("Could not look up the customer in Business Central", err))
		return
	}
	in := input{CustomerNo: cust.Number, CustomerID: cust.ID, MSISDN: phone.MSISDN}
	m := meta{CustomerNo: cust.Number, CustomerID: cust.ID}
	s.create(c, t, uc, kindCustomer, "cir_", key, hash, in, m)
}

func (s *Flows) createMemberRequest(c *gin.Context) {
	t := s.tenantOf(c)
	var body memberRequestBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	uc, errs := t.useCaseFor(body.UseCase, config.KindMember, config.UseCasePOSMemberRegistration)
	body.PhoneNumber = strings.TrimSpace(body.PhoneNumber)
	body.QRCode = strings.TrimSpace(body.QRCode)
	body.MemberID = strings.TrimSpace(body.MemberID)
	phone, perrs := tenants.PhoneOrQR(body.PhoneNumber, body.QRCode, t.mapping.ImplicitPhonePrefix)
	errs = append(errs, perrs...)
	if body.MemberID != "" {
		id, isGUID := canonicalGUID(body.MemberID)
		if isGUID {
			body.MemberID = id
		}
		switch {
		case !isGUID:
			errs = append(errs, api.FieldProblem{Field: "memberId", Reason: "must be a GUID"})
		case t.np == nil:
			errs = append(errs, api.FieldProblem{Field: "memberId", Reason: "NP Retail is not configured for this tenant"})
		case uc.name != "" && !uc.updateMember:
			errs = append(errs, api.FieldProblem{Field: "memberId", Reason: "updating existing members is not enabled for this use case (useCases." + uc.name + ".updateExisting)"})
		}
	}
	hash, ok := s.checked(c, t, kindMember, uc.name, key, errs,
		fingerprint{MSISDN: phone.MSISDN, QRCode: body.QRCode, MemberID: body.MemberID})
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
	if body.MemberID != "" {
		_, err := t.np.Members.Get(ctx, body.MemberID)
		s.observe("npretail", "members.get", err)
		if err != nil {
			if bc.IsNotFound(err) {
				api.WriteProblem(c, &api.Problem{Type: api.ProblemUnknownMember, Title: "Unknown member", Status: http.StatusUnprocessableEntity,
					Detail: "NP Retail has no such member.", Errors: []api.FieldProblem{{Field: "memberId", Reason: "no such member in NP Retail"}}})
				return
			}
			api.WriteProblem(c, npProblem("Could not look up the member in NP Retail", err))
			return
		}
	}
	in := input{MSISDN: phone.MSISDN, MemberID: body.MemberID, ViaQR: body.QRCode != ""}
	m := meta{MemberID: body.MemberID, ViaQR: body.QRCode != ""}
	s.create(c, t, uc, kindMember, "mir_", key, hash, in, m)
}

// exchangeQR turns a scanned personal QR code (Vipps' clear-text or
// MobilePay's tokenized form) into the phone number, through the QR API of
// sales unit msn. A code Vipps does not know is a 400 on qrCode.
func (s *Flows) exchangeQR(ctx context.Context, t *tenant, msn, qrCode string) (mapping.Phone, *api.Problem) {
	ph, p, err := tenants.ExchangeQR(ctx, t.vipps[msn], t.mapping.ImplicitPhonePrefix, qrCode)
	s.observe("vipps", "qr.exchange", err)
	return ph, p
}

func isDuplicate(err error) bool { return errors.Is(err, store.ErrDuplicate) }

// create starts the Vipps login inline, so the customer gets the push at
// once, and then stores the request with what Vipps answered: one row in
// one write per request (the scheduler takes over from there). A start that failed
// for a while is stored due at its retry and answered 202 all the same; a
// refused one is stored failed. Nothing is stored when the process dies
// before the write (the caller, who got no answer, retries with its
// Idempotency-Key); see the connector package for what that leaves.
func (s *Flows) create(c *gin.Context, t *tenant, uc useCase, kind, prefix, key, hash string, in input, m meta) {
	ctx := c.Request.Context()
	excl := phoneKey(in.MSISDN)
	// Requests for the same phone number, or under the same key, take
	// turns in this process: the login is started before it is stored, so
	// the store's unique keys alone would let both send a push.
	release, err := s.starting.hold(ctx, excl, idemHold(t.id, kind, key))
	if err != nil {
		s.storeProblem(c, err)
		return
	}
	defer release()
	// Nothing is pushed unless the store has answered: a store that cannot
	// say whether the request exists could not record the login either.
	if s.replayed(c, t, kind, key, hash) {
		return // stored by the request this one waited for
	}
	// The phone's key first: an enrolment gives it up for its tenant's key
	// (keyAfterConsent) in one write, so a request that misses it there
	// finds it under the other.
	busy := []string{excl}
	if kind == kindEnrollment {
		busy = append(busy, enrollmentKey(t.id, in.MSISDN))
	}
	for _, k := range busy {
		switch other, err := s.store.GetByExclusive(ctx, k); {
		case err == nil:
			s.answerPending(c, t, kind, key, hash, other)
			return
		case !errors.Is(err, store.ErrNotFound):
			s.storeProblem(c, err)
			return
		}
	}
	now := s.clock.Now()
	if s.cfg.Login.BindingMessage {
		m.BindingMessage = newBindingMessage()
	}
	r := request{
		Job: store.Job{
			ID: newID(prefix), TenantID: t.id, Kind: kind, Status: statusPending,
			IdempotencyKey: key, RequestHash: hash, ExclusiveKey: excl, Input: mustJSON(in),
		},
		UseCase: uc.name, MSN: uc.msn, ExpiresAt: now.Add(uc.expiry), Meta: mustJSON(m),
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
	defer cancel()
	next, err := s.callStart(cctx, t, r)
	if err != nil {
		// Stored pending and due at the retry: the scheduler starts it.
		s.log.Warn("start login deferred", "tenant", t.id, "request", r.ID, "err", err)
	}
	if next.AuthReqID != "" {
		// Named after its auth_req_id: the ping webhook finds it by id.
		next.ID = startedID(prefix, t.id, next.MSN, next.AuthReqID)
	}
	stored, errs, err := s.storeNew(ctx, next)
	switch {
	case err != nil:
		s.log.Error("store a started login", "tenant", t.id, "request", next.ID, "started", next.AuthReqID != "", "err", err)
		s.storeProblem(c, err)
		return
	case errors.Is(errs[0], store.ErrDuplicate):
		// Another replica stored a request under this key first.
		s.answerDuplicate(c, stored[0], kind, key, hash)
		return
	case errors.Is(errs[0], store.ErrExclusive):
		s.answerPending(c, t, kind, key, hash, stored[0])
		return
	case errs[0] != nil:
		s.storeProblem(c, errs[0])
		return
	}
	c.JSON(http.StatusAccepted, s.view(toRequest(stored[0])))
}

// storeNew stores a request the POST has started (or tried to), with a
// deadline of its own (the Vipps call may have used up the request's) and
// a few tries: once Vipps has sent the push, a busy database must not
// lose the login. A conflict with a row that finished in between is tried
// again too.
func (s *Flows) storeNew(ctx context.Context, r request) (stored []store.Job, errs []error, err error) {
	ctx = context.WithoutCancel(ctx) // the caller hanging up does not stop it
	s.retryWrite(ctx, s.shutdown, func() bool {
		wctx, cancel := context.WithTimeout(ctx, storeTimeout)
		defer cancel()
		stored, errs, err = s.engine.CreateEach(wctx, []store.Job{r.job()})
		return err != nil || errors.Is(errs[0], store.ErrConflict)
	})
	return stored, errs, err
}

// answerPending answers a request for a phone number with a login already
// waiting for the customer (other): 409, with other's id when it is the
// same tenant's; a retry of other itself gets other.
func (s *Flows) answerPending(c *gin.Context, t *tenant, kind, key, hash string, other store.Job) {
	if key != "" && other.TenantID == t.id && other.Kind == kind && other.IdempotencyKey == key {
		s.answerDuplicate(c, other, kind, key, hash)
		return
	}
	p := &api.Problem{Type: api.ProblemLoginPending, Title: "A request for this phone number is already waiting for the customer", Status: http.StatusConflict,
		Detail: "Vipps MobilePay lets a customer answer one login at a time. Wait for the pending request to finish (or cancel it), then try again.",
		Errors: []api.FieldProblem{{Field: "phoneNumber", Reason: "has a request waiting for the customer"}}}
	if other.TenantID == t.id {
		p.PendingRequestID = other.ID
	}
	api.WriteProblem(c, p)
}

// idemHold is the in-process hold of an Idempotency-Key ("" without one).
func idemHold(tenantID, kind, key string) string {
	if key == "" {
		return ""
	}
	return "key\x00" + tenantID + "\x00" + kind + "\x00" + key
}

// fingerprint is what a validated request asks for, before any lookup: a
// phone typed in another form, or fields in another order, is the same
// request.
type fingerprint struct {
	CustomerNo string `json:"customerNo,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
	MSISDN     string `json:"msisdn,omitempty"`
	QRCode     string `json:"qrCode,omitempty"`
	MemberID   string `json:"memberId,omitempty"`
}

// requestHash fingerprints a validated request (kind, use case, what it
// asks for), so that a reused Idempotency-Key with another request is told
// apart from a retry. It is derived from personal data and purged with it.
func requestHash(kind, useCase string, f fingerprint) string {
	sum := sha256.Sum256(append([]byte(kind+"\x00"+useCase+"\x00"), mustJSON(f)...))
	return hex.EncodeToString(sum[:])
}

// checked ends a validated POST early: with the field problems when there
// are any, else with the stored request when its Idempotency-Key is a
// retry (or 409 for another request). Otherwise it returns the request's
// hash for create and true.
func (s *Flows) checked(c *gin.Context, t *tenant, kind, useCase, key string, errs []api.FieldProblem, f fingerprint) (string, bool) {
	if len(errs) > 0 {
		api.WriteProblem(c, api.InvalidInput(errs...))
		return "", false
	}
	hash := requestHash(kind, useCase, f)
	if s.replayed(c, t, kind, key, hash) {
		return "", false
	}
	return hash, true
}

// replayed answers a POST whose Idempotency-Key is already stored, before
// any lookup in BC, NP Retail or the QR API: the first request (200) for a
// retry, 409 for another request under the same key, 503 when the store
// cannot say. It reports whether it answered.
func (s *Flows) replayed(c *gin.Context, t *tenant, kind, key, hash string) bool {
	if key == "" {
		return false
	}
	j, err := s.store.GetByKey(c.Request.Context(), t.id, kind, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false
	case err != nil:
		s.storeProblem(c, err)
	default:
		s.answerDuplicate(c, j, kind, key, hash)
	}
	return true
}

// answerDuplicate answers with the stored job of an Idempotency-Key: the
// first answer for a retry, 409 for another request.
func (s *Flows) answerDuplicate(c *gin.Context, stored store.Job, kind, key, hash string) {
	// An empty stored hash (purged, or a row from before hashes) cannot
	// tell: the first answer stands.
	if stored.Kind != kind || stored.IdempotencyKey != key || (stored.RequestHash != "" && stored.RequestHash != hash) {
		// Another endpoint's key, or the same key with another request: the
		// first request's answer would be an answer to another question.
		api.WriteProblem(c, api.IdempotencyReused())
		return
	}
	r := toRequest(stored)
	c.JSON(http.StatusOK, s.view(r))
	if r.Final && r.DeliveredAt.IsZero() {
		s.markDelivered(c.Request.Context(), stored.TenantID, stored.ID)
	}
}

// phoneKey is the exclusive key of a pending login: one login per phone
// number at a time across tenants (Vipps lets a customer answer one). It
// is a hash, and the store drops it when the login leaves pending.
func phoneKey(msisdn string) string {
	sum := sha256.Sum256([]byte("login-phone\x00" + msisdn))
	return "login-phone:" + hex.EncodeToString(sum[:])
}

// enrollmentKey is the exclusive key of an enrolment the customer has
// consented to, until its member is created: one per phone number and
// tenant (its NP Retail), so two enrolments of one phone cannot both create
// a member, while other tenants' logins for the phone need not wait for
// this tenant's NP Retail.
func enrollmentKey(tenantID, msisdn string) string {
	sum := sha256.Sum256([]byte("enrollment-phone\x00" + tenantID + "\x00" + msisdn))
	return "enrollment-phone:" + hex.EncodeToString(sum[:])
}

// keyAfterConsent is the exclusive key of a login the customer has
// answered: none, as Vipps lets the phone start its next login, except for
// an enrolment (enrollmentKey).
func (r request) keyAfterConsent() string {
	if r.Kind != kindEnrollment {
		return ""
	}
	in, _ := decodeJSON[input](r.Input)
	return enrollmentKey(r.TenantID, in.MSISDN)
}

// newBindingMessage returns a code like "K4M-Q7Z" (^[A-Z0-9\-]{5,8}$)
// without easily confused letters.
func newBindingMessage() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [6]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 7)
	for i, v := range b {
		if i == 3 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(v)%len(alphabet)])
	}
	return string(out)
}

// canonicalGUID returns s as a lower-case 8-4-4-4-12 GUID (BC's SystemId
// form), accepting braces; ok is false when s is not a GUID.
func canonicalGUID(s string) (string, bool) {
	if len(s) != 36 && len(s) != 38 {
		return "", false // no urn: or undashed forms
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return id.String(), true
}
