// Package login runs the login-based jobs J1 and J2 (and the consent step
// of J3 enrolment): Vipps Login by phone number (CIBA), the consented
// profile read with userinfo, mapped onto the BC Customer or the NP Retail
// member and written through their APIs. The two request kinds (customer,
// member) are handlers on the durable engine (package work); their HTTP
// endpoints are registered with Routes. See the connector package for the
// state machine and the crash-safety rules.
package login

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// Route prefixes of the two login-based request kinds.
const (
	CustomerRoute = "/v1/customer-info-requests"
	MemberRoute   = "/v1/member-info-requests"
	applyingGrace = 3 * time.Second
	// longPollRecheck is how often a long-poll re-reads the store even
	// without a notification.
	longPollRecheck = 2 * time.Second
)

// Metrics are the login flows' series.
type Metrics struct {
	// Upstream counts calls to Vipps, BC and NP Retail by API, operation
	// and outcome.
	Upstream       *prometheus.CounterVec
	logins         *prometheus.CounterVec
	bcWriteRetries *prometheus.CounterVec
	// unconfirmedMemberships counts NP Retail membership creates whose
	// outcome is unknown: each may have left a membership without
	// members (NP Retail offers no key to find it by).
	unconfirmedMemberships *prometheus.CounterVec
}

// NewMetrics makes the login series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_upstream_calls_total", Help: "Calls to Vipps, Business Central and NP Retail by API, operation and outcome.",
		}, []string{"api", "op", "outcome"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_logins_total", Help: "Finished login-based requests by kind and final status.",
		}, []string{"kind", "status"}),
		bcWriteRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_write_retries_total", Help: "Writes to BC or NP Retail that were deferred for a retry, by target.",
		}, []string{"target"}),
		unconfirmedMemberships: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_npretail_memberships_unconfirmed_total",
			Help: "NP Retail membership creates with an unknown outcome, by tenant: each may have left an empty membership in NP Retail.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(m.Upstream, m.logins, m.bcWriteRetries, m.unconfirmedMemberships)
	return m
}

// Flows are the login flows of every tenant.
type Flows struct {
	cfg      *config.Config
	clock    clockwork.Clock
	log      *slog.Logger
	store    store.Store
	engine   *work.Engine
	tenants  map[string]*tenant
	metrics  *Metrics
	shutdown <-chan struct{}
	// starting holds the phone numbers and Idempotency-Keys of the
	// logins being started by POSTs of this process.
	starting holds
}

// Deps is what New needs.
type Deps struct {
	Config  *config.Config
	Clock   clockwork.Clock
	Log     *slog.Logger
	Engine  *work.Engine
	Metrics *Metrics
	// Tenants are the tenants' clients (package tenants).
	Tenants map[string]*tenants.Tenant
	// Shutdown is closed when the service stops: long-polls answer then.
	Shutdown <-chan struct{}
}

// New builds every tenant's clients and registers the two login kinds
// with the engine. Nothing is contacted yet.
func New(d Deps) (*Flows, error) {
	f := &Flows{
		cfg: d.Config, clock: d.Clock, log: d.Log, store: d.Engine.Store(), engine: d.Engine,
		tenants: map[string]*tenant{}, metrics: d.Metrics, shutdown: d.Shutdown,
	}
	for _, tc := range d.Config.Tenants {
		t, err := newTenant(d.Tenants[tc.ID], d.Config.Login.DefaultExpiry)
		if err != nil {
			return nil, err
		}
		f.tenants[tc.ID] = t
		if t.np != nil {
			// Present from the start at 0, so an alert on its increase
			// sees the first one.
			f.metrics.unconfirmedMemberships.WithLabelValues(tc.ID)
		}
	}
	for _, kind := range []string{kindCustomer, kindMember, kindEnrollment} {
		d.Engine.Register(kind, loginKind{f})
	}
	d.Engine.Register(kindPingIndex, pingIndexKind{})
	d.Engine.OnTransition(f.observeTransition)
	return f, nil
}

// Routes registers the login endpoints on the authenticated /v1 group.
func (f *Flows) Routes(v1 *gin.RouterGroup) {
	v1.POST("/customer-info-requests", f.createCustomerRequest)
	v1.GET("/customer-info-requests/:id", f.getRequest(kindCustomer))
	v1.DELETE("/customer-info-requests/:id", f.cancelRequest(kindCustomer))
	v1.POST("/member-info-requests", f.createMemberRequest)
	v1.GET("/member-info-requests/:id", f.getRequest(kindMember))
	v1.DELETE("/member-info-requests/:id", f.cancelRequest(kindMember))
	v1.POST("/enrollments", f.createEnrollment)
	v1.GET("/enrollments/:id", f.getRequest(kindEnrollment))
	v1.DELETE("/enrollments/:id", f.cancelRequest(kindEnrollment))
}

func (f *Flows) tenantOf(c *gin.Context) *tenant { return f.tenants[api.TenantOf(c)] }

// takenOver reports a write refused because the row changed or is held
// elsewhere: this step's work is void, the row is someone else's now.
func takenOver(err error) bool { return work.TakenOver(err) }

// keepLease keeps this process's lease on a saved job for another lease
// period.
func (f *Flows) keepLease() store.UpdateOption { return f.engine.KeepLease() }

// observeTransition counts finished logins and logs every transition.
func (f *Flows) observeTransition(j store.Job) {
	if j.Kind != kindCustomer && j.Kind != kindMember && j.Kind != kindEnrollment {
		return
	}
	if j.Final {
		f.metrics.logins.WithLabelValues(j.Kind, j.Status).Inc()
	}
	f.log.Info("request "+j.Status, "tenant", j.TenantID, "request", j.ID, "kind", j.Kind)
}
