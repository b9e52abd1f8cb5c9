package payment

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
)

// getPayment answers GET /v1/payments/{id}[?wait=N]: with wait, as soon as
// the status, an amount or an operation changes.
func (p *Payments) getPayment(c *gin.Context) {
	wait, ok := api.Wait(c)
	if !ok {
		return
	}
	t := p.tenants[api.TenantOf(c)]
	j, err := p.get(c.Request.Context(), t.ID, c.Param("id"))
	if err != nil {
		p.storeProblem(c, err)
		return
	}
	if wait > 0 && !j.Final {
		j = p.waitForChange(c.Request.Context(), j, time.Duration(wait)*time.Second)
	}
	c.JSON(http.StatusOK, view(j))
	p.answered(c.Request.Context(), j)
}

// listPayments answers GET /v1/payments?reference=R: the payment with that
// reference at each of the tenant's sales units.
func (p *Payments) listPayments(c *gin.Context) {
	t := p.tenants[api.TenantOf(c)]
	ref := c.Query("reference")
	if !referenceRE.MatchString(ref) {
		api.WriteProblem(c, api.InvalidInput(api.FieldProblem{Field: "reference", Reason: "is required: 8 to 64 letters, digits or '-'"}))
		return
	}
	items := []View{}
	var found []store.Job
	for _, su := range t.Config.Vipps.SalesUnits {
		j, err := p.get(c.Request.Context(), t.ID, paymentID(t.ID, su.MSN, ref))
		if err == nil {
			items = append(items, view(j))
			found = append(found, j)
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			p.storeProblem(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
	for _, j := range found {
		p.answered(c.Request.Context(), j)
	}
}

// visible is what a long-poll waits for a change of.
func visible(j store.Job) string {
	s := decodeState(j.State)
	return string(mustJSON([]any{j.Status, s.Aggregate, s.Operations}))
}

// waitForChange blocks until what the payment shows changes, d passes,
// the caller goes away or the service shuts down, and returns the latest
// row.
func (p *Payments) waitForChange(ctx context.Context, j store.Job, d time.Duration) store.Job {
	timeout := p.clock.After(d)
	recheck := p.clock.NewTicker(longPollRecheck)
	defer recheck.Stop()
	start := visible(j)
	for {
		ch, forget := p.engine.Wait(j.ID)
		cur, err := p.get(ctx, j.TenantID, j.ID)
		if err != nil {
			forget()
			return j
		}
		if cur.Final || visible(cur) != start {
			forget()
			return cur
		}
		j = cur
		select {
		case <-ch:
		case <-recheck.Chan():
		case <-timeout:
			forget()
			return p.latest(ctx, j)
		case <-ctx.Done():
			forget()
			return j
		case <-p.shutdown:
			forget()
			return p.latest(ctx, j)
		}
		forget()
	}
}

func (p *Payments) latest(ctx context.Context, j store.Job) store.Job {
	if cur, err := p.get(context.WithoutCancel(ctx), j.TenantID, j.ID); err == nil {
		return cur
	}
	return j
}
