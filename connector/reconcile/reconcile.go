// Package reconcile runs J5, scheduled reconciliation. This part is the
// payment sweep: every payment that is not final is read at Vipps and a
// difference corrected (a lost webhook), authorizations left uncaptured
// past payments.authorizationAlertHours and payments or operations stuck
// past their time are reported, and BC's vippsPayments rows that differ
// from the connector's view are rewritten. What a run found is stored as
// findings (one per kind and payment: a finding that no longer holds is
// resolved, not duplicated) and written to BC's vippsFindings; a write BC
// does not take is retried by a one-off outbox job (KindFindingBC).
//
// A run is a job of the work engine (kind reconcile-run): started by a
// schedule (jobs.paymentSweep.schedule, one replica per tick) or by POST
// /v1/reconciliation/runs. It works through the payments a page per step,
// storing its cursor and counts after each, so a run killed midway resumes
// where it was and counts nothing twice. The sweep reads BC's rows of a
// page of payments in one call.
//
// The settlement job (settlement.go) reads the Report API a page at a
// time, the next page read ahead while one is matched (prefetch.go); a
// page's captures and refunds are matched to the payments with one store
// read and one commit (payment.SettleEach). docs/benchmarks.md has its
// figures for a million payments.
package reconcile

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
)

// Job kinds.
const (
	KindRun     = "reconcile-run"
	KindFinding = "finding"
)

// Jobs a run can do.
const (
	JobPaymentSweep = "payment-sweep"
	JobSettlement   = "settlement"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunCompleted = "completed"
	RunFailed    = "failed"
)

// Finding kinds and statuses.
const (
	FindingStatusMismatch        = "status-mismatch"
	FindingStuck                 = "stuck"
	FindingAuthorizedNotCaptured = "authorized-not-captured"
	FindingBCOutOfDate           = "bc-out-of-date"

	FindingOpen     = "open"
	FindingResolved = "resolved"
)

// The custom API page findings are written to (DESIGN §8).
const FindingsEntity = "vippsFindings"

const (
	// pageSize is how many payments one step of a sweep looks at.
	pageSize = 50
	// stuckAfter is how long past its expiry a payment may wait for the
	// customer, and an operation stay pending, before it is stuck.
	stuckAfter = 30 * time.Minute
	// maxRunAttempts is how often a run's step is retried before the run
	// fails (the next tick starts a new one).
	maxRunAttempts = 8
)

// Metrics are the reconciliation series.
type Metrics struct {
	runs     *prometheus.CounterVec
	findings *prometheus.CounterVec
}

// NewMetrics makes the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_reconcile_runs_total", Help: "Finished reconciliation runs by job and result.",
		}, []string{"job", "result"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_findings_total", Help: "Findings opened and resolved, by kind and new status (open findings: bcvipps_jobs of kind finding, status open).",
		}, []string{"kind", "status"}),
	}
	reg.MustRegister(m.runs, m.findings)
	return m
}

// Reconciler is J5 for every tenant.
type Reconciler struct {
	cfg      *config.Config
	clock    clockwork.Clock
	log      *slog.Logger
	store    store.Store
	engine   *work.Engine
	tenants  map[string]*tenants.Tenant
	payments *payment.Payments
	metrics  *Metrics
	shutdown <-chan struct{}
	pages    pages
}

// Deps is what New needs.
type Deps struct {
	Config   *config.Config
	Clock    clockwork.Clock
	Log      *slog.Logger
	Engine   *work.Engine
	Tenants  map[string]*tenants.Tenant
	Payments *payment.Payments
	Metrics  *Metrics
	Shutdown <-chan struct{}
}

// New registers the run and finding kinds and every tenant's schedules.
func New(d Deps) (*Reconciler, error) {
	r := &Reconciler{cfg: d.Config, clock: d.Clock, log: d.Log, store: d.Engine.Store(), engine: d.Engine,
		tenants: d.Tenants, payments: d.Payments, metrics: d.Metrics, shutdown: d.Shutdown, pages: pages{stop: d.Shutdown}}
	d.Engine.Register(KindRun, runKind{r})
	d.Engine.Register(KindFinding, findingKind{})
	d.Engine.Register(KindFindingBC, findingBCKind{r})
	d.Engine.Register(KindSettlement, findingKind{})
	d.Engine.Register(KindLedger, findingKind{})
	for _, tc := range d.Config.Tenants {
		for job, spec := range map[string]string{JobPaymentSweep: tc.Jobs.PaymentSweep.Schedule, JobSettlement: tc.Jobs.Settlement.Schedule} {
			if spec == "" || spec == "off" {
				continue
			}
			if spec == "hourly" {
				spec = hourlyAtRandomMinute(tc.ID + "." + job)
			}
			err := d.Engine.AddSchedule(work.Schedule{
				Name: tc.ID + "." + job, Spec: spec, Kind: KindRun, TenantID: tc.ID, Status: RunRunning,
				Input: mustJSON(runInput{Job: job}),
			})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: jobs schedule of %s: %w", tc.ID, job, err)
			}
		}
	}
	return r, nil
}

// runInput is what a run was asked to do.
type runInput struct {
	Job        string `json:"job"`
	LedgerDate string `json:"ledgerDate,omitempty"`
	SalesUnit  string `json:"salesUnit,omitempty"`
}

// Counts are what a run looked at.
type Counts struct {
	Looked    int `json:"looked"`
	Matched   int `json:"matched"`
	Corrected int `json:"corrected"`
}

// runState is a run's State.
type runState struct {
	runInput
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	Counts     Counts    `json:"counts"`
	Findings   int       `json:"findings"`
	// Cursor is the last payment looked at (payment sweep).
	Cursor string `json:"cursor,omitempty"`
	// Settle is where a settlement run is.
	Settle *settleProgress `json:"settle,omitempty"`
	Error  string          `json:"error,omitempty"`
	// unknown are the findings of the settlement page in progress, raised
	// when the page went through.
	unknown []unknownFinding
}

// Run is a run as the API shows it.
type Run struct {
	ID         string     `json:"id"`
	Job        string     `json:"job"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt"`
	LedgerDate string     `json:"ledgerDate,omitempty"`
	SalesUnit  string     `json:"salesUnit,omitempty"`
	Counts     Counts     `json:"counts"`
	Findings   int        `json:"findings"`
	Error      string     `json:"error,omitempty"`
}

// RunOf is the run stored as job j (of kind KindRun) as the API shows it.
func RunOf(j store.Job) Run { return runView(j) }

func runView(j store.Job) Run {
	var s runState
	_ = json.Unmarshal(j.State, &s)
	if s.Job == "" {
		var in runInput
		_ = json.Unmarshal(j.Input, &in)
		s.runInput = in
	}
	started := s.StartedAt
	if started.IsZero() {
		started = j.CreatedAt
	}
	v := Run{ID: j.ID, Job: s.Job, Status: j.Status, StartedAt: started.UTC(), LedgerDate: s.LedgerDate, SalesUnit: s.SalesUnit,
		Counts: s.Counts, Findings: s.Findings, Error: s.Error}
	if !s.FinishedAt.IsZero() {
		f := s.FinishedAt.UTC()
		v.FinishedAt = &f
	}
	return v
}

type runKind struct{ r *Reconciler }

func (runKind) Final(status string) bool { return status == RunCompleted || status == RunFailed }

func (k runKind) Step(ctx context.Context, j store.Job) { k.r.step(ctx, j) }

// findingKind is the kind of rows that are records only (findings,
// settlements, ledgers): never due, never final.
type findingKind struct{}

func (findingKind) Final(string) bool               { return false }
func (findingKind) Step(context.Context, store.Job) {}

// newRunID is a run id that sorts by creation time.
func newRunID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("run_%013d_%s", now.UnixMilli(), strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])))
}

func findingID(kind, salesUnit, reference string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + salesUnit + "\x00" + reference))
	return "fnd_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// hourlyAtRandomMinute is "hourly" as Vipps asks Report API users to
// schedule: at a minute from :11 to :59 that differs between tenants (and
// stays the same across restarts and replicas), not at :00–:10.
func hourlyAtRandomMinute(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return fmt.Sprintf("%d * * * *", 11+h.Sum32()%49)
}
