package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// step does one page of a run and stores where it is.
func (r *Reconciler) step(ctx context.Context, j store.Job) {
	t := r.tenants[j.TenantID]
	if t == nil {
		return
	}
	var s runState
	_ = json.Unmarshal(j.State, &s)
	if s.Job == "" {
		_ = json.Unmarshal(j.Input, &s.runInput)
	}
	now := r.clock.Now()
	if s.StartedAt.IsZero() {
		s.StartedAt = now
	}
	var done bool
	var err error
	switch s.Job {
	case JobPaymentSweep:
		done, err = r.sweepPage(ctx, t, &s)
		if err == nil && done {
			err = r.closeFindings(ctx, t, &s)
		}
	case JobSettlement:
		// A page is all or nothing: its sums and counts are kept only when
		// the whole page went through, so a retried page counts nothing
		// twice.
		cp := s.clone()
		done, err = r.settlePage(ctx, t, &cp)
		if err == nil {
			s = cp
		}
	default:
		s.Error = "unknown job " + s.Job
		r.finish(ctx, j, s, RunFailed)
		return
	}
	if err == nil && t.Vipps == nil {
		err = errors.New("tenant has no Vipps clients")
	}
	next := j
	next.State = mustJSON(s)
	if err != nil {
		// The page is done again later (nothing was counted for it); a
		// refusal, or a failure that lasts, fails the run (the next tick
		// starts a new one).
		f := tenants.ClassifyVipps(err)
		if errors.As(err, new(*bc.Error)) {
			f = tenants.ClassifyBC(err)
		}
		at, ok := f.Next(now, j.Attempts, r.cfg.Worker.RetryBackoffMax)
		if !ok || j.Attempts >= maxRunAttempts {
			s.Error = err.Error()
			r.finish(ctx, j, s, RunFailed)
			return
		}
		next.DueAt = at
		next.Attempts++
		s.Error = err.Error()
		next.State = mustJSON(s)
		_, _ = r.engine.Save(ctx, j, next)
		return
	}
	if done {
		r.finish(ctx, j, s, RunCompleted)
		return
	}
	next.Attempts = 0
	next.DueAt = now
	_, _ = r.engine.Save(ctx, j, next)
}

func (r *Reconciler) finish(ctx context.Context, j store.Job, s runState, status string) {
	s.FinishedAt = r.clock.Now()
	if status == RunCompleted && (s.Settle == nil || len(s.Settle.Open)+len(s.Settle.NoLedger) == 0) {
		s.Error = "" // a retried step's error; the run got through
	}
	next := j
	next.Status = status
	next.State = mustJSON(s)
	if _, err := r.engine.Save(ctx, j, next); err == nil {
		r.metrics.runs.WithLabelValues(s.Job, status).Inc()
		r.log.Info("reconciliation run "+status, "tenant", j.TenantID, "run", j.ID, "job", s.Job,
			"looked", s.Counts.Looked, "matched", s.Counts.Matched, "corrected", s.Counts.Corrected, "findings", s.Findings)
	}
}

// sweepPage looks at the next page of open payments. A payment whose
// refresh fails ends the step before it is counted, so a retried page
// counts nothing twice.
func (r *Reconciler) sweepPage(ctx context.Context, t *tenants.Tenant, s *runState) (bool, error) {
	views, err := r.payments.Payments(ctx, t.ID, s.Cursor, true, pageSize)
	if err != nil {
		return false, err
	}
	now := r.clock.Now()
	var refs []string
	for _, v := range views {
		if (s.SalesUnit == "" || v.SalesUnit == s.SalesUnit) && !skip(v, now) {
			refs = append(refs, v.Reference)
		}
	}
	// BC's rows of the page in one read: BC allows a principal 20 calls a
	// second, a call per payment would make the sweep BC's slowest part.
	rows, err := payment.BCRows(ctx, t, refs)
	if err != nil {
		return false, err
	}
	for _, v := range views {
		if s.SalesUnit != "" && v.SalesUnit != s.SalesUnit {
			s.Cursor = v.ID
			continue
		}
		if skip(v, now) {
			s.Cursor = v.ID
			continue
		}
		if err := r.sweepOne(ctx, t, s, v, rows, now); err != nil {
			return false, err
		}
		s.Cursor = v.ID
	}
	return len(views) < pageSize, nil
}

func (r *Reconciler) sweepOne(ctx context.Context, t *tenants.Tenant, s *runState, v payment.View, bcRows map[string]bc.Entity, now time.Time) error {
	rf, err := r.payments.Refresh(ctx, t.ID, v.ID)
	if err != nil {
		if tenants.ClassifyVipps(err).Verdict != work.Refused || errors.As(err, new(*bc.Error)) {
			return err // may pass: the page is done again
		}
		// Vipps refuses to tell about this payment: report it and go on.
		s.Counts.Looked++
		if r.raise(ctx, t, finding{Kind: FindingStuck, Detail: "Vipps MobilePay refused to report this payment: " + tenants.VippsDetail(err),
			Expected: "the payment at Vipps", Actual: "refused"}, v) {
			s.Findings++
		}
		return nil
	}
	cur := rf.After
	var found []finding
	switch {
	case rf.Unknown:
		found = append(found, finding{Kind: FindingStuck, Detail: "Vipps MobilePay does not know this payment.",
			Expected: "a payment at Vipps", Actual: "none"})
	case rf.Differed:
		s.Counts.Corrected++
		found = append(found, finding{Kind: FindingStatusMismatch, Resolved: true,
			Detail:   "The connector's view differed from Vipps MobilePay (a lost webhook?); corrected.",
			Expected: summary(rf.After), Actual: summary(rf.Before)})
	default:
		s.Counts.Matched++
	}
	s.Counts.Looked++
	// Money reserved on the customer's account and forgotten.
	hours := time.Duration(t.Config.Payments.AuthorizationAlertHours) * time.Hour
	if at := authorizedAt(cur); cur.Status == payment.StatusAuthorized && !at.IsZero() && now.Sub(at) > hours {
		found = append(found, finding{Kind: FindingAuthorizedNotCaptured,
			Detail:   fmt.Sprintf("Authorized %s ago and not captured or cancelled; the customer's money is reserved.", now.Sub(at).Round(time.Minute)),
			Expected: "captured or cancelled", Actual: fmt.Sprintf("authorized %d, captured %d", cur.AuthorizedAmount, cur.CapturedAmount)})
	} else {
		r.resolve(ctx, t, FindingAuthorizedNotCaptured, cur)
	}
	// Not final past its time.
	if d := stuck(cur, now); d != "" {
		found = append(found, finding{Kind: FindingStuck, Detail: d, Expected: "final", Actual: cur.Status})
	} else if !rf.Unknown {
		r.resolve(ctx, t, FindingStuck, cur)
	}
	// BC's record of the payment.
	if !r.payments.BCPending(ctx, t.ID, cur.ID) {
		diff := bcDiffers(cur, bcRows[cur.Reference])
		if diff != "" {
			// The page's rows were read before its payments were refreshed:
			// an outbox write may have landed since. Read this one again.
			row, err := payment.PaymentsSet(t).Get(ctx, cur.Reference)
			switch {
			case bc.IsNotFound(err):
				row = nil
			case err != nil:
				return err
			}
			diff = bcDiffers(cur, row)
		}
		if diff != "" {
			if err := r.payments.Rewrite(ctx, t.ID, cur.ID); err != nil {
				return err
			}
			s.Counts.Corrected++
			found = append(found, finding{Kind: FindingBCOutOfDate, Resolved: true,
				Detail: "Business Central's vippsPayments row differed from the connector's view; rewritten.", Expected: summary(cur), Actual: diff})
		}
	}
	for _, f := range found {
		if r.raise(ctx, t, f, cur) {
			s.Findings++
		}
	}
	return nil
}

func summary(v payment.View) string {
	return fmt.Sprintf("status %s, authorized %d, captured %d, refunded %d, cancelled %d", v.Status, v.AuthorizedAmount, v.CapturedAmount, v.RefundedAmount, v.CancelledAmount)
}

func authorizedAt(v payment.View) time.Time {
	for _, e := range v.Events {
		if e.Name == "AUTHORIZED" && e.Success {
			return e.At
		}
	}
	return time.Time{}
}

// stuck says why a payment is not final past its time, or "".
func stuck(v payment.View, now time.Time) string {
	if v.Status == payment.StatusCreated && now.Sub(v.ExpiresAt) > stuckAfter {
		return "Still waiting for the customer long after the payment expired."
	}
	for _, o := range v.Operations {
		if o.Status == payment.OpPending && now.Sub(o.At) > stuckAfter {
			return fmt.Sprintf("A %s has been pending since %s (Vipps MobilePay not answering?).", o.Type, o.At.UTC().Format(time.RFC3339))
		}
	}
	return ""
}

// bcCompared are the vippsPayments fields the sweep compares, every one the
// connector writes but the key, in the order a finding names the first
// that differs.
var bcCompared = []string{"status", "authorizedAmount", "capturedAmount", "refundedAmount", "cancelledAmount", "amount", "currency",
	"memberId", "posId", "receiptNumber", "paymentId", "salesUnit"}

// bcDiffers compares BC's row of a payment (nil when BC has none) with
// the connector's view and names the first field that differs.
func bcDiffers(v payment.View, row bc.Entity) string {
	if row == nil {
		return "missing in Business Central"
	}
	want := payment.BCRecord(v)
	var diffs []string
	for _, k := range bcCompared {
		if !sameValue(row[k], want[k]) {
			diffs = append(diffs, fmt.Sprintf("%s %s", k, valueText(row[k])))
		}
	}
	return strings.Join(diffs, ", ")
}

// closeFindings resolves the open findings whose payment became final or
// no longer shows the problem (payments that left the open set are not
// looked at by the pages).
func (r *Reconciler) closeFindings(ctx context.Context, t *tenants.Tenant, s *runState) error {
	after := ""
	for {
		jobs, err := r.store.List(ctx, store.ListQuery{TenantID: t.ID, Kind: KindFinding, AfterID: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			after = j.ID
			if j.Status != FindingOpen {
				continue
			}
			var f Finding
			_ = json.Unmarshal(j.State, &f)
			if f.PaymentID == "" || (f.Kind != FindingAuthorizedNotCaptured && f.Kind != FindingStuck) {
				continue // only the sweep's own kinds: a settlement finding stays
			}
			v, err := r.payments.Get(ctx, t.ID, f.PaymentID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err != nil || payment.Final(v.Status) || (f.Kind == FindingAuthorizedNotCaptured && v.Status != payment.StatusAuthorized) {
				r.resolveJob(ctx, t, j)
			}
		}
		if len(jobs) < 500 {
			return nil
		}
	}
}

// sameValue compares a value BC returned (JSON numbers decode as float64)
// with the connector's: numbers as numbers, the rest as text.
func sameValue(got, want any) bool {
	if f, ok := got.(float64); ok {
		switch w := want.(type) {
		case int64:
			return f == float64(w)
		case int:
			return f == float64(w)
		}
	}
	return valueText(got) == valueText(want)
}

func valueText(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// sweepCapturedFor is how long a captured payment (not final: it may still
// be refunded) is still looked at by the sweep after its last change.
const sweepCapturedFor = 72 * time.Hour

// skip reports a payment the sweep need not read at Vipps now: one waiting
// for its customer (its follower polls it), one with an operation just
// sent (the connector records Vipps' answer itself), and a captured one
// that has not changed for days (it stays open only for refunds, which
// the connector makes itself).
func skip(v payment.View, now time.Time) bool {
	if v.Status == payment.StatusCreated && now.Before(v.ExpiresAt) {
		return true
	}
	for _, o := range v.Operations {
		if o.Status == payment.OpPending && now.Sub(o.At) < stuckAfter {
			return true
		}
	}
	return v.Status == payment.StatusCaptured && now.Sub(v.UpdatedAt) > sweepCapturedFor
}
