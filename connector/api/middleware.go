package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Keys under which middleware stores values in the gin context.
const (
	CtxRequestID = "bcvipps.requestID"
	CtxTenant    = "bcvipps.tenant"
)

// Metrics are the HTTP series AccessLog counts.
type Metrics struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewMetrics makes the HTTP series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_http_requests_total", Help: "API requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bcvipps_http_request_duration_seconds", Help: "API request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 60},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.Requests, m.Duration)
	return m
}

// TenantOf is the tenant id Auth set.
func TenantOf(c *gin.Context) string { return c.GetString(CtxTenant) }

// newRequestID returns a random 16-byte hex id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RequestID accepts a caller's X-Request-Id (printable, ≤ 64
// characters) or makes one, and echoes it in the response.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Set(CtxRequestID, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// AccessLog logs one line per request: method, route (the
// pattern, never the raw path with ids), status, duration, request id and
// tenant. Query strings and bodies are never logged.
func AccessLog(log *slog.Logger, m *Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		elapsed := time.Since(start)
		if m != nil {
			m.Requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
			m.Duration.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())
		}
		if route == "/healthz" || route == "/readyz" {
			return
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
			slog.String("request_id", c.GetString(CtxRequestID)),
			slog.String("tenant", c.GetString(CtxTenant)),
		)
	}
}

// Keys maps SHA-256 hashes (hex) of API keys to tenant ids.
type Keys map[string]string

// HashAPIKey returns the hex SHA-256 of an API key, the form configured in
// tenants[].apiKeys[].sha256.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Auth accepts "Authorization: Bearer <api key>" and sets the
// tenant. Only hashes are kept in memory; the lookup is by hash, so the
// comparison never touches the key itself.
func Auth(keys Keys) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(key) == "" {
			c.Header("WWW-Authenticate", `Bearer realm="bcvipps"`)
			WriteProblem(c, &Problem{Type: ProblemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
				Detail: "Send the tenant's API key as 'Authorization: Bearer <key>'."})
			return
		}
		tenant, found := keys[HashAPIKey(strings.TrimSpace(key))]
		if !found {
			c.Header("WWW-Authenticate", `Bearer realm="bcvipps", error="invalid_token"`)
			WriteProblem(c, &Problem{Type: ProblemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
				Detail: "The API key is not known to this connector."})
			return
		}
		c.Set(CtxTenant, tenant)
		c.Next()
	}
}

// ProfileLabels labels the request's goroutine with its method and route
// (the pattern) for the CPU profiler (server.pprof), so a profile can be
// split by endpoint: go tool pprof -tags, or -tagfocus route=/v1/….
// Goroutines the request starts inherit the labels.
func ProfileLabels() gin.HandlerFunc {
	return func(c *gin.Context) {
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		pprof.Do(c.Request.Context(), pprof.Labels("method", c.Request.Method, "route", route), func(ctx context.Context) {
			c.Request = c.Request.WithContext(ctx)
			c.Next()
		})
	}
}
