package payment

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
)

// Refreshed is what a refresh of a payment from Vipps found.
type Refreshed struct {
	// Before and After are the payment as the connector showed it before
	// and after merging what Vipps reported.
	Before, After View
	// Differed is set when Vipps' status or amounts differed from the
	// connector's view (which is now corrected).
	Differed bool
	// Unknown is set when Vipps has no such payment.
	Unknown bool
}

// Payments lists a page of the tenant's payments in id order, open ones
// only when open is set.
func (p *Payments) Payments(ctx context.Context, tenantID, afterID string, open bool, limit int) ([]View, error) {
	jobs, err := p.store.List(ctx, store.ListQuery{TenantID: tenantID, Kind: KindPayment, OpenOnly: open, AfterID: afterID, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]View, len(jobs))
	for i, j := range jobs {
		out[i] = view(j)
	}
	return out, nil
}

// Refresh reads the payment at Vipps (state, aggregate, events) and merges
// it into the connector's view, as the follower's poll does: the
// reconciliation sweep's way to correct what a lost webhook left behind.
// The payment's BC outbox is made due when anything BC shows changed.
func (p *Payments) Refresh(ctx context.Context, tenantID, id string) (Refreshed, error) {
	pj, err := p.get(ctx, tenantID, id)
	if err != nil {
		return Refreshed{}, err
	}
	t := p.tenants[tenantID]
	s := decodeState(pj.State)
	out := Refreshed{Before: view(pj), After: view(pj)}
	client := t.Vipps[s.MSN]
	if client == nil {
		return out, errors.New("payment: sales unit not configured")
	}
	vp, err := client.EPayment.Get(ctx, s.Reference)
	p.observe("epayment.get", err)
	var ve *vipps.Error
	if errors.As(err, &ve) && ve.Status == http.StatusNotFound {
		out.Unknown = true
		return out, nil
	}
	if err != nil {
		return out, err
	}
	evs, err := client.EPayment.Events(ctx, s.Reference)
	p.observe("epayment.events", err)
	if err != nil {
		return out, err
	}
	after, err := p.mutate(ctx, tenantID, id, func(s *state, _ *store.Job) error {
		changed := s.mergeState(vp.State)
		changed = s.mergeAggregate(vp.Aggregate) || changed
		changed = s.addEvents(evs) || changed
		if !changed {
			return errNoChange
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	out.After = view(after)
	b, a := out.Before, out.After
	out.Differed = b.Status != a.Status || b.AuthorizedAmount != a.AuthorizedAmount || b.CapturedAmount != a.CapturedAmount ||
		b.RefundedAmount != a.RefundedAmount || b.CancelledAmount != a.CancelledAmount
	return out, nil
}

// BCRecord is the payment's row as BC's vippsPayments should show it.
func BCRecord(v View) map[string]any {
	return map[string]any{
		"reference": v.Reference, "paymentId": v.ID, "salesUnit": v.SalesUnit, "status": v.Status, "currency": v.Currency,
		"amount": v.Amount, "authorizedAmount": v.AuthorizedAmount, "capturedAmount": v.CapturedAmount,
		"refundedAmount": v.RefundedAmount, "cancelledAmount": v.CancelledAmount,
		"posId": v.PosID, "receiptNumber": v.ReceiptNumber, "memberId": v.MemberID,
	}
}

// Rewrite queues a write of the payment's BC vippsPayments row (BC's row
// differs from the connector's view); the outbox writes it, retrying as it
// does for every change, so a BC failure delays the rewrite and does not
// fail the caller's run.
//
// An open outbox is made due with a change of the payment's own (mutate).
// A finished one (the payment is final and BC had its last change) stays
// finished, as every final job does: a one-off outbox of its own writes
// the row.
func (p *Payments) Rewrite(ctx context.Context, tenantID, id string) error {
	o, err := p.store.Get(ctx, tenantID, outboxID(id))
	switch {
	case err == nil && o.Final:
		pj, err := p.get(ctx, tenantID, id)
		if err != nil {
			return err
		}
		j := outboxJob(pj, p.clock.Now())
		j.ID = newID("bcr_")
		j.ExclusiveKey = rewriteKey(tenantID, id)
		if _, err = p.engine.Create(ctx, j); errors.Is(err, store.ErrExclusive) {
			return nil // a rewrite is on its way: it reads the payment when it runs
		}
		return err
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	_, err = p.mutate(ctx, tenantID, id, func(s *state, _ *store.Job) error {
		s.Changes++ // BC must see it again
		return nil
	})
	return err
}

// rewriteKey is the exclusive key of a payment's one-off rewrite outbox:
// one at a time, and the next one once it has finished.
func rewriteKey(tenantID, paymentID string) string { return "bcr:" + tenantID + ":" + paymentID }

// outboxIdle is how far off an outbox's due time must be for BCPending to
// count it as not on its way (a write retried after a BC failure is due
// later, and on its way).
const outboxIdle = 5 * time.Second

// BCPending reports whether the payment's latest change is still on its
// way to BC (its outbox is due or running). A change is stored together
// with its outbox's due time (mutate), so an outbox behind and idle is
// one written before that was so (a crash between the two writes), or one
// whose store was edited by hand: it is queued now, as the sweep that asks
// is what finds it.
func (p *Payments) BCPending(ctx context.Context, tenantID, id string) bool {
	o, err := p.store.Get(ctx, tenantID, outboxID(id))
	if err != nil {
		return false
	}
	var os outboxState
	_ = json.Unmarshal(o.State, &os)
	pj, err := p.get(ctx, tenantID, id)
	if err != nil {
		return false
	}
	if o.Final {
		// A rewrite of the final payment on its way (Rewrite) is pending.
		_, err := p.store.GetByExclusive(ctx, rewriteKey(tenantID, id))
		return err == nil
	}
	behind := decodeState(pj.State).Changes > os.Synced
	now := p.clock.Now()
	idle := (o.LeaseOwner == "" || !o.LeaseUntil.After(now)) && (o.DueAt.IsZero() || o.DueAt.After(now.Add(outboxIdle)))
	if behind && idle {
		p.log.Warn("bc outbox was not due for a change; queued", "tenant", tenantID, "payment", id)
		p.queueBC(ctx, pj)
	}
	return o.Status == outboxPending || behind
}

// Get returns the tenant's payment id as the API shows it.
func (p *Payments) Get(ctx context.Context, tenantID, id string) (View, error) {
	j, err := p.get(ctx, tenantID, id)
	if err != nil {
		return View{}, err
	}
	return view(j), nil
}
