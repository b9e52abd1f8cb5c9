package payment

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// SettledEntry is a capture or refund the Report API settled, as the
// settlement reconciliation matches it to a payment.
type SettledEntry struct {
	Reference    string
	PSPReference string
	Refund       bool
	// Amount is what was settled, positive for a refund too.
	Amount int64
	// Currency is the ledger's ("" when not told).
	Currency string
}

// Match is what SettleEach found for one entry.
type Match struct {
	// Unknown: no payment of the sales unit has the entry's reference.
	Unknown bool
	// Mismatch: the payment's capture or refund with the entry's
	// pspReference has another amount (Expected) or is in another
	// currency (Currency, the payment's); nothing was marked.
	Mismatch bool
	Expected int64
	Currency string
	// Unrecorded: the payment has no capture or refund with the entry's
	// pspReference (one made outside the connector, or one whose event it
	// has not heard of); nothing was marked.
	Unrecorded bool
	// Payment is the payment, set when Mismatch or Unrecorded.
	Payment View
}

// SettleEach matches one page of settled entries of sales unit msn to the
// tenant's payments and records on each payment which of its captures and
// refunds are settled (idempotent: an entry seen again changes nothing).
// The page costs one read and one commit, whatever its size.
func (p *Payments) SettleEach(ctx context.Context, tenantID, msn string, entries []SettledEntry) ([]Match, error) {
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		ids = append(ids, paymentID(tenantID, msn, e.Reference))
	}
	jobs, err := p.store.GetEach(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	type doc struct {
		job   store.Job
		s     state
		dirty bool
	}
	// Decoding and encoding a page's states is most of its CPU outside the
	// database: spread over the cores.
	all := make([]doc, len(jobs))
	eachParallel(len(jobs), func(i int) {
		if jobs[i].Kind == KindPayment {
			all[i] = doc{job: jobs[i], s: decodeState(jobs[i].State)}
		}
	})
	docs := make(map[string]*doc, len(jobs))
	for i := range all {
		if all[i].job.Kind == KindPayment {
			docs[all[i].job.ID] = &all[i]
		}
	}
	out := make([]Match, len(entries))
	for i, e := range entries {
		d := docs[ids[i]]
		if d == nil {
			out[i].Unknown = true
			continue
		}
		if amt, ok := d.s.settledMismatch(e); ok {
			out[i] = Match{Mismatch: true, Expected: amt, Currency: d.s.Currency, Payment: view(d.job)}
			continue
		}
		if !d.s.hasSettledEvent(e) {
			out[i] = Match{Unrecorded: true, Payment: view(d.job)}
			continue
		}
		if !slices.Contains(d.s.Settled, e.PSPReference) {
			d.s.Settled = append(d.s.Settled, e.PSPReference)
			d.dirty = true
		}
	}
	var dirty []*doc
	for _, id := range ids {
		if d := docs[id]; d != nil && d.dirty {
			d.dirty = false
			dirty = append(dirty, d)
		}
	}
	// In key order: the writes walk the table's B-tree forward.
	slices.SortFunc(dirty, func(a, b *doc) int { return strings.Compare(a.job.ID, b.job.ID) })
	writes := make([]store.Job, len(dirty))
	marks := make([][]string, len(dirty))
	eachParallel(len(dirty), func(i int) {
		writes[i] = dirty[i].job
		writes[i].State = mustJSON(dirty[i].s)
		marks[i] = dirty[i].s.Settled
	})
	if len(writes) == 0 {
		return out, nil
	}
	errs, err := p.store.UpdateEach(ctx, writes)
	if err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		// The payment changed since it was read (an event, an operation):
		// mark it on the fresh row.
		if err := p.markSettled(ctx, tenantID, writes[i].ID, marks[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// eachParallel calls f(0) … f(n-1), spread over GOMAXPROCS goroutines
// when n is large enough to be worth it.
func eachParallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// settledMismatch reports the amount of the payment's own capture or
// refund with e's pspReference when it differs from the settled amount,
// or when the ledger settled it in another currency.
func (s *state) settledMismatch(e SettledEntry) (int64, bool) {
	name := "CAPTURED"
	if e.Refund {
		name = "REFUNDED"
	}
	for _, ev := range s.Events {
		if ev.PSPReference == e.PSPReference && ev.Name == name && (ev.Amount != e.Amount || (e.Currency != "" && e.Currency != s.Currency)) {
			return ev.Amount, true
		}
	}
	return 0, false
}

// hasSettledEvent reports whether the payment has the capture or refund
// of the settled entry (by pspReference).
func (s *state) hasSettledEvent(e SettledEntry) bool {
	name := "CAPTURED"
	if e.Refund {
		name = "REFUNDED"
	}
	return slices.ContainsFunc(s.Events, func(ev event) bool { return ev.PSPReference == e.PSPReference && ev.Name == name })
}

// markSettled records the settled pspReferences on the payment's current
// row (idempotent).
func (p *Payments) markSettled(ctx context.Context, tenantID, id string, pspReferences []string) error {
	_, err := p.mutate(ctx, tenantID, id, func(s *state, _ *store.Job) error {
		changed := false
		for _, ref := range pspReferences {
			if !slices.Contains(s.Settled, ref) {
				s.Settled = append(s.Settled, ref)
				changed = true
			}
		}
		if !changed {
			return errNoChange
		}
		return nil
	})
	return err
}

// Unsettled is a capture or refund the Report API has not settled.
type Unsettled struct {
	Payment View
	Event   Event
}

// Event is one ePayment event of a payment (View.Events).
type Event = event

// settlementDoc is the part of a payment's state the unsettled scan reads
// (decoding less of each row keeps a scan of a million payments short).
type settlementDoc struct {
	Events  []event  `json:"events"`
	Settled []string `json:"settled"`
}

// UnsettledBefore lists the tenant's captures and refunds made before
// cutoff that no settlement has reported, and calls settled with the id of
// each payment whose captures and refunds are all settled (so a finding
// about it can be resolved).
func (p *Payments) UnsettledBefore(ctx context.Context, tenantID string, cutoff time.Time, settled func(id string)) ([]Unsettled, error) {
	var out []Unsettled
	after := ""
	for {
		jobs, err := p.store.List(ctx, store.ListQuery{TenantID: tenantID, Kind: KindPayment, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		docs := make([]settlementDoc, len(jobs))
		eachParallel(len(jobs), func(i int) { decodeInto(jobs[i].State, &docs[i]) })
		for i, j := range jobs {
			after = j.ID
			s := docs[i]
			all := true
			for _, e := range s.Events {
				if !e.Success || (e.Name != "CAPTURED" && e.Name != "REFUNDED") || !e.At.Before(cutoff) {
					continue
				}
				if !slices.Contains(s.Settled, e.PSPReference) {
					out = append(out, Unsettled{Payment: view(j), Event: e})
					all = false
				}
			}
			if all && len(s.Settled) > 0 && settled != nil {
				settled(j.ID)
			}
		}
		if len(jobs) < 1000 {
			return out, nil
		}
	}
}
