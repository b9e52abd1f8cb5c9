package connector

import (
	"context"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bcvipps/bcvipps/connector/api"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// APIHandler returns the HTTP API for BC extensions: /v1/…, /healthz,
// /readyz and /openapi.json. Each job package registers its own routes
// under /v1, behind the API-key authentication.
func (s *Service) APIHandler() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery(), api.RequestID(), api.AccessLog(s.log, s.metrics.http))
	if s.cfg.Server.Pprof {
		r.Use(api.ProfileLabels())
	}
	r.HandleMethodNotAllowed = true
	// A path with a trailing slash is not found (problem+json), not
	// redirected with an HTML body: a POST would not follow a 307 anyway.
	r.RedirectTrailingSlash = false
	r.NoRoute(func(c *gin.Context) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemNotFound, Title: "Not found", Status: http.StatusNotFound, Detail: "No such endpoint."})
	})
	r.NoMethod(func(c *gin.Context) {
		api.WriteProblem(c, &api.Problem{Type: api.ProblemMethodNotAllowed, Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Detail: "This endpoint does not support the method."})
	})
	s.health(r)
	r.GET("/openapi.json", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", s.openapiJSON) })

	// Vipps webhooks authenticate by their signature, not by an API key.
	s.payments.WebhookRoutes(r)
	v1 := r.Group("/v1", api.Auth(s.keys))
	s.logins.Routes(v1)
	s.payments.Routes(v1)
	s.club.Routes(v1)
	s.recon.Routes(v1)
	return r
}

// AdminHandler returns the admin listener's handler: /metrics, /healthz and
// /readyz, and with server.pprof Go's profiler at /debug/pprof/. Keep it
// off the public network.
func (s *Service) AdminHandler() http.Handler {
	r := gin.New()
	r.Use(gin.Recovery())
	s.health(r)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	if s.cfg.Server.Pprof {
		r.Any("/debug/pprof/*name", gin.WrapF(servePprof))
	}
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

// servePprof serves net/http/pprof's index, its named profiles and the
// CPU profile and trace, which the index does not route by itself.
func servePprof(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, "/debug/pprof/") {
	case "cmdline":
		pprof.Cmdline(w, r)
	case "profile":
		pprof.Profile(w, r)
	case "symbol":
		pprof.Symbol(w, r)
	case "trace":
		pprof.Trace(w, r)
	default:
		pprof.Index(w, r)
	}
}
