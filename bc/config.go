package bc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/jonboulle/clockwork"
)

// DefaultBaseURL is BC online's API host with the v2.0 service path; the
// API root of an environment is DefaultBaseURL/{tenant}/{environment}/api/v2.0.
const DefaultBaseURL = "https://api.businesscentral.dynamics.com/v2.0"

// Config selects one BC environment and company and how to reach it.
type Config struct {
	// BaseURL is BC online's service URL; default DefaultBaseURL. The API
	// root becomes BaseURL/{TenantID}/{Environment}/api/v2.0.
	BaseURL string
	// APIRoot, when set, is used as the API v2.0 root as is, for on-premises
	// servers: e.g. https://host:7048/BC/api/v2.0. It must end in /api/v2.0.
	// TenantID and Environment are then not used in URLs.
	APIRoot string
	// TenantID is the Entra tenant (GUID or domain) of the BC environment.
	TenantID string
	// Environment is the BC environment name, e.g. "production".
	Environment string
	// CompanyID is the company's id (GUID) as the API's companies list shows.
	CompanyID string
	// Auth says how to authenticate; see AuthConfig.
	Auth AuthConfig
	// Limits bound the request rate and concurrency per principal.
	Limits Limits
	// MaxRetries bounds the retries of one request after 429/503/504 or a
	// network error; default 6. A negative value disables retries.
	MaxRetries int
	// MaxConflictRetries bounds how often Update re-reads and re-applies a
	// change after a concurrency conflict; default 5.
	MaxConflictRetries int
	// PageSize is sent as Prefer: odata.maxpagesize on lists; default 1000.
	PageSize int
	// PhoneRegion is the ISO region used to read phone numbers without a
	// country code (FindByPhone); default "NO".
	PhoneRegion string
}

// Limits are the client-side limits of one principal (user or service
// principal). BC online allows 6,000 requests per sliding 5 minutes and
// processes 5 requests at a time per principal.
type Limits struct {
	RequestsPerWindow int           // default 6000
	Window            time.Duration // default 5 minutes
	MaxInFlight       int           // default 5
}

func (l Limits) withDefaults() Limits {
	if l.RequestsPerWindow <= 0 {
		l.RequestsPerWindow = 6000
	}
	if l.Window <= 0 {
		l.Window = 5 * time.Minute
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = 5
	}
	return l
}

// Option injects a dependency into New or NewNPRetail.
type Option func(*options)

type options struct {
	httpClient *http.Client
	clock      clockwork.Clock
	logger     *slog.Logger
	credential azcore.TokenCredential
	governor   *Governor
	maxWait    time.Duration // negative: no bound
}

// WithHTTPClient sets the HTTP client used for BC and, when the client builds
// its own credential, for the token authority.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithClock sets the clock for backoff, the governor and token expiry.
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clock = c } }

// WithLogger sets the logger. Log lines carry method, path, status, attempt
// and correlation id — never query strings, bodies, tokens or keys.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithCredential uses cred instead of building one from Config.Auth.
func WithCredential(cred azcore.TokenCredential) Option {
	return func(o *options) { o.credential = cred }
}

// WithGovernor makes the client share g with the other clients of the same
// principal, so that together they stay inside BC's limits. Without it each
// client gets its own governor from Config.Limits.
func WithGovernor(g *Governor) Option { return func(o *options) { o.governor = g } }

// WithMaxWait bounds how long one request may wait inside the call, in
// all: retry backoff, the server's Retry-After and the governor holding it
// back (its request window, or a pause after a 429). A wait that would go
// beyond d is not started; the call returns at once with the last failure —
// an *Error whose RetryAfter is the server's, or a *LimitError from the
// governor — so that a durable scheduler can defer the step (see
// RetryAfter). d == 0 never waits. Without this option waits are bounded
// only by Config.MaxRetries and the 5-minute cap on Retry-After. Waiting
// for a concurrency slot (Limits.MaxInFlight) is not counted.
func WithMaxWait(d time.Duration) Option {
	return func(o *options) { o.maxWait = max(d, 0) }
}

func buildOptions(opts []Option) options {
	o := options{maxWait: -1}
	for _, fn := range opts {
		fn(&o)
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: 10 * time.Minute}
	}
	if o.clock == nil {
		o.clock = clockwork.NewRealClock()
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.APIRoot = strings.TrimRight(c.APIRoot, "/")
	c.Limits = c.Limits.withDefaults()
	if c.MaxRetries == 0 {
		c.MaxRetries = 6
	}
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MaxConflictRetries <= 0 {
		c.MaxConflictRetries = 5
	}
	if c.PageSize <= 0 {
		c.PageSize = 1000
	}
	if c.PhoneRegion == "" {
		c.PhoneRegion = "NO"
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.APIRoot != "" {
		if !strings.HasSuffix(c.APIRoot, "/api/v2.0") {
			errs = append(errs, errors.New("api root must end in /api/v2.0"))
		}
		if _, err := url.Parse(c.APIRoot); err != nil {
			errs = append(errs, fmt.Errorf("APIRoot: %w", err))
		}
	} else {
		if c.TenantID == "" {
			errs = append(errs, errors.New("tenant id is required"))
		}
		if c.Environment == "" {
			errs = append(errs, errors.New("environment is required"))
		}
		if _, err := url.Parse(c.BaseURL); err != nil {
			errs = append(errs, fmt.Errorf("BaseURL: %w", err))
		}
	}
	if c.CompanyID == "" {
		errs = append(errs, errors.New("company id is required"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("bc config: %w", errors.Join(errs...))
	}
	return nil
}

// apiRoot is the API v2.0 root, e.g. …/{tenant}/{env}/api/v2.0.
func (c Config) apiRoot() string {
	if c.APIRoot != "" {
		return c.APIRoot
	}
	return c.BaseURL + "/" + url.PathEscape(c.TenantID) + "/" + url.PathEscape(c.Environment) + "/api/v2.0"
}

// customAPIRoot is the root of a custom API: …/api/{publisher}/{group}/{version}.
func (c Config) customAPIRoot(publisher, group, version string) string {
	base := strings.TrimSuffix(c.apiRoot(), "/v2.0")
	return base + "/" + url.PathEscape(publisher) + "/" + url.PathEscape(group) + "/" + url.PathEscape(version)
}
