package login_test

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
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// Test API keys of the two tenants.
const (
	keyAcme  = "acme-test-key-1"
	keyOther = "other-test-key-1"
)

// env is one connector process (or several) against the simulators, all on
// one fake clock.
type env struct {
	t     *testing.T
	clock *clockwork.FakeClock
	vipps *vippstest.Server
	bc    *bctest.Servers
	cfg   *config.Config
	dsn   string
	logs  *syncBuffer

	mu   sync.Mutex
	svcs []*running
}

// running is one started Service.
type running struct {
	svc    *connector.Service
	api    *httptest.Server
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

// specDir is the folder of the official Vipps OpenAPI files (../shared
// beside the repository).
func specDir() string { return filepath.Join("..", "..", "..", "shared", "specs", "vipps") }

func testConfig(t *testing.T, vippsURL string, bcs *bctest.Servers, driver, dsn string) *config.Config {
	t.Helper()
	np := bcs.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + strings.ReplaceAll(bctest.DemoCompanyName, " ", "%20")
	tenant := func(id, key string) string {
		return fmt.Sprintf(`
  - id: %s
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
    mapping: {implicitPhonePrefix: "+47"}`,
			id, connector.HashAPIKey(key), bcs.BCURL, bctest.DemoTenantID, bctest.DemoEnvironment, bctest.DemoCompanyID,
			bctest.DemoClientID, bctest.DemoClientSecret, bcs.AuthorityURL, np, bctest.DemoNPRetailAPIKey,
			vippsURL, vippstest.DefaultMSN, vippstest.DefaultClientID, vippstest.DefaultClientSecret, vippstest.DefaultSubscriptionKey)
	}
	doc := fmt.Sprintf(`
store: {driver: %s, dsn: "%s"}
log: {level: debug}
worker: {pollBatch: 50, concurrency: 4, leaseDuration: 30s, applyDeadline: 1h, retryBackoffMax: 1m}
login: {defaultExpiry: 5m, bindingMessage: true}
tenants:%s%s
`, driver, dsn, tenant("acme", keyAcme), tenant("other", keyOther))
	cfg, err := config.LoadFromBytes([]byte(doc))
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

type envOption func(*envOptions)

type envOptions struct {
	driver, dsn string
	noStart     bool
}

func withPostgres(dsn string) envOption {
	return func(o *envOptions) { o.driver, o.dsn = "postgres", dsn }
}

func notStarted() envOption { return func(o *envOptions) { o.noStart = true } }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	o := envOptions{driver: "sqlite", dsn: "file:" + filepath.Join(t.TempDir(), "bcvipps.db")}
	for _, opt := range opts {
		opt(&o)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	vopts := []vippstest.Option{vippstest.WithClock(clock)}
	if opt, ok := vippstest.SpecValidationIfPresent(specDir()); ok {
		vopts = append(vopts, opt)
	}
	e := &env{t: t, clock: clock, vipps: vippstest.Start(t, vopts...), bc: bctest.Start(t, bctest.WithClock(clock)), logs: &syncBuffer{}}
	e.cfg = testConfig(t, e.vipps.URL, e.bc, o.driver, o.dsn)
	e.dsn = o.dsn
	if !o.noStart {
		e.start("a")
	}
	t.Cleanup(e.stopAll)
	return e
}

// start runs a connector instance on its own store handle (as a separate
// process would).
func (e *env) start(instance string) *running {
	return e.startWith(instance, e.bc.HTTPClient())
}

// startWith starts an instance whose outbound calls go through hc.
func (e *env) startWith(instance string, hc *http.Client) *running {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.cfg.Store.Driver, e.cfg.Store.DSN, store.WithClock(e.clock))
	if err != nil {
		e.t.Fatalf("open store: %v", err)
	}
	log := connector.NewLogger(e.logs, config.Log{Level: "debug", Format: "json"})
	svc, err := connector.New(e.cfg, connector.WithClock(e.clock), connector.WithLogger(log.With("instance", instance)), connector.WithStore(st),
		connector.WithInstanceID(instance), connector.WithHTTPClient(hc), connector.WithoutClientRetries())
	if err != nil {
		e.t.Fatalf("new service: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, api: httptest.NewServer(svc.APIHandler()), st: st, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_ = svc.Run(ctx)
	}()
	e.mu.Lock()
	e.svcs = append(e.svcs, r)
	e.mu.Unlock()
	return r
}

// stop ends an instance the way a crash would leave the database: the
// workers stop, and nothing else is cleaned up.
func (e *env) stop(r *running) {
	r.cancel()
	<-r.done
	r.api.Close()
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

// advance moves the fake clock and wakes every scheduler.
func (e *env) advance(d time.Duration) {
	e.clock.Advance(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.svcs {
		r.svc.Wake()
	}
}

type apiResponse struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (e *env) do(method, path, key string, body any, headers ...string) apiResponse {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			rd = bytes.NewReader(login.MustJSON(b))
		}
	}
	req, err := http.NewRequest(method, e.first().api.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: 20 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := apiResponse{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// create posts a request and expects 202.
func (e *env) create(route, key string, body map[string]any) string {
	e.t.Helper()
	res := e.do(http.MethodPost, route, key, body)
	if res.Status != http.StatusAccepted {
		e.t.Fatalf("POST %s: status %d, body %s", route, res.Status, res.Raw)
	}
	id, _ := res.Body["id"].(string)
	if id == "" || res.Body["status"] != "pending" {
		e.t.Fatalf("POST %s: unexpected body %s", route, res.Raw)
	}
	return id
}

// await long-polls the request until its status is want. The long-poll
// returns when the status changes, so nothing sleeps.
func (e *env) await(route, key, id, want string) apiResponse {
	e.t.Helper()
	for range 10 {
		res := e.do(http.MethodGet, route+"/"+id+"?wait=60", key, nil)
		if res.Status != http.StatusOK {
			e.t.Fatalf("GET %s: status %d %s", id, res.Status, res.Raw)
		}
		if res.Body["status"] == want {
			return res
		}
		if s, _ := res.Body["status"].(string); login.Final(s) {
			e.t.Fatalf("request %s ended %s, want %s: %s", id, s, want, res.Raw)
		}
	}
	e.t.Fatalf("request %s never reached %s", id, want)
	return apiResponse{}
}

// row reads a request straight from the store.
func (e *env) row(tenant, id string) login.Request {
	e.t.Helper()
	j, err := e.first().st.Get(context.Background(), tenant, id)
	if err != nil {
		e.t.Fatalf("store get %s: %v", id, err)
	}
	return login.ToRequest(j)
}

// waitRow blocks until the stored row satisfies ok, driven by the store's
// change feed (no sleeping).
func (e *env) waitRow(tenant, id string, ok func(login.Request) bool) login.Request {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed, err := e.first().st.Subscribe(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for {
		r := e.row(tenant, id)
		if ok(r) {
			return r
		}
		select {
		case <-feed:
		case <-ctx.Done():
			e.t.Fatalf("request %s: condition not reached; last %+v", id, r.Status)
		}
	}
}

// drive advances the fake clock to each due time of the request until it
// reaches a final status, waiting for the scheduler's step each time.
func (e *env) drive(tenant, id string) login.Request {
	e.t.Helper()
	for range 50 {
		r := e.row(tenant, id)
		if r.Final {
			return r
		}
		if d := r.DueAt.Sub(e.clock.Now()); d > 0 {
			e.advance(d + time.Millisecond)
		} else {
			e.advance(0)
		}
		v := r.Version
		e.waitRow(tenant, id, func(x login.Request) bool { return x.Version > v })
	}
	e.t.Fatalf("request %s did not finish", id)
	return login.Request{}
}

func (e *env) customer(id string) map[string]any {
	e.t.Helper()
	c, ok := e.bc.Sim.Customer(bctest.DemoCompanyID, id)
	if !ok {
		e.t.Fatalf("customer %s missing", id)
	}
	var m map[string]any
	_ = json.Unmarshal(login.MustJSON(c), &m)
	return m
}

func startHTTP(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}
