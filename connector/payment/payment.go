// Package payment runs J4, payments at the till: an ePayment pushed to the
// customer's phone (PUSH_MESSAGE, CUSTOMER_PRESENT, WALLET, the receipt
// attached), followed by webhooks first and polling as the safety net, and
// captured, cancelled or refunded by the caller. Everything is a job of
// the work engine:
//
//   - payment: the payment itself, a document that is never claimed. Its
//     State holds what Vipps reported; its status is derived from that
//     (state.status), so any writer (the follower's poll, a webhook event,
//     an operation's answer) merges what it learned and the result does not
//     depend on the order of arrival. Writers use optimistic concurrency
//     (mutate).
//   - payment-follow: sends the create with an Idempotency-Key stored
//     before the call and reused on every retry, then polls the payment until
//     the customer answered (slowly when webhooks are registered). The
//     create request sends the first try itself and answers before it
//     stores the follower's move to following (sends.go): that write is
//     the only one of a create left until after its answer, and losing it
//     costs one repeated create under the same key.
//   - payment-op: one capture, refund or cancel with its own key. It reserves
//     its amount on the payment (so two operations cannot together exceed
//     what is authorized or captured), calls Vipps with the same key until
//     Vipps answers, and records Vipps' own aggregate.
//   - vipps-event: a verified webhook delivery in the inbox, applied after
//     it was acknowledged. A payment event with a pspReference, and
//     a login ping of a pending login nobody holds, are applied before the
//     acknowledgement instead, in the write that stores their record as
//     applied (webhook.go applyNow, login's PingNow); a payment's change
//     and its outbox's due time are always one write (mutate).
//   - webhook-registration: one per tenant and sales unit; registers the
//     connector's webhook URL at Vipps and keeps the secrets.
//   - bc-payment: the outbox that writes the payment to BC's vippsPayments.
package payment

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"log/slog"
	"strings"
	"sync"
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

// Job kinds of this package.
const (
	KindPayment  = "payment"
	KindFollow   = "payment-follow"
	KindOp       = "payment-op"
	KindEvent    = "vipps-event"
	KindWebhook  = "webhook-registration"
	KindBCOutbox = "bc-payment"
)

// Pace of the safety-net poll of a payment waiting for the customer:
// without a webhook well inside Vipps' 120 GETs per minute per reference;
// with one, only now and then.
const (
	pollFast     = 2 * time.Second
	pollWebhooks = 20 * time.Second
	// sendGrace is how long a new payment is left to the POST handler
	// that creates it at Vipps inline, before the engine may retry it.
	sendGrace = 30 * time.Second
	// callTimeout bounds one Vipps call made inside an API request.
	callTimeout = 15 * time.Second
	// expiry is how long Vipps gives the customer to answer a push
	// (PUSH_MESSAGE without expiresAt).
	expiry = 10 * time.Minute
	// longPollRecheck is how often a long-poll re-reads the store even
	// without a notification.
	longPollRecheck = 2 * time.Second
)

// Metrics are the payment series.
type Metrics struct {
	payments   *prometheus.CounterVec
	operations *prometheus.CounterVec
	webhooks   *prometheus.CounterVec
	inboxLag   prometheus.Histogram
	upstream   *prometheus.CounterVec
}

// NewMetrics makes the payment series and registers them with reg.
// upstream is the shared counter of upstream calls.
func NewMetrics(reg prometheus.Registerer, upstream *prometheus.CounterVec) *Metrics {
	m := &Metrics{
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_payments_total", Help: "Payment status changes by status.",
		}, []string{"status"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_payment_operations_total", Help: "Finished capture, refund and cancel operations by type and outcome.",
		}, []string{"type", "status"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_webhook_deliveries_total", Help: "Vipps webhook deliveries by outcome (stored, duplicate, refused, unknown).",
		}, []string{"outcome"}),
		inboxLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "bcvipps_webhook_inbox_lag_seconds", Help: "Time from storing a webhook event to applying it.",
			Buckets: []float64{.001, .005, .01, .05, .1, .25, .5, 1, 5, 30, 120},
		}),
		upstream: upstream,
	}
	reg.MustRegister(m.payments, m.operations, m.webhooks, m.inboxLag)
	return m
}

// Payments is J4 for every tenant.
type Payments struct {
	cfg      *config.Config
	clock    clockwork.Clock
	log      *slog.Logger
	store    store.Store
	engine   *work.Engine
	tenants  map[string]*tenants.Tenant
	metrics  *Metrics
	shutdown <-chan struct{}
	// hooks caches the webhook secrets per tenant/MSN.
	hooksMu  sync.Mutex
	hooks    map[string]hookSecrets
	hooksGen int
	// pinger makes a pending login poll now (the login ping webhook).
	pinger Pinger
	// bcWriters group the outbox's BC writes per tenant (bcwrite.go).
	bcMu      sync.Mutex
	bcWriters map[string]*bcWriter
	// sends are the creates' follower saves running after their answer.
	sends sends
}

// Pinger is what a login ping webhook calls: the login waiting for
// authReqID polls the token endpoint now. The login package implements it.
type Pinger interface {
	Ping(ctx context.Context, tenantID, msn, authReqID string) error
	// PingNow is Ping done in the webhook's own write: the login is made
	// due and taken by this process, and record (the delivery, applied)
	// is stored with it. False when it could not be done that way, with
	// nothing stored: the delivery then goes through the inbox (Ping).
	PingNow(ctx context.Context, tenantID, msn, authReqID string, record store.Job) bool
}

// Deps is what New needs.
type Deps struct {
	Config   *config.Config
	Clock    clockwork.Clock
	Log      *slog.Logger
	Engine   *work.Engine
	Tenants  map[string]*tenants.Tenant
	Metrics  *Metrics
	Shutdown <-chan struct{}
	Pinger   Pinger
}

// New registers the payment kinds with the engine. Nothing is contacted.
func New(d Deps) *Payments {
	p := &Payments{
		cfg: d.Config, clock: d.Clock, log: d.Log, store: d.Engine.Store(), engine: d.Engine,
		tenants: d.Tenants, metrics: d.Metrics, shutdown: d.Shutdown, hooks: map[string]hookSecrets{}, pinger: d.Pinger,
		bcWriters: map[string]*bcWriter{},
	}
	d.Engine.Register(KindPayment, documentKind{p})
	d.Engine.Register(KindFollow, followKind{p})
	d.Engine.Register(KindOp, opKind{p})
	d.Engine.Register(KindEvent, eventKind{p})
	d.Engine.Register(KindWebhook, webhookKind{p})
	d.Engine.Register(KindBCOutbox, outboxKind{p})
	d.Engine.OnTransition(p.observeTransition)
	return p
}

// Routes registers the payment endpoints on the authenticated /v1 group.
func (p *Payments) Routes(v1 *gin.RouterGroup) {
	v1.POST("/payments", p.createPayment)
	v1.GET("/payments", p.listPayments)
	v1.GET("/payments/:id", p.getPayment)
	v1.POST("/payments/:id/capture", p.operate(OpCapture))
	v1.POST("/payments/:id/refund", p.operate(OpRefund))
	v1.POST("/payments/:id/cancel", p.operate(OpCancel))
}

// WebhookRoutes registers the Vipps webhook endpoint (no API key: the
// signature decides).
func (p *Payments) WebhookRoutes(r gin.IRoutes) {
	r.POST("/v1/webhooks/vipps/:tenant/:msn", p.receiveWebhook)
}

func (p *Payments) observeTransition(j store.Job) {
	switch j.Kind {
	case KindPayment:
		p.metrics.payments.WithLabelValues(j.Status).Inc()
		p.log.Info("payment "+j.Status, "tenant", j.TenantID, "payment", j.ID)
	case KindOp:
		if j.Final {
			s := decodeOp(j.State)
			p.metrics.operations.WithLabelValues(s.Type, j.Status).Inc()
		}
	}
}

// documentKind is the payment row. It is due only until its follower
// exists: if the process that stored it died before creating the
// follower, its step creates it.
type documentKind struct{ p *Payments }

func (documentKind) Final(status string) bool { return Final(status) }

func (k documentKind) Step(ctx context.Context, j store.Job) {
	if _, err := k.p.createFollower(ctx, j, k.p.clock.Now()); err != nil {
		k.p.log.Warn("payment follower", "tenant", j.TenantID, "payment", j.ID, "err", err)
		next := j
		next.DueAt = k.p.clock.Now().Add(work.Backoff(1, time.Minute))
		_, _ = k.p.engine.Save(ctx, j, next)
		return
	}
	next := j
	s := decodeState(j.State)
	if at := k.p.profilePurgeAt(s, j); !at.IsZero() && !k.p.clock.Now().Before(at) {
		// The caller has had the profile for retention.profile.
		next.Result = nil
	}
	next.DueAt = k.p.profilePurgeAt(s, next)
	_, _ = k.p.engine.Save(ctx, j, next)
}

// profilePurgeAt is when the delivered profile of payment j (state s) is
// purged; zero when there is none to purge.
func (p *Payments) profilePurgeAt(s state, j store.Job) time.Time {
	if s.ProfileDeliveredAt.IsZero() || len(j.Result) == 0 {
		return time.Time{}
	}
	return s.ProfileDeliveredAt.Add(p.cfg.Retention.Profile)
}

// finalDelivered hands the purge of a final payment's delivered profile
// to the store's housekeeping (a final row is never due, so its own step
// cannot): it is delivered when the profile was, and purged
// retention.profile after that.
func (p *Payments) finalDelivered(ctx context.Context, j store.Job) {
	s := decodeState(j.State)
	if !j.Final || s.ProfileDeliveredAt.IsZero() || !j.DeliveredAt.IsZero() {
		return
	}
	if err := p.store.MarkDelivered(context.WithoutCancel(ctx), j.TenantID, j.ID, s.ProfileDeliveredAt); err != nil {
		p.log.Warn("payment profile delivery not recorded; it is purged with the undelivered", "tenant", j.TenantID, "payment", j.ID, "err", err)
	}
}

// answered records that an answer gave the caller payment j's shared
// profile: retention.profile later it is purged, whatever the payment's
// status (the payment row's step purges it while the payment is open,
// the store's housekeeping once it is final).
func (p *Payments) answered(ctx context.Context, j store.Job) {
	if len(j.Result) == 0 || !decodeState(j.State).ProfileDeliveredAt.IsZero() {
		return
	}
	ctx = context.WithoutCancel(ctx)
	_, err := p.mutate(ctx, j.TenantID, j.ID, func(s *state, _ *store.Job) error {
		if !s.ProfileDeliveredAt.IsZero() {
			return errNoChange
		}
		s.ProfileDeliveredAt = p.clock.Now()
		return nil
	})
	if err != nil {
		p.log.Warn("payment profile delivery not recorded; the next answer records it", "tenant", j.TenantID, "payment", j.ID, "err", err)
	}
}

// ID is the id of the tenant's payment with reference ref at sales unit
// msn (the reconciliation finds a ledger entry's payment with it).
func ID(tenantID, msn, ref string) string { return paymentID(tenantID, msn, ref) }

// paymentID is the id of the payment with reference ref at sales unit msn:
// derived from both, so a reference is used once per sales unit and found
// without an index.
func paymentID(tenantID, msn, ref string) string {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + msn + "\x00" + ref))
	return "pay_" + b32(sum[:16])
}

func b32(b []byte) string {
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + b32(b[:])
}

// vippsKey derives the Idempotency-Key sent to Vipps (at most 50
// characters) from the caller's key, so a retry is the same call.
func vippsKey(tenantID, kind, callerKey string) string {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + kind + "\x00" + callerKey))
	return "bcv-" + b32(sum[:20])
}

// get reads a payment of the tenant.
func (p *Payments) get(ctx context.Context, tenantID, id string) (store.Job, error) {
	j, err := p.store.Get(ctx, tenantID, id)
	if err == nil && j.Kind != KindPayment {
		return store.Job{}, store.ErrNotFound
	}
	return j, err
}

// errNoChange ends a mutation that has nothing to write.
var errNoChange = errors.New("no change")

// mutate applies f to the payment's state and stores it, retrying on a
// concurrent write (f runs again on the fresh row). f returns errNoChange
// when there is nothing to store. Every stored change is queued for BC.
func (p *Payments) mutate(ctx context.Context, tenantID, id string, f func(s *state, j *store.Job) error) (store.Job, error) {
	j, _, err := p.mutateRecording(ctx, tenantID, id, nil, mutateTries, f)
	return j, err
}

// mutateTries bounds mutate's tries when concurrent writes keep winning.
// A webhook's request tries fewer (webhookTries) and then leaves the event
// to the inbox, so that a burst of events for one payment does not hold
// its answers.
const (
	mutateTries  = 50
	webhookTries = 3
)

// mutateRecording is mutate that also creates records (final jobs: what
// caused the change) in the write that stores the change; stored reports
// whether it wrote (a change with nothing to store writes no record).
func (p *Payments) mutateRecording(ctx context.Context, tenantID, id string, records []store.Job, tries int, f func(s *state, j *store.Job) error) (_ store.Job, stored bool, _ error) {
	var opts []store.UpdateOption
	for _, r := range records {
		o, err := p.engine.Record(r)
		if err != nil {
			return store.Job{}, false, err
		}
		opts = append(opts, o)
	}
	for attempt := 0; ; attempt++ {
		j, err := p.get(ctx, tenantID, id)
		if err != nil {
			return j, false, err
		}
		s := decodeState(j.State)
		before, beforeChanges := s.Aggregate, s.Changes
		next := j
		// A final payment still takes what does not reopen it (an
		// operation's outcome, an event for the history); f sees its state
		// and refuses what the state refuses.
		if err := f(&s, &next); err != nil {
			if errors.Is(err, errNoChange) {
				return j, false, nil
			}
			return j, false, err
		}
		next.Status = s.status()
		if j.Final && !Final(next.Status) {
			return j, false, nil // older news: a final payment is never reopened
		}
		// BC's vippsPayments shows the status and the amounts; f may also
		// ask for BC to see the payment again (Rewrite).
		bcChange := next.Status != j.Status || s.Aggregate != before || s.Changes != beforeChanges
		if bcChange && s.Changes == beforeChanges {
			s.Changes++
		}
		next.State = mustJSON(s)
		// The follower exists by now: the document is due only to purge a
		// delivered profile.
		next.DueAt = p.profilePurgeAt(s, next)
		var saved store.Job
		if bcChange {
			// The change and its outbox's due time are one transaction: no
			// crash between them can keep BC from the change. An outbox
			// being written now is left alone; its writer reads the
			// payment again after its write (syncBC).
			saved, err = p.engine.SaveWaking(ctx, j, next, store.Wakeup{ID: outboxID(j.ID), Status: outboxPending, DueAt: p.clock.Now()}, opts...)
		} else {
			saved, err = p.engine.Save(ctx, j, next, opts...)
		}
		if err == nil {
			p.engine.Recorded(records...)
			p.finalDelivered(ctx, saved)
			return saved, true, nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt+1 >= tries {
			return j, false, err
		}
	}
}

// storeProblem answers a store error.
func (p *Payments) storeProblem(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemNotFound, Title: "Not found", Status: 404,
			Detail: "No payment with this id for this API key."})
		return
	}
	api.WriteStoreUnavailable(c, p.log, err)
}
