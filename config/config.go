package config

import "time"

// Config is the whole configuration of one connector process. The YAML keys
// are camelCase and match the field names (see the package documentation).
type Config struct {
	Server    Server    `mapstructure:"server" yaml:"server"`
	Store     Store     `mapstructure:"store" yaml:"store"`
	Log       Log       `mapstructure:"log" yaml:"log"`
	Worker    Worker    `mapstructure:"worker" yaml:"worker"`
	Retention Retention `mapstructure:"retention" yaml:"retention"`
	Login     Login     `mapstructure:"login" yaml:"login"`
	Upstream  Upstream  `mapstructure:"upstream" yaml:"upstream"`
	Tenants   []Tenant  `mapstructure:"tenants" yaml:"tenants"`

	// unresolved holds ${NAME} references whose variable was not set; they
	// are reported by Validate.
	unresolved []Problem
}

// Server holds the listeners.
type Server struct {
	// Listen is the address of the public API listener (default ":8080").
	Listen string `mapstructure:"listen" yaml:"listen"`
	// AdminListen is the address of the admin listener serving /metrics
	// (default "127.0.0.1:9090").
	AdminListen string `mapstructure:"adminListen" yaml:"adminListen"`
	// PublicBaseURL is the externally reachable base URL (for webhooks).
	PublicBaseURL string `mapstructure:"publicBaseURL" yaml:"publicBaseURL"`
	// ShutdownTimeout bounds a graceful shutdown (default 30s). It must be
	// at least worker.stepTimeout, so that a step in progress can finish.
	ShutdownTimeout time.Duration `mapstructure:"shutdownTimeout" yaml:"shutdownTimeout"`
	// Pprof mounts Go's profiler (net/http/pprof) at /debug/pprof/ on the
	// admin listener (default false), and labels each API request's
	// goroutine with its method and route for the CPU profile (go tool
	// pprof -tags). A CPU profile costs a few percent while it runs; leave
	// it off unless you are profiling.
	Pprof bool `mapstructure:"pprof" yaml:"pprof"`
}

// Store selects the persistence backend.
type Store struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `mapstructure:"driver" yaml:"driver"`
	// DSN is the data source name (default "file:data/bcvipps.db"). It may
	// contain a password, which Redacted masks.
	DSN string `mapstructure:"dsn" yaml:"dsn"`
}

// Log configures the structured logger.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `mapstructure:"level" yaml:"level"`
	// Format is json (default) or text.
	Format string `mapstructure:"format" yaml:"format"`
}

// Worker tunes the scheduler that polls Vipps and writes to BC.
type Worker struct {
	// PollBatch is how many due requests one claim takes (default 100).
	PollBatch int `mapstructure:"pollBatch" yaml:"pollBatch"`
	// Concurrency is how many requests are worked on at once (default 64).
	// Token polls wait on the network; at ~100 ms per poll, 64 workers keep
	// up with about 30,000 pending logins at the 5 s interval. BC writes are
	// further limited by businessCentral.limits.maxInFlight.
	Concurrency int `mapstructure:"concurrency" yaml:"concurrency"`
	// LeaseDuration is how long a claimed request stays with this replica
	// (default 60s). It must be longer than StepTimeout: a step must end
	// inside its lease, or another replica could take the request while
	// this one still works on it.
	LeaseDuration time.Duration `mapstructure:"leaseDuration" yaml:"leaseDuration"`
	// StepTimeout is how long one scheduler step (one poll of Vipps, one
	// write to BC or NP Retail, with its retries) may run (default 25s). It
	// must be at least upstream.timeout and at most server.shutdownTimeout.
	StepTimeout time.Duration `mapstructure:"stepTimeout" yaml:"stepTimeout"`
	// ApplyDeadline is how long a consented profile keeps being retried
	// against BC before the request fails (default 24h).
	ApplyDeadline time.Duration `mapstructure:"applyDeadline" yaml:"applyDeadline"`
	// RetryBackoffMax caps the back-off between BC attempts (default 5m).
	RetryBackoffMax time.Duration `mapstructure:"retryBackoffMax" yaml:"retryBackoffMax"`
}

// Retention says how long data is kept.
type Retention struct {
	// Profile is how long a delivered answer (with the consented profile)
	// can be fetched again after it was delivered, so that a response lost
	// on the way to BC can be fetched again for this long (default 10m;
	// must be greater than zero). The personal data is purged after it.
	Profile time.Duration `mapstructure:"profile" yaml:"profile"`
	// Requests is how long finished request rows are kept (default 720h).
	Requests time.Duration `mapstructure:"requests" yaml:"requests"`
}

// Login holds defaults for Vipps Login (CIBA) requests.
type Login struct {
	// DefaultExpiry is the requested_expiry sent to Vipps when a use case
	// sets none (default 5m; Vipps accepts 60s–900s).
	DefaultExpiry time.Duration `mapstructure:"defaultExpiry" yaml:"defaultExpiry"`
	// BindingMessage makes the connector send a binding message shown on
	// both the POS and the phone.
	BindingMessage bool `mapstructure:"bindingMessage" yaml:"bindingMessage"`
}

// Upstream tunes the outbound HTTP calls to Vipps, Entra ID, BC and NP
// Retail.
type Upstream struct {
	// CAFile is a PEM file of extra root certificates trusted for outbound
	// HTTPS, besides the system roots (a TLS-inspecting proxy, or the
	// sandbox's simulated Entra ID authority).
	CAFile string `mapstructure:"caFile" yaml:"caFile"`
	// Timeout bounds one outbound HTTP attempt (default 10s). It must be at
	// most worker.stepTimeout.
	Timeout time.Duration `mapstructure:"timeout" yaml:"timeout"`
}

// Tenant is one customer of the connector: one BC company with its Vipps
// sales units.
type Tenant struct {
	// ID names the tenant in logs, metrics and the store.
	ID string `mapstructure:"id" yaml:"id"`
	// APIKeys are the keys BC extensions authenticate with (hashes only).
	APIKeys []APIKey `mapstructure:"apiKeys" yaml:"apiKeys"`
	// BusinessCentral is the BC environment and company.
	BusinessCentral BusinessCentral `mapstructure:"businessCentral" yaml:"businessCentral"`
	// NPRetail is the optional NP Retail member API.
	NPRetail NPRetail `mapstructure:"npRetail" yaml:"npRetail"`
	// Vipps holds the Vipps MobilePay environment and sales units.
	Vipps Vipps `mapstructure:"vipps" yaml:"vipps"`
	// UseCases maps a use-case name (e.g. "customer-card") to its settings.
	UseCases map[string]UseCase `mapstructure:"useCases" yaml:"useCases"`
	// Mapping configures how Vipps profiles become BC fields.
	Mapping Mapping `mapstructure:"mapping" yaml:"mapping"`
	// Payments configures ePayments at the till (J4).
	Payments Payments `mapstructure:"payments" yaml:"payments"`
	// Jobs are the scheduled reconciliation jobs (J5).
	Jobs Jobs `mapstructure:"jobs" yaml:"jobs"`
}

// Jobs are a tenant's scheduled jobs. A schedule is a cron expression of
// robfig/cron v3 (five fields, or a descriptor such as "@every 5m"),
// "hourly" (at a minute from :11 to :59 picked per tenant, as Vipps asks
// Report API users) or "off". The payment sweep defaults to every 10
// minutes; the settlement is off unless scheduled.
type Jobs struct {
	PaymentSweep JobSchedule   `mapstructure:"paymentSweep" yaml:"paymentSweep"`
	Settlement   SettlementJob `mapstructure:"settlement" yaml:"settlement"`
}

// JobSchedule is when a job runs.
type JobSchedule struct {
	Schedule string `mapstructure:"schedule" yaml:"schedule"`
}

// SettlementJob is when the settlement reconciliation runs and how long a
// capture may be missing from the Report API before it is a finding.
type SettlementJob struct {
	Schedule         string `mapstructure:"schedule" yaml:"schedule"`
	MissingAfterDays int    `mapstructure:"missingAfterDays" yaml:"missingAfterDays"`
}

// DefaultPaymentSweep is the payment sweep's schedule when none is
// configured: nothing stays pending for long because a webhook was lost.
const DefaultPaymentSweep = "@every 10m"

// Payments configures a tenant's ePayments.
type Payments struct {
	// CaptureOnAuthorize captures every payment as soon as the customer
	// approves it (a request's captureOnAuthorize overrides it when true).
	CaptureOnAuthorize bool `mapstructure:"captureOnAuthorize" yaml:"captureOnAuthorize"`
	// AuthorizationAlertHours: a payment authorized and not captured for
	// longer is reported by the payment sweep (default 24).
	AuthorizationAlertHours int `mapstructure:"authorizationAlertHours" yaml:"authorizationAlertHours"`
}

// APIKey is one API key of a tenant, stored as the hex SHA-256 of the key.
type APIKey struct {
	// ID names the key (e.g. "bc-prod") in logs.
	ID string `mapstructure:"id" yaml:"id"`
	// SHA256 is the lower- or upper-case hex SHA-256 of the key (64 chars).
	SHA256 string `mapstructure:"sha256" yaml:"sha256"`
}

// BusinessCentral locates a BC company and says how to authenticate.
type BusinessCentral struct {
	// BaseURL defaults to https://api.businesscentral.dynamics.com/v2.0.
	BaseURL string `mapstructure:"baseURL" yaml:"baseURL"`
	// TenantID is the Entra ID tenant (directory) id.
	TenantID string `mapstructure:"tenantId" yaml:"tenantId"`
	// Environment is the BC environment name (e.g. "production").
	Environment string `mapstructure:"environment" yaml:"environment"`
	// CompanyID is the BC company id (GUID).
	CompanyID string `mapstructure:"companyId" yaml:"companyId"`
	// Auth says how to obtain tokens.
	Auth BCAuth `mapstructure:"auth" yaml:"auth"`
	// Limits keep the connector inside BC's API limits.
	Limits BCLimits `mapstructure:"limits" yaml:"limits"`
}

// Authentication methods for Business Central.
const (
	AuthClientSecret      = "clientSecret"
	AuthClientCertificate = "clientCertificate"
	AuthManagedIdentity   = "managedIdentity"
	AuthWorkloadIdentity  = "workloadIdentity"
	AuthDefault           = "default"
	AuthBasic             = "basic"
)

// BCAuth holds the credentials for BC; which fields are required depends on
// Method.
type BCAuth struct {
	// Method is clientSecret, clientCertificate, managedIdentity,
	// workloadIdentity, default (azidentity's default chain) or basic
	// (web-service access key, on-premises only).
	Method              string `mapstructure:"method" yaml:"method"`
	ClientID            string `mapstructure:"clientId" yaml:"clientId"`
	ClientSecret        string `mapstructure:"clientSecret" yaml:"clientSecret"`
	CertificatePath     string `mapstructure:"certificatePath" yaml:"certificatePath"`
	CertificatePassword string `mapstructure:"certificatePassword" yaml:"certificatePassword"`
	TokenFilePath       string `mapstructure:"tokenFilePath" yaml:"tokenFilePath"`
	Username            string `mapstructure:"username" yaml:"username"`
	AccessKey           string `mapstructure:"accessKey" yaml:"accessKey"`
	// AuthorityHost overrides the Entra ID authority (sovereign clouds, tests).
	AuthorityHost string `mapstructure:"authorityHost" yaml:"authorityHost"`
}

// BCLimits are BC's per-principal API limits.
type BCLimits struct {
	// RequestsPerWindow defaults to 6000.
	RequestsPerWindow int `mapstructure:"requestsPerWindow" yaml:"requestsPerWindow"`
	// Window defaults to 5m.
	Window time.Duration `mapstructure:"window" yaml:"window"`
	// MaxInFlight defaults to 5.
	MaxInFlight int `mapstructure:"maxInFlight" yaml:"maxInFlight"`
}

// NPRetail is the NP Retail member API; leave BaseURL empty when unused.
type NPRetail struct {
	BaseURL string `mapstructure:"baseURL" yaml:"baseURL"`
	APIKey  string `mapstructure:"apiKey" yaml:"apiKey"`
}

// Vipps environments.
const (
	VippsTest       = "test"
	VippsProduction = "production"
)

// Vipps configures the Vipps MobilePay side of a tenant.
type Vipps struct {
	// Environment is test (default) or production.
	Environment string `mapstructure:"environment" yaml:"environment"`
	// BaseURL overrides the environment's base URL (simulators, proxies).
	BaseURL string `mapstructure:"baseURL" yaml:"baseURL"`
	// System fills the Vipps-System-* headers (each at most 30 chars).
	System VippsSystem `mapstructure:"system" yaml:"system"`
	// SalesUnits are the merchant sales units; the first is the default.
	SalesUnits []SalesUnit `mapstructure:"salesUnits" yaml:"salesUnits"`
}

// VippsSystem is sent as Vipps-System-Name, -Version, -Plugin-Name and
// -Plugin-Version.
type VippsSystem struct {
	Name          string `mapstructure:"name" yaml:"name"`
	Version       string `mapstructure:"version" yaml:"version"`
	PluginName    string `mapstructure:"pluginName" yaml:"pluginName"`
	PluginVersion string `mapstructure:"pluginVersion" yaml:"pluginVersion"`
}

// Login token endpoint authentication methods.
const (
	LoginAuthBasic = "client_secret_basic"
	LoginAuthPost  = "client_secret_post"
)

// SalesUnit is one Vipps merchant sales unit and its API keys.
type SalesUnit struct {
	// MSN is the merchant serial number (4–6 digits).
	MSN             string `mapstructure:"msn" yaml:"msn"`
	ClientID        string `mapstructure:"clientId" yaml:"clientId"`
	ClientSecret    string `mapstructure:"clientSecret" yaml:"clientSecret"`
	SubscriptionKey string `mapstructure:"subscriptionKey" yaml:"subscriptionKey"`
	// PartnerKeys says the keys are partner keys (MSN sent per request).
	PartnerKeys bool `mapstructure:"partnerKeys" yaml:"partnerKeys"`
	// LoginAuthMethod is client_secret_basic (default) or
	// client_secret_post for the Login token endpoint.
	LoginAuthMethod string `mapstructure:"loginAuthMethod" yaml:"loginAuthMethod"`
}

// Use-case kinds.
const (
	KindCustomer   = "customer"
	KindMember     = "member"
	KindEnrollment = "enrollment"
)

// Well-known use-case names.
const (
	UseCaseCustomerCard          = "customer-card"
	UseCasePOSMemberRegistration = "pos-member-registration"
	UseCaseClubEnrollment        = "club-enrollment"
)

// UseCase configures one named use case.
type UseCase struct {
	// Kind is "customer" or "member"; inferred for the well-known names.
	Kind string `mapstructure:"kind" yaml:"kind"`
	// Scopes are the Vipps Login scopes; openid is always added.
	Scopes []string `mapstructure:"scopes" yaml:"scopes"`
	// SalesUnit is the MSN to use (default: the tenant's first sales unit).
	SalesUnit string `mapstructure:"salesUnit" yaml:"salesUnit"`
	// RequestedExpiry overrides login.defaultExpiry.
	RequestedExpiry time.Duration `mapstructure:"requestedExpiry" yaml:"requestedExpiry"`
	// UpdateExisting (member) also updates the member in NP Retail when a
	// request names a memberId; without it such a request is refused. The
	// default pos-member-registration use case has it on when npRetail is
	// configured.
	UpdateExisting bool `mapstructure:"updateExisting" yaml:"updateExisting"`
	// MembershipCode (enrollment) is the NP Retail membership setup a new
	// member joins; a request may name another.
	MembershipCode string `mapstructure:"membershipCode" yaml:"membershipCode"`
	// MembershipItem (enrollment) is the sales item of MembershipCode's
	// membership: NP Retail's POST /membership creates a membership from
	// its sales item (itemNumber, required) and ignores a membership code.
	MembershipItem string `mapstructure:"membershipItem" yaml:"membershipItem"`
	// MembershipItems (enrollment) maps other membership codes a request
	// may name to their sales items.
	MembershipItems map[string]string `mapstructure:"membershipItems" yaml:"membershipItems"`
}

// Mapping options, passed on to the mapping package by the connector.
type Mapping struct {
	// ImplicitPhonePrefix is added to phone numbers without a country code
	// (default "+47").
	ImplicitPhonePrefix string `mapstructure:"implicitPhonePrefix" yaml:"implicitPhonePrefix"`
	// NameFormat is firstLast (default) or lastFirst.
	NameFormat string `mapstructure:"nameFormat" yaml:"nameFormat"`
	// CountryCodes maps ISO 3166-1 alpha-2 codes to BC country codes.
	CountryCodes map[string]string `mapstructure:"countryCodes" yaml:"countryCodes"`
	// RequireVerifiedEmail (default true) leaves out unverified e-mails.
	RequireVerifiedEmail *bool `mapstructure:"requireVerifiedEmail" yaml:"requireVerifiedEmail"`
	// UpdatePolicy maps a target field to always, ifEmpty or never.
	UpdatePolicy map[string]string `mapstructure:"updatePolicy" yaml:"updatePolicy"`
	// OnNameMismatch is what happens when the name in the Vipps profile
	// differs clearly from the existing customer's or member's name:
	// warn (default) writes and adds a "name-mismatch" warning, skip
	// writes nothing and returns only that warning. The connector passes it
	// to mapping.Options.OnNameMismatch.
	OnNameMismatch string `mapstructure:"onNameMismatch" yaml:"onNameMismatch"`
}

// Name-mismatch actions (mapping.onNameMismatch).
const (
	NameMismatchWarn = "warn"
	NameMismatchSkip = "skip"
)
