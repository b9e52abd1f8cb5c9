package connector

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/club"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// SandboxAPIKey is the fixed API key of the offline sandbox. It is accepted
// only with WithSandbox and only for tenants on the Vipps test environment.
const SandboxAPIKey = "sandbox"

// Service is the connector: the HTTP API, the scheduler that polls Vipps
// and writes to BC, and housekeeping. Build it with New, serve APIHandler
// and AdminHandler, and call Run for the workers.
type Service struct {
	cfg      *config.Config
	clock    clockwork.Clock
	log      *slog.Logger
	store    store.Store
	ownStore bool
	http     *http.Client
	instance string
	keys     api.Keys
	metrics  *metrics
	engine   *work.Engine
	tenants  map[string]*tenants.Tenant
	logins   *login.Flows
	payments *payment.Payments
	club     *club.Club
	recon    *reconcile.Reconciler
	ready    bool

	// shutdown ends long-polls when Run's context ends.
	shutdown     chan struct{}
	shutdownOnce sync.Once
	openapiJSON  []byte
}

// Option configures New.
type Option func(*options)

type options struct {
	clock    clockwork.Clock
	log      *slog.Logger
	store    store.Store
	instance string
	sandbox  bool
	http     *http.Client
	noRetry  bool
}

// WithClock sets the clock for every time-dependent decision (default: the
// real clock).
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithStore uses s instead of opening cfg.Store; Close then leaves it open.
func WithStore(s store.Store) Option { return func(o *options) { o.store = s } }

// WithInstanceID names this process in leases (default: host name plus a
// random suffix).
func WithInstanceID(id string) Option { return func(o *options) { o.instance = id } }

// WithSandbox accepts the fixed SandboxAPIKey for tenants on the Vipps test
// environment.
func WithSandbox() Option { return func(o *options) { o.sandbox = true } }

// WithHTTPClient sets the client for outbound calls (default: one built
// from cfg.Upstream).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.http = c } }

// WithoutClientRetries turns off the retries inside each upstream call
// (the Vipps and BC clients' own backoff). The scheduler still retries every
// step durably. Tests on a fake clock use it, because an in-call backoff
// would wait for the fake clock inside a worker.
func WithoutClientRetries() Option { return func(o *options) { o.noRetry = true } }

// New validates cfg, opens the store (unless WithStore) and builds the
// clients of every tenant. Nothing is contacted yet.
func New(cfg *config.Config, opts ...Option) (*Service, error) {
	if cfg == nil {
		return nil, errors.New("connector: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{clock: clockwork.NewRealClock(), log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.instance == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.instance = host + "-" + hex.EncodeToString(b[:])
	}
	if o.http == nil {
		hc, err := UpstreamClient(cfg.Upstream)
		if err != nil {
			return nil, err
		}
		o.http = hc
	}
	s := &Service{
		cfg: cfg, clock: o.clock, log: o.log, instance: o.instance, keys: api.Keys{},
		metrics:  newMetrics(),
		shutdown: make(chan struct{}),
	}
	o.http = instrument(o.http, s.metrics)
	s.http = o.http
	sandboxHash := HashAPIKey(SandboxAPIKey)
	for _, tc := range cfg.Tenants {
		for _, k := range tc.APIKeys {
			h := strings.ToLower(k.SHA256)
			if h == sandboxHash && (!o.sandbox || tc.Vipps.Environment == config.VippsProduction) {
				return nil, fmt.Errorf("tenant %s: api key %s is the public sandbox key; make one with 'bcvipps apikey new'", tc.ID, k.ID)
			}
			s.keys[h] = tc.ID
		}
	}
	doc, err := api.OpenAPIJSON()
	if err != nil {
		return nil, err
	}
	s.openapiJSON = doc
	if o.store != nil {
		s.store = o.store
	} else {
		st, err := store.Open(context.Background(), cfg.Store.Driver, cfg.Store.DSN, store.WithClock(o.clock))
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		s.store, s.ownStore = st, true
	}
	s.engine = work.New(s.store, work.Config{
		Instance: s.instance, Concurrency: cfg.Worker.Concurrency, Batch: cfg.Worker.PollBatch,
		Lease: cfg.Worker.LeaseDuration, StepTimeout: cfg.Worker.StepTimeout, ShutdownGrace: shutdownGrace(cfg.Server.ShutdownTimeout),
		DeliveredKeep: cfg.Retention.Profile, UndeliveredKeep: 24 * time.Hour, FinishedKeep: cfg.Retention.Requests,
	}, o.clock, o.log, s.metrics.registry)
	s.tenants, err = tenants.Build(cfg, tenants.Deps{HTTP: o.http, Clock: o.clock, Log: o.log, NoRetry: o.noRetry})
	if err == nil {
		s.logins, err = login.New(login.Deps{
			Config: cfg, Clock: o.clock, Log: o.log, Engine: s.engine, Metrics: s.metrics.login,
			Tenants: s.tenants, Shutdown: s.shutdown,
		})
	}
	if err == nil {
		s.payments = payment.New(payment.Deps{
			Config: cfg, Clock: o.clock, Log: o.log, Engine: s.engine, Tenants: s.tenants,
			Metrics: s.metrics.payment, Shutdown: s.shutdown, Pinger: s.logins,
		})
		s.club = club.New(s.tenants, o.log, s.metrics.club, s.engine, o.clock)
		s.recon, err = reconcile.New(reconcile.Deps{
			Config: cfg, Clock: o.clock, Log: o.log, Engine: s.engine, Tenants: s.tenants, Payments: s.payments,
			Metrics: s.metrics.reconcile, Shutdown: s.shutdown,
		})
	}
	if err != nil {
		if s.ownStore {
			_ = s.store.Close()
		}
		return nil, err
	}
	s.ready = true
	return s, nil
}

// Settle waits for the work requests left running after their answer
// (the payment creates' last write).
func (s *Service) Settle() {
	if s.payments != nil {
		s.payments.Settle()
	}
}

// Close releases the store if New opened it.
func (s *Service) Close() error {
	s.endLongPolls()
	s.Settle()
	s.http.CloseIdleConnections()
	if s.ownStore {
		return s.store.Close()
	}
	return nil
}

func (s *Service) endLongPolls() {
	s.shutdownOnce.Do(func() { close(s.shutdown) })
}

// UpstreamClient builds the outbound HTTP client: system roots plus
// cfg.CAFile, a per-attempt timeout and enough idle connections for
// thousands of polls.
func UpstreamClient(u config.Upstream) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 128
	tr.IdleConnTimeout = 90 * time.Second
	tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if u.CAFile != "" {
		pem, err := os.ReadFile(u.CAFile)
		if err != nil {
			return nil, fmt.Errorf("upstream.caFile: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("upstream.caFile: no PEM certificate in %s", u.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	timeout := u.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// NewLogger returns the JSON (or text) slog logger for c. A last line of
// defence drops attributes whose names suggest personal data or secrets;
// the code never logs those in the first place.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
	level := slog.LevelInfo
	switch c.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	ho := &slog.HandlerOptions{Level: level, ReplaceAttr: redactAttr}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, ho))
	}
	return slog.New(slog.NewJSONHandler(w, ho))
}

// HashAPIKey returns the hex SHA-256 of an API key, the form configured in
// tenants[].apiKeys[].sha256.
func HashAPIKey(key string) string { return api.HashAPIKey(key) }

// Engine is the service's work engine (for the job packages and tests).
func (s *Service) Engine() *work.Engine { return s.engine }

// Payments is the service's payments (J3), for tests that act as the
// reconciliation does.
func (s *Service) Payments() *payment.Payments { return s.payments }

// Reconciler is the service's reconciliation (J5), for starting a run from
// the command line.
func (s *Service) Reconciler() *reconcile.Reconciler { return s.recon }

// shutdownGrace is how long running steps may finish after shutdown began:
// the shutdown budget less the time a cancelled step needs to store its
// state (a save takes at most 5 s) and a margin, so that every step has
// stored its state before the process closes the store.
func shutdownGrace(budget time.Duration) time.Duration {
	return max(budget-6*time.Second, 0)
}
