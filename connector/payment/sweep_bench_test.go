package payment_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// sweepCustomer approves every payment at once.
const sweepCustomer = "4798765432"

// BenchmarkPaymentSweep is one payment sweep over N open payments (N =
// 100,000 by default, BCVIPPS_BENCH_SWEEP_PAYMENTS to change it): each
// authorized at Vipps (created through the simulator's ePayment API), in
// the connector's store and in BC's vippsPayments, all agreeing. It
// reports the run's seconds, payments per second, the Vipps calls per
// payment and the most calls one reference got in a minute (Vipps allows
// 120 GETs per minute per reference), and BC calls per payment (BC allows
// a principal about 20 a second). One op is one run; use -benchtime 1x.
func BenchmarkPaymentSweep(b *testing.B) {
	n := 100_000
	if v := os.Getenv("BCVIPPS_BENCH_SWEEP_PAYMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BCVIPPS_BENCH_SWEEP_PAYMENTS=%q: want a positive number", v)
		}
	}
	var counting atomic.Bool
	var mu sync.Mutex
	perRef := map[string]int{}
	var vippsCalls atomic.Int64
	o := options()
	o.Public = false // no webhooks: the sweep alone looks at the payments
	o.Prepare = func(vs *vippstest.Server, bcs *bctest.Servers) {
		vs.AddUser(vippstest.User{PhoneNumber: sweepCustomer, Behaviour: vippstest.BehaviourApprove})
		bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
		bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.FindingsEntity, "findingId")
	}
	o.ObserveVipps = func(r *http.Request) {
		if !counting.Load() || !strings.HasPrefix(r.URL.Path, "/epayment/v1/payments/") {
			return
		}
		vippsCalls.Add(1)
		ref := strings.Split(strings.TrimPrefix(r.URL.Path, "/epayment/v1/payments/"), "/")[0]
		mu.Lock()
		perRef[ref]++
		mu.Unlock()
	}
	be := testenv.NewBench(b, o)
	c, err := vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: be.Vipps.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ref := func(i int) string { return fmt.Sprintf("sweep-%08d", i) }
	// The payments at Vipps: created by a customer who approves at once;
	// their events are what the connector's webhooks brought.
	events := make([][]vipps.PaymentEvent, n)
	var g errgroup.Group
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			_, err := c.EPayment.Create(ctx, "create-"+ref(i), vipps.CreatePaymentRequest{Amount: vipps.Amount{Currency: "NOK", Value: 10000},
				Customer: &vipps.Customer{PhoneNumber: sweepCustomer}, PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
				Reference: ref(i), UserFlow: "PUSH_MESSAGE", PaymentDescription: "Kasse 1"})
			if err != nil {
				return err
			}
			events[i], err = c.EPayment.Events(ctx, ref(i))
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	// The same payments in the connector and in BC, as the webhooks and the
	// outbox left them.
	for i := 0; i < n; i += 1000 {
		jobs := make([]store.Job, 0, 1000)
		for k := i; k < min(i+1000, n); k++ {
			jobs = append(jobs, payment.AuthorizedJob("acme", vippstest.DefaultMSN, ref(k), 10000, events[k]))
		}
		stored, _, err := be.Store.CreateEach(ctx, jobs)
		if err != nil {
			b.Fatal(err)
		}
		for _, j := range stored {
			if j.Status != payment.StatusAuthorized {
				b.Fatalf("payment %s is %s at Vipps", j.ID, j.Status)
			}
			rec := payment.BCRecord(payment.ViewOf(j))
			if err := be.BC.Sim.AddEntity(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	events = nil
	bcBefore := be.BC.Sim.Stats().Requests

	b.ResetTimer()
	var runSeconds float64
	for range b.N {
		counting.Store(true)
		t0 := time.Now()
		run := benchRequest(b, be, http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "payment-sweep"})
		run = waitRun(b, be, run["id"].(string))
		runSeconds = time.Since(t0).Seconds()
		counting.Store(false)
		counts, _ := run["counts"].(map[string]any)
		if run["status"] != reconcile.RunCompleted || counts["looked"] != float64(n) || counts["matched"] != float64(n) || run["findings"] != float64(0) {
			b.Fatalf("run: %v", run)
		}
	}
	b.StopTimer()
	maxPerRef := 0
	for _, k := range perRef {
		maxPerRef = max(maxPerRef, k)
	}
	runs := float64(b.N)
	b.ReportMetric(runSeconds, "run-s")
	b.ReportMetric(float64(n)/runSeconds, "payments/s")
	b.ReportMetric(float64(vippsCalls.Load())/runs/float64(n), "vipps-calls/payment")
	b.ReportMetric(float64(maxPerRef)/runs, "max-calls/reference")
	b.ReportMetric(float64(be.BC.Sim.Stats().Requests-bcBefore)/runs/float64(n), "bc-calls/payment")
}
