package reconcile

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// Finding is one finding as the API shows it and BC's vippsFindings holds
// it. It names payments by reference and amounts, never the customer.
type Finding struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Reference   string     `json:"reference"`
	SalesUnit   string     `json:"salesUnit"`
	Detail      string     `json:"detail"`
	Expected    string     `json:"expected"`
	Actual      string     `json:"actual"`
	Status      string     `json:"status"`
	FirstSeenAt time.Time  `json:"firstSeenAt"`
	ResolvedAt  *time.Time `json:"resolvedAt"`
	PaymentID   string     `json:"paymentId,omitempty"`
}

// finding is what a sweep saw; Resolved when it was corrected at once.
type finding struct {
	Kind, Detail, Expected, Actual string
	Resolved                       bool
}

func decodeFinding(j store.Job) Finding {
	var f Finding
	_ = json.Unmarshal(j.State, &f)
	f.ID, f.Status = j.ID, j.Status
	return f
}

// raise stores a finding about payment v (one per kind and payment) and
// writes it to BC; it reports whether it is new or had been resolved.
func (r *Reconciler) raise(ctx context.Context, t *tenants.Tenant, f finding, v payment.View) bool {
	return r.raiseAbout(ctx, t, f, v.SalesUnit, v.Reference, v.ID, findingID(f.Kind, v.SalesUnit, v.Reference))
}

// raiseAbout stores finding id about reference at salesUnit (paymentID
// when the connector knows the payment).
func (r *Reconciler) raiseAbout(ctx context.Context, t *tenants.Tenant, f finding, salesUnit, reference, paymentID, id string) bool {
	now := r.clock.Now().UTC()
	rec := Finding{Kind: f.Kind, Reference: reference, SalesUnit: salesUnit, Detail: f.Detail, Expected: f.Expected,
		Actual: f.Actual, Status: FindingOpen, FirstSeenAt: now, PaymentID: paymentID}
	if f.Resolved {
		rec.Status, rec.ResolvedAt = FindingResolved, &now
	}
	for range 5 {
		cur, err := r.engine.Create(ctx, store.Job{TenantID: t.ID, ID: id, Kind: KindFinding, Status: rec.Status, State: mustJSON(rec)})
		if err == nil {
			r.metrics.findings.WithLabelValues(f.Kind, rec.Status).Inc()
			r.toBC(ctx, t, decodeFinding(cur))
			return true
		}
		if !errors.Is(err, store.ErrDuplicate) {
			r.log.Warn("store finding", "tenant", t.ID, "kind", f.Kind, "err", err)
			return false
		}
		old := decodeFinding(cur)
		fresh := cur.Status == FindingResolved
		if !fresh && old.Detail == rec.Detail && old.Actual == rec.Actual && old.Status == rec.Status {
			return false // still the same open finding
		}
		if !fresh {
			rec.FirstSeenAt = old.FirstSeenAt
		}
		next := cur
		next.Status = rec.Status
		next.State = mustJSON(rec)
		saved, err := r.engine.Save(ctx, cur, next)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return false
		}
		if fresh {
			r.metrics.findings.WithLabelValues(f.Kind, rec.Status).Inc()
		}
		r.toBC(ctx, t, decodeFinding(saved))
		return fresh
	}
	return false
}

// resolve resolves the open finding of kind about payment v, if any.
func (r *Reconciler) resolve(ctx context.Context, t *tenants.Tenant, kind string, v payment.View) {
	j, err := r.store.Get(ctx, t.ID, findingID(kind, v.SalesUnit, v.Reference))
	if err == nil && j.Status == FindingOpen {
		r.resolveJob(ctx, t, j)
	}
}

func (r *Reconciler) resolveJob(ctx context.Context, t *tenants.Tenant, j store.Job) {
	f := decodeFinding(j)
	now := r.clock.Now().UTC()
	f.Status, f.ResolvedAt = FindingResolved, &now
	next := j
	next.Status = FindingResolved
	next.State = mustJSON(f)
	saved, err := r.engine.Save(ctx, j, next)
	if err != nil {
		return
	}
	r.metrics.findings.WithLabelValues(f.Kind, FindingResolved).Inc()
	r.toBC(ctx, t, decodeFinding(saved))
}

// KindFindingBC is the outbox of a finding's BC write that failed: it
// writes the finding as it is when it runs, retrying with backoff until BC
// takes it (DESIGN §5: a BC outage delays a write, it does not lose it).
// One at a time per finding (its exclusive key); the next failure after
// it finished queues another.
const KindFindingBC = "bc-finding"

const (
	findingBCPending = "pending"
	findingBCDone    = "done"
)

// findingBCRetry is how long after a failed write its outbox first tries
// again.
const findingBCRetry = 30 * time.Second

type findingBCState struct {
	Finding string `json:"finding"`
}

type findingBCKind struct{ r *Reconciler }

func (findingBCKind) Final(status string) bool { return status == findingBCDone }

func (k findingBCKind) Step(ctx context.Context, j store.Job) {
	if t := k.r.tenants[j.TenantID]; t != nil {
		k.r.retryFindingBC(ctx, t, j)
	}
}

// toBC writes finding f to BC now; when BC does not take it, its outbox
// writes it later.
func (r *Reconciler) toBC(ctx context.Context, t *tenants.Tenant, f Finding) {
	err := r.writeBC(ctx, t, f)
	if err == nil {
		return
	}
	r.log.Warn("finding not written to Business Central yet; it is written again later", "tenant", t.ID, "finding", f.ID, "err", err)
	var b [8]byte
	_, _ = rand.Read(b[:])
	_, err = r.engine.Create(ctx, store.Job{TenantID: t.ID, ID: "fbc_" + hex.EncodeToString(b[:]), Kind: KindFindingBC, Status: findingBCPending,
		ExclusiveKey: "fbc:" + t.ID + ":" + f.ID, State: mustJSON(findingBCState{Finding: f.ID}), DueAt: r.clock.Now().Add(findingBCRetry)})
	if err != nil && !errors.Is(err, store.ErrExclusive) { // ErrExclusive: one is on its way, and reads the finding when it runs
		r.log.Warn("finding's BC write not queued", "tenant", t.ID, "finding", f.ID, "err", err)
	}
}

// retryFindingBC is a finding outbox's step: the finding as it is now, to
// BC; done when BC took it, due again after a backoff when not.
func (r *Reconciler) retryFindingBC(ctx context.Context, t *tenants.Tenant, j store.Job) {
	var st findingBCState
	_ = json.Unmarshal(j.State, &st)
	next := j
	fj, err := r.store.Get(ctx, t.ID, st.Finding)
	switch {
	case errors.Is(err, store.ErrNotFound):
		next.Status = findingBCDone
	case err != nil:
		next.DueAt, next.Attempts = r.clock.Now().Add(work.Backoff(j.Attempts, r.cfg.Worker.RetryBackoffMax)), j.Attempts+1
	default:
		if err := r.writeBC(ctx, t, decodeFinding(fj)); err != nil {
			next.DueAt, next.Attempts = tenants.ClassifyBC(err).Again(r.clock.Now(), j.Attempts, r.cfg.Worker.RetryBackoffMax), j.Attempts+1
			break
		}
		next.Status = findingBCDone
	}
	_, _ = r.engine.Save(ctx, j, next)
}

// writeBC upserts a finding into vippsFindings (keyed by findingId).
func (r *Reconciler) writeBC(ctx context.Context, t *tenants.Tenant, f Finding) error {
	es := t.BC.EntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, FindingsEntity).TextKeys()
	rec := map[string]any{"findingId": f.ID, "kind": f.Kind, "reference": f.Reference, "salesUnit": f.SalesUnit,
		"detail": clip(f.Detail, 2048), "expected": clip(f.Expected, 250), "actual": clip(f.Actual, 250), "status": f.Status,
		"firstSeenAt": f.FirstSeenAt.UTC().Format(time.RFC3339)}
	// BC's blank DateTime (0DT) while open: a finding open again after it
	// was resolved clears the time BC had.
	rec["resolvedAt"] = "0001-01-01T00:00:00Z"
	if f.ResolvedAt != nil {
		rec["resolvedAt"] = f.ResolvedAt.UTC().Format(time.RFC3339)
	}
	cur, err := es.Get(ctx, f.ID)
	switch {
	case bc.IsNotFound(err):
		_, err = es.Create(ctx, rec)
	case err == nil:
		_, err = es.Update(ctx, f.ID, cur.ETag(), rec)
	}
	return err
}

// clip shortens s to n characters, the length of its field in the
// companion extension's table.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
