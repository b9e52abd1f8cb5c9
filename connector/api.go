package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/internal/jsonbody"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bcvipps/bcvipps/connector/store"
)

// Route prefixes of the two login-based request kinds.
const (
	customerRoute = "/v1/customer-info-requests"
	memberRoute   = "/v1/member-info-requests"
	maxBodyBytes  = 16 << 10
	maxWait       = 60
	applyingGrace = 3 * time.Second
	// longPollRecheck is how often a long-poll re-reads the store even
	// without a notification.
	longPollRecheck = 2 * time.Second
)

func init() { gin.SetMode(gin.ReleaseMode) }

// APIHandler returns the HTTP API for BC extensions: /v1/…, /healthz,
// /readyz and /openapi.json.
func (s *Service) APIHandler() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery(), requestIDMiddleware(), accessLogMiddleware(s.log, s.metrics))
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, &Problem{Type: ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "No such endpoint."})
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, &Problem{Type: ProblemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Detail: "This endpoint does not support the method."})
	})
	s.health(r)
	r.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", s.openapiJSON) })

	v1 := r.Group("/v1", authMiddleware(s.keys))
	v1.POST("/customer-info-requests", s.createCustomerRequest)
	v1.GET("/customer-info-requests/:id", s.getRequest(kindCustomer))
	v1.DELETE("/customer-info-requests/:id", s.cancelRequest(kindCustomer))
	v1.POST("/member-info-requests", s.createMemberRequest)
	v1.GET("/member-info-requests/:id", s.getRequest(kindMember))
	v1.DELETE("/member-info-requests/:id", s.cancelRequest(kindMember))
	return r
}

// AdminHandler returns the admin listener's handler: /metrics, /healthz and
// /readyz. Keep it off the public network.
func (s *Service) AdminHandler() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery())
	s.health(r)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	return r
}

func (s *Service) health(r *gin.Engine) {
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		checks := gin.H{"config": "ok", "store": "ok"}
		status := http.StatusOK
		if err := s.store.Ping(ctx); err != nil {
			checks["store"] = "unreachable"
			status = http.StatusServiceUnavailable
		}
		if !s.ready {
			checks["config"] = "not loaded"
			status = http.StatusServiceUnavailable
		}
		word := "ok"
		if status != http.StatusOK {
			word = "unavailable"
		}
		c.JSON(status, gin.H{"status": word, "checks": checks})
	})
}

// bindJSON decodes the body strictly: only application/json, exactly one
// JSON object, keys matching the documented names exactly and once, types
// named in plain words; the body is size-limited.
func bindJSON(c *gin.Context, dst any) *Problem {
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return &Problem{Type: ProblemUnsupportedMediaType, Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: "Send the body as JSON with Content-Type: application/json.",
			Errors: []FieldProblem{{Field: "Content-Type", Reason: "must be application/json"}}}
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxBodyBytes+1))
	if err != nil {
		return invalidInput(FieldProblem{Field: "body", Reason: "could not be read"})
	}
	if len(body) > maxBodyBytes {
		return invalidInput(FieldProblem{Field: "body", Reason: fmt.Sprintf("is larger than %d bytes", maxBodyBytes)})
	}
	if p := jsonbody.Decode(body, dst); p != nil {
		return invalidInput(FieldProblem{Field: p.Field, Reason: p.Reason})
	}
	return nil
}

// idempotencyKey reads the optional Idempotency-Key header.
func idempotencyKey(c *gin.Context) (string, *Problem) {
	k := c.GetHeader("Idempotency-Key")
	if utf8.RuneCountInString(k) > 100 {
		return "", invalidInput(FieldProblem{Field: "Idempotency-Key", Reason: "must be at most 100 characters"})
	}
	return k, nil
}

func (s *Service) tenantOf(c *gin.Context) *tenant { return s.tenants[c.GetString(ctxTenant)] }

// getRequest answers GET …/{id}[?wait=N].
func (s *Service) getRequest(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		wait := 0
		if w := c.Query("wait"); w != "" {
			n, err := strconv.Atoi(w)
			if err != nil || n < 0 || n > maxWait {
				writeProblem(c, invalidInput(FieldProblem{Field: "wait", Reason: fmt.Sprintf("must be a whole number of seconds from 0 to %d", maxWait)}))
				return
			}
			wait = n
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
func (s *Service) waitForChange(ctx context.Context, r request, d time.Duration) (request, error) {
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
func (s *Service) cancelRequest(kind string) gin.HandlerFunc {
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
				writeProblem(c, &Problem{Type: ProblemConflict, Title: "Cannot cancel", Status: http.StatusConflict,
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
					writeProblem(c, &Problem{Type: ProblemConflict, Title: "Busy", Status: http.StatusConflict,
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
func (s *Service) markDelivered(ctx context.Context, tenantID, id string) {
	if err := s.store.MarkDelivered(context.WithoutCancel(ctx), tenantID, id, s.clock.Now()); err != nil {
		s.log.Warn("mark delivered", "tenant", tenantID, "request", id, "err", err)
	}
}

// storeProblem answers a store error.
func (s *Service) storeProblem(c *gin.Context, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeProblem(c, &Problem{Type: ProblemNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "No request with this id for this API key."})
		return
	}
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrLeased) {
		writeProblem(c, &Problem{Type: ProblemConflict, Title: "Busy", Status: http.StatusConflict,
			Detail: "The request is being worked on; try again in a second."})
		return
	}
	s.log.Error("store", "err", err, "request_id", c.GetString(ctxRequestID))
	writeProblem(c, &Problem{Type: ProblemInternal, Title: "Internal error", Status: http.StatusServiceUnavailable,
		Detail: "The connector's database did not answer; try again."})
}
