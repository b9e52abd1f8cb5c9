package payment

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
)

// BenchmarkSettleEntry is the store work the settlement reconciliation
// does per matched ledger entry: find the payment by its reference and
// mark its capture settled, a page of 1,000 entries at a time (one read
// and one commit per page on the embedded SQLite store). The payments
// exist beforehand; one op is one entry.
func BenchmarkSettleEntry(b *testing.B) {
	ctx := context.Background()
	p, e := paymentsFixture(b, clockwork.NewRealClock())
	const batch = 500
	n := b.N
	for i := 0; i < n; i += batch {
		var jobs []store.Job
		for k := i; k < min(i+batch, n); k++ {
			jobs = append(jobs, capturedJob(fmt.Sprintf("bench-%08d", k), fmt.Sprint(k), 10000))
		}
		if _, _, err := e.CreateEach(ctx, jobs); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < n; i += 1000 {
		var page []SettledEntry
		for k := i; k < min(i+1000, n); k++ {
			page = append(page, SettledEntry{Reference: fmt.Sprintf("bench-%08d", k), PSPReference: fmt.Sprint(k), Amount: 10000})
		}
		m, err := p.SettleEach(ctx, "acme", "123456", page)
		if err != nil {
			b.Fatal(err)
		}
		if m[0].Unknown || m[0].Mismatch {
			b.Fatalf("entry %d not matched: %+v", i, m[0])
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "entries/s")
}

// paymentsFixture is a payments service on an embedded SQLite file store
// and clock, without tenants or upstreams: what settlement matching and
// the outbox's bookkeeping need.
func paymentsFixture(tb testing.TB, clock clockwork.Clock) (*Payments, *work.Engine) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, "file:"+filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := work.New(st, work.Config{Instance: "bench", Concurrency: 1, Batch: 10, Lease: time.Minute, StepTimeout: 30 * time.Second}, clock, log, prometheus.NewRegistry())
	p := New(Deps{Config: &config.Config{}, Clock: clock, Log: log, Engine: e, Metrics: NewMetrics(prometheus.NewRegistry(), nil)})
	return p, e
}

// capturedJob is tenant acme's stored payment reference ref at sales unit
// 123456 whose capture of amount has pspReference psp.
func capturedJob(ref, psp string, amount int64) store.Job {
	return CapturedJob("acme", "123456", ref, psp, amount, time.Now())
}

// TestSettleEach: a page of settled entries is matched by reference and
// pspReference; a known capture is marked once however often it comes, an
// amount that differs is reported and not marked, an unknown reference is
// reported.
func TestSettleEach(t *testing.T) {
	ctx := context.Background()
	p, e := paymentsFixture(t, clockwork.NewRealClock())
	if _, _, err := e.CreateEach(ctx, []store.Job{capturedJob("ref-00000001", "psp1", 10000), capturedJob("ref-00000002", "psp2", 5000)}); err != nil {
		t.Fatal(err)
	}
	page := []SettledEntry{
		{Reference: "ref-00000001", PSPReference: "psp1", Amount: 10000},
		{Reference: "ref-00000002", PSPReference: "psp2", Amount: 4999},
		{Reference: "ref-00000009", PSPReference: "psp9", Amount: 100},
		{Reference: "ref-00000001", PSPReference: "psp1", Amount: 10000},
		{Reference: "ref-00000001", PSPReference: "psp-portal", Amount: 500},
	}
	for round := range 2 { // a rerun of the page changes nothing
		m, err := p.SettleEach(ctx, "acme", "123456", page)
		if err != nil {
			t.Fatal(err)
		}
		if m[0].Unknown || m[0].Mismatch || m[3].Unknown || m[3].Mismatch {
			t.Fatalf("round %d: a known capture: %+v %+v", round, m[0], m[3])
		}
		if !m[1].Mismatch || m[1].Expected != 5000 || m[1].Payment.Reference != "ref-00000002" {
			t.Fatalf("round %d: the other amount: %+v", round, m[1])
		}
		if !m[2].Unknown {
			t.Fatalf("round %d: an unknown reference: %+v", round, m[2])
		}
		if !m[4].Unrecorded || m[4].Mismatch || m[4].Payment.Reference != "ref-00000001" {
			t.Fatalf("round %d: a capture the payment does not have: %+v", round, m[4])
		}
		one, _ := p.get(ctx, "acme", paymentID("acme", "123456", "ref-00000001"))
		two, _ := p.get(ctx, "acme", paymentID("acme", "123456", "ref-00000002"))
		if got := decodeState(one.State).Settled; len(got) != 1 || got[0] != "psp1" {
			t.Fatalf("round %d: settled marks %v", round, got)
		}
		if got := decodeState(two.State).Settled; len(got) != 0 {
			t.Fatalf("round %d: a mismatched capture was marked settled: %v", round, got)
		}
		if round == 1 && one.Version != 2 {
			t.Fatalf("the rerun wrote the payment again (version %d)", one.Version)
		}
	}
	// A full page is decoded and encoded on several goroutines: every
	// payment is marked, with its own pspReference.
	var jobs []store.Job
	var big []SettledEntry
	for i := range 300 {
		ref, psp := fmt.Sprintf("page-%08d", i), fmt.Sprintf("p%d", i)
		jobs = append(jobs, capturedJob(ref, psp, int64(100+i)))
		big = append(big, SettledEntry{Reference: ref, PSPReference: psp, Amount: int64(100 + i)})
	}
	if _, _, err := e.CreateEach(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	m, err := p.SettleEach(ctx, "acme", "123456", big)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := range jobs {
		got, _ := p.get(ctx, "acme", j.ID)
		if s := decodeState(got.State); m[i].Unknown || m[i].Mismatch || len(s.Settled) != 1 || s.Settled[0] != big[i].PSPReference || s.Amount != int64(100+i) {
			t.Fatalf("payment %d after a full page: %+v settled %v amount %d", i, m[i], s.Settled, s.Amount)
		}
	}
}

// TestSettleEachCurrency: a capture settled in another currency than the
// payment's is a mismatch, even with the same amount, and is not marked.
func TestSettleEachCurrency(t *testing.T) {
	ctx := context.Background()
	p, e := paymentsFixture(t, clockwork.NewRealClock())
	if _, _, err := e.CreateEach(ctx, []store.Job{capturedJob("ref-00000001", "psp1", 10000)}); err != nil {
		t.Fatal(err)
	}
	m, err := p.SettleEach(ctx, "acme", "123456", []SettledEntry{
		{Reference: "ref-00000001", PSPReference: "psp1", Amount: 10000, Currency: "EUR"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !m[0].Mismatch || m[0].Currency != "NOK" || m[0].Expected != 10000 {
		t.Fatalf("another currency: %+v", m[0])
	}
	m, err = p.SettleEach(ctx, "acme", "123456", []SettledEntry{
		{Reference: "ref-00000001", PSPReference: "psp1", Amount: 10000, Currency: "NOK"},
	})
	if err != nil || m[0].Mismatch || m[0].Unknown {
		t.Fatalf("the payment's currency: %+v %v", m[0], err)
	}
}
