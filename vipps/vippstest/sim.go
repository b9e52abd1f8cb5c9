package vippstest

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Default sales unit, always present in a new Sim.
const (
	DefaultMSN             = "123456"
	DefaultClientID        = "sim-client-id"
	DefaultClientSecret    = "sim-client-secret"
	DefaultSubscriptionKey = "sim-subscription-key"
)

// Option configures a Sim.
type Option func(*Sim)

// WithClock sets the clock used for every time-based behaviour: token and
// login expiry, approval delays, polling intervals, rate-limit windows,
// webhook retry backoff and ledger dates. The default is the real clock.
func WithClock(c clockwork.Clock) Option { return func(s *Sim) { s.clock = c } }

// WithSpecValidation validates every request and response against the
// official OpenAPI files in specDir. Violations are recorded (see
// SpecViolations), never fatal to the request. If the specs cannot be loaded
// the load error itself is recorded as a violation.
func WithSpecValidation(specDir string) Option {
	return func(s *Sim) { s.specDir = specDir }
}

// WithRequestObserver calls f with every request the simulator receives
// (control API included), before fault injection and the endpoint, on the
// request's goroutine. f must not read the body or keep r after it
// returns. Tests use it to record headers and arrival times.
func WithRequestObserver(f func(r *http.Request)) Option {
	return func(s *Sim) { s.observers = append(s.observers, f) }
}

// WithMerchantTimezone sets the time zone whose midnight closes a ledger
// date in the Report API (default Europe/Oslo).
func WithMerchantTimezone(loc *time.Location) Option { return func(s *Sim) { s.ledgerTZ = loc } }

// WithReportPageSize sets the number of entries per Report API page
// (default 1000, the documented maximum).
func WithReportPageSize(n int) Option { return func(s *Sim) { s.pageSize = n } }

// WithWebhookHTTPClient sets the HTTP client used for webhook deliveries
// (default: a client with a 10 s timeout).
func WithWebhookHTTPClient(c *http.Client) Option { return func(s *Sim) { s.hookClient = c } }

// Sim is the simulated Vipps MobilePay test environment. It implements
// http.Handler; use Start or NewServer to put it on a loopback port.
type Sim struct {
	clock      clockwork.Clock
	specDir    string
	ledgerTZ   *time.Location
	pageSize   int
	hookClient *http.Client
	observers  []func(*http.Request)

	mux   *http.ServeMux
	spec  *specValidator
	ctx   context.Context // cancelled by Close; stops webhook workers
	close context.CancelFunc
	wg    sync.WaitGroup

	mu             sync.Mutex
	salesUnits     map[string]SalesUnit // by client id
	partners       map[string]Partner   // by client id
	users          map[string]User      // by MSISDN
	tokens         map[string]*accessToken
	logins         map[string]*login   // by auth_req_id
	phoneLogins    map[string][]*login // each phone number's logins, oldest first
	loginTokens    map[string]*loginGrant
	profiles       map[string]profileShare // by msn+"/"+sub
	qrTokens       map[string]string       // tokenized QR token -> MSISDN
	payments       map[string]*payment     // by msn+"/"+reference
	idem           map[string]idemEntry
	rate           map[string][]time.Time
	hooks          map[string]*webhook // by id
	hookOrder      []string
	ledger         []ledgerEntry
	closedThrough  string                   // latest ledger date closed by CloseDay (YYYY-MM-DD), "" if none
	generated      map[string]*generatedDay // by msn+"/"+date
	checkIns       []CheckIn
	deliveries     []WebhookDelivery
	customerTokens map[string]customerToken
	opMu           sync.Mutex // serialises payment operations (idempotency)
	faults         []*faultState
	stats          Stats
	seq            int64
}

// New returns a Sim with the default sales unit and the built-in personas.
func New(opts ...Option) *Sim {
	s := &Sim{
		clock:          clockwork.NewRealClock(),
		pageSize:       1000,
		hookClient:     &http.Client{Timeout: 10 * time.Second},
		salesUnits:     map[string]SalesUnit{},
		partners:       map[string]Partner{},
		users:          map[string]User{},
		tokens:         map[string]*accessToken{},
		logins:         map[string]*login{},
		phoneLogins:    map[string][]*login{},
		loginTokens:    map[string]*loginGrant{},
		profiles:       map[string]profileShare{},
		qrTokens:       map[string]string{},
		customerTokens: map[string]customerToken{},
		payments:       map[string]*payment{},
		idem:           map[string]idemEntry{},
		rate:           map[string][]time.Time{},
		hooks:          map[string]*webhook{},
		stats:          Stats{Requests: map[string]int{}},
	}
	for _, o := range opts {
		o(s)
	}
	if s.ledgerTZ == nil {
		s.ledgerTZ = osloLocation()
	}
	if s.pageSize <= 0 {
		s.pageSize = 1000
	}
	s.ctx, s.close = context.WithCancel(context.Background())
	s.AddSalesUnit(SalesUnit{MSN: DefaultMSN, ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, SubscriptionKey: DefaultSubscriptionKey})
	for _, u := range builtinPersonas() {
		s.AddUser(u)
	}
	if s.specDir != "" {
		s.spec = newSpecValidator(s.specDir)
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Close stops background work (webhook deliveries in progress or waiting
// for their retry). The Sim still answers requests afterwards.
func (s *Sim) Close() {
	// Cancel under s.mu: enqueueWebhookLocked checks the context and adds
	// to the wait group under the same lock, so no worker starts after this.
	s.mu.Lock()
	s.close()
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Sim) routes() {
	m := s.mux
	// Access tokens.
	m.HandleFunc("POST /accesstoken/get", s.handleAccessToken)
	m.HandleFunc("POST /miami/v1/token", s.handleMiamiToken)
	// Login (CIBA) and userinfo.
	m.HandleFunc("GET /access-management-1.0/access/.well-known/openid-configuration", s.handleDiscovery)
	m.HandleFunc("GET /access-management-1.0/access/.well-known/jwks.json", s.handleJWKS)
	m.HandleFunc("POST /vipps-login-ciba/api/backchannel/authentication", s.handleBackchannel)
	m.HandleFunc("POST /vipps-login-ciba/api/v1/user-exists", s.handleUserExists)
	m.HandleFunc("POST /access-management-1.0/access/oauth2/token", s.handleLoginToken)
	m.HandleFunc("GET /vipps-userinfo-api/userinfo", s.handleUserInfo)
	m.HandleFunc("GET /vipps-userinfo-api/userinfo/{$}", s.handleUserInfo)
	m.HandleFunc("GET /vipps-userinfo-api/userinfo/{sub}", s.handleUserInfoBySub)
	// QR and check-in.
	m.HandleFunc("POST /qr/v1/exchange", s.handleQRExchange)
	m.HandleFunc("POST /point-of-sale/v1/loyalty-check-in", s.handleCheckIn)
	// ePayment.
	m.HandleFunc("POST /epayment/v1/payments", s.handleCreatePayment)
	m.HandleFunc("GET /epayment/v1/payments/{reference}", s.handleGetPayment)
	m.HandleFunc("GET /epayment/v1/payments/{reference}/events", s.handlePaymentEvents)
	m.HandleFunc("POST /epayment/v1/payments/{reference}/capture", s.handleCapture)
	m.HandleFunc("POST /epayment/v1/payments/{reference}/refund", s.handleRefund)
	m.HandleFunc("POST /epayment/v1/payments/{reference}/cancel", s.handleCancel)
	m.HandleFunc("POST /epayment/v1/test/payments/{reference}/approve", s.handleForceApprove)
	// Webhooks.
	m.HandleFunc("POST /webhooks/v1/webhooks", s.handleRegisterWebhook)
	m.HandleFunc("GET /webhooks/v1/webhooks", s.handleListWebhooks)
	m.HandleFunc("DELETE /webhooks/v1/webhooks/{id}", s.handleDeleteWebhook)
	// Report.
	m.HandleFunc("GET /settlement/v1/ledgers", s.handleLedgers)
	m.HandleFunc("GET /report/v2/ledgers/{ledgerId}/{topic}/dates/{date}", s.handleReportDate)
	m.HandleFunc("GET /report/v2/ledgers/{ledgerId}/{topic}/feed", s.handleReportFeed)
	// Control API.
	m.HandleFunc("POST /_sim/users", s.handleControlAddUser)
	m.HandleFunc("GET /_sim/users", s.handleControlListUsers)
	m.HandleFunc("POST /_sim/sales-units", s.handleControlAddSalesUnit)
	m.HandleFunc("POST /_sim/faults", s.handleControlAddFault)
	m.HandleFunc("DELETE /_sim/faults", s.handleControlClearFaults)
	m.HandleFunc("GET /_sim/stats", s.handleControlStats)
	m.HandleFunc("POST /_sim/report/close-day", s.handleControlCloseDay)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusNotFound, "Not Found", "no such endpoint in the simulator", "")
	})
}

// ServeHTTP implements http.Handler: fault injection first, then the
// endpoint, with request and response validated against the specs when
// WithSpecValidation is on.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, f := range s.observers {
		f(r)
	}
	_, pattern := s.mux.Handler(r)
	s.countRequest(r, pattern)
	if s.applyFault(w, r) {
		return
	}
	if s.spec == nil || isControlPath(r.URL.Path) {
		s.mux.ServeHTTP(w, r)
		return
	}
	s.spec.serve(s.mux, w, r)
}

// now is the simulator's current time.
func (s *Sim) now() time.Time { return s.clock.Now() }

func osloLocation() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}
