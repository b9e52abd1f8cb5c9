package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
)

// Routes registers the reconciliation endpoints on the authenticated /v1
// group.
func (r *Reconciler) Routes(v1 *gin.RouterGroup) {
	v1.POST("/reconciliation/runs", r.startRun)
	v1.GET("/reconciliation/runs", r.listRuns)
	v1.GET("/reconciliation/runs/:id", r.getRun)
	v1.GET("/reconciliation/findings", r.listFindings)
	v1.GET("/settlements", r.listSettlements)
}

// listSettlements answers GET /v1/settlements[?from=&to=&salesUnit=]:
// the settled ledger dates, newest first.
func (r *Reconciler) listSettlements(c *gin.Context) {
	t := r.tenants[api.TenantOf(c)]
	from, to, su := c.Query("from"), c.Query("to"), c.Query("salesUnit")
	for field, v := range map[string]string{"from": from, "to": to} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			api.WriteProblem(c, api.InvalidInput(api.FieldProblem{Field: field, Reason: "must be a date such as 2026-11-30"}))
			return
		}
	}
	items := []Settlement{}
	err := r.each(c.Request.Context(), t.ID, KindSettlement, func(j store.Job) {
		var st Settlement
		_ = json.Unmarshal(j.State, &st)
		if (from == "" || st.LedgerDate >= from) && (to == "" || st.LedgerDate <= to) && (su == "" || st.SalesUnit == su) {
			items = append(items, st)
		}
	})
	if err != nil {
		r.storeProblem(c, err)
		return
	}
	slices.SortFunc(items, func(a, b Settlement) int { return strings.Compare(b.LedgerDate+b.SalesUnit, a.LedgerDate+a.SalesUnit) })
	c.JSON(http.StatusOK, gin.H{"items": items})
}

type runBody struct {
	Job string `json:"job"`
	// Pointers: a field sent empty is refused, one left out takes its
	// default.
	LedgerDate *string `json:"ledgerDate"`
	SalesUnit  *string `json:"salesUnit"`
}

// StartRun stores a run of job for the tenant, due now (ledgerDate is for
// the settlement job; a payment sweep ignores it).
func (r *Reconciler) StartRun(ctx context.Context, tenantID, job, ledgerDate, salesUnit string) (Run, error) {
	j, err := r.storeRun(ctx, tenantID, runInput{Job: job, LedgerDate: ledgerDate, SalesUnit: salesUnit}, "", "")
	if err != nil {
		return Run{}, err
	}
	return runView(j), nil
}

// storeRun stores the run in, under the caller's Idempotency-Key key
// (with the request's hash) when there is one. A key used before comes
// back as store.ErrDuplicate with the stored run.
func (r *Reconciler) storeRun(ctx context.Context, tenantID string, in runInput, key, hash string) (store.Job, error) {
	now := r.clock.Now()
	return r.engine.Create(ctx, store.Job{TenantID: tenantID, ID: newRunID(now), Kind: KindRun, Status: RunRunning,
		IdempotencyKey: key, RequestHash: hash, Input: mustJSON(in), State: mustJSON(runState{runInput: in, StartedAt: now}), DueAt: now})
}

// startRun answers POST /v1/reconciliation/runs: 202 with the run.
func (r *Reconciler) startRun(c *gin.Context) {
	t := r.tenants[api.TenantOf(c)]
	var body runBody
	key, ok := api.BindCreate(c, &body)
	if !ok {
		return
	}
	var errs []api.FieldProblem
	switch body.Job {
	case JobPaymentSweep, JobSettlement:
	case "":
		errs = append(errs, api.FieldProblem{Field: "job", Reason: "is required: payment-sweep or settlement"})
	default:
		errs = append(errs, api.FieldProblem{Field: "job", Reason: "must be payment-sweep or settlement"})
	}
	in := runInput{Job: body.Job}
	if body.LedgerDate != nil {
		in.LedgerDate = *body.LedgerDate
		if _, err := time.Parse(time.DateOnly, in.LedgerDate); err != nil {
			errs = append(errs, api.FieldProblem{Field: "ledgerDate", Reason: "must be a date such as 2026-11-30 (leave it out for yesterday's)"})
		}
	}
	if body.SalesUnit != nil {
		in.SalesUnit = *body.SalesUnit
		if t.Vipps[in.SalesUnit] == nil {
			errs = append(errs, api.FieldProblem{Field: "salesUnit", Reason: "is not a sales unit (MSN) of this tenant (leave it out for all of them)"})
		}
	}
	if len(errs) > 0 {
		api.WriteProblem(c, api.InvalidInput(errs...))
		return
	}
	hash := api.RequestHash(KindRun, in.Job, in.LedgerDate, in.SalesUnit)
	j, err := r.storeRun(c.Request.Context(), t.ID, in, key, hash)
	if errors.Is(err, store.ErrDuplicate) && key != "" && j.IdempotencyKey == key {
		// A retry gets the run it started; another request under the key
		// gets 409.
		if !sameRun(j, hash, in) {
			api.WriteProblem(c, api.IdempotencyReused())
			return
		}
		c.JSON(http.StatusOK, runView(j))
		return
	}
	if err != nil {
		r.storeProblem(c, err)
		return
	}
	c.JSON(http.StatusAccepted, runView(j))
}

// sameRun reports whether run j was started by the request in (with hash
// hash). Once the purge has cleared the stored hash, the run's own state
// (no personal data, kept) tells: the same job and sales unit, and the
// same ledger date when the request names one (a run fills in its
// default).
func sameRun(j store.Job, hash string, in runInput) bool {
	if j.RequestHash != "" {
		return j.RequestHash == hash
	}
	var rs runState
	_ = json.Unmarshal(j.State, &rs)
	return rs.Job == in.Job && rs.SalesUnit == in.SalesUnit && (in.LedgerDate == "" || rs.LedgerDate == in.LedgerDate)
}

// listRuns answers GET /v1/reconciliation/runs[?job=&limit=], newest
// first.
func (r *Reconciler) listRuns(c *gin.Context) {
	t := r.tenants[api.TenantOf(c)]
	limit := 20
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			api.WriteProblem(c, api.InvalidInput(api.FieldProblem{Field: "limit", Reason: "must be a whole number from 1 to 1000"}))
			return
		}
		limit = n
	}
	job := c.Query("job")
	var runs []Run
	err := r.each(c.Request.Context(), t.ID, KindRun, func(j store.Job) {
		if v := runView(j); job == "" || v.Job == job {
			runs = append(runs, v)
		}
	})
	if err != nil {
		r.storeProblem(c, err)
		return
	}
	slices.SortFunc(runs, func(a, b Run) int {
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if len(runs) > limit {
		runs = runs[:limit]
	}
	if runs == nil {
		runs = []Run{}
	}
	c.JSON(http.StatusOK, gin.H{"items": runs})
}

// getRun answers GET /v1/reconciliation/runs/{id}[?wait=N]: with wait, as
// soon as the run ends.
func (r *Reconciler) getRun(c *gin.Context) {
	wait, ok := api.Wait(c)
	if !ok {
		return
	}
	t := r.tenants[api.TenantOf(c)]
	ctx := c.Request.Context()
	j, err := r.getRunJob(ctx, t.ID, c.Param("id"))
	if err != nil {
		r.storeProblem(c, err)
		return
	}
	if wait > 0 && !j.Final {
		timeout := r.clock.After(time.Duration(wait) * time.Second)
		for !j.Final {
			ch, forget := r.engine.Wait(j.ID)
			if cur, err := r.getRunJob(ctx, t.ID, j.ID); err == nil {
				j = cur
			}
			if j.Final {
				forget()
				break
			}
			select {
			case <-ch:
			case <-timeout:
				wait = 0
			case <-ctx.Done():
				wait = 0
			case <-r.shutdown:
				wait = 0
			}
			forget()
			if wait == 0 {
				if cur, err := r.getRunJob(context.WithoutCancel(ctx), t.ID, j.ID); err == nil {
					j = cur
				}
				break
			}
		}
	}
	c.JSON(http.StatusOK, runView(j))
}

func (r *Reconciler) getRunJob(ctx context.Context, tenantID, id string) (store.Job, error) {
	j, err := r.store.Get(ctx, tenantID, id)
	if err == nil && j.Kind != KindRun {
		err = store.ErrNotFound
	}
	return j, err
}

// listFindings answers GET /v1/reconciliation/findings[?status=&kind=&reference=].
func (r *Reconciler) listFindings(c *gin.Context) {
	t := r.tenants[api.TenantOf(c)]
	status, kind, ref := c.Query("status"), c.Query("kind"), c.Query("reference")
	if status != "" && status != FindingOpen && status != FindingResolved {
		api.WriteProblem(c, api.InvalidInput(api.FieldProblem{Field: "status", Reason: "must be open or resolved"}))
		return
	}
	items := []Finding{}
	err := r.each(c.Request.Context(), t.ID, KindFinding, func(j store.Job) {
		f := decodeFinding(j)
		if (status == "" || f.Status == status) && (kind == "" || f.Kind == kind) && (ref == "" || f.Reference == ref) {
			items = append(items, f)
		}
	})
	if err != nil {
		r.storeProblem(c, err)
		return
	}
	slices.SortFunc(items, func(a, b Finding) int { return b.FirstSeenAt.Compare(a.FirstSeenAt) })
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// each calls f for every job of kind of the tenant.
func (r *Reconciler) each(ctx context.Context, tenantID, kind string, f func(store.Job)) error {
	after := ""
	for {
		jobs, err := r.store.List(ctx, store.ListQuery{TenantID: tenantID, Kind: kind, AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, j := range jobs {
			f(j)
			after = j.ID
		}
		if len(jobs) < 1000 {
			return nil
		}
	}
}

func (r *Reconciler) storeProblem(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "No run with this id for this API key."})
		return
	}
	api.WriteStoreUnavailable(c, r.log, err)
}
