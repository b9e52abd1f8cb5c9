package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
)

// getRequest answers GET …/{id}[?wait=N].
func (s *Flows) getRequest(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		wait, ok := api.Wait(c)
		if !ok {
			return
		}
		t := s.tenantOf(c)
		id := c.Param("id")
		r, err := s.get(c.Request.Context(), t.id, id)
		if err == nil && r.Kind != kind {
			err = store.ErrNotFound
		}
		if err != nil {
			s.storeProblem(c, err)
			return
		}
		if wait > 0 && !r.Final {
			r, err = s.waitForChange(c.Request.Context(), r, time.Duration(wait)*time.Second)
			if err != nil {
				s.storeProblem(c, err)
				return
			}
		}
		c.JSON(http.StatusOK, s.view(r))
		if r.Final && r.DeliveredAt.IsZero() {
			// Delivery is recorded once the answer is written; the answer
			// can be fetched again for retention.profile (a lost response).
			s.markDelivered(c.Request.Context(), t.id, r.ID)
		}
	}
}

// waitForChange blocks until r changes, d passes, the caller goes away or
// the service shuts down, and returns the latest row.
//
// Consent (pending → applying) is usually followed within milliseconds by
// the write (→ completed), so a change to applying waits up to
// applyingGrace more for the final status; a slow BC write still answers
// applying after that.
func (s *Flows) waitForChange(ctx context.Context, r request, d time.Duration) (request, error) {
	timeout := s.clock.After(d)
	recheck := s.clock.NewTicker(longPollRecheck)
	defer recheck.Stop()
	var grace <-chan time.Time
	start := r.Status
	for {
		ch, forget := s.engine.Wait(r.ID)
		// Re-read after subscribing, so a change in between is not missed.
		cur, err := s.get(ctx, r.TenantID, r.ID)
		if err != nil {
			forget()
			return r, err
		}
		if cur.Final || (cur.Status != start && cur.Status != statusApplying) {
			forget()
			return cur, nil
		}
		if cur.Status == statusApplying && start != statusApplying && grace == nil {
			grace = s.clock.After(applyingGrace)
		}
		r = cur
		done := false
		select {
		case <-ch:
		case <-recheck.Chan():
			// Notifications are hints (another replica's may be lost):
			// look again now and then.
		case <-grace:
			done = true
		case <-timeout:
			done = true
		case <-ctx.Done():
			forget()
			return r, nil
		case <-s.shutdown:
			done = true
		}
		forget()
		if done {
			// Answer with the row as it is now, not as it was when waiting began.
			if latest, err := s.get(context.WithoutCancel(ctx), r.TenantID, r.ID); err == nil {
				return latest, nil
			}
			return r, nil
		}
	}
}

// cancelRequest answers DELETE …/{id}: a pending request becomes cancelled.
// The push already shown on the customer's phone cannot be withdrawn at
// Vipps; the answer is ignored.
func (s *Flows) cancelRequest(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t := s.tenantOf(c)
		ctx := c.Request.Context()
		for attempt := 0; ; attempt++ {
			r, err := s.get(ctx, t.id, c.Param("id"))
			if err == nil && r.Kind != kind {
				err = store.ErrNotFound
			}
			if err != nil {
				s.storeProblem(c, err)
				return
			}
			if r.Status == statusCancelled {
				c.JSON(http.StatusOK, s.view(r))
				return
			}
			if r.Status != statusPending {
				api.WriteProblem(c, &api.Problem{Type: api.ProblemConflict, Title: "Cannot cancel", Status: http.StatusConflict,
					Detail: fmt.Sprintf("The request is %s; only a pending request can be cancelled.", r.Status)})
				return
			}
			prev := r
			r.Status = statusCancelled
			r.LeaseOwner = ""
			r.Private = nil
			updated, err := s.save(ctx, prev, r)
			if err == nil {
				c.JSON(http.StatusOK, s.view(updated))
				// The answer is the delivery of this final state.
				s.markDelivered(ctx, t.id, updated.ID)
				return
			}
			if (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased)) && attempt < 100 {
				// A worker holds the request for a moment (a token poll).
				select {
				case <-time.After(50 * time.Millisecond):
				case <-ctx.Done():
					api.WriteProblem(c, &api.Problem{Type: api.ProblemConflict, Title: "Busy", Status: http.StatusConflict,
						Detail: "The request is being worked on; try again in a second."})
					return
				}
				continue
			}
			s.storeProblem(c, err)
			return
		}
	}
}

// markDelivered records that a final answer was written to the caller.
func (s *Flows) markDelivered(ctx context.Context, tenantID, id string) {
	if err := s.store.MarkDelivered(context.WithoutCancel(ctx), tenantID, id, s.clock.Now()); err != nil {
		s.log.Warn("mark delivered", "tenant", tenantID, "request", id, "err", err)
	}
}

// storeProblem answers a store error.
func (s *Flows) storeProblem(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "No request with this id for this API key."})
		return
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemConflict, Title: "Busy", Status: http.StatusConflict,
			Detail: "The request is being worked on; try again in a second."})
		return
	}
	api.WriteStoreUnavailable(c, s.log, err)
}
