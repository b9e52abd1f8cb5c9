package vippstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Payment states and event names (ePayment API).
const (
	stateCreated    = "CREATED"
	stateAuthorized = "AUTHORIZED"
	stateAborted    = "ABORTED"
	stateExpired    = "EXPIRED"
	stateTerminated = "TERMINATED"

	eventCreated    = "CREATED"
	eventAuthorized = "AUTHORIZED"
	eventAborted    = "ABORTED"
	eventExpired    = "EXPIRED"
	eventTerminated = "TERMINATED"
	eventCaptured   = "CAPTURED"
	eventCancelled  = "CANCELLED"
	eventRefunded   = "REFUNDED"

	paymentDefaultExpiry = 10 * time.Minute
	paymentMaxExpiresAt  = 60 * 24 * time.Hour // current docs; the spec copy says 28 days
)

// referenceRE is the current reference rule (8–64 characters); the spec
// copy still says 8–50 (SOURCES.md, Known drift).
var referenceRE = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)

type amount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

type aggregate struct {
	AuthorizedAmount amount `json:"authorizedAmount"`
	CancelledAmount  amount `json:"cancelledAmount"`
	CapturedAmount   amount `json:"capturedAmount"`
	RefundedAmount   amount `json:"refundedAmount"`
}

type paymentEvent struct {
	Reference      string  `json:"reference"`
	PSPReference   string  `json:"pspReference"`
	Name           string  `json:"name"`
	Amount         amount  `json:"amount"`
	Timestamp      string  `json:"timestamp"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Success        bool    `json:"success"`
}

// payment is one ePayment with its state machine.
type payment struct {
	msn, reference string
	amount         amount
	state          string
	userFlow       string
	methodType     string
	phone          string // the customer, once known
	behaviour      Behaviour
	answerAt       time.Time // PUSH_MESSAGE: when the user answers; zero = never
	expiresAt      time.Time
	profileScope   string
	sub            string
	pspReference   string
	redirectURL    string
	redirectToken  string
	metadata       map[string]string
	agg            aggregate
	events         []paymentEvent
}

func paymentKey(msn, ref string) string { return msn + "/" + ref }

func (s *Sim) pspRef() string {
	s.seq++
	return fmt.Sprintf("%d", 3000000000+s.seq)
}

// addEventLocked appends an event and queues its webhook. s.mu is held.
func (s *Sim) addEventLocked(p *payment, name string, value int64, at time.Time, idemKey string) paymentEvent {
	ev := paymentEvent{
		Reference: p.reference, PSPReference: s.pspRef(), Name: name,
		Amount: amount{Currency: p.amount.Currency, Value: value}, Timestamp: at.UTC().Format(time.RFC3339Nano), Success: true,
	}
	if idemKey != "" {
		k := idemKey
		ev.IdempotencyKey = &k
	}
	p.events = append(p.events, ev)
	hookEv := struct {
		MSN string `json:"msn"`
		paymentEvent
	}{p.msn, ev}
	body, _ := json.Marshal(hookEv)
	s.enqueueWebhookLocked(p.msn, "epayments.payment."+strings.ToLower(name)+".v1", body)
	return ev
}

// advanceLocked applies what has happened by now without an API call: the
// user's answer to a PUSH_MESSAGE payment, or expiry. s.mu is held.
func (s *Sim) advanceLocked(p *payment, now time.Time) {
	if p.state != stateCreated {
		return
	}
	if !p.answerAt.IsZero() && !now.Before(p.answerAt) && p.answerAt.Before(p.expiresAt) {
		if p.behaviour == BehaviourReject {
			p.state = stateAborted
			s.addEventLocked(p, eventAborted, p.amount.Value, p.answerAt, "")
			return
		}
		s.authorizeLocked(p, p.phone, p.answerAt)
		return
	}
	if !now.Before(p.expiresAt) {
		p.state = stateExpired
		s.addEventLocked(p, eventExpired, p.amount.Value, p.expiresAt, "")
	}
}

// authorizeLocked moves a CREATED payment to AUTHORIZED and shares the
// profile when profile.scope was asked for. s.mu is held.
func (s *Sim) authorizeLocked(p *payment, phone string, at time.Time) {
	p.state = stateAuthorized
	p.phone = phone
	p.agg.AuthorizedAmount.Value = p.amount.Value
	if p.profileScope != "" {
		p.sub = subFor(p.msn, phone)
		scopes := append([]string{"openid"}, strings.Fields(p.profileScope)...)
		s.profiles[p.msn+"/"+p.sub] = profileShare{phone: phone, scopes: scopes, expiresAt: at.Add(profileShareTTL)}
	}
	s.addEventLocked(p, eventAuthorized, p.amount.Value, at, "")
}

// getPayment finds a payment and brings it up to date.
func (s *Sim) getPaymentLocked(msn, ref string) (*payment, bool) {
	p, ok := s.payments[paymentKey(msn, ref)]
	if ok {
		s.advanceLocked(p, s.now())
	}
	return p, ok
}

// paymentView is the GetPaymentResponse body.
func (p *payment) view() map[string]any {
	v := map[string]any{
		"aggregate":     p.agg,
		"amount":        p.amount,
		"state":         p.state,
		"paymentMethod": map[string]string{"type": p.methodType},
		"profile":       map[string]string{},
		"pspReference":  p.pspReference,
		"reference":     p.reference,
	}
	if p.sub != "" {
		v["profile"] = map[string]string{"sub": p.sub}
	}
	if p.redirectURL != "" {
		v["redirectUrl"] = p.redirectURL
	}
	if len(p.metadata) > 0 {
		v["metadata"] = p.metadata
	}
	return v
}

func (p *payment) modification(pspRef string) map[string]any {
	return map[string]any{"amount": p.amount, "state": p.state, "aggregate": p.agg, "pspReference": pspRef, "reference": p.reference}
}

// readBody reads the request body for hashing and decoding.
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	return dec.Decode(v)
}

// POST /epayment/v1/payments
func (s *Sim) handleCreatePayment(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, true)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 50 {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The Idempotency-Key header is required (max 50 characters).", "")
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Could not read the request body.", "")
		return
	}
	var ref struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(body, &ref)
	if !s.allow(w, r, "create/"+m.msn+"/"+ref.Reference, rateModifyLimit) {
		return
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.idempotent(w, r, "create/"+m.msn, key, body, func(w http.ResponseWriter) { s.createPayment(w, r, m, body) })
}

type createRequest struct {
	Amount *struct {
		Currency string      `json:"currency"`
		Value    json.Number `json:"value"`
	} `json:"amount"`
	Customer *struct {
		PhoneNumber   *string `json:"phoneNumber"`
		PersonalQr    *string `json:"personalQr"`
		CustomerToken *string `json:"customerToken"`
	} `json:"customer"`
	CustomerInteraction string `json:"customerInteraction"`
	PaymentMethod       *struct {
		Type string `json:"type"`
	} `json:"paymentMethod"`
	Profile *struct {
		Scope string `json:"scope"`
	} `json:"profile"`
	Reference          string            `json:"reference"`
	ReturnURL          string            `json:"returnUrl"`
	UserFlow           string            `json:"userFlow"`
	ExpiresAt          *string           `json:"expiresAt"`
	PaymentDescription *string           `json:"paymentDescription"`
	Receipt            json.RawMessage   `json:"receipt"`
	Metadata           map[string]string `json:"metadata"`
}

var customerPhoneRE = regexp.MustCompile(`^\d{10,15}$`)

func (s *Sim) createPayment(w http.ResponseWriter, r *http.Request, m merchant, body []byte) {
	var req createRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The request body is not valid JSON for CreatePaymentRequest.", "")
		return
	}
	bad := func(detail, code, field string) {
		var extra []extraDetail
		if field != "" {
			extra = append(extra, extraDetail{Name: field, Reason: detail})
		}
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", detail, code, extra...)
	}
	// Amount: integer minor units, known currency, minimum and maximum.
	if req.Amount == nil {
		bad("amount is required.", "4040", "amount")
		return
	}
	value, err := req.Amount.Value.Int64()
	switch {
	case err != nil:
		bad("amount.value must be an integer in minor units.", "4040", "amount.value")
		return
	case req.Amount.Currency != "NOK" && req.Amount.Currency != "DKK" && req.Amount.Currency != "EUR":
		bad("amount.currency must be NOK, DKK or EUR.", "4040", "amount.currency")
		return
	case value > 65000000 || value < 1 || (req.Amount.Currency == "NOK" && value < 100):
		bad("amount.value is out of range (minimum NOK 100 øre, DKK/EUR 1, maximum 65000000).", "4040", "amount.value")
		return
	}
	s.mu.Lock()
	unitCurrency := s.unitCurrency(m.msn)
	s.mu.Unlock()
	if req.Amount.Currency != unitCurrency {
		bad("amount.currency "+req.Amount.Currency+" is not the sales unit's currency ("+unitCurrency+").", "", "amount.currency")
		return
	}
	if !referenceRE.MatchString(req.Reference) {
		bad("reference must match ^[a-zA-Z0-9-]{8,64}$.", "", "reference")
		return
	}
	if req.PaymentMethod == nil || (req.PaymentMethod.Type != "WALLET" && req.PaymentMethod.Type != "CARD") {
		bad("paymentMethod.type must be WALLET or CARD.", "", "paymentMethod.type")
		return
	}
	switch req.UserFlow {
	case "PUSH_MESSAGE", "QR", "WEB_REDIRECT", "NATIVE_REDIRECT":
	default:
		bad("userFlow must be PUSH_MESSAGE, NATIVE_REDIRECT, WEB_REDIRECT or QR.", "", "userFlow")
		return
	}
	if req.PaymentMethod.Type == "CARD" {
		bad("CARD payments are not available in the test environment.", "", "paymentMethod.type")
		return
	}
	if req.UserFlow == "WEB_REDIRECT" && req.ReturnURL == "" {
		bad("returnUrl is required for WEB_REDIRECT.", "", "returnUrl")
		return
	}
	if req.CustomerInteraction != "" && req.CustomerInteraction != "CUSTOMER_PRESENT" && req.CustomerInteraction != "CUSTOMER_NOT_PRESENT" {
		bad("customerInteraction must be CUSTOMER_PRESENT or CUSTOMER_NOT_PRESENT.", "", "customerInteraction")
		return
	}
	if d := req.PaymentDescription; d != nil && (len([]rune(*d)) < 3 || len([]rune(*d)) > 100) {
		bad("paymentDescription must be 3-100 characters.", "", "paymentDescription")
		return
	}
	if len(req.Metadata) > 5 {
		bad("metadata holds at most 5 pairs.", "", "metadata")
		return
	}
	for k, v := range req.Metadata {
		if len(k) > 100 || len(v) > 500 {
			bad("metadata keys are at most 100 and values at most 500 characters.", "", "metadata")
			return
		}
	}
	// Customer: exactly one identification.
	var phone string
	if c := req.Customer; c != nil {
		n := 0
		for _, f := range []*string{c.PhoneNumber, c.PersonalQr, c.CustomerToken} {
			if f != nil {
				n++
			}
		}
		if n != 1 {
			bad("customer must have exactly one of phoneNumber, personalQr and customerToken.", "", "customer")
			return
		}
		switch {
		case c.PhoneNumber != nil:
			if !customerPhoneRE.MatchString(*c.PhoneNumber) {
				bad("customer.phoneNumber must be an MSISDN (10-15 digits).", "4070", "customer.phoneNumber")
				return
			}
			phone = *c.PhoneNumber
		case c.PersonalQr != nil:
			msisdn, _, ok := s.resolvePersonalQR(*c.PersonalQr)
			if !ok {
				bad("customer.personalQr is not a valid personal QR code.", "4060", "customer.personalQr")
				return
			}
			phone = msisdn
		default:
			msisdn, ok := s.resolveCustomerToken(*c.CustomerToken)
			if !ok {
				bad("customer.customerToken is unknown or expired.", "", "customer.customerToken")
				return
			}
			phone = msisdn
		}
	}
	if req.UserFlow == "PUSH_MESSAGE" && phone == "" {
		bad("customer is required for PUSH_MESSAGE.", "", "customer")
		return
	}
	now := s.now()
	expiresAt := now.Add(paymentDefaultExpiry)
	if req.ExpiresAt != nil && *req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		switch {
		case err != nil:
			bad("expiresAt must be RFC 3339.", "", "expiresAt")
			return
		case req.UserFlow != "PUSH_MESSAGE" && req.UserFlow != "QR":
			bad("expiresAt can only be combined with PUSH_MESSAGE or QR.", "", "expiresAt")
			return
		case len(req.Receipt) == 0 || string(req.Receipt) == "null":
			bad("expiresAt requires receipt.", "", "receipt")
			return
		case t.Sub(now) <= 10*time.Minute || t.Sub(now) > paymentMaxExpiresAt:
			bad("expiresAt must be more than 10 minutes and at most 60 days in the future.", "", "expiresAt")
			return
		}
		expiresAt = t
	}
	var u User
	if phone != "" {
		var known bool
		u, known = s.user(phone)
		if !known || u.Behaviour == BehaviourInvalidUser {
			bad("The customer was not found (unknown number or not eligible).", "7010", "customer")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.payments[paymentKey(m.msn, req.Reference)]; exists {
		writeProblem(w, r, http.StatusConflict, "Conflict", "A payment with this reference already exists.", "4150")
		return
	}
	p := &payment{
		msn: m.msn, reference: req.Reference, amount: amount{Currency: req.Amount.Currency, Value: value},
		state: stateCreated, userFlow: req.UserFlow, methodType: req.PaymentMethod.Type, phone: phone,
		expiresAt: expiresAt, pspReference: s.pspRef(), metadata: req.Metadata,
		agg: aggregate{
			AuthorizedAmount: amount{Currency: req.Amount.Currency}, CancelledAmount: amount{Currency: req.Amount.Currency},
			CapturedAmount: amount{Currency: req.Amount.Currency}, RefundedAmount: amount{Currency: req.Amount.Currency},
		},
	}
	if req.Profile != nil {
		p.profileScope = req.Profile.Scope
	}
	p.redirectToken = randomToken(16)
	switch req.UserFlow {
	case "QR":
		p.redirectURL = "https://qr-image.vipps.no/v1?token=" + p.redirectToken
	case "WEB_REDIRECT":
		p.redirectURL = "https://apitest.vipps.no/dwo-api-application/v1/deeplink/vippsgateway?v=2&token=" + p.redirectToken
	case "NATIVE_REDIRECT":
		p.redirectURL = "vipps://token=" + p.redirectToken
	case "PUSH_MESSAGE":
		p.behaviour = u.Behaviour
		if u.Behaviour == BehaviourApprove || u.Behaviour == BehaviourReject {
			p.answerAt = now.Add(u.Delay)
		}
	}
	s.payments[paymentKey(m.msn, req.Reference)] = p
	s.addEventLocked(p, eventCreated, value, now, r.Header.Get("Idempotency-Key"))
	// Timers so that answers and expiry produce events (and webhooks) even
	// when nobody asks.
	msn, ref := p.msn, p.reference
	wake := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.getPaymentLocked(msn, ref)
	}
	if !p.answerAt.IsZero() && p.answerAt.Before(p.expiresAt) {
		s.clock.AfterFunc(p.answerAt.Sub(now), wake)
	}
	s.clock.AfterFunc(p.expiresAt.Sub(now), wake)
	resp := map[string]any{"reference": p.reference}
	if p.redirectURL != "" {
		resp["redirectUrl"] = p.redirectURL
	}
	writeJSON(w, http.StatusCreated, resp)
}

// GET /epayment/v1/payments/{reference}
func (s *Sim) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	s.readPayment(w, r, "get", func(p *payment) any { return p.view() })
}

// GET /epayment/v1/payments/{reference}/events
func (s *Sim) handlePaymentEvents(w http.ResponseWriter, r *http.Request) {
	s.readPayment(w, r, "events", func(p *payment) any { return append([]paymentEvent{}, p.events...) })
}

// readPayment runs the shared part of the two read endpoints: auth, the
// per-reference read rate limit and the lookup; read builds the answer
// under the lock.
func (s *Sim) readPayment(w http.ResponseWriter, r *http.Request, op string, read func(p *payment) any) {
	m, ok := s.authMerchant(w, r, true)
	if !ok {
		return
	}
	ref := r.PathValue("reference")
	if !s.allow(w, r, op+"/"+m.subscriptionKey+"/"+ref, rateReadingLimit) {
		return
	}
	s.mu.Lock()
	p, found := s.getPaymentLocked(m.msn, ref)
	var answer any
	if found {
		answer = read(p)
	}
	s.mu.Unlock()
	if !found {
		writeProblem(w, r, http.StatusNotFound, "Not Found", "No payment with this reference.", "")
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// modify runs the shared part of capture, refund and cancel: auth, the
// Idempotency-Key, the rate limit, idempotent replay, and the lookup.
func (s *Sim) modify(w http.ResponseWriter, r *http.Request, op string, apply func(w http.ResponseWriter, p *payment, body []byte, key string)) {
	m, ok := s.authMerchant(w, r, true)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 50 {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The Idempotency-Key header is required (max 50 characters).", "")
		return
	}
	ref := r.PathValue("reference")
	body, err := readBody(r)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Could not read the request body.", "")
		return
	}
	if !s.allow(w, r, op+"/"+m.msn+"/"+ref, rateModifyLimit) {
		return
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.idempotent(w, r, op+"/"+m.msn+"/"+ref, key, body, func(w http.ResponseWriter) {
		s.mu.Lock()
		defer s.mu.Unlock()
		p, found := s.getPaymentLocked(m.msn, ref)
		if !found {
			writeProblem(w, r, http.StatusNotFound, "Not Found", "No payment with this reference.", "")
			return
		}
		apply(w, p, body, key)
	})
}

// modificationAmount decodes and checks {"modificationAmount": {...}}.
func modificationAmount(w http.ResponseWriter, r *http.Request, p *payment, body []byte) (int64, bool) {
	var req struct {
		ModificationAmount *struct {
			Currency string      `json:"currency"`
			Value    json.Number `json:"value"`
		} `json:"modificationAmount"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil || req.ModificationAmount == nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "modificationAmount is required.", "")
		return 0, false
	}
	v, err := req.ModificationAmount.Value.Int64()
	if err != nil || v <= 0 {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "modificationAmount.value must be a positive integer in minor units.", "4040")
		return 0, false
	}
	if req.ModificationAmount.Currency != p.amount.Currency {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "modificationAmount.currency must be the payment's currency.", "4040")
		return 0, false
	}
	return v, true
}

// POST /epayment/v1/payments/{reference}/capture
func (s *Sim) handleCapture(w http.ResponseWriter, r *http.Request) {
	s.modify(w, r, "capture", func(w http.ResponseWriter, p *payment, body []byte, key string) {
		v, ok := modificationAmount(w, r, p, body)
		if !ok {
			return
		}
		if p.state != stateAuthorized {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The payment is not authorized; it cannot be captured.", "6080")
			return
		}
		left := p.agg.AuthorizedAmount.Value - p.agg.CapturedAmount.Value - p.agg.CancelledAmount.Value
		if v > left {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The capture amount is higher than the remaining authorized amount.", "6090")
			return
		}
		now := s.now()
		p.agg.CapturedAmount.Value += v
		ev := s.addEventLocked(p, eventCaptured, v, now, key)
		s.bookCaptureLocked(p, ev.PSPReference, v, now)
		writeJSON(w, http.StatusOK, p.modification(ev.PSPReference))
	})
}

// POST /epayment/v1/payments/{reference}/refund
func (s *Sim) handleRefund(w http.ResponseWriter, r *http.Request) {
	s.modify(w, r, "refund", func(w http.ResponseWriter, p *payment, body []byte, key string) {
		v, ok := modificationAmount(w, r, p, body)
		if !ok {
			return
		}
		if p.state != stateAuthorized || p.agg.CapturedAmount.Value == 0 {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Only captured amounts can be refunded.", "")
			return
		}
		if v > p.agg.CapturedAmount.Value-p.agg.RefundedAmount.Value {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The refund amount is higher than the captured amount not yet refunded.", "")
			return
		}
		now := s.now()
		p.agg.RefundedAmount.Value += v
		ev := s.addEventLocked(p, eventRefunded, v, now, key)
		s.bookRefundLocked(p, ev.PSPReference, v, now)
		writeJSON(w, http.StatusOK, p.modification(ev.PSPReference))
	})
}

// POST /epayment/v1/payments/{reference}/cancel: a CREATED payment becomes
// TERMINATED; an AUTHORIZED one releases the uncaptured remainder and
// stays AUTHORIZED.
func (s *Sim) handleCancel(w http.ResponseWriter, r *http.Request) {
	s.modify(w, r, "cancel", func(w http.ResponseWriter, p *payment, _ []byte, _ string) {
		now := s.now()
		switch p.state {
		case stateCreated:
			p.state = stateTerminated
			ev := s.addEventLocked(p, eventTerminated, p.amount.Value, now, "")
			writeJSON(w, http.StatusOK, p.modification(ev.PSPReference))
		case stateAuthorized:
			left := p.agg.AuthorizedAmount.Value - p.agg.CapturedAmount.Value - p.agg.CancelledAmount.Value
			if left == 0 {
				writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Nothing left to cancel: the payment is fully captured or already cancelled.", "")
				return
			}
			p.agg.CancelledAmount.Value += left
			ev := s.addEventLocked(p, eventCancelled, left, now, "")
			writeJSON(w, http.StatusOK, p.modification(ev.PSPReference))
		default:
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The payment is "+p.state+"; it cannot be cancelled.", "")
		}
	})
}

// POST /epayment/v1/test/payments/{reference}/approve (test environment only)
func (s *Sim) handleForceApprove(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, true)
	if !ok {
		return
	}
	var req struct {
		Customer *struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"customer"`
		Token string `json:"token"`
	}
	body, _ := readBody(r)
	if len(bytes.TrimSpace(body)) > 0 {
		if err := strictDecode(body, &req); err != nil {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The body must be {customer:{phoneNumber}} or {token}.", "")
			return
		}
	}
	ref := r.PathValue("reference")
	s.opMu.Lock()
	defer s.opMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, found := s.getPaymentLocked(m.msn, ref)
	if !found {
		writeProblem(w, r, http.StatusNotFound, "Not Found", "No payment with this reference.", "")
		return
	}
	phone := p.phone
	switch {
	case req.Customer != nil && req.Customer.PhoneNumber != "":
		phone = req.Customer.PhoneNumber
	case req.Token != "":
		if req.Token != p.redirectToken {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The token does not belong to this payment.", "")
			return
		}
	}
	if phone == "" {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "customer.phoneNumber is required for this payment.", "")
		return
	}
	if u, known := s.users[phone]; !known || u.Behaviour == BehaviourInvalidUser {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The customer was not found.", "7010")
		return
	}
	if p.state != stateCreated {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The payment is "+p.state+"; only CREATED payments can be approved.", "")
		return
	}
	s.authorizeLocked(p, phone, s.now())
	w.WriteHeader(http.StatusOK)
}

// customer tokens (from a QR check-in) are valid for 15 minutes.
const customerTokenTTL = 15 * time.Minute

type customerToken struct {
	phone     string
	expiresAt time.Time
}

// CustomerToken issues a customer token for the user, as the
// user.checked-in.v1 webhook delivers after a merchant-callback QR scan; it
// can be used as customer.customerToken in ePayment for 15 minutes.
func (s *Sim) CustomerToken(phoneNumber string) string {
	tok := uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customerTokens[tok] = customerToken{phone: phoneNumber, expiresAt: s.now().Add(customerTokenTTL)}
	return tok
}

func (s *Sim) resolveCustomerToken(tok string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, ok := s.customerTokens[tok]
	if !ok || !s.now().Before(ct.expiresAt) {
		return "", false
	}
	return ct.phone, true
}
