package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
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
	t     *testing.T
	clock *clockwork.FakeClock
	vipps *vippstest.Server
	bc    *bctest.Servers
	cfg   *config.Config
	front *httptest.Server
	cur   atomic.Pointer[running]
	logs  *syncBuffer

	// calls counts Vipps requests by "METHOD path".
	callsMu sync.Mutex
	calls   map[string]int

	mu   sync.Mutex
	svcs []*running
	// paid are the payments made with pay: at the end of every test BC's
	// vippsPayments must equal the connector's view of each.
	paid []string
}

type running struct {
	svc    *connector.Service
	api    http.Handler
	st     store.Store
	cancel context.CancelFunc
	done   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type envOptions struct {
	webhooks bool
	driver   string
	dsn      string
}

type envOption func(*envOptions)

// withoutWebhooks leaves server.publicBaseURL empty: payments are polled.
func withoutWebhooks() envOption { return func(o *envOptions) { o.webhooks = false } }

func withPostgres(dsn string) envOption {
	return func(o *envOptions) { o.driver, o.dsn = "postgres", dsn }
}

func specDir() string { return filepath.Join("..", "..", "..", "shared", "specs", "vipps") }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	o := envOptions{webhooks: true, driver: "sqlite", dsn: "file:" + filepath.Join(t.TempDir(), "bcvipps.db")}
	for _, opt := range opts {
		opt(&o)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	e := &env{t: t, clock: clock, logs: &syncBuffer{}, calls: map[string]int{}}
	vopts := []vippstest.Option{vippstest.WithClock(clock), vippstest.WithRequestObserver(func(r *http.Request) {
		e.callsMu.Lock()
		e.calls[r.Method+" "+r.URL.Path]++
		e.callsMu.Unlock()
	})}
	if opt, ok := vippstest.SpecValidationIfPresent(specDir()); ok {
		vopts = append(vopts, opt)
	}
	e.vipps = vippstest.Start(t, vopts...)
	e.bc = bctest.Start(t, bctest.WithClock(clock))
	e.bc.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
	e.front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cur := e.cur.Load(); cur != nil {
			cur.api.ServeHTTP(w, r)
			return
		}
		http.Error(w, "no connector running", http.StatusBadGateway)
	}))
	t.Cleanup(e.front.Close)
	public := ""
	if o.webhooks {
		public = e.front.URL
	}
	e.cfg = testConfig(t, e.vipps.URL, e.bc, o.driver, o.dsn, public)
	{
		e.start("a")
		if o.webhooks {
			// Payments made before the secret is stored get their first
			// deliveries refused (Vipps retries them later): wait for it.
			e.secret()
		}
	}
	t.Cleanup(e.stopAll)
	t.Cleanup(func() {
		e.mu.Lock()
		ids, running := append([]string(nil), e.paid...), len(e.svcs) > 0
		e.mu.Unlock()
		if t.Failed() || !running {
			return
		}
		for _, id := range ids {
			e.checkBC(e.payment(id))
		}
	})
	return e
}

func testConfig(t *testing.T, vippsURL string, bcs *bctest.Servers, driver, dsn, public string) *config.Config {
	t.Helper()
	np := bcs.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + strings.ReplaceAll(bctest.DemoCompanyName, " ", "%20")
	doc := fmt.Sprintf(`
server: {publicBaseURL: "%s"}
store: {driver: %s, dsn: "%s"}
log: {level: debug}
worker: {pollBatch: 50, concurrency: 4, leaseDuration: 30s, applyDeadline: 1h, retryBackoffMax: 1m}
login: {defaultExpiry: 5m}
tenants:
  - id: acme
    apiKeys: [{id: test, sha256: %s}]
    businessCentral:
      baseURL: %s/v2.0
      tenantId: %s
      environment: %s
      companyId: %s
      auth: {method: clientSecret, clientId: %s, clientSecret: %s, authorityHost: %s}
    npRetail: {baseURL: "%s", apiKey: %s}
    vipps:
      environment: test
      baseURL: %s
      system: {name: bcvipps-test, version: "1.0.0"}
      salesUnits: [{msn: "%s", clientId: %s, clientSecret: %s, subscriptionKey: %s}]
    mapping: {implicitPhonePrefix: "+47"}
`, public, driver, dsn, connector.HashAPIKey(apiKey), bcs.BCURL, bctest.DemoTenantID, bctest.DemoEnvironment, bctest.DemoCompanyID,
		bctest.DemoClientID, bctest.DemoClientSecret, bcs.AuthorityURL, np, bctest.DemoNPRetailAPIKey,
		vippsURL, vippstest.DefaultMSN, vippstest.DefaultClientID, vippstest.DefaultClientSecret, vippstest.DefaultSubscriptionKey)
	cfg, err := config.LoadFromBytes([]byte(doc))
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

// start runs a connector instance on its own store handle and makes it
// the one behind the front URL.
func (e *env) start(instance string) *running {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.cfg.Store.Driver, e.cfg.Store.DSN, store.WithClock(e.clock))
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	log := connector.NewLogger(e.logs, config.Log{Level: "debug", Format: "json"})
	svc, err := connector.New(e.cfg, connector.WithClock(e.clock), connector.WithLogger(log.With("instance", instance)), connector.WithStore(st),
		connector.WithInstanceID(instance), connector.WithHTTPClient(e.bc.HTTPClient()), connector.WithoutClientRetries())
	if err != nil {
		e.t.Fatalf("new service: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, api: svc.APIHandler(), st: st, cancel: cancel, done: make(chan struct{})}
	e.cur.Store(r)
	go func() {
		defer close(r.done)
		_ = svc.Run(ctx)
	}()
	e.mu.Lock()
	e.svcs = append(e.svcs, r)
	e.mu.Unlock()
	return r
}

// stop ends an instance as a crash would: the workers stop and nothing is
// cleaned up.
func (e *env) stop(r *running) {
	r.cancel()
	<-r.done
	_ = r.svc.Close()
	_ = r.st.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, x := range e.svcs {
		if x == r {
			e.svcs = append(e.svcs[:i], e.svcs[i+1:]...)
			break
		}
	}
	if e.cur.Load() == r {
		e.cur.Store(nil)
		if len(e.svcs) > 0 {
			e.cur.Store(e.svcs[0])
		}
	}
}

func (e *env) stopAll() {
	e.mu.Lock()
	svcs := append([]*running(nil), e.svcs...)
	e.mu.Unlock()
	for _, r := range svcs {
		e.stop(r)
	}
}

func (e *env) first() *running {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.svcs[0]
}

// advance moves the fake clock and wakes every engine.
func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.svcs {
		r.svc.Wake()
	}
}

func (e *env) vippsCalls(method, path string) int {
	e.callsMu.Lock()
	defer e.callsMu.Unlock()
	return e.calls[method+" "+path]
}

type apiResponse struct {
	Status int
	Body   map[string]any
	Raw    []byte
}

func (r apiResponse) view(t *testing.T) payment.View {
	t.Helper()
	var v payment.View
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		t.Fatalf("decode payment: %v: %s", err, r.Raw)
	}
	return v
}

// do calls the API through the front URL. headers are name, value pairs.
func (e *env) do(method, path string, body any, headers ...string) apiResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			raw, _ := json.Marshal(b)
			rd = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequest(method, e.front.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := apiResponse{Status: res.StatusCode, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// pay creates a payment and expects 201.
func (e *env) pay(key string, body map[string]any) payment.View {
	e.t.Helper()
	res := e.do(http.MethodPost, "/v1/payments", body, "Idempotency-Key", key)
	if res.Status != http.StatusCreated {
		e.t.Fatalf("POST /v1/payments: %d %s", res.Status, res.Raw)
	}
	v := res.view(e.t)
	e.mu.Lock()
	e.paid = append(e.paid, v.ID)
	e.mu.Unlock()
	return v
}

func payBody(phone string, amount int64) map[string]any {
	return map[string]any{"amount": amount, "currency": "NOK", "phoneNumber": phone, "description": "Kasse 3"}
}

// operate posts a capture, refund or cancel.
func (e *env) operate(id, op, key string, body map[string]any) apiResponse {
	e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	return e.do(http.MethodPost, "/v1/payments/"+id+"/"+op, body, "Idempotency-Key", key)
}

// row reads a job straight from the store.
func (e *env) row(id string) store.Job {
	e.t.Helper()
	j, err := e.first().st.Get(context.Background(), "acme", id)
	if err != nil {
		e.t.Fatalf("store get %s: %v", id, err)
	}
	return j
}

// payment reads the payment as the API shows it.
func (e *env) payment(id string) payment.View {
	e.t.Helper()
	res := e.do(http.MethodGet, "/v1/payments/"+id, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("GET payment: %d %s", res.Status, res.Raw)
	}
	return res.view(e.t)
}

// waitFor blocks until cond holds for the stored job id, driven by the
// store's change feed (no sleeping).
func (e *env) waitFor(id string, cond func(store.Job) bool) store.Job {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed, err := e.first().st.Subscribe(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for {
		j, err := e.first().st.Get(ctx, "acme", id)
		if err == nil && cond(j) {
			return j
		}
		select {
		case <-feed:
		case <-ctx.Done():
			e.t.Fatalf("job %s: condition not reached (last %s)\nlogs:\n%s", id, j.Status, e.tail())
		}
	}
}

// waitStatus waits for the payment's status.
func (e *env) waitStatus(id, status string) payment.View {
	e.t.Helper()
	e.waitFor(id, func(j store.Job) bool { return j.Status == status })
	return e.payment(id)
}

// settle advances the clock to every due time of the given jobs until
// none of them is due before limit, waiting for each step.
func (e *env) settle(ids ...string) {
	e.t.Helper()
	for range 40 {
		var next time.Time
		var nid string
		var v int64
		for _, id := range ids {
			j, err := e.first().st.Get(context.Background(), "acme", id)
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
		if d := next.Sub(e.clock.Now()); d > 0 {
			e.advance(d)
		} else {
			e.advance(0)
		}
		e.waitFor(nid, func(j store.Job) bool { return j.Version > v })
	}
	e.t.Fatalf("jobs %v did not settle", ids)
}

func (e *env) tail() string {
	s := e.logs.String()
	if len(s) > 6000 {
		s = s[len(s)-6000:]
	}
	return s
}

// bcRecord is the payment's row in the BC simulator's vippsPayments.
func (e *env) bcRecord(ref string) map[string]any {
	for _, r := range e.bc.Sim.Entities(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity) {
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
	e.t.Helper()
	changes := func() int64 {
		var s struct {
			Changes int64 `json:"changes"`
		}
		_ = json.Unmarshal(e.row(v.ID).State, &s)
		return s.Changes
	}
	// The outbox has written the payment's latest change (it is made due
	// just after each change is stored, so wait for it, not for idle).
	e.waitFor(outboxID(v.ID), func(j store.Job) bool {
		var o struct {
			Synced int64 `json:"synced"`
		}
		_ = json.Unmarshal(j.State, &o)
		if o.Synced < changes() && !j.DueAt.IsZero() && j.DueAt.After(e.clock.Now()) {
			e.advance(j.DueAt.Sub(e.clock.Now()))
		}
		return o.Synced >= changes() && (j.DueAt.IsZero() || j.Final)
	})
	cur := e.payment(v.ID)
	rec := e.bcRecord(cur.Reference)
	if rec == nil {
		e.t.Fatalf("BC has no vippsPayments row for %s", cur.Reference)
	}
	want := map[string]any{
		"paymentId": cur.ID, "salesUnit": cur.SalesUnit, "status": cur.Status, "currency": cur.Currency,
		"amount": float64(cur.Amount), "authorizedAmount": float64(cur.AuthorizedAmount), "capturedAmount": float64(cur.CapturedAmount),
		"refundedAmount": float64(cur.RefundedAmount), "cancelledAmount": float64(cur.CancelledAmount),
	}
	for k, w := range want {
		if rec[k] != w {
			e.t.Errorf("BC vippsPayments %s.%s = %v, connector says %v", cur.Reference, k, rec[k], w)
		}
	}
}

// createDirect creates the payment ref at the simulator as the connector
// would (same body, the follower's key), bypassing the connector.
func createDirect(e *env, ref string) error {
	e.t.Helper()
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
	return vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: e.vipps.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey},
		vipps.WithClock(e.clock), vipps.WithRetryPolicy(vipps.RetryPolicy{MaxAttempts: 1}))
}
