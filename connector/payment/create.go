package payment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/vipps"
)

// Input limits (openapi.yaml).
const (
	maxAmount       = 65_000_000
	maxTokenInput   = 255
	maxPOSField     = 50
	maxOrderLines   = 1000
	maxOrderLineStr = 2048
)

var (
	referenceRE = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)
	// profileScopes are the profile.scope values of a payment.
	profileScopes = []string{"name", "email", "phoneNumber", "address", "birthDate"}
	quantityUnits = []string{"PCS", "KG", "KM", "MINUTE", "LITRE", "KWH"}
)

type createBody struct {
	Amount             *int64            `json:"amount"`
	Currency           string            `json:"currency"`
	PhoneNumber        string            `json:"phoneNumber"`
	QRCode             string            `json:"qrCode"`
	CustomerToken      string            `json:"customerToken"`
	Description        string            `json:"description"`
	Reference          string            `json:"reference"`
	SalesUnit          string            `json:"salesUnit"`
	PosID              string            `json:"posId"`
	ReceiptNumber      string            `json:"receiptNumber"`
	OrderLines         []vipps.OrderLine `json:"orderLines"`
	ShareProfile       []string          `json:"shareProfile"`
	CaptureOnAuthorize *bool             `json:"captureOnAuthorize"`
	MemberID           string            `json:"memberId"`
}

// input is the payment job's Input: the customer and the receipt as sent
// to Vipps (personal data, purged with the row).
type input struct {
	Customer vipps.Customer    `json:"customer"`
	Lines    []vipps.OrderLine `json:"orderLines,omitempty"`
	Scope    string            `json:"scope,omitempty"`
}

// validate checks the body and returns the normalised customer and the
// field problems. Nothing is looked up.
func validate(t *tenants.Tenant, b *createBody) (vipps.Customer, []api.FieldProblem) {
	var errs []api.FieldProblem
	bad := func(field, reason string) { errs = append(errs, api.FieldProblem{Field: field, Reason: reason}) }
	switch {
	case b.Amount == nil:
		bad("amount", "is required (minor units, e.g. 29900 for 299.00)")
	case *b.Amount < 1 || *b.Amount > maxAmount:
		bad("amount", fmt.Sprintf("must be from 1 to %d minor units", maxAmount))
	case b.Currency == "NOK" && *b.Amount < 100:
		bad("amount", "must be at least 100 øre (1.00 NOK)")
	}
	switch b.Currency {
	case "NOK", "DKK", "EUR":
	case "":
		bad("currency", "is required (NOK, DKK or EUR)")
	default:
		bad("currency", "must be NOK, DKK or EUR")
	}
	var cust vipps.Customer
	b.PhoneNumber, b.QRCode, b.CustomerToken = strings.TrimSpace(b.PhoneNumber), strings.TrimSpace(b.QRCode), strings.TrimSpace(b.CustomerToken)
	n := 0
	for _, v := range []string{b.PhoneNumber, b.QRCode, b.CustomerToken} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		bad("phoneNumber", "is required (or give qrCode or customerToken)")
	case n > 1:
		bad("phoneNumber", "give exactly one of phoneNumber, qrCode and customerToken")
	case b.PhoneNumber != "":
		ph, p := tenants.ParsePhoneInput(b.PhoneNumber, t.Config.Mapping.ImplicitPhonePrefix)
		if p != nil {
			errs = append(errs, *p)
			break
		}
		cust.PhoneNumber = ph.MSISDN
	case b.QRCode != "":
		if p := tenants.CheckQRInput(b.QRCode); p != nil {
			errs = append(errs, *p)
			break
		}
		cust.PersonalQR = b.QRCode
	default:
		if len(b.CustomerToken) > maxTokenInput {
			bad("customerToken", "is longer than 255 characters")
			break
		}
		cust.CustomerToken = b.CustomerToken
	}
	if l := len([]rune(strings.TrimSpace(b.Description))); l < 3 || l > 100 {
		bad("description", "must be 3 to 100 characters (shown in the customer's app)")
	}
	if b.Reference != "" && !referenceRE.MatchString(b.Reference) {
		bad("reference", "must be 8 to 64 letters, digits or '-'")
	}
	if b.SalesUnit != "" {
		if _, ok := t.Vipps[b.SalesUnit]; !ok {
			bad("salesUnit", "is not a sales unit (MSN) of this tenant")
		}
	}
	if len([]rune(b.PosID)) > maxPOSField {
		bad("posId", "is longer than 50 characters")
	}
	if len([]rune(b.ReceiptNumber)) > maxPOSField {
		bad("receiptNumber", "is longer than 50 characters")
	}
	errs = append(errs, orderLineProblems(b)...)
	for i, sc := range b.ShareProfile {
		if !slices.Contains(profileScopes, sc) {
			bad(fmt.Sprintf("shareProfile[%d]", i), "must be one of "+strings.Join(profileScopes, ", "))
		}
	}
	if b.MemberID != "" {
		id, err := uuid.Parse(strings.Trim(b.MemberID, "{}"))
		if err != nil || (len(b.MemberID) != 36 && len(b.MemberID) != 38) {
			bad("memberId", "must be a GUID")
		} else {
			b.MemberID = id.String()
		}
	}
	return cust, errs
}

// orderLineProblems checks the receipt: every line complete and its sums
// consistent, and the lines adding up to the amount.
func orderLineProblems(b *createBody) []api.FieldProblem {
	var errs []api.FieldProblem
	if len(b.OrderLines) == 0 {
		return nil
	}
	if len(b.OrderLines) > maxOrderLines {
		return []api.FieldProblem{{Field: "orderLines", Reason: fmt.Sprintf("holds at most %d lines", maxOrderLines)}}
	}
	var total int64
	for i, l := range b.OrderLines {
		f := func(name string) string { return fmt.Sprintf("orderLines[%d].%s", i, name) }
		if strings.TrimSpace(l.Name) == "" || len(l.Name) > maxOrderLineStr {
			errs = append(errs, api.FieldProblem{Field: f("name"), Reason: "is required"})
		}
		if strings.TrimSpace(l.ID) == "" || len(l.ID) > maxOrderLineStr {
			errs = append(errs, api.FieldProblem{Field: f("id"), Reason: "is required"})
		}
		if l.TotalAmount < 0 || l.TotalAmountExcludingTax < 0 || l.TotalTaxAmount < 0 {
			errs = append(errs, api.FieldProblem{Field: f("totalAmount"), Reason: "amounts must not be negative (mark returns with isReturn)"})
		} else if l.TotalAmount != l.TotalAmountExcludingTax+l.TotalTaxAmount {
			errs = append(errs, api.FieldProblem{Field: f("totalAmount"), Reason: "must equal totalAmountExcludingTax + totalTaxAmount"})
		}
		if l.TaxRate != nil && (*l.TaxRate < 0 || *l.TaxRate > 10000) {
			errs = append(errs, api.FieldProblem{Field: f("taxRate"), Reason: "must be from 0 to 10000 (2500 = 25 %)"})
		}
		if u := l.UnitInfo; u != nil && u.QuantityUnit != "" && !slices.Contains(quantityUnits, u.QuantityUnit) {
			errs = append(errs, api.FieldProblem{Field: f("unitInfo.quantityUnit"), Reason: "must be one of " + strings.Join(quantityUnits, ", ")})
		}
		if l.IsReturn {
			total -= l.TotalAmount
		} else {
			total += l.TotalAmount
		}
	}
	if len(errs) == 0 && b.Amount != nil && total != *b.Amount {
		errs = append(errs, api.FieldProblem{Field: "orderLines", Reason: fmt.Sprintf("add up to %d, not to amount %d", total, *b.Amount)})
	}
	return errs
}

func (p *Payments) createPayment(c *gin.Context) {
	t := p.tenants[api.TenantOf(c)]
	var body createBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	cust, errs := validate(t, &body)
	errs = append(api.EmptyFields(c, "phoneNumber", "qrCode", "customerToken", "reference", "salesUnit", "memberId"), errs...)
	if key == "" {
		errs = append(errs, api.FieldProblem{Field: "Idempotency-Key", Reason: "is required for payments (a new key per payment, the same key on a retry)"})
	}
	if len(errs) > 0 {
		api.WriteProblem(c, api.InvalidInput(errs...))
		return
	}
	msn := body.SalesUnit
	if msn == "" {
		msn = t.DefaultMSN()
	}
	capture := t.Config.Payments.CaptureOnAuthorize
	if body.CaptureOnAuthorize != nil {
		capture = *body.CaptureOnAuthorize
	}
	hash := api.RequestHash(KindPayment, *body.Amount, body.Currency, cust, strings.TrimSpace(body.Description), body.Reference, msn,
		body.PosID, body.ReceiptNumber, body.OrderLines, body.ShareProfile, capture, body.MemberID)
	ctx := c.Request.Context()
	if j, err := p.store.GetByKey(ctx, t.ID, KindPayment, key); err == nil {
		p.answerReplay(c, j, key, hash)
		return
	}
	if body.MemberID != "" {
		if prob := p.checkMember(ctx, t, body.MemberID); prob != nil {
			api.WriteProblem(c, prob)
			return
		}
	}
	ref := body.Reference
	if ref == "" {
		ref = "bcv-" + newID("")[:24]
	}
	now := p.clock.Now()
	s := state{
		Reference: ref, MSN: msn, Currency: body.Currency, Amount: *body.Amount, Description: strings.TrimSpace(body.Description),
		PosID: body.PosID, ReceiptNumber: body.ReceiptNumber, MemberID: body.MemberID, CaptureOnAuthorize: capture,
		ShareProfile: len(body.ShareProfile) > 0, ExpiresAt: now.Add(expiry),
		Changes: 1, // the outbox starts at 0: BC gets the new payment
	}
	in := input{Customer: cust, Lines: body.OrderLines, Scope: strings.Join(body.ShareProfile, " ")}
	id := paymentID(t.ID, msn, ref)
	j := store.Job{
		TenantID: t.ID, ID: id, Kind: KindPayment, Status: StatusCreated, IdempotencyKey: key, RequestHash: hash,
		Input: mustJSON(in), State: mustJSON(s),
	}
	// The payment, its follower (due after sendGrace: until then this
	// request sends the create inline) and its BC outbox in one commit.
	rows, dups, err := p.engine.CreateEach(ctx, []store.Job{j, p.followerJob(j, now.Add(sendGrace)), outboxJob(j, now)})
	if err != nil {
		p.storeProblem(c, err)
		return
	}
	if errors.Is(dups[0], store.ErrDuplicate) {
		stored := rows[0]
		if stored.IdempotencyKey == key && stored.Kind == KindPayment {
			p.answerReplay(c, stored, key, hash)
			return
		}
		api.WriteProblem(c, &api.Problem{Type: api.ProblemConflict, Title: "Reference already used", Status: http.StatusConflict,
			Detail: "A payment with this reference exists at this sales unit; a reference is used once. Give a new reference (or none).",
			Errors: []api.FieldProblem{{Field: "reference", Reason: "is already used at this sales unit"}}})
		return
	}
	for _, e := range dups {
		if e != nil && !errors.Is(e, store.ErrDuplicate) {
			p.storeProblem(c, e)
			return
		}
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	defer cancel()
	// A webhook may change the payment while the create is on its way
	// back (Vipps has it by then): the answer is read again only then, or
	// when the create was refused (the payment says why) or left to a
	// retry. Otherwise the payment is as stored above.
	changed, forget := p.engine.Wait(id)
	defer forget()
	latest := rows[0]
	f := p.sendPayment(cctx, t, rows[1], rows[0], changed, true)
	select {
	case <-changed:
		f.Status = ""
	default:
	}
	if f.Status != followFollowing {
		if j, err := p.get(context.WithoutCancel(ctx), t.ID, id); err == nil {
			latest = j
		}
	}
	c.JSON(http.StatusCreated, view(latest))
}

// answerReplay answers a create whose Idempotency-Key is stored: the
// payment for a retry, 409 for another request under the same key.
func (p *Payments) answerReplay(c *gin.Context, j store.Job, key, hash string) {
	if j.IdempotencyKey != key || (j.RequestHash != "" && j.RequestHash != hash) {
		api.WriteProblem(c, api.IdempotencyReused())
		return
	}
	c.JSON(http.StatusOK, view(j))
	p.answered(c.Request.Context(), j)
}

// checkMember refuses a payment for a member NP Retail does not know.
func (p *Payments) checkMember(ctx context.Context, t *tenants.Tenant, memberID string) *api.Problem {
	if t.NP == nil {
		return api.InvalidInput(api.FieldProblem{Field: "memberId", Reason: "NP Retail is not configured for this tenant"})
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := t.NP.Members.Get(ctx, memberID)
	if err == nil {
		return nil
	}
	if bc.IsNotFound(err) {
		return &api.Problem{Type: api.ProblemUnknownMember, Title: "Unknown member", Status: http.StatusUnprocessableEntity,
			Detail: "NP Retail has no such member.", Errors: []api.FieldProblem{{Field: "memberId", Reason: "no such member in NP Retail"}}}
	}
	return tenants.NPProblem("Could not look up the member in NP Retail", err)
}

// createRequest is the ePayment create of a stored payment.
func createRequest(s state, in input) vipps.CreatePaymentRequest {
	cust := in.Customer
	req := vipps.CreatePaymentRequest{
		Amount: vipps.Amount{Currency: s.Currency, Value: s.Amount}, Customer: &cust,
		CustomerInteraction: "CUSTOMER_PRESENT", PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
		Reference: s.Reference, UserFlow: "PUSH_MESSAGE", PaymentDescription: s.Description,
	}
	if len(in.Lines) > 0 {
		req.Receipt = &vipps.Receipt{OrderLines: in.Lines, BottomLine: vipps.BottomLine{Currency: s.Currency, POSID: s.PosID, ReceiptNumber: s.ReceiptNumber}}
	}
	if in.Scope != "" {
		req.Profile = &vipps.ProfileRequest{Scope: in.Scope}
	}
	return req
}

// expiresSoon is the margin after a payment's expiry at which the
// follower looks a last time.
const expiresSoon = 5 * time.Second
