package payment

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// The custom API page the payments are written to (DESIGN §8).
const (
	APIPublisher   = "bcvipps"
	APIGroup       = "vipps"
	APIVersion     = "v1.0"
	PaymentsEntity = "vippsPayments"
)

// Outbox statuses: pending (BC has not seen the latest change), synced,
// done (final: the payment is final and BC has it).
const (
	outboxPending = "pending"
	outboxSynced  = "synced"
	outboxDone    = "done"
)

type outboxState struct {
	Payment string `json:"payment"`
	// Synced is the payment's change count BC has.
	Synced int64 `json:"synced"`
}

type outboxKind struct{ p *Payments }

func (outboxKind) Final(status string) bool { return status == outboxDone }

func (k outboxKind) Step(ctx context.Context, j store.Job) {
	if t := k.p.tenants[j.TenantID]; t != nil {
		k.p.syncBC(ctx, t, j)
	}
}

func outboxID(paymentID string) string { return "bcp_" + strings.TrimPrefix(paymentID, "pay_") }

// queueBC makes the payment's outbox due now, so BC gets its latest
// state. A payment's own changes make it due in their write (mutate); this
// is the repair of an outbox found behind (BCPending). A BC outage delays
// the write; it loses nothing (the outbox is a job).
func (p *Payments) queueBC(ctx context.Context, pj store.Job) {
	now := p.clock.Now()
	j := outboxJob(pj, now)
	for range 5 {
		// The outbox is stored with its payment, so it is read (on the
		// read pool) rather than inserted and refused as a duplicate.
		cur, err := p.store.Get(ctx, j.TenantID, j.ID)
		if errors.Is(err, store.ErrNotFound) {
			if _, err = p.engine.Create(ctx, j); errors.Is(err, store.ErrDuplicate) {
				continue // stored meanwhile: read it
			}
		}
		if err != nil {
			p.log.Warn("bc outbox", "tenant", pj.TenantID, "payment", pj.ID, "err", err)
			return
		}
		if cur.ID == "" {
			return // created just now, due now
		}
		if cur.Final || (!cur.DueAt.IsZero() && !cur.DueAt.After(now)) || (cur.LeaseOwner != "" && cur.LeaseUntil.After(now)) {
			// Due already, or being written now: the writer looks at the
			// payment again after its write.
			return
		}
		next := cur
		next.Status = outboxPending
		next.DueAt = now
		if _, err := p.engine.Save(ctx, cur, next); err == nil || !errors.Is(err, store.ErrConflict) {
			return
		}
	}
}

// PaymentsSet is the tenant's vippsPayments entity set. Its key is the
// payment reference, a Text field: keys are always sent quoted, also a
// reference that looks like a GUID.
func PaymentsSet(t *tenants.Tenant) *bc.EntitySet {
	return t.BC.EntitySet(APIPublisher, APIGroup, APIVersion, PaymentsEntity).TextKeys()
}

// outboxJob is the outbox of payment pj, due at due.
func outboxJob(pj store.Job, due time.Time) store.Job {
	return store.Job{TenantID: pj.TenantID, ID: outboxID(pj.ID), Kind: KindBCOutbox, Status: outboxPending,
		State: mustJSON(outboxState{Payment: pj.ID}), DueAt: due}
}

// paymentRecord is the vippsPayments entity of a payment.
func paymentRecord(pj store.Job) map[string]any {
	rec := BCRecord(view(pj))
	rec["lastChangedAt"] = pj.UpdatedAt.UTC().Format(time.RFC3339Nano)
	return rec
}

// syncBC upserts the payment's latest state into vippsPayments (keyed by
// reference, ETag-guarded), in the tenant's next round of BC writes
// (bcwrite.go).
func (p *Payments) syncBC(ctx context.Context, t *tenants.Tenant, j store.Job) {
	var os outboxState
	_ = json.Unmarshal(j.State, &os)
	pj, err := p.get(ctx, t.ID, os.Payment)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			next := j
			next.Status = outboxDone
			p.save(ctx, j, next)
			return
		}
		p.retryLater(ctx, j, work.Failure{Verdict: work.BackOff})
		return
	}
	s := decodeState(pj.State)
	if s.Changes > os.Synced {
		if err := p.writeBC(ctx, t, pj); err != nil {
			p.log.Warn("bc write deferred", "tenant", t.ID, "payment", pj.ID, "err", err)
			p.retryLater(ctx, j, tenants.ClassifyBC(err))
			return
		}
		os.Synced = s.Changes
	}
	next := j
	next.State = mustJSON(os)
	next.Attempts = 0
	next.Status = outboxSynced
	next.DueAt = time.Time{}
	if pj.Final {
		next.Status = outboxDone
	}
	saved, ok := p.save(ctx, j, next)
	if !ok || saved.Final {
		return
	}
	// A change stored while BC was being written: write again.
	if cur, err := p.get(ctx, t.ID, os.Payment); err == nil && decodeState(cur.State).Changes > os.Synced {
		again := saved
		again.Status = outboxPending
		again.DueAt = p.clock.Now()
		p.save(ctx, saved, again)
	}
}

// sameValue compares a value BC returned (JSON-decoded) with ours.
func sameValue(a, b any) bool {
	ab, _ := json.Marshal(a)
	bb, _ := json.Marshal(b)
	return string(ab) == string(bb)
}
