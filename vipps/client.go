package vipps

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// Environment selects the Vipps MobilePay host.
type Environment string

const (
	// EnvironmentTest is the merchant test environment (MT), https://apitest.vipps.no.
	EnvironmentTest Environment = "test"
	// EnvironmentProduction is https://api.vipps.no.
	EnvironmentProduction Environment = "production"
)

// Hosts of the two environments.
const (
	TestBaseURL       = "https://apitest.vipps.no"
	ProductionBaseURL = "https://api.vipps.no"
)

// Client authentication methods for the Login token and backchannel endpoints.
const (
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// System identifies our software in the four Vipps-System-* headers
// (each at most 30 characters). Every call sends all four: an empty
// PluginName is sent as DefaultPluginName and an empty PluginVersion as
// DefaultPluginVersion; an empty Name or Version is sent as the plugin
// default too (the connector is then the system Vipps sees).
type System struct {
	Name, Version, PluginName, PluginVersion string
}

// DefaultPluginName is sent as Vipps-System-Plugin-Name (and
// Vipps-System-Name) when Config.System leaves it empty.
const DefaultPluginName = "bcvipps"

// DefaultPluginVersion is the connector's version, sent as
// Vipps-System-Plugin-Version (and Vipps-System-Version) when Config.System
// leaves it empty. The bcvipps binary sets it from its build version at
// start-up, before it creates any Client: New reads it, so later changes do
// not reach existing clients. Surrounding space is trimmed and a value
// longer than the 30-character header limit is cut to 30.
var DefaultPluginVersion = "dev"

const maxSystemHeaderLen = 30

// withDefaults fills the empty fields of s, so that every Vipps-System-*
// header is sent with a value.
func (s System) withDefaults() System {
	version := strings.TrimSpace(DefaultPluginVersion)
	if version == "" {
		version = "dev"
	}
	if len(version) > maxSystemHeaderLen {
		version = strings.ToValidUTF8(version[:maxSystemHeaderLen], "")
	}
	if s.PluginName == "" {
		s.PluginName = DefaultPluginName
	}
	if s.PluginVersion == "" {
		s.PluginVersion = version
	}
	if s.Name == "" {
		s.Name = DefaultPluginName
	}
	if s.Version == "" {
		s.Version = version
	}
	return s
}

// Config is the key set of one sales unit and the environment it lives in.
type Config struct {
	Environment Environment
	// BaseURL overrides the environment's host, e.g. with a simulator URL.
	// It may carry a path prefix.
	BaseURL         string
	MSN             string
	ClientID        string
	ClientSecret    string
	SubscriptionKey string
	// PartnerKeys marks ClientID/ClientSecret/SubscriptionKey as partner
	// keys; MSN is then the merchant's sales unit and always sent.
	PartnerKeys bool
	// LoginAuthMethod is "client_secret_basic" (default) or
	// "client_secret_post"; it must match the sales unit's portal setting.
	LoginAuthMethod string
	System          System
}

var msnPattern = regexp.MustCompile(`^[0-9]{4,6}$`)

func (cfg Config) validate() error {
	var problems []string
	switch cfg.Environment {
	case EnvironmentTest, EnvironmentProduction:
	case "":
		if cfg.BaseURL == "" {
			problems = append(problems, "environment or base URL required")
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown environment %q", string(cfg.Environment)))
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, "base URL must be an absolute http(s) URL")
		}
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.SubscriptionKey == "" {
		problems = append(problems, "client ID, client secret and subscription key required")
	}
	if cfg.PartnerKeys && cfg.MSN == "" {
		problems = append(problems, "partner keys need the merchant's MSN")
	}
	if cfg.MSN != "" && !msnPattern.MatchString(cfg.MSN) {
		problems = append(problems, "MSN must be 4-6 digits")
	}
	switch cfg.LoginAuthMethod {
	case "", AuthClientSecretBasic, AuthClientSecretPost:
	default:
		problems = append(problems, fmt.Sprintf("unknown login auth method %q", cfg.LoginAuthMethod))
	}
	for name, v := range map[string]string{"name": cfg.System.Name, "version": cfg.System.Version,
		"plugin name": cfg.System.PluginName, "plugin version": cfg.System.PluginVersion} {
		if len(v) > maxSystemHeaderLen {
			problems = append(problems, "system "+name+" longer than 30 characters")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("vipps: invalid config: %s", strings.Join(problems, "; "))
	}
	return nil
}

func (cfg Config) baseURL() string {
	if cfg.BaseURL != "" {
		return strings.TrimRight(cfg.BaseURL, "/")
	}
	if cfg.Environment == EnvironmentProduction {
		return ProductionBaseURL
	}
	return TestBaseURL
}

// Option configures what New injects.
type Option func(*options)

type options struct {
	httpClient *http.Client
	clock      clockwork.Clock
	logger     *slog.Logger
	policy     *RetryPolicy
	cache      *TokenCache
}

// WithHTTPClient sets the underlying HTTP client (timeouts, transport).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithClock sets the clock used for token expiry, poll scheduling and backoff.
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger; it never receives secrets, tokens or phone numbers.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.policy = &p } }

// WithTokenCache shares an access-token cache between clients. Entries are
// keyed by host, credential set and MSN, so clients of different sales
// units never see each other's tokens.
func WithTokenCache(tc *TokenCache) Option { return func(o *options) { o.cache = tc } }

// Client talks to the Vipps MobilePay APIs for one sales unit. It is safe
// for concurrent use. Each API area is a service field.
type Client struct {
	cfg    Config
	base   string
	clock  clockwork.Clock
	log    *slog.Logger
	policy RetryPolicy
	tokens *TokenCache
	// tokenKey is the cache key of this client's credential set and MSN.
	tokenKey string
	http     *transport

	Login    *LoginService
	UserInfo *UserInfoService
	QR       *QRService
	CheckIn  *CheckInService
	EPayment *EPaymentService
	Webhooks *WebhooksService
	Report   *ReportService
}

// New validates cfg and builds a client.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.clock == nil {
		o.clock = clockwork.NewRealClock()
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.policy == nil {
		p := DefaultRetryPolicy()
		o.policy = &p
	}
	if err := o.policy.validate(); err != nil {
		return nil, err
	}
	if o.cache == nil {
		o.cache = NewTokenCache()
	}
	if cfg.LoginAuthMethod == "" {
		cfg.LoginAuthMethod = AuthClientSecretBasic
	}
	cfg.System = cfg.System.withDefaults()
	c := &Client{cfg: cfg, base: cfg.baseURL(), clock: o.clock, log: o.logger, policy: *o.policy, tokens: o.cache}
	c.tokenKey = c.cacheKey()
	c.http = newTransport(o.httpClient)
	c.Login = &LoginService{c: c}
	c.UserInfo = &UserInfoService{c: c}
	c.QR = &QRService{c: c}
	c.CheckIn = &CheckInService{c: c}
	c.EPayment = &EPaymentService{c: c}
	c.Webhooks = &WebhooksService{c: c}
	c.Report = &ReportService{c: c}
	return c, nil
}

// ErrInvalidRequest marks input rejected by the client before anything is sent.
var ErrInvalidRequest = errors.New("vipps: invalid request")

func invalid(op, reason string) error {
	return fmt.Errorf("%s: %w: %s", op, ErrInvalidRequest, reason)
}
