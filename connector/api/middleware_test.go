package api_test

import (
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
)

// TestProfileLabels: a request runs labelled with its method and route
// pattern, never the raw path with its ids.
func TestProfileLabels(t *testing.T) {
	r := gin.New()
	r.Use(api.ProfileLabels())
	got := make(chan [2]string, 1)
	r.GET("/v1/things/:id", func(c *gin.Context) {
		ctx := c.Request.Context()
		method, _ := pprof.Label(ctx, "method")
		route, _ := pprof.Label(ctx, "route")
		got <- [2]string{method, route}
		c.Status(http.StatusNoContent)
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/things/abc123", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d", rec.Code)
	}
	if l := <-got; l != [2]string{http.MethodGet, "/v1/things/:id"} {
		t.Fatalf("labels %q, want GET and the route pattern", l)
	}
}
