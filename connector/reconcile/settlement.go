package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/vipps"
)

// More job kinds and finding kinds of the settlement job.
const (
	KindSettlement = "settlement"
	KindLedger     = "ledger"

	FindingUnknownEntry        = "unknown-entry"
	FindingAmountMismatch      = "amount-mismatch"
	FindingMissingInSettlement = "missing-in-settlement"

	SettlementsEntity = "vippsSettlements"
)

// Settlement is one ledger date of one sales unit, as the Report API
// reported it: what was captured and refunded, the fees, the net and the
// payout, and how many entries matched the connector's payments.
type Settlement struct {
	LedgerDate      string `json:"ledgerDate"`
	SalesUnit       string `json:"salesUnit"`
	Currency        string `json:"currency"`
	Captured        int64  `json:"captured"`
	Refunded        int64  `json:"refunded"`
	Fees            int64  `json:"fees"`
	Net             int64  `json:"net"`
	PayoutReference string `json:"payoutReference"`
	Entries         int    `json:"entries"`
	Matched         int    `json:"matched"`
	Unmatched       int    `json:"unmatched"`
	// funds is the sum of the funds entries other than the payout: it must
	// equal Net (captures − refunds − fees retained).
	Funds int64 `json:"funds"`
	// Retained is the fees retained on the funds topic (net settlement);
	// Unreconciled is set when the date has entry types the connector
	// does not reconcile.
	Retained     int64 `json:"retained,omitempty"`
	Unreconciled bool  `json:"unreconciled,omitempty"`
}

// settleProgress is where a settlement run is: the sales unit, the topic
// and the cursor within the date, with the sums so far. It is stored after
// every page, so a run killed midway resumes at its cursor and counts no
// entry twice.
type settleProgress struct {
	Units  []string   `json:"units"`
	Unit   int        `json:"unit"`
	Topic  string     `json:"topic"`
	Cursor string     `json:"cursor,omitempty"`
	Acc    Settlement `json:"acc"`
	// Open lists the sales units whose date is not closed yet (tryLater),
	// NoLedger those without a settlement ledger.
	Open     []string `json:"open,omitempty"`
	NoLedger []string `json:"noLedger,omitempty"`
}

type ledgerState struct {
	LedgerID string `json:"ledgerId"`
	Currency string `json:"currency"`
}

// defaultLedgerDate is yesterday in the merchants' time zone (Vipps closes
// a ledger date at midnight, Europe/Oslo by default).
func (r *Reconciler) defaultLedgerDate() string {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		loc = time.UTC
	}
	return r.clock.Now().In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
}

// settlePage reads the next page of the run's date and stores the sums.
func (r *Reconciler) settlePage(ctx context.Context, t *tenants.Tenant, s *runState) (bool, error) {
	if s.LedgerDate == "" {
		s.LedgerDate = r.defaultLedgerDate()
	}
	pr := s.Settle
	if pr == nil {
		pr = &settleProgress{Topic: string(vipps.TopicFunds)}
		if s.SalesUnit != "" {
			pr.Units = []string{s.SalesUnit}
		} else {
			for _, su := range t.Config.Vipps.SalesUnits {
				pr.Units = append(pr.Units, su.MSN)
			}
		}
		s.Settle = pr
	}
	if pr.Unit >= len(pr.Units) {
		var notes []string
		if len(pr.Open) > 0 {
			notes = append(notes, fmt.Sprintf("ledger date %s is not closed yet for sales unit %v; a later run settles it", s.LedgerDate, pr.Open))
		}
		if len(pr.NoLedger) > 0 {
			notes = append(notes, fmt.Sprintf("no settlement ledger for sales unit %v (the Report API answers in production only)", pr.NoLedger))
		}
		s.Error = strings.Join(notes, "; ")
		if len(pr.NoLedger) > 0 || len(pr.Open) > 0 {
			// Not every sales unit is settled: what is missing cannot be told.
			return true, nil
		}
		return true, r.missingInSettlement(ctx, t, s)
	}
	msn := pr.Units[pr.Unit]
	if t.Vipps[msn] == nil {
		pr.NoLedger = append(pr.NoLedger, msn) // no longer configured
		pr.nextUnit()
		return false, nil
	}
	ledger, err := r.ledgerFor(ctx, t, msn)
	if err != nil {
		return false, err
	}
	if ledger.LedgerID == "" {
		pr.NoLedger = append(pr.NoLedger, msn)
		pr.nextUnit()
		return false, nil
	}
	rs := t.Vipps[msn].Report
	key := pageKey{tenant: t.ID, msn: msn, ledger: ledger.LedgerID, date: s.LedgerDate, topic: pr.Topic, cursor: pr.Cursor}
	page, err := r.pages.get(ctx, rs, key)
	if err != nil {
		return false, err
	}
	if page.HasMore && page.Cursor != "" && !page.TryLater {
		next := key
		next.cursor = page.Cursor
		r.pages.readAhead(ctx, rs, next)
	}
	if page.TryLater {
		pr.Open = append(pr.Open, msn)
		pr.nextUnit()
		return false, nil
	}
	pr.Acc.LedgerDate, pr.Acc.SalesUnit, pr.Acc.Currency = s.LedgerDate, msn, ledger.Currency
	var settled []vipps.ReportEntry
	for _, e := range page.Items {
		if r.entry(ctx, t, s, pr, msn, e) {
			settled = append(settled, e)
		}
	}
	if err := r.matchSettled(ctx, t, s, msn, settled); err != nil {
		return false, err
	}
	r.raiseUnknown(ctx, t, s)
	pr.Cursor = page.Cursor
	if page.HasMore && page.Cursor != "" {
		return false, nil
	}
	if pr.Topic == string(vipps.TopicFunds) {
		pr.Topic, pr.Cursor = string(vipps.TopicFees), ""
		return false, nil
	}
	acc := pr.Acc
	acc.Net = acc.Captured - acc.Refunded - acc.Fees
	// Net settlement retains the fees from the funds: then the funds add
	// up to the net. (With gross settlement the fees are invoiced, and
	// with entry types the connector does not reconcile the sums cannot be
	// compared: no check.)
	if acc.Retained != 0 && !acc.Unreconciled && acc.Funds != acc.Net {
		f := finding{Kind: FindingAmountMismatch, Detail: "The funds of the date do not add up to captures less refunds and fees.",
			Expected: fmt.Sprint(acc.Net), Actual: fmt.Sprint(acc.Funds)}
		if r.raiseAbout(ctx, t, f, msn, s.LedgerDate, "", findingID(FindingAmountMismatch, msn, "date:"+s.LedgerDate)) {
			s.Findings++
		}
	}
	if err := r.storeSettlement(ctx, t, acc); err != nil {
		return false, err
	}
	pr.nextUnit()
	return false, nil
}

func (pr *settleProgress) nextUnit() {
	pr.Unit++
	pr.Topic, pr.Cursor, pr.Acc = string(vipps.TopicFunds), "", Settlement{}
}

// entry adds one ledger entry to the sums. It reports a capture or refund,
// which matchSettled then matches to the connector's payments.
func (r *Reconciler) entry(ctx context.Context, t *tenants.Tenant, s *runState, pr *settleProgress, msn string, e vipps.ReportEntry) bool {
	acc := &pr.Acc
	acc.Entries++
	s.Counts.Looked++
	if pr.Topic == string(vipps.TopicFees) {
		switch e.EntryType {
		case "capture-fee":
			acc.Fees += -e.Amount
			acc.Matched++
		case "fees-retained", "fees-invoiced":
			acc.Matched++
		default:
			r.unknownEntry(ctx, t, s, msn, e, "an entry type the connector does not know")
		}
		return false
	}
	switch e.EntryType {
	case "capture":
		acc.Captured += e.Amount
		acc.Funds += e.Amount
		return true
	case "refund":
		acc.Refunded += -e.Amount
		acc.Funds += e.Amount
		return true
	case "fees-retained":
		acc.Funds += e.Amount
		acc.Retained += -e.Amount
		acc.Matched++
	case "payout-aborted":
		acc.Matched++ // the payout comes again later; not part of the date's sums
	case "scheduled-for-payout", "payout-scheduled":
		acc.PayoutReference = e.Reference
		acc.Matched++
	default:
		// correction, top-up, disputes, credit notes and types to come:
		// kept and reported, not fatal.
		acc.Funds += e.Amount
		acc.Unreconciled = true
		r.unknownEntry(ctx, t, s, msn, e, "an entry type the connector does not reconcile ("+e.EntryType+")")
	}
	return false
}

// matchSettled matches a page's captures and refunds to the connector's
// payments by reference (and the payment's event by pspReference) and
// marks them settled: one read and one commit for the page.
func (r *Reconciler) matchSettled(ctx context.Context, t *tenants.Tenant, s *runState, msn string, entries []vipps.ReportEntry) error {
	if len(entries) == 0 {
		return nil
	}
	in := make([]payment.SettledEntry, len(entries))
	for i, e := range entries {
		in[i] = payment.SettledEntry{Reference: e.Reference, PSPReference: e.PSPReference, Refund: e.EntryType == "refund", Amount: e.Amount, Currency: e.Currency}
		if in[i].Refund {
			in[i].Amount = -e.Amount
		}
	}
	matches, err := r.payments.SettleEach(ctx, t.ID, msn, in)
	if err != nil {
		return err
	}
	acc := &s.Settle.Acc
	for i, m := range matches {
		e := entries[i]
		switch {
		case m.Unknown:
			r.unknownEntry(ctx, t, s, msn, e, "no payment of the connector has this reference")
		case m.Unrecorded:
			r.unknownEntry(ctx, t, s, msn, e, "the payment is the connector's, but it has no "+e.EntryType+" with this pspReference (made outside the connector, or its event was lost; the payment sweep reads the payment at Vipps again)")
		case m.Mismatch:
			f := finding{Kind: FindingAmountMismatch, Detail: "The settled amount differs from the amount of the " + e.EntryType + ".",
				Expected: fmt.Sprint(m.Expected), Actual: fmt.Sprint(in[i].Amount)}
			if e.Currency != "" && e.Currency != m.Currency {
				f.Detail = "The " + e.EntryType + " was settled in " + e.Currency + ", the payment is in " + m.Currency + "."
				f.Expected, f.Actual = fmt.Sprint(m.Expected, " ", m.Currency), fmt.Sprint(in[i].Amount, " ", e.Currency)
			}
			if r.raiseAbout(ctx, t, f, msn, e.Reference, m.Payment.ID, findingID(FindingAmountMismatch, msn, e.PSPReference)) {
				s.Findings++
			}
			acc.Unmatched++
		default:
			acc.Matched++
			s.Counts.Matched++
		}
	}
	return nil
}

func (r *Reconciler) unknownEntry(_ context.Context, _ *tenants.Tenant, s *runState, msn string, e vipps.ReportEntry, why string) {
	s.Settle.Acc.Unmatched++
	f := finding{Kind: FindingUnknownEntry, Detail: fmt.Sprintf("Ledger %s entry %s: %s.", e.LedgerDate, e.EntryType, why),
		Expected: "a capture or refund of the connector", Actual: fmt.Sprintf("%s %d %s", e.EntryType, e.Amount, e.Currency)}
	// Raised once the whole page went through (raiseUnknown): a page
	// retried after a failure must not find its own findings already
	// raised and count them as old.
	s.unknown = append(s.unknown, unknownFinding{f: f, msn: msn, reference: e.Reference, id: findingID(FindingUnknownEntry, msn, e.PSPReference)})
}

// unknownFinding is an unknown-entry finding of the page in progress.
type unknownFinding struct {
	f                  finding
	msn, reference, id string
}

// raiseUnknown raises the page's unknown-entry findings.
func (r *Reconciler) raiseUnknown(ctx context.Context, t *tenants.Tenant, s *runState) {
	for _, u := range s.unknown {
		if r.raiseAbout(ctx, t, u.f, u.msn, u.reference, "", u.id) {
			s.Findings++
		}
	}
	s.unknown = nil
}

// ledgerFor finds the sales unit's ledger once and keeps it.
func (r *Reconciler) ledgerFor(ctx context.Context, t *tenants.Tenant, msn string) (ledgerState, error) {
	id := "ldg_" + msn
	if j, err := r.store.Get(ctx, t.ID, id); err == nil {
		var l ledgerState
		_ = json.Unmarshal(j.State, &l)
		return l, nil
	}
	ledgers, err := t.Vipps[msn].Report.Ledgers(ctx, "api:"+msn)
	if err != nil {
		return ledgerState{}, err
	}
	var l ledgerState
	for _, lg := range ledgers {
		if slices.Contains(lg.SettlesForRecipientHandles, "api:"+msn) {
			l = ledgerState{LedgerID: lg.LedgerID, Currency: lg.Currency}
			break
		}
	}
	if l.LedgerID != "" {
		_, err := r.engine.Create(ctx, store.Job{TenantID: t.ID, ID: id, Kind: KindLedger, Status: "found", State: mustJSON(l)})
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			return l, err
		}
	}
	return l, nil
}

func settlementID(msn, date string) string { return "stl_" + msn + "_" + date }

// storeSettlement stores the date's settlement (the same values again on a
// rerun change nothing) and writes it to BC's vippsSettlements.
func (r *Reconciler) storeSettlement(ctx context.Context, t *tenants.Tenant, st Settlement) error {
	j := store.Job{TenantID: t.ID, ID: settlementID(st.SalesUnit, st.LedgerDate), Kind: KindSettlement, Status: "settled", State: mustJSON(st)}
	cur, err := r.engine.Create(ctx, j)
	if errors.Is(err, store.ErrDuplicate) {
		if string(cur.State) != string(j.State) {
			next := cur
			next.State = j.State
			if _, err := r.engine.Save(ctx, cur, next); err != nil {
				return err
			}
		}
	} else if err != nil {
		return err
	}
	es := t.BC.EntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, SettlementsEntity)
	rec := map[string]any{"ledgerDate": st.LedgerDate, "salesUnit": st.SalesUnit, "currency": st.Currency, "captured": st.Captured,
		"refunded": st.Refunded, "fees": st.Fees, "net": st.Net, "payoutReference": st.PayoutReference, "entries": st.Entries, "unmatched": st.Unmatched}
	var existing bc.Entity
	for e, err := range es.List(ctx, bc.ListOptions{Filter: settlementFilter(st.LedgerDate, st.SalesUnit)}) {
		if err != nil {
			return err
		}
		existing = e
		break
	}
	if existing == nil {
		_, err = es.Create(ctx, rec)
		return err
	}
	same := true
	for k, v := range rec {
		if !sameValue(existing[k], v) {
			same = false
		}
	}
	if same {
		return nil
	}
	_, err = es.Update(ctx, existing.ID(), existing.ETag(), rec)
	return err
}

// clone copies a run's state, its settlement progress included.
func (s runState) clone() runState {
	if s.Settle != nil {
		pr := *s.Settle
		pr.Units = slices.Clone(pr.Units)
		pr.Open = slices.Clone(pr.Open)
		pr.NoLedger = slices.Clone(pr.NoLedger)
		s.Settle = &pr
	}
	return s
}

// missingInSettlement reports the captures and refunds older than
// jobs.settlement.missingAfterDays that no settlement has reported, and
// resolves the findings of those that one has since.
func (r *Reconciler) missingInSettlement(ctx context.Context, t *tenants.Tenant, s *runState) error {
	days := t.Config.Jobs.Settlement.MissingAfterDays
	cutoff := r.clock.Now().AddDate(0, 0, -days)
	open, err := r.openFindings(ctx, t, FindingMissingInSettlement)
	if err != nil {
		return err
	}
	missing, err := r.payments.UnsettledBefore(ctx, t.ID, cutoff, func(paymentID string) {
		if j, ok := open[paymentID]; ok {
			// Read again: the finding may have changed since it was listed.
			if cur, err := r.store.Get(ctx, t.ID, j.ID); err == nil && cur.Status == FindingOpen {
				r.resolveJob(ctx, t, cur)
			}
		}
	})
	if err != nil {
		return err
	}
	for _, u := range missing {
		if s.SalesUnit != "" && u.Payment.SalesUnit != s.SalesUnit {
			continue
		}
		f := finding{Kind: FindingMissingInSettlement,
			Detail:   fmt.Sprintf("The %s of %s is not in any settlement %d days later.", strings.ToLower(u.Event.Name), u.Event.At.UTC().Format(time.DateOnly), days),
			Expected: fmt.Sprintf("%s %d settled", u.Event.Name, u.Event.Amount), Actual: "not settled"}
		if r.raise(ctx, t, f, u.Payment) {
			s.Findings++
		}
	}
	return nil
}

// openFindings returns the tenant's open findings of kind by payment id.
func (r *Reconciler) openFindings(ctx context.Context, t *tenants.Tenant, kind string) (map[string]store.Job, error) {
	out := map[string]store.Job{}
	after := ""
	for {
		jobs, err := r.store.List(ctx, store.ListQuery{TenantID: t.ID, Kind: KindFinding, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			after = j.ID
			if j.Status != FindingOpen {
				continue
			}
			if f := decodeFinding(j); f.Kind == kind && f.PaymentID != "" {
				out[f.PaymentID] = j
			}
		}
		if len(jobs) < 1000 {
			return out, nil
		}
	}
}

// settlementFilter selects a sales unit's vippsSettlements row of a ledger
// date. ledgerDate is a Date field: BC's OData takes a date literal bare
// (2026-11-30); a quoted one is a string, which BC refuses to compare with
// a date.
func settlementFilter(ledgerDate, salesUnit string) string {
	date := bc.Quote(ledgerDate) // never: ledger dates are validated as dates
	if _, err := time.Parse(time.DateOnly, ledgerDate); err == nil {
		date = ledgerDate
	}
	return "ledgerDate eq " + date + " and salesUnit eq " + bc.Quote(salesUnit)
}
