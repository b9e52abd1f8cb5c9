// Package testenv runs whole connectors against the Vipps and Business
// Central simulators for the end-to-end tests and benchmarks of the
// connector's packages (login_test, payment_test): an Env is one or more
// connector instances on one fake clock, a Bench one instance on the real
// clock.
package testenv

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// Tenant is a configured tenant: its id and the API key its callers send.
type Tenant struct {
	ID, APIKey string
}

// Options describe an Env or a Bench. A Bench reads Tenants, Login, Public,
// ObserveVipps, VippsOptions and Prepare only.
type Options struct {
	// Tenants are configured in this order, each against the simulators.
	Tenants []Tenant
	// Login is the configuration's login section, a YAML flow mapping.
	Login string
	// Driver and DSN name the store; without a DSN, a SQLite file in the
	// test's temporary folder.
	Driver, DSN string
	// Front puts one stable server in front of the instances (as a load
	// balancer would be): it forwards to the instance started last that
	// still runs, so its URL outlives restarts. Env.Do goes through it.
	Front bool
	// Public makes the front's URL (a Bench's own URL) server.publicBaseURL,
	// where the simulated Vipps delivers webhooks. Without it an Env's
	// configuration has no publicBaseURL.
	Public bool
	// ObserveVipps sees every request the simulated Vipps receives (see
	// vippstest.WithRequestObserver).
	ObserveVipps func(*http.Request)
	// VippsOptions are more options of the Vipps simulator.
	VippsOptions []vippstest.Option
	// Prepare runs once the simulators are up, before the configuration is
	// built and any instance starts.
	Prepare func(vipps *vippstest.Server, bc *bctest.Servers)
	// NotStarted leaves a new Env without an instance (the test changes
	// Env.Cfg first, then calls Start).
	NotStarted bool
}

// Option changes Options (for a package's newEnv).
type Option func(*Options)

// WithPostgres puts the store in the PostgreSQL database dsn.
func WithPostgres(dsn string) Option {
	return func(o *Options) { o.Driver, o.DSN = "postgres", dsn }
}

// NotStarted sets Options.NotStarted.
func NotStarted() Option { return func(o *Options) { o.NotStarted = true } }

// specDir is the folder of the official Vipps OpenAPI files (../shared
// beside the repository), seen from a package folder two below its root,
// where go test runs a package's tests.
func specDir() string { return filepath.Join("..", "..", "..", "shared", "specs", "vipps") }

// config is the connector configuration of o against the simulators, with
// public as server.publicBaseURL when it is set.
func (o Options) config(tb testing.TB, vippsURL string, bcs *bctest.Servers, driver, dsn, public string) *config.Config {
	tb.Helper()
	var doc strings.Builder
	if public != "" {
		fmt.Fprintf(&doc, "server: {publicBaseURL: \"%s\"}\n", public)
	}
	fmt.Fprintf(&doc, `store: {driver: %s, dsn: "%s"}
log: {level: debug}
worker: {pollBatch: 50, concurrency: 4, leaseDuration: 30s, applyDeadline: 1h, retryBackoffMax: 1m}
login: %s
tenants:
`, driver, dsn, o.Login)
	np := bcs.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + strings.ReplaceAll(bctest.DemoCompanyName, " ", "%20")
	for _, tn := range o.Tenants {
		fmt.Fprintf(&doc, `  - id: %s
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
`, tn.ID, connector.HashAPIKey(tn.APIKey), bcs.BCURL, bctest.DemoTenantID, bctest.DemoEnvironment, bctest.DemoCompanyID,
			bctest.DemoClientID, bctest.DemoClientSecret, bcs.AuthorityURL, np, bctest.DemoNPRetailAPIKey,
			vippsURL, vippstest.DefaultMSN, vippstest.DefaultClientID, vippstest.DefaultClientSecret, vippstest.DefaultSubscriptionKey)
	}
	cfg, err := config.LoadFromBytes([]byte(doc.String()))
	if err != nil {
		tb.Fatalf("test config: %v", err)
	}
	return cfg
}
