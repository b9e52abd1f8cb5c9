package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

const apiKey = "acme-test-key-1"

// env is one or more connector processes against the simulators on one
// fake clock, behind one front URL (server.publicBaseURL, as a load
// balancer would be) where the simulated Vipps delivers webhooks.
type env struct {
	*testenv.Env

	// calls counts Vipps requests by "METHOD path".
	callsMu sync.Mutex
	calls   map[string]int

	// paid are the payments made with pay: at the end of every test BC's
	// vippsPayments must equal the connector's view of each.
	paidMu sync.Mutex
	paid   []string
}

// options configure the tenant acme behind the front, whose URL is
// server.publicBaseURL, and BC's vippsPayments.
func options() testenv.Options {
	return testenv.Options{
		Tenants: []testenv.Tenant{{ID: "acme", APIKey: apiKey}},
		Login:   "{defaultExpiry: 5m}",
		Front:   true,
		Public:  true,
		Prepare: func(_ *vippstest.Server, bcs *bctest.Servers) {
			bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
		},
	}
}

// withoutWebhooks leaves server.publicBaseURL empty: payments are polled.
func withoutWebhooks() testenv.Option { return func(o *testenv.Options) { o.Public = false } }

func newEnv(t *testing.T, opts ...testenv.Option) *env {
	t.Helper()
	e := &env{calls: map[string]int{}}
	o := options()
	o.ObserveVipps = func(r *http.Request) {
		e.callsMu.Lock()
		e.calls[r.Method+" "+r.URL.Path]++
		e.callsMu.Unlock()
	}
	e.Env = testenv.New(t, o, opts...)
	if e.Cfg.Server.PublicBaseURL != "" {
		// Payments made before the secret is stored get their first
		// deliveries refused (Vipps retries them later): wait for it.
		e.secret()
	}
	t.Cleanup(func() {
		e.paidMu.Lock()
		ids := append([]string(nil), e.paid...)
		e.paidMu.Unlock()
		if t.Failed() || len(e.Instances()) == 0 {
			return
		}
		for _, id := range ids {
			e.checkBC(e.payment(id))
		}
	})
	return e
}

func (e *env) vippsCalls(method, path string) int {
	e.callsMu.Lock()
	defer e.callsMu.Unlock()
	return e.calls[method+" "+path]
}

// webhookRequest is a delivery of body to u with the signature headers h.
func webhookRequest(u string, h http.Header, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	return req
}

// view decodes the payment an answer shows.
func view(t *testing.T, r testenv.Response) payment.View {
	t.Helper()
	var v payment.View
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		t.Fatalf("decode payment: %v: %s", err, r.Raw)
	}
	return v
}

// do calls the API as acme through the front URL. headers are name, value
// pairs.
func (e *env) do(method, path string, body any, headers ...string) testenv.Response {
	e.T.Helper()
	return e.Do(method, path, apiKey, body, headers...)
}

// pay creates a payment and expects 201.
func (e *env) pay(key string, body map[string]any) payment.View {
	e.T.Helper()
	res := e.do(http.MethodPost, "/v1/payments", body, "Idempotency-Key", key)
	if res.Status != http.StatusCreated {
		e.T.Fatalf("POST /v1/payments: %d %s", res.Status, res.Raw)
	}
	v := view(e.T, res)
	e.paidMu.Lock()
	e.paid = append(e.paid, v.ID)
	e.paidMu.Unlock()
	return v
}

func payBody(phone string, amount int64) map[string]any {
	return map[string]any{"amount": amount, "currency": "NOK", "phoneNumber": phone, "description": "Kasse 3"}
}

// operate posts a capture, refund or cancel.
func (e *env) operate(id, op, key string, body map[string]any) testenv.Response {
	e.T.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return e.do(http.MethodPost, "/v1/payments/"+id+"/"+op, body, "Idempotency-Key", key)
}

// payment reads the payment as the API shows it.
func (e *env) payment(id string) payment.View {
	e.T.Helper()
	res := e.do(http.MethodGet, "/v1/payments/"+id, nil)
	if res.Status != http.StatusOK {
		e.T.Fatalf("GET payment: %d %s", res.Status, res.Raw)
	}
	return view(e.T, res)
}

// waitStatus waits for the payment's status.
func (e *env) waitStatus(id, status string) payment.View {
	e.T.Helper()
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == status })
	return e.payment(id)
}

// settle advances the clock to every due time of the given jobs until
// none of them is due before limit, waiting for each step.
func (e *env) settle(ids ...string) {
	e.T.Helper()
	e.Advance(0) // a create's last write lands first (it moves the follower's due time)
	for range 40 {
		var next time.Time
		var nid string
		var v int64
		for _, id := range ids {
			j, err := e.First().Store.Get(context.Background(), "acme", id)
			if err != nil || j.Final || j.DueAt.IsZero() {
				continue
			}
			if next.IsZero() || j.DueAt.Before(next) {
				next, nid, v = j.DueAt, id, j.Version
			}
		}
		if next.IsZero() {
			return
		}
		if d := next.Sub(e.Clock.Now()); d > 0 {
			e.Advance(d)
		} else {
			e.Advance(0)
		}
		e.WaitFor("acme", nid, func(j store.Job) bool { return j.Version > v })
	}
	e.T.Fatalf("jobs %v did not settle", ids)
}

// bcRecord is the payment's row in the BC simulator's vippsPayments.
func (e *env) bcRecord(ref string) map[string]any {
	for _, r := range e.BC.Sim.Entities(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity) {
		if r["reference"] == ref {
			return r
		}
	}
	return nil
}

// outboxID mirrors the package's outbox naming for waiting on BC writes.
func outboxID(paymentID string) string { return "bcp_" + strings.TrimPrefix(paymentID, "pay_") }

func followerID(paymentID string) string { return "pfo_" + strings.TrimPrefix(paymentID, "pay_") }

// checkBC waits until BC's vippsPayments row of the payment equals the
// connector's view.
func (e *env) checkBC(v payment.View) {
	e.T.Helper()
	changes := func() int64 {
		var s struct {
			Changes int64 `json:"changes"`
		}
		_ = json.Unmarshal(e.Job("acme", v.ID).State, &s)
		return s.Changes
	}
	// The outbox has written the payment's latest change (it is made due
	// just after each change is stored, so wait for it, not for idle).
	e.WaitFor("acme", outboxID(v.ID), func(j store.Job) bool {
		var o struct {
			Synced int64 `json:"synced"`
		}
		_ = json.Unmarshal(j.State, &o)
		if o.Synced < changes() && !j.DueAt.IsZero() && j.DueAt.After(e.Clock.Now()) {
			e.Advance(j.DueAt.Sub(e.Clock.Now()))
		}
		return o.Synced >= changes() && (j.DueAt.IsZero() || j.Final)
	})
	cur := e.payment(v.ID)
	rec := e.bcRecord(cur.Reference)
	if rec == nil {
		e.T.Fatalf("BC has no vippsPayments row for %s", cur.Reference)
	}
	want := map[string]any{
		"paymentId": cur.ID, "salesUnit": cur.SalesUnit, "status": cur.Status, "currency": cur.Currency,
		"amount": float64(cur.Amount), "authorizedAmount": float64(cur.AuthorizedAmount), "capturedAmount": float64(cur.CapturedAmount),
		"refundedAmount": float64(cur.RefundedAmount), "cancelledAmount": float64(cur.CancelledAmount),
	}
	for k, w := range want {
		if rec[k] != w {
			e.T.Errorf("BC vippsPayments %s.%s = %v, connector says %v", cur.Reference, k, rec[k], w)
		}
	}
}

// createDirect creates the payment ref at the simulator as the connector
// would (same body, the follower's key), bypassing the connector.
func createDirect(e *env, ref string) error {
	e.T.Helper()
	c, err := vippsClient(e)
	if err != nil {
		return err
	}
	_, err = c.EPayment.Create(context.Background(), "direct-"+ref, vipps.CreatePaymentRequest{
		Amount: vipps.Amount{Currency: "NOK", Value: 10000}, Customer: &vipps.Customer{PhoneNumber: vippstest.PersonaApprove},
		CustomerInteraction: "CUSTOMER_PRESENT", PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
		Reference: ref, UserFlow: "PUSH_MESSAGE", PaymentDescription: "Kasse 3",
	})
	return err
}

func vippsClient(e *env) (*vipps.Client, error) {
	return vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: e.Vipps.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey},
		vipps.WithClock(e.Clock), vipps.WithRetryPolicy(vipps.RetryPolicy{MaxAttempts: 1}))
}
