package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps"
)

// opState is an operation job's State.
type opState struct {
	Payment string `json:"payment"`
	Type    string `json:"type"`
	// Amount is what was asked (0: the default of the type) until the
	// operation is reserved on the payment, then what is sent.
	Amount int64 `json:"amount"`
	// Key is the Idempotency-Key sent to Vipps on every try.
	Key      string       `json:"key"`
	Reserved bool         `json:"reserved,omitempty"`
	Error    *api.Problem `json:"error,omitempty"`
}

func decodeOp(b []byte) opState {
	var s opState
	_ = json.Unmarshal(b, &s)
	return s
}

type opKind struct{ p *Payments }

func (opKind) Final(status string) bool { return status == OpDone || status == OpRefused }

func (k opKind) Step(ctx context.Context, j store.Job) {
	if t := k.p.tenants[j.TenantID]; t != nil {
		k.p.runOp(ctx, t, j)
	}
}

type opBody struct {
	Amount *int64 `json:"amount"`
}

// operate answers POST /v1/payments/{id}/capture|refund|cancel.
func (p *Payments) operate(typ string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := p.tenants[api.TenantOf(c)]
		var body opBody
		key, ok := api.BindCreate(c, &body)
		if !ok {
			return
		}
		var errs []api.FieldProblem
		if key == "" {
			errs = append(errs, api.FieldProblem{Field: "Idempotency-Key", Reason: "is required (a new key per operation, the same key on a retry)"})
		}
		switch {
		case typ == OpCancel && body.Amount != nil:
			errs = append(errs, api.FieldProblem{Field: "amount", Reason: "a cancel releases everything not captured; send {}"})
		case typ == OpRefund && body.Amount == nil:
			errs = append(errs, api.FieldProblem{Field: "amount", Reason: "is required (minor units)"})
		case body.Amount != nil && (*body.Amount < 1 || *body.Amount > maxAmount):
			errs = append(errs, api.FieldProblem{Field: "amount", Reason: fmt.Sprintf("must be from 1 to %d minor units", maxAmount)})
		}
		if len(errs) > 0 {
			api.WriteProblem(c, api.InvalidInput(errs...))
			return
		}
		var amount int64
		if body.Amount != nil {
			amount = *body.Amount
		}
		ctx := c.Request.Context()
		id := c.Param("id")
		hash := api.RequestHash(KindOp, id, typ, amount)
		if op, err := p.store.GetByKey(ctx, t.ID, KindOp, key); err == nil {
			// An empty stored hash (purged with the personal data) cannot
			// tell: the first answer stands.
			if op.RequestHash != "" && op.RequestHash != hash {
				api.WriteProblem(c, api.IdempotencyReused())
				return
			}
			p.answerOp(c, op)
			return
		}
		if _, err := p.get(ctx, t.ID, id); err != nil {
			p.storeProblem(c, err)
			return
		}
		op, err := p.createOp(ctx, t.ID, id, typ, amount, key, hash, p.clock.Now().Add(sendGrace))
		if errors.Is(err, store.ErrDuplicate) {
			if (op.RequestHash != "" && op.RequestHash != hash) || op.Kind != KindOp {
				api.WriteProblem(c, api.IdempotencyReused())
				return
			}
			p.answerOp(c, op)
			return
		}
		if err != nil {
			p.storeProblem(c, err)
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		defer cancel()
		op = p.runOp(cctx, t, op)
		p.answerOp(c, op)
	}
}

// createOp stores an operation, due at due.
func (p *Payments) createOp(ctx context.Context, tenantID, paymentID, typ string, amount int64, key, hash string, due time.Time) (store.Job, error) {
	return p.engine.Create(ctx, store.Job{
		TenantID: tenantID, ID: newID("pop_"), Kind: KindOp, Status: OpPending, IdempotencyKey: key, RequestHash: hash,
		State: mustJSON(opState{Payment: paymentID, Type: typ, Amount: amount, Key: vippsKey(tenantID, KindOp, key)}), DueAt: due,
	})
}

// answerOp answers with the operation's payment: 200 when Vipps confirmed
// it, 202 while it is pending, the stored problem when it was refused.
func (p *Payments) answerOp(c *gin.Context, op store.Job) {
	s := decodeOp(op.State)
	if op.Status == OpRefused && s.Error != nil {
		api.WriteProblem(c, s.Error)
		return
	}
	pj, err := p.get(c.Request.Context(), op.TenantID, s.Payment)
	if err != nil {
		p.storeProblem(c, err)
		return
	}
	code := http.StatusOK
	if op.Status == OpPending {
		code = http.StatusAccepted
	}
	c.JSON(code, view(pj))
	p.answered(c.Request.Context(), pj)
}

// errRefused carries the problem of an operation the payment's state
// refuses.
type errRefused struct{ prob *api.Problem }

func (e errRefused) Error() string { return e.prob.Title }

func stateRefusal(title, detail, field string) errRefused {
	p := &api.Problem{Type: api.ProblemConflict, Title: title, Status: http.StatusConflict, Detail: detail}
	if field != "" {
		p.Errors = []api.FieldProblem{{Field: field, Reason: detail}}
	}
	return errRefused{p}
}

// reserve checks the operation against the payment's state (including
// the operations still pending) and records it on the payment as pending,
// in one write: two operations can never together exceed what is there.
func reserve(s *state, id string, o *opState, now time.Time, sent bool) error {
	if rec := s.op(id); rec != nil {
		// Reserved before a crash: send what was reserved.
		o.Amount = rec.Amount
		return errNoChange
	}
	a := s.Aggregate
	st := s.status()
	switch o.Type {
	case OpCapture:
		if s.pending(OpCancel) > 0 {
			return stateRefusal("Cannot capture", "A cancel of this payment is in progress.", "")
		}
		if st != StatusAuthorized {
			return stateRefusal("Cannot capture", fmt.Sprintf("The payment is %s; only an authorized payment can be captured.", st), "")
		}
		left := a.Authorized - a.Captured - a.Cancelled - s.pending(OpCapture)
		if o.Amount == 0 {
			o.Amount = left
		}
		if o.Amount > left || left <= 0 {
			return stateRefusal("Capture above the authorized amount", fmt.Sprintf("At most %d can be captured (authorized %d, captured %d, cancelled %d, being captured %d).",
				max(left, 0), a.Authorized, a.Captured, a.Cancelled, s.pending(OpCapture)), "amount")
		}
	case OpRefund:
		left := a.Captured - a.Refunded - s.pending(OpRefund)
		if a.Captured == 0 {
			return stateRefusal("Cannot refund", fmt.Sprintf("The payment is %s and nothing is captured; cancel it instead.", st), "")
		}
		if o.Amount > left || left <= 0 {
			return stateRefusal("Refund above the captured amount", fmt.Sprintf("At most %d can be refunded (captured %d, refunded %d, being refunded %d).",
				max(left, 0), a.Captured, a.Refunded, s.pending(OpRefund)), "amount")
		}
	case OpCancel:
		switch st {
		case StatusCreated:
			if !sent {
				return stateRefusal("Cannot cancel yet", "The payment request is still being sent to Vipps MobilePay; try again in a moment.", "")
			}
			o.Amount = s.Amount
		case StatusAuthorized:
			if s.pending(OpCapture) > 0 {
				// At Vipps a cancel releases everything not captured yet,
				// also what a pending capture is about to take.
				return stateRefusal("Cannot cancel now", "A capture of this payment is in progress; cancel the rest when it is done.", "")
			}
			left := a.Authorized - a.Captured - a.Cancelled
			if left <= 0 {
				return stateRefusal("Nothing left to cancel", "Everything authorized is captured or being captured; refund instead.", "")
			}
			o.Amount = left
		default:
			return stateRefusal("Cannot cancel", fmt.Sprintf("The payment is %s; it cannot be cancelled.", st), "")
		}
	}
	s.Operations = append(s.Operations, operation{ID: id, Type: o.Type, Amount: o.Amount, Status: OpPending, At: now.UTC()})
	return nil
}

// runOp moves an operation as far as it goes now: reserve it on the
// payment, send it to Vipps with its key, record Vipps' answer.
func (p *Payments) runOp(ctx context.Context, t *tenants.Tenant, op store.Job) store.Job {
	o := decodeOp(op.State)
	finish := func(status string, prob *api.Problem) store.Job {
		next := op
		next.Status = status
		o.Error = prob
		next.State = mustJSON(o)
		saved, _ := p.save(ctx, op, next)
		return saved
	}
	if !o.Reserved {
		// A payment request not yet confirmed by Vipps cannot be cancelled:
		// the create may still go through after the cancel.
		sent := true
		// The create's own record that Vipps took it may be on its way
		// here (sends): wait for it rather than refuse.
		p.sends.wait(ctx, o.Payment)
		if f, err := p.store.Get(ctx, t.ID, followerID(o.Payment)); err == nil && f.Status == followSending && o.Type == OpCancel {
			// Still being sent, or answered by another instance whose
			// record is on its way: Vipps knows which.
			has, err := p.vippsHas(ctx, t, o.Payment)
			if err != nil {
				return p.retryLater(ctx, op, tenants.ClassifyVipps(err))
			}
			sent = has
		}
		var refused errRefused
		_, err := p.mutate(ctx, t.ID, o.Payment, func(s *state, _ *store.Job) error {
			return reserve(s, op.ID, &o, p.clock.Now(), sent)
		})
		switch {
		case errors.As(err, &refused):
			return finish(OpRefused, refused.prob)
		case errors.Is(err, store.ErrNotFound):
			return finish(OpRefused, &api.Problem{Type: api.ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "No payment with this id."})
		case err != nil:
			return p.retryLater(ctx, op, work.Failure{Verdict: work.BackOff})
		}
		o.Reserved = true
		next := op
		next.State = mustJSON(o)
		// The call to Vipps comes next: a claimed operation keeps its
		// lease (freed, an operation due now — capture on authorize — was
		// claimed again and sent twice).
		saved, err := p.engine.SaveHeld(ctx, op, next)
		if err != nil {
			return op
		}
		op = saved
	}
	pj, err := p.get(ctx, t.ID, o.Payment)
	if err != nil {
		return p.retryLater(ctx, op, work.Failure{Verdict: work.BackOff})
	}
	s := decodeState(pj.State)
	if rec := s.op(op.ID); rec == nil || rec.Status != OpPending {
		// Recorded already (a crash after the payment's write): settle
		// the job the same way.
		if rec != nil && rec.Status == OpRefused {
			return finish(OpRefused, rec.Error)
		}
		return finish(OpDone, nil)
	}
	client := t.Vipps[s.MSN]
	amt := vipps.Amount{Currency: s.Currency, Value: o.Amount}
	var res *vipps.ModificationResponse
	switch o.Type {
	case OpCapture:
		res, err = client.EPayment.Capture(ctx, o.Key, s.Reference, amt)
	case OpRefund:
		res, err = client.EPayment.Refund(ctx, o.Key, s.Reference, amt)
	default:
		res, err = client.EPayment.Cancel(ctx, o.Key, s.Reference)
	}
	p.observe("epayment."+o.Type, err)
	if err != nil {
		fl := classifyOp(err)
		if fl.Verdict != work.Refused {
			return p.retryLater(ctx, op, fl)
		}
		prob := &api.Problem{Type: api.ProblemVippsRejected, Title: "Vipps MobilePay refused the " + o.Type, Status: http.StatusUnprocessableEntity,
			Detail: tenants.VippsDetail(err)}
		if _, err := p.mutate(ctx, t.ID, o.Payment, func(s *state, _ *store.Job) error {
			rec := s.op(op.ID)
			if rec == nil || rec.Status != OpPending {
				return errNoChange
			}
			rec.Status, rec.Error = OpRefused, prob
			return nil
		}); err != nil {
			return p.retryLater(ctx, op, work.Failure{Verdict: work.BackOff})
		}
		return finish(OpRefused, prob)
	}
	if _, err := p.mutate(ctx, t.ID, o.Payment, func(s *state, _ *store.Job) error {
		changed := s.mergeAggregate(res.Aggregate)
		changed = s.mergeState(res.State) || changed
		// The operation's event, as its webhook will report it (same
		// pspReference, so the webhook adds nothing): the history is
		// complete without webhooks too.
		if name := opEvent(o.Type, res.State); name != "" && res.PSPReference != "" {
			changed = s.addEvents([]vipps.PaymentEvent{{Reference: s.Reference, PSPReference: res.PSPReference, Name: name,
				Amount: vipps.Amount{Currency: s.Currency, Value: o.Amount}, Timestamp: p.clock.Now(), Success: true}}) || changed
		}
		if rec := s.op(op.ID); rec != nil && rec.Status == OpPending {
			rec.Status = OpDone
			changed = true
		}
		if !changed {
			return errNoChange
		}
		return nil
	}); err != nil {
		// Vipps did it; the payment is written when the step runs again
		// (the same key returns the same answer).
		return p.retryLater(ctx, op, work.Failure{Verdict: work.BackOff})
	}
	return finish(OpDone, nil)
}

// autoCapture captures a payment configured to be captured when the
// customer approves it, once (the operation's key is derived from the
// payment).
func (p *Payments) autoCapture(ctx context.Context, t *tenants.Tenant, pj store.Job) error {
	s := decodeState(pj.State)
	if !s.CaptureOnAuthorize || pj.Status != StatusAuthorized || s.Aggregate.Captured > 0 || s.pending(OpCapture) > 0 {
		return nil
	}
	key := "capture-on-authorize:" + pj.ID
	_, err := p.createOp(ctx, t.ID, pj.ID, OpCapture, 0, key, api.RequestHash(KindOp, pj.ID, OpCapture, 0), p.clock.Now())
	if errors.Is(err, store.ErrDuplicate) {
		return nil
	}
	return err
}

// classifyOp is ClassifyVipps for capture, refund and cancel: Vipps answers
// 423 Locked and 409 Conflict while another operation on the payment is
// in progress; those are tried again with the same key, not refusals.
func classifyOp(err error) work.Failure {
	var ve *vipps.Error
	if errors.As(err, &ve) && (ve.Status == http.StatusLocked || ve.Status == http.StatusConflict) {
		return work.Failure{Verdict: work.BackOff}
	}
	return tenants.ClassifyVipps(err)
}

// opEvent names the ePayment event an operation produces.
func opEvent(typ, state string) string {
	switch typ {
	case OpCapture:
		return "CAPTURED"
	case OpRefund:
		return "REFUNDED"
	case OpCancel:
		if state == vipps.StateTerminated {
			return "TERMINATED"
		}
		return "CANCELLED"
	}
	return ""
}

// vippsHas reports whether Vipps has the payment: its create went
// through, whoever sent it.
func (p *Payments) vippsHas(ctx context.Context, t *tenants.Tenant, paymentID string) (bool, error) {
	pj, err := p.get(ctx, t.ID, paymentID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s := decodeState(pj.State)
	client := t.Vipps[s.MSN]
	if s.VippsState != "" || client == nil {
		return s.VippsState != "", nil
	}
	_, err = client.EPayment.Get(ctx, s.Reference)
	p.observe("epayment.get", err)
	var ve *vipps.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &ve) && ve.Status == http.StatusNotFound:
		return false, nil
	}
	return false, err
}
