package reconcile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestSettlementOfADay: captures, a partial refund and the fees of one
// ledger date, matched to the øre (net = captured − refunded − fees) and
// written to BC; an entry the connector does not know is unknown-entry;
// the open day is tryLater; a rerun of the date changes nothing.
func TestSettlementOfADay(t *testing.T) {
	e := newEnv(t)
	day := e.Clock.Now().In(oslo(t)).Format(time.DateOnly)
	a := e.authorized("k1", 20000)
	b := e.authorized("k2", 10000)
	for _, op := range []struct {
		id, path, key string
		body          map[string]any
	}{
		{a.ID, "capture", "c1", map[string]any{}},
		{b.ID, "capture", "c2", map[string]any{}},
		{a.ID, "refund", "r1", map[string]any{"amount": 5000}},
	} {
		if res := e.do(http.MethodPost, "/v1/payments/"+op.id+"/"+op.path, op.body, "Idempotency-Key", op.key); res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", op.path, res.Status, res.Raw)
		}
	}
	// A payment made at the same sales unit by another system.
	c := e.vippsClient()
	ctx := context.Background()
	if _, err := c.EPayment.Create(ctx, "other-1", vipps.CreatePaymentRequest{Amount: vipps.Amount{Currency: "NOK", Value: 3000},
		Customer: &vipps.Customer{PhoneNumber: vippstest.PersonaApprove}, PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
		Reference: "other-system-1", UserFlow: "PUSH_MESSAGE", PaymentDescription: "Nettbutikk"}); err != nil {
		t.Fatal(err)
	}
	e.Advance(3 * time.Second)
	if _, err := c.EPayment.Capture(ctx, "other-cap", "other-system-1", vipps.Amount{Currency: "NOK", Value: 3000}); err != nil {
		t.Fatal(err)
	}

	// The day is still open.
	run := e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	if run.Error == "" || len(e.settlements()) != 0 {
		t.Fatalf("open day: %+v", run)
	}
	e.Advance(24 * time.Hour)
	e.Stop(e.First()) // a new process: the Entra token cache follows the real clock
	e.Start("b")
	run = e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	sts := e.settlements()
	if len(sts) != 1 {
		t.Fatalf("settlements: %+v (run %+v)", sts, run)
	}
	st := sts[0]
	fee := func(v int64) int64 { return (v*175 + 5000) / 10000 }
	wantFees := fee(20000) + fee(10000) + fee(3000)
	if st.Captured != 33000 || st.Refunded != 5000 || st.Fees != wantFees || st.Net != 33000-5000-wantFees || st.LedgerDate != day {
		t.Fatalf("settlement: %+v (fees want %d)", st, wantFees)
	}
	if fs := e.findings("?kind=unknown-entry"); len(fs) < 1 || fs[0].Reference != "other-system-1" {
		t.Fatalf("unknown entries: %+v", fs)
	}
	if fs := e.findings("?kind=amount-mismatch"); len(fs) != 0 {
		t.Fatalf("amount mismatches: %+v", fs)
	}
	if r := e.bcRow(reconcile.SettlementsEntity, "ledgerDate", day); r == nil || r["net"] != float64(st.Net) {
		t.Fatalf("BC vippsSettlements: %v", r)
	}
	// A rerun of the date is a no-op.
	before := len(e.findings(""))
	rerun := e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	if rerun.Findings != 0 || len(e.findings("")) != before || len(e.settlements()) != 1 || e.settlements()[0] != st {
		t.Fatalf("rerun: %+v", rerun)
	}
	if n := len(e.BC.Sim.Entities(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.SettlementsEntity)); n > 1 {
		t.Fatalf("BC has %d settlements", n)
	}
}

func oslo(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func (e *env) settlements() []reconcile.Settlement {
	e.T.Helper()
	res := e.do(http.MethodGet, "/v1/settlements", nil)
	var out struct{ Items []reconcile.Settlement }
	if err := json.Unmarshal(res.Raw, &out); err != nil || res.Status != http.StatusOK {
		e.T.Fatalf("settlements: %d %s", res.Status, res.Raw)
	}
	return out.Items
}

// TestMissingInSettlement: a capture no settlement has reported after
// jobs.settlement.missingAfterDays (3) is a finding, resolved once its
// date is settled.
func TestMissingInSettlement(t *testing.T) {
	e := newEnv(t)
	day := e.Clock.Now().In(oslo(t)).Format(time.DateOnly)
	v := e.authorized("k1", 8000)
	if res := e.do(http.MethodPost, "/v1/payments/"+v.ID+"/capture", map[string]any{}, "Idempotency-Key", "c1"); res.Status != http.StatusOK {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	e.Advance(4 * 24 * time.Hour)
	e.Stop(e.First())
	e.Start("b")
	later := e.Clock.Now().In(oslo(t)).AddDate(0, 0, -1).Format(time.DateOnly)
	e.run(map[string]any{"job": "settlement", "ledgerDate": later})
	open := e.findings("?status=open&kind=missing-in-settlement")
	if len(open) != 1 || open[0].Reference != v.Reference {
		t.Fatalf("missing: %+v", open)
	}
	e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	if open := e.findings("?status=open&kind=missing-in-settlement"); len(open) != 0 {
		t.Fatalf("still missing after its date was settled: %+v", open)
	}
}

// TestSettlementKilledMidway: the report is read a page at a time (two
// entries a page here); Vipps fails from the second page on and the
// process dies; the run resumes at its stored cursor after the restart and
// no entry is counted twice.
func TestSettlementKilledMidway(t *testing.T) {
	var reports atomic.Int32
	var sim atomic.Pointer[vippstest.Server]
	e := newEnv(t, func(o *testenv.Options) {
		o.VippsOptions = append(o.VippsOptions, vippstest.WithReportPageSize(2))
		o.ObserveVipps = func(r *http.Request) {
			// Runs before the simulator looks for faults: the second page
			// of the settlement run (and all after it) fails.
			if s := sim.Load(); s != nil && strings.Contains(r.URL.Path, "/dates/") && reports.Add(1) == 2 {
				s.InjectFault(vippstest.Fault{Method: http.MethodGet, PathPrefix: "/report/v2/", Status: http.StatusServiceUnavailable})
			}
		}
	})
	day := e.capturedDay(10000, 20000, 30000)
	sim.Store(e.Vipps)
	res := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "settlement", "ledgerDate": day})
	id := res.Body["id"].(string)
	mid := e.WaitFor("acme", id, func(j store.Job) bool { return j.Attempts > 0 || j.Final })
	if mid.Final || !strings.Contains(string(mid.State), `"cursor"`) {
		t.Fatalf("the run should be midway with a cursor: %s %s", mid.Status, mid.State)
	}
	e.Stop(e.First()) // killed midway
	e.Vipps.ClearFaults()
	e.Start("c")
	e.Drive("acme", id, 20)
	if reports.Load() < 3 {
		t.Fatalf("the report was read %d times: no page after the restart", reports.Load())
	}
	fee := func(v int64) int64 { return (v*175 + 5000) / 10000 }
	sts := e.settlements()
	if len(sts) != 1 || sts[0].Captured != 60000 || sts[0].Fees != fee(10000)+fee(20000)+fee(30000) || sts[0].Net != 60000-sts[0].Fees {
		t.Fatalf("settlement after the restart: %+v", sts)
	}
}

// TestSettlementReadsEachPageOnce: the next page of the report is read
// while a page is matched, and each page is read from Vipps once.
func TestSettlementReadsEachPageOnce(t *testing.T) {
	var mu sync.Mutex
	reads := map[string]int{}
	e := newEnv(t, func(o *testenv.Options) {
		o.VippsOptions = append(o.VippsOptions, vippstest.WithReportPageSize(2))
		o.ObserveVipps = func(r *http.Request) {
			if strings.Contains(r.URL.Path, "/dates/") {
				mu.Lock()
				reads[r.URL.Path+"?"+r.URL.Query().Get("cursor")]++
				mu.Unlock()
			}
		}
	})
	day := e.capturedDay(1000, 2000, 3000, 4000, 5000)
	const captured = 15000
	run := e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	if run.Status != reconcile.RunCompleted || run.Counts.Matched != 5 {
		t.Fatalf("run: %+v", run)
	}
	if sts := e.settlements(); len(sts) != 1 || sts[0].Captured != captured || sts[0].Unmatched != 0 {
		t.Fatalf("settlement: %+v", sts)
	}
	mu.Lock()
	defer mu.Unlock()
	// Funds: 5 captures and 5 fees retained; fees: 5 capture fees and 5
	// fees retained. 2 a page: 5 pages each.
	if len(reads) != 10 {
		t.Fatalf("%d pages read, want 10: %v", len(reads), reads)
	}
	for page, n := range reads {
		if n != 1 {
			t.Fatalf("page %s read %d times", page, n)
		}
	}
}

// capturedDay makes and captures a payment of each amount today, then
// lets the day pass and restarts the connector (as instance "b"); it
// returns the day's ledger date.
func (e *env) capturedDay(amounts ...int64) string {
	e.T.Helper()
	day := e.Clock.Now().In(oslo(e.T)).Format(time.DateOnly)
	for i, amount := range amounts {
		v := e.authorized(fmt.Sprintf("k%d", i), amount)
		if res := e.do(http.MethodPost, "/v1/payments/"+v.ID+"/capture", map[string]any{}, "Idempotency-Key", fmt.Sprintf("c%d", i)); res.Status != http.StatusOK {
			e.T.Fatalf("capture: %d %s", res.Status, res.Raw)
		}
	}
	e.Advance(24 * time.Hour)
	e.Stop(e.First())
	e.Start("b")
	return day
}
