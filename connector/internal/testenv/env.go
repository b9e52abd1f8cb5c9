package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// Env is one connector process (or several, sharing the store) against
// the simulators, all on one fake clock.
type Env struct {
	T     *testing.T
	Clock *clockwork.FakeClock
	Vipps *vippstest.Server
	BC    *bctest.Servers
	// Cfg is the configuration of the instances Start starts from now on.
	Cfg  *config.Config
	Logs *SyncBuffer
	// Front is the stable URL in front of the instances (Options.Front),
	// else nil.
	Front *httptest.Server

	cur atomic.Pointer[Running] // the instance behind Front

	mu        sync.Mutex
	instances []*Running
}

// Running is one started connector instance.
type Running struct {
	Svc   *connector.Service
	Store store.Store
	// API serves the instance's API on a listener of its own.
	API *httptest.Server

	handler http.Handler
	cancel  context.CancelFunc
	done    chan struct{}
}

// SyncBuffer is a log sink safe for concurrent writes.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// New starts the simulators on a fake clock and, unless o.NotStarted, the
// instance "a". Everything stops when the test ends.
func New(t *testing.T, o Options, opts ...Option) *Env {
	t.Helper()
	for _, opt := range opts {
		opt(&o)
	}
	if o.DSN == "" {
		o.Driver, o.DSN = "sqlite", "file:"+filepath.Join(t.TempDir(), "bcvipps.db")
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	e := &Env{T: t, Clock: clock, Logs: &SyncBuffer{}}
	vopts := []vippstest.Option{vippstest.WithClock(clock)}
	vopts = append(vopts, o.VippsOptions...)
	if o.ObserveVipps != nil {
		vopts = append(vopts, vippstest.WithRequestObserver(o.ObserveVipps))
	}
	if opt, ok := vippstest.SpecValidationIfPresent(specDir()); ok {
		vopts = append(vopts, opt)
	}
	e.Vipps = vippstest.Start(t, vopts...)
	e.BC = bctest.Start(t, bctest.WithClock(clock))
	if o.Prepare != nil {
		o.Prepare(e.Vipps, e.BC)
	}
	public := ""
	if o.Front {
		e.Front = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if cur := e.cur.Load(); cur != nil {
				cur.handler.ServeHTTP(w, r)
				return
			}
			http.Error(w, "no connector running", http.StatusBadGateway)
		}))
		t.Cleanup(e.Front.Close)
		if o.Public {
			public = e.Front.URL
		}
	}
	e.Cfg = o.config(t, e.Vipps.URL, e.BC, o.Driver, o.DSN, public)
	if !o.NotStarted {
		e.Start("a")
	}
	t.Cleanup(e.StopAll)
	return e
}

// Start runs a connector instance on its own store handle (as a separate
// process would) and puts it behind the front.
func (e *Env) Start(instance string) *Running {
	e.T.Helper()
	return e.StartWith(instance, e.BC.HTTPClient())
}

// StartWith starts an instance whose outbound calls go through hc.
func (e *Env) StartWith(instance string, hc *http.Client) *Running {
	e.T.Helper()
	st, err := store.Open(context.Background(), e.Cfg.Store.Driver, e.Cfg.Store.DSN, store.WithClock(e.Clock))
	if err != nil {
		e.T.Fatalf("open store: %v", err)
	}
	log := connector.NewLogger(e.Logs, config.Log{Level: "debug", Format: "json"})
	svc, err := connector.New(e.Cfg, connector.WithClock(e.Clock), connector.WithLogger(log.With("instance", instance)), connector.WithStore(st),
		connector.WithInstanceID(instance), connector.WithHTTPClient(hc), connector.WithoutClientRetries())
	if err != nil {
		e.T.Fatalf("new service: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := svc.APIHandler()
	r := &Running{Svc: svc, Store: st, API: httptest.NewServer(h), handler: h, cancel: cancel, done: make(chan struct{})}
	e.cur.Store(r)
	go func() {
		defer close(r.done)
		_ = svc.Run(ctx)
	}()
	e.mu.Lock()
	e.instances = append(e.instances, r)
	e.mu.Unlock()
	return r
}

// Stop ends an instance the way a crash would leave the database: the
// workers stop, and nothing else is cleaned up. The front turns to the
// first instance still running.
func (e *Env) Stop(r *Running) {
	r.cancel()
	<-r.done
	r.API.Close()
	_ = r.Svc.Close()
	_ = r.Store.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, x := range e.instances {
		if x == r {
			e.instances = append(e.instances[:i], e.instances[i+1:]...)
			break
		}
	}
	if e.cur.Load() == r {
		e.cur.Store(nil)
		if len(e.instances) > 0 {
			e.cur.Store(e.instances[0])
		}
	}
}

// StopAll stops every running instance.
func (e *Env) StopAll() {
	for _, r := range e.Instances() {
		e.Stop(r)
	}
}

// Instances are the running instances, the first started first.
func (e *Env) Instances() []*Running {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Running(nil), e.instances...)
}

// First is the running instance started first.
func (e *Env) First() *Running {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.instances[0]
}

// Advance moves the fake clock and wakes every instance's scheduler.
func (e *Env) Advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	// What a request left to finish after its answer lands first: in
	// production it does within milliseconds, long before a due time.
	for _, r := range e.instances {
		r.Svc.Settle()
	}
	e.Clock.Advance(d)
	for _, r := range e.instances {
		r.Svc.Wake()
	}
}

// Response is an API answer; Body is Raw decoded when it is a JSON object.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Do calls the API, through the front when there is one, else on the
// first instance. A body that is not a string is sent as JSON; key, when
// set, is the bearer token; headers are name, value pairs.
func (e *Env) Do(method, path, key string, body any, headers ...string) Response {
	e.T.Helper()
	return e.doAt(e.apiURL(), method, path, key, body, headers...)
}

// DoOn is Do on instance r, past the front (another replica behind the
// same load balancer).
func (e *Env) DoOn(r *Running, method, path, key string, body any, headers ...string) Response {
	e.T.Helper()
	return e.doAt(r.API.URL, method, path, key, body, headers...)
}

func (e *Env) doAt(base, method, path, key string, body any, headers ...string) Response {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			raw, err := json.Marshal(b)
			if err != nil {
				e.T.Fatalf("marshal body: %v", err)
			}
			rd = bytes.NewReader(raw)
		}
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// apiURL is where Do sends its calls.
func (e *Env) apiURL() string {
	if e.Front != nil {
		return e.Front.URL
	}
	return e.First().API.URL
}

// Job reads a job straight from the store.
func (e *Env) Job(tenant, id string) store.Job {
	e.T.Helper()
	j, err := e.First().Store.Get(context.Background(), tenant, id)
	if err != nil {
		e.T.Fatalf("store get %s: %v", id, err)
	}
	return j
}

// WaitFor blocks until cond holds for the stored job (see WaitJob) and
// fails the test with the end of the logs if it never does.
func (e *Env) WaitFor(tenant, id string, cond func(store.Job) bool) store.Job {
	e.T.Helper()
	j, err := WaitJob(e.First().Store, tenant, id, cond)
	if err != nil {
		e.T.Fatalf("job %s: %v (last status %q)\nlogs:\n%s", id, err, j.Status, e.logTail())
	}
	return j
}

// Drive moves the clock to the job's due time, waits for the step that
// runs then, and repeats, at most steps times, until the job is final or
// no longer due; it returns the job as it was last read.
func (e *Env) Drive(tenant, id string, steps int) store.Job {
	e.T.Helper()
	j := e.Job(tenant, id)
	for range steps {
		if j.Final || j.DueAt.IsZero() {
			break
		}
		e.Advance(max(j.DueAt.Sub(e.Clock.Now()), 0))
		v := j.Version
		j = e.WaitFor(tenant, id, func(j store.Job) bool { return j.Version > v || j.Final })
	}
	return j
}

// WaitJob blocks until cond holds for the job, driven by the store's
// change feed (no sleeping): it reads the job again after each change. A
// job not stored yet is waited for. After 20 s it gives up with the last
// job it read.
func WaitJob(st store.Store, tenant, id string, cond func(store.Job) bool) (store.Job, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed, err := st.Subscribe(ctx)
	if err != nil {
		return store.Job{}, err
	}
	for {
		j, err := st.Get(ctx, tenant, id)
		if err == nil && cond(j) {
			return j, nil
		}
		select {
		case <-feed:
		case <-ctx.Done():
			if err != nil {
				return j, errors.New("condition not reached; last read: " + err.Error())
			}
			return j, errors.New("condition not reached")
		}
	}
}

// logTail is the end of the logs, for a failure message.
func (e *Env) logTail() string {
	s := e.Logs.String()
	if len(s) > 6000 {
		s = s[len(s)-6000:]
	}
	return s
}

// Metric is the value of series (its name and labels exactly as
// /metrics prints them, e.g. `x_total{tenant="acme"}`) on the first
// instance's admin listener, or "" when it is not there.
func (e *Env) Metric(series string) string {
	e.T.Helper()
	rec := httptest.NewRecorder()
	e.First().Svc.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		e.T.Fatalf("/metrics: %d", rec.Code)
	}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}
