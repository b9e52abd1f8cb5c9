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
// mark its capture settled (a read and a write on the embedded SQLite
// store). The payments exist beforehand; one op is one entry.
func BenchmarkSettleEntry(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.DriverSQLite, "file:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	clock := clockwork.NewRealClock()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := work.New(st, work.Config{Instance: "bench", Concurrency: 1, Batch: 10, Lease: time.Minute, StepTimeout: 30 * time.Second}, clock, log, prometheus.NewRegistry())
	p := New(Deps{Config: &config.Config{}, Clock: clock, Log: log, Engine: e, Metrics: NewMetrics(prometheus.NewRegistry(), nil)})
	const batch = 500
	n := b.N
	for i := 0; i < n; i += batch {
		var jobs []store.Job
		for k := i; k < min(i+batch, n); k++ {
			ref := fmt.Sprintf("bench-%08d", k)
			s := state{Reference: ref, MSN: "123456", Currency: "NOK", Amount: 10000, Description: "Kasse 1", Changes: 1,
				Aggregate: aggregate{Authorized: 10000, Captured: 10000}, VippsState: "AUTHORIZED",
				Events: []event{{Name: "CAPTURED", Amount: 10000, At: time.Now(), PSPReference: fmt.Sprint(k), Success: true}}}
			jobs = append(jobs, store.Job{TenantID: "acme", ID: paymentID("acme", "123456", ref), Kind: KindPayment, Status: StatusCaptured, State: mustJSON(s)})
		}
		if _, _, err := e.CreateEach(ctx, jobs); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	b.ResetTimer()
	for i := range n {
		id := ID("acme", "123456", fmt.Sprintf("bench-%08d", i))
		if _, err := p.Get(ctx, "acme", id); err != nil {
			b.Fatal(err)
		}
		if err := p.MarkSettled(ctx, "acme", id, fmt.Sprint(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "entries/s")
}
