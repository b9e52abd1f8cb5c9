package reconcile_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

const apiKey = "acme-test-key-1"

type env struct{ *testenv.Env }

// newEnv runs the connector without webhooks (nothing tells it what
// happens at Vipps but its own polls and the sweep).
func newEnv(t *testing.T, opts ...testenv.Option) *env {
	t.Helper()
	o := testenv.Options{
		Tenants: []testenv.Tenant{{ID: "acme", APIKey: apiKey}},
		Login:   "{defaultExpiry: 5m}",
		Front:   true,
		Prepare: func(_ *vippstest.Server, bcs *bctest.Servers) {
			bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
			bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.FindingsEntity, "findingId")
			bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, reconcile.SettlementsEntity, "id")
		},
	}
	return &env{testenv.New(t, o, opts...)}
}

func (e *env) do(method, path string, body any, headers ...string) testenv.Response {
	e.T.Helper()
	return e.Do(method, path, apiKey, body, headers...)
}

// authorized makes a payment the customer approves and waits for it.
func (e *env) authorized(key string, amount int64) payment.View {
	e.T.Helper()
	res := e.do(http.MethodPost, "/v1/payments", map[string]any{"amount": amount, "currency": "NOK", "phoneNumber": "+" + vippstest.PersonaApprove, "description": "Kasse 1"}, "Idempotency-Key", key)
	if res.Status != http.StatusCreated {
		e.T.Fatalf("pay: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	// The follower polls until the customer (approving after 2 s) has
	// answered; each poll is waited for before the clock moves again.
	e.Advance(0)
	e.Drive("acme", "pfo_"+strings.TrimPrefix(id, "pay_"), 10)
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == payment.StatusAuthorized })
	e.WaitFor("acme", "pfo_"+strings.TrimPrefix(id, "pay_"), func(j store.Job) bool { return j.Final })
	return e.payment(id)
}

func (e *env) payment(id string) payment.View {
	e.T.Helper()
	res := e.do(http.MethodGet, "/v1/payments/"+id, nil)
	var v payment.View
	if err := json.Unmarshal(res.Raw, &v); err != nil || res.Status != http.StatusOK {
		e.T.Fatalf("payment %s: %d %s", id, res.Status, res.Raw)
	}
	return v
}

// sweep starts a payment sweep and waits for its end.
func (e *env) sweep() reconcile.Run {
	e.T.Helper()
	return e.run(map[string]any{"job": "payment-sweep"})
}

// run starts a run and waits for its end.
func (e *env) run(body map[string]any) reconcile.Run {
	e.T.Helper()
	res := e.do(http.MethodPost, "/v1/reconciliation/runs", body)
	if res.Status != http.StatusAccepted || res.Body["status"] != "running" {
		e.T.Fatalf("start run: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	e.WaitFor("acme", id, func(j store.Job) bool {
		if !j.Final && j.Attempts > 0 {
			e.T.Fatalf("run retried: %s", j.State)
		}
		return j.Final
	})
	res = e.do(http.MethodGet, "/v1/reconciliation/runs/"+id+"?wait=5", nil)
	var run reconcile.Run
	_ = json.Unmarshal(res.Raw, &run)
	if run.Status != reconcile.RunCompleted {
		e.T.Fatalf("run: %s", res.Raw)
	}
	return run
}

func (e *env) findings(query string) []reconcile.Finding {
	e.T.Helper()
	res := e.do(http.MethodGet, "/v1/reconciliation/findings"+query, nil)
	var out struct{ Items []reconcile.Finding }
	if err := json.Unmarshal(res.Raw, &out); err != nil || res.Status != http.StatusOK {
		e.T.Fatalf("findings: %d %s", res.Status, res.Raw)
	}
	return out.Items
}

func (e *env) vippsClient() *vipps.Client {
	c, err := vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: e.Vipps.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey},
		vipps.WithClock(e.Clock), vipps.WithRetryPolicy(vipps.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}

func (e *env) bcRow(set, key, value string) map[string]any {
	for _, r := range e.BC.Sim.Entities(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, set) {
		if r[key] == value {
			return r
		}
	}
	return nil
}

// TestSweepCorrectsALostWebhook: a capture made at Vipps that the
// connector never heard of is found by the sweep, corrected, reported as
// status-mismatch and written to BC.
func TestSweepCorrectsALostWebhook(t *testing.T) {
	e := newEnv(t)
	v := e.authorized("k1", 20000)
	if _, err := e.vippsClient().EPayment.Capture(context.Background(), "portal-capture", v.Reference, vipps.Amount{Currency: "NOK", Value: 20000}); err != nil {
		t.Fatal(err)
	}
	if got := e.payment(v.ID); got.CapturedAmount != 0 {
		t.Fatalf("the connector knew already: %+v", got)
	}
	run := e.sweep()
	if run.Counts.Corrected < 1 || run.Findings < 1 {
		t.Fatalf("run: %+v", run)
	}
	got := e.payment(v.ID)
	if got.Status != payment.StatusCaptured || got.CapturedAmount != 20000 {
		t.Fatalf("after the sweep: %+v", got)
	}
	fs := e.findings("?kind=status-mismatch&reference=" + v.Reference)
	if len(fs) != 1 || fs[0].Status != reconcile.FindingResolved || !strings.Contains(fs[0].Expected, "captured 20000") {
		t.Fatalf("findings: %+v", fs)
	}
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(v.ID, "pay_"), func(store.Job) bool {
		r := e.bcRow(payment.PaymentsEntity, "reference", v.Reference)
		return r != nil && r["status"] == payment.StatusCaptured
	})
	if r := e.bcRow(reconcile.FindingsEntity, "findingId", fs[0].ID); r == nil || r["kind"] != "status-mismatch" {
		t.Fatalf("BC vippsFindings: %v", r)
	}
	// A second sweep finds nothing new.
	if run := e.sweep(); run.Findings != 0 || run.Counts.Corrected != 0 {
		t.Fatalf("second run: %+v", run)
	}
}

// TestFindingReachesBCAfterAnOutage: a finding raised while BC refuses
// vippsFindings is written once BC answers again, though the finding
// itself does not change (it was resolved at once), and with no run in
// between (DESIGN §5: an outage delays a write, it does not lose it).
func TestFindingReachesBCAfterAnOutage(t *testing.T) {
	e := newEnv(t)
	v := e.authorized("k1", 20000)
	if _, err := e.vippsClient().EPayment.Capture(context.Background(), "portal-capture", v.Reference, vipps.Amount{Currency: "NOK", Value: 20000}); err != nil {
		t.Fatal(err)
	}
	findingsPath := "/v2.0/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/api/" + payment.APIPublisher + "/" + payment.APIGroup + "/" +
		payment.APIVersion + "/companies(" + bctest.DemoCompanyID + ")/" + reconcile.FindingsEntity
	e.BC.Sim.InjectFault(bctest.Fault{PathPrefix: findingsPath, Status: http.StatusServiceUnavailable})
	if run := e.sweep(); run.Findings < 1 {
		t.Fatalf("run: %+v", run)
	}
	fs := e.findings("?kind=status-mismatch&reference=" + v.Reference)
	if len(fs) != 1 || fs[0].Status != reconcile.FindingResolved {
		t.Fatalf("findings: %+v", fs)
	}
	if r := e.bcRow(reconcile.FindingsEntity, "findingId", fs[0].ID); r != nil {
		t.Fatalf("BC took the finding during its outage: %v", r)
	}
	e.BC.Sim.ClearFaults()
	outbox, err := e.First().Store.List(context.Background(), store.ListQuery{TenantID: "acme", Kind: reconcile.KindFindingBC, OpenOnly: true, Limit: 10})
	if err != nil || len(outbox) != 1 {
		t.Fatalf("%d open finding outboxes (%v), want 1", len(outbox), err)
	}
	e.Advance(time.Minute)
	e.WaitFor("acme", outbox[0].ID, func(j store.Job) bool { return j.Final })
	if r := e.bcRow(reconcile.FindingsEntity, "findingId", fs[0].ID); r == nil || r["status"] != reconcile.FindingResolved {
		t.Fatalf("BC vippsFindings after the outage: %v", r)
	}
}

// TestSweepFlagsAnAuthorizationLeftOpen: authorized and not captured past
// payments.authorizationAlertHours (24) is an open finding, resolved once
// the payment is captured.
func TestSweepFlagsAnAuthorizationLeftOpen(t *testing.T) {
	e := newEnv(t)
	v := e.authorized("k1", 5000)
	if run := e.sweep(); run.Findings != 0 {
		t.Fatalf("too early: %+v", run)
	}
	e.Advance(25 * time.Hour)
	// A new process: the Entra ID token cache of the old one follows the
	// real clock, and its token expired on the fake one.
	e.Stop(e.First())
	e.Start("b")
	e.sweep()
	open := e.findings("?status=open&kind=authorized-not-captured")
	if len(open) != 1 || open[0].Reference != v.Reference {
		t.Fatalf("open findings: %+v", open)
	}
	e.sweep() // still open: not a second finding
	if fs := e.findings("?kind=authorized-not-captured"); len(fs) != 1 {
		t.Fatalf("findings after a rerun: %+v", fs)
	}
	if res := e.do(http.MethodPost, "/v1/payments/"+v.ID+"/capture", map[string]any{}, "Idempotency-Key", "cap"); res.Status != http.StatusOK {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	e.sweep()
	if open := e.findings("?status=open"); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	if fs := e.findings("?kind=authorized-not-captured&status=resolved"); len(fs) != 1 || fs[0].ResolvedAt == nil {
		t.Fatalf("resolved: %+v", fs)
	}
}

// TestSweepRewritesBC: BC's row changed behind the connector's back is
// rewritten and reported as bc-out-of-date.
func TestSweepRewritesBC(t *testing.T) {
	e := newEnv(t)
	// 15,000.00 NOK: BC's JSON number 1.5e+06 must equal the connector's 1500000.
	v := e.authorized("k1", 1500000)
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(v.ID, "pay_"), func(store.Job) bool {
		r := e.bcRow(payment.PaymentsEntity, "reference", v.Reference)
		return r != nil && r["status"] == payment.StatusAuthorized
	})
	tampered := e.BC.Sim.SetEntityField(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, v.Reference, "status", "captured") &&
		e.BC.Sim.SetEntityField(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, v.Reference, "capturedAmount", 700)
	if !tampered {
		t.Fatal("could not change the BC row")
	}
	run := e.sweep()
	if run.Findings != 1 {
		t.Fatalf("run: %+v", run)
	}
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(v.ID, "pay_"), func(store.Job) bool {
		r := e.bcRow(payment.PaymentsEntity, "reference", v.Reference)
		return r != nil && r["status"] == payment.StatusAuthorized
	})
	// The finding names every field that differed.
	if fs := e.findings("?kind=bc-out-of-date"); len(fs) != 1 || fs[0].Reference != v.Reference ||
		!strings.Contains(fs[0].Actual, "status captured") || !strings.Contains(fs[0].Actual, "capturedAmount 700") || !strings.HasPrefix(fs[0].Expected, "status authorized,") {
		t.Fatalf("findings: %+v", fs)
	}
	// Rewritten: the next sweep finds BC right and rewrites nothing.
	if run := e.sweep(); run.Findings != 0 || run.Counts.Corrected != 0 {
		t.Fatalf("sweep after the rewrite: %+v", run)
	}
	// Every field of the row counts, not only the status and the amounts.
	for field, value := range map[string]any{"posId": "HACKED", "currency": "DKK", "amount": 1} {
		if !e.BC.Sim.SetEntityField(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, v.Reference, field, value) {
			t.Fatalf("could not change %s", field)
		}
		if run := e.sweep(); run.Counts.Corrected != 1 {
			t.Fatalf("sweep after %s was changed in BC: %+v", field, run)
		}
		want := payment.BCRecord(e.payment(v.ID))[field]
		e.WaitFor("acme", "bcp_"+strings.TrimPrefix(v.ID, "pay_"), func(store.Job) bool {
			r := e.bcRow(payment.PaymentsEntity, "reference", v.Reference)
			// As JSON: BC's numbers come back as float64 (1.5e+06).
			got, _ := json.Marshal(r[field])
			exp, _ := json.Marshal(want)
			return r != nil && string(got) == string(exp)
		})
	}
}

// TestScheduleRunsOncePerTick: the default schedule (@every 10m) starts
// one sweep per tick, also with two instances on one PostgreSQL database.
func TestScheduleRunsOncePerTick(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	e := newEnv(t, testenv.WithPostgres(dsn))
	e.Start("b")
	e.authorized("k1", 1000)
	for tick := 1; tick <= 2; tick++ {
		e.Advance(10 * time.Minute)
		runs := e.waitRuns(tick)
		if len(runs) != tick {
			t.Fatalf("after tick %d: %d runs", tick, len(runs))
		}
	}
}

// waitRuns waits until n runs have finished and returns them all.
func (e *env) waitRuns(n int) []reconcile.Run {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed, err := e.First().Store.Subscribe(ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	for {
		res := e.do(http.MethodGet, "/v1/reconciliation/runs", nil)
		var out struct{ Items []reconcile.Run }
		_ = json.Unmarshal(res.Raw, &out)
		done := 0
		for _, r := range out.Items {
			if r.Status == reconcile.RunCompleted {
				done++
			}
		}
		if done >= n {
			return out.Items
		}
		select {
		case <-feed:
		case <-ctx.Done():
			e.T.Fatalf("%d of %d runs finished: %s", done, n, res.Raw)
		}
	}
}

// TestRunIdempotencyKey: a run started with an Idempotency-Key is started
// once; a retry gets the same run (200), the key with another body 409
// naming the header, and nothing more is stored.
func TestRunIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	first := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "payment-sweep"}, "Idempotency-Key", "run-1")
	if first.Status != http.StatusAccepted {
		t.Fatalf("start: %d %s", first.Status, first.Raw)
	}
	again := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "payment-sweep"}, "Idempotency-Key", "run-1")
	if again.Status != http.StatusOK || again.Body["id"] != first.Body["id"] {
		t.Fatalf("retry: %d %s; first %s", again.Status, again.Raw, first.Raw)
	}
	other := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "settlement"}, "Idempotency-Key", "run-1")
	if other.Status != http.StatusConflict || !strings.Contains(string(other.Raw), `"field":"Idempotency-Key"`) {
		t.Fatalf("another body under the key: %d %s", other.Status, other.Raw)
	}
	runs := e.do(http.MethodGet, "/v1/reconciliation/runs", nil)
	if items, _ := runs.Body["items"].([]any); len(items) != 1 {
		t.Fatalf("runs stored: %s", runs.Raw)
	}
	// After the purge of personal data (which clears the stored request
	// hash) the run's own state still tells another body from a retry.
	e.WaitFor("acme", first.Body["id"].(string), func(j store.Job) bool { return j.Final })
	e.Advance(25 * time.Hour)
	e.First().Svc.Engine().Housekeep(context.Background())
	if j := e.Job("acme", first.Body["id"].(string)); j.RequestHash != "" {
		t.Fatal("the run's request hash was not purged")
	}
	if other := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "settlement"}, "Idempotency-Key", "run-1"); other.Status != http.StatusConflict {
		t.Fatalf("another body under the key after the purge: %d %s", other.Status, other.Raw)
	}
	if again := e.do(http.MethodPost, "/v1/reconciliation/runs", map[string]any{"job": "payment-sweep"}, "Idempotency-Key", "run-1"); again.Status != http.StatusOK || again.Body["id"] != first.Body["id"] {
		t.Fatalf("retry after the purge: %d %s", again.Status, again.Raw)
	}
}

// TestRunBadInput: a run request with a bad field is 400 naming it, and no
// run is stored; a field sent empty is bad, one left out takes its default.
func TestRunBadInput(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{}, "job"},
		{map[string]any{"job": "nope"}, "job"},
		{map[string]any{"job": "settlement", "ledgerDate": "2026-13-01"}, "ledgerDate"},
		{map[string]any{"job": "settlement", "ledgerDate": ""}, "ledgerDate"},
		{map[string]any{"job": "payment-sweep", "salesUnit": "999"}, "salesUnit"},
		{map[string]any{"job": "payment-sweep", "salesUnit": ""}, "salesUnit"},
	} {
		res := e.do(http.MethodPost, "/v1/reconciliation/runs", c.body)
		if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Raw), `"field":"`+c.field+`"`) {
			t.Errorf("%v: %d %s, want 400 naming %s", c.body, res.Status, res.Raw, c.field)
		}
	}
	runs, err := e.First().Store.List(context.Background(), store.ListQuery{TenantID: "acme", Kind: reconcile.KindRun, Limit: 10})
	if err != nil || len(runs) != 0 {
		t.Fatalf("%d runs stored (%v), want none", len(runs), err)
	}
}
