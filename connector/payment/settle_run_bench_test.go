package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// settleBenchPayments is the number of stored payments (and of captures in
// the ledger date) of BenchmarkSettlementRun: 1,000,000, or
// BCVIPPS_BENCH_SETTLE_PAYMENTS for a quicker look.
func settleBenchPayments(b *testing.B) int {
	if v := os.Getenv("BCVIPPS_BENCH_SETTLE_PAYMENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("BCVIPPS_BENCH_SETTLE_PAYMENTS=%q: want a positive number", v)
		}
		return n
	}
	return 1_000_000
}

// BenchmarkSettlementRun is the settlement reconciliation of one ledger
// date end to end: N payments captured the day before are stored (N =
// 1,000,000 by default), the simulated Report API holds the date's funds
// topic (N captures, the fees retained, the payout) and fees topic (N
// capture fees, the fees retained) in pages of 1,000, and one settlement
// run is started through the API and waited for. It checks the stored
// settlement to the øre and reports entries/s over both topics, the run's
// seconds and the process's peak RSS during the run (connector and
// simulators together: an upper bound of the connector's). One op is one
// run; use -benchtime 1x.
func BenchmarkSettlementRun(b *testing.B) {
	n := settleBenchPayments(b)
	o := options()
	o.Prepare = func(_ *vippstest.Server, bcs *bctest.Servers) {
		bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
		bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.FindingsEntity, "findingId")
		bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.SettlementsEntity, "id")
	}
	be := testenv.NewBench(b, o)
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		b.Fatal(err)
	}
	amount := func(i int) int64 { return 10000 + int64(i%1000) }
	fee := func(i int) int64 { return (amount(i)*175 + 5000) / 10000 }
	ref := func(i int) string { return fmt.Sprintf("bench-%08d", i) }
	psp := func(i int) string { return fmt.Sprintf("cap%08d", i) }
	var captured, fees int64
	for i := range n {
		captured, fees = captured+amount(i), fees+fee(i)
	}
	yesterday := time.Now().In(oslo).AddDate(0, 0, -1)
	at := time.Date(yesterday.Year(), yesterday.Month(), yesterday.Day(), 12, 0, 0, 0, oslo)
	ctx := context.Background()
	for i := 0; i < n; i += 1000 {
		jobs := make([]store.Job, 0, 1000)
		for k := i; k < min(i+1000, n); k++ {
			jobs = append(jobs, payment.CapturedJob("acme", vippstest.DefaultMSN, ref(k), psp(k), amount(k), at))
		}
		if _, _, err := be.Store.CreateEach(ctx, jobs); err != nil {
			b.Fatal(err)
		}
	}
	// The date as the Report API shows it with net settlement: a fee per
	// capture, retained from the payout.
	entry := func(topic string, i int) vippstest.GeneratedEntry {
		switch {
		case i < n && topic == "funds":
			return vippstest.GeneratedEntry{EntryType: "capture", Reference: ref(i), PSPReference: psp(i), Amount: amount(i)}
		case i < n:
			return vippstest.GeneratedEntry{EntryType: "capture-fee", Reference: ref(i), PSPReference: psp(i), Amount: -fee(i)}
		case i == n && topic == "funds":
			return vippstest.GeneratedEntry{EntryType: "fees-retained", Reference: "fees", PSPReference: "retained", Amount: -fees}
		case i == n:
			return vippstest.GeneratedEntry{EntryType: "fees-retained", Reference: "fees", PSPReference: "retained", Amount: fees}
		default:
			return vippstest.GeneratedEntry{EntryType: "scheduled-for-payout", Reference: "payout-1", PSPReference: "payout", Amount: -(captured - fees)}
		}
	}
	entries := (n + 2) + (n + 1)

	b.ResetTimer()
	var runSeconds float64
	var peakKB int64
	for i := range b.N {
		b.StopTimer()
		date := yesterday.AddDate(0, 0, -i).Format(time.DateOnly)
		be.Vipps.GenerateDay(vippstest.DefaultMSN, date, n+2, n+1, entry)
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS(b)
		b.StartTimer()
		t0 := time.Now()
		id := startRun(b, be, date)
		run := waitRun(b, be, id)
		runSeconds = time.Since(t0).Seconds()
		b.StopTimer()
		peakKB = peakRSSKB(b)
		if run["status"] != reconcile.RunCompleted {
			b.Fatalf("run %s: %v", run["status"], run)
		}
		st := settlementOf(b, be, date)
		if st.Captured != captured || st.Fees != fees || st.Net != captured-fees || st.Entries != entries || st.Unmatched != 0 || st.Matched != entries {
			b.Fatalf("settlement of %s: %+v; want captured %d, fees %d, %d entries all matched", date, st, captured, fees, entries)
		}
	}
	b.ReportMetric(float64(entries)/runSeconds, "entries/s")
	b.ReportMetric(runSeconds, "run-s")
	b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
}

func benchRequest(b *testing.B, be *testenv.Bench, method, path string, body any) map[string]any {
	b.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, be.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode >= 300 {
		b.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, out, err)
	}
	return out
}

func startRun(b *testing.B, be *testenv.Bench, date string) string {
	run := benchRequest(b, be, http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "settlement", "ledgerDate": date})
	id, _ := run["id"].(string)
	return id
}

func waitRun(b *testing.B, be *testenv.Bench, id string) map[string]any {
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		run := benchRequest(b, be, http.MethodGet, "/v1/reconciliation/runs/"+id+"?wait=30", nil)
		if s := run["status"]; s == reconcile.RunCompleted || s == reconcile.RunFailed {
			return run
		}
	}
	b.Fatalf("run %s did not finish in 30 minutes", id)
	return nil
}

func settlementOf(b *testing.B, be *testenv.Bench, date string) reconcile.Settlement {
	out := benchRequest(b, be, http.MethodGet, "/v1/settlements?from="+date+"&to="+date, nil)
	raw, _ := json.Marshal(out["items"])
	var sts []reconcile.Settlement
	if err := json.Unmarshal(raw, &sts); err != nil || len(sts) != 1 {
		b.Fatalf("settlements of %s: %s", date, raw)
	}
	return sts[0]
}

// resetPeakRSS resets the process's peak resident set size (VmHWM) to
// its current size (Linux: clear_refs 5).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("peak RSS not reset (%v): the figure includes the set-up", err)
	}
}

// peakRSSKB is the process's peak resident set size since the last reset.
func peakRSSKB(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}
