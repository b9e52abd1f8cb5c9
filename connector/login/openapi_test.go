package login_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPIDescribesEveryRoute keeps openapi.yaml and the gin routes in
// step: every route is documented and every documented operation exists.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	e := newEnv(t)
	engine := e.First().Svc.APIHandler().(*gin.Engine)
	var routes, documented []string
	for _, r := range engine.Routes() {
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		routes = append(routes, r.Method+" "+p)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if strings.Join(routes, "\n") != strings.Join(documented, "\n") {
		t.Errorf("routes and openapi.yaml differ:\nroutes:\n%s\n\ndocumented:\n%s", strings.Join(routes, "\n"), strings.Join(documented, "\n"))
	}
	res := e.Do(http.MethodGet, "/openapi.json", "", nil)
	if res.Status != http.StatusOK || res.Body["openapi"] != "3.0.3" {
		t.Errorf("/openapi.json: %d %s", res.Status, res.Raw[:min(len(res.Raw), 200)])
	}
}

// TestResponsesMatchTheOpenAPIDocument validates real answers (202, 200,
// problems) of a full flow against the document.
func TestResponsesMatchTheOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	check := func(method, path, key, body string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res := e.Do(method, path, key, body)
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.Status, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(res.Raw)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
			t.Errorf("%s %s → %d does not match openapi.yaml: %v\n%s", method, path, res.Status, err, res.Raw)
		}
	}
	body := `{"customerNo":"10000","phoneNumber":"+47 912 34 567"}`
	res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, body)
	id := res.Body["id"].(string)
	check(http.MethodGet, login.CustomerRoute+"/"+id, keyAcme, "")
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "completed")
	check(http.MethodGet, login.CustomerRoute+"/"+id, keyAcme, "")
	check(http.MethodPost, login.CustomerRoute, keyAcme, body)
	check(http.MethodPost, login.CustomerRoute, keyAcme, `{"customerNo":"10000","phoneNumber":"x"}`)
	check(http.MethodPost, login.CustomerRoute, keyAcme, `{"customerNo":"99999","phoneNumber":"91234567"}`)
	check(http.MethodGet, login.CustomerRoute+"/nope", keyAcme, "")
	check(http.MethodPost, login.MemberRoute, keyAcme, `{"phoneNumber":"91234567"}`)
	check(http.MethodGet, "/healthz", "", "")
	check(http.MethodGet, "/readyz", "", "")
	_ = bctest.DemoCompanyID
}

func TestMetricsOnTheAdminListener(t *testing.T) {
	e := newEnv(t)
	// The stored row is visible (and a long-poll answered) a moment before
	// the engine has counted its transition: the test waits for the count.
	// Observers run after the engine's counters and the login package's
	// own observer (registered first).
	counted := make(chan struct{})
	var once sync.Once
	e.First().Svc.Engine().OnTransition(func(j store.Job) {
		if j.Kind == "customer" && j.Status == "completed" {
			once.Do(func() { close(counted) })
		}
	})
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "completed")
	select {
	case <-counted:
	case <-time.After(20 * time.Second):
		t.Fatal("the completed transition was never reported")
	}
	e.First().Svc.Engine().Housekeep(context.Background())
	admin := httptest.NewServer(e.First().Svc.AdminHandler())
	defer admin.Close()
	res, err := http.Get(admin.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`bcvipps_http_requests_total{method="POST",route="/v1/customer-info-requests",status="202"} 1`,
		`bcvipps_logins_total{kind="customer",status="completed"} 1`,
		`bcvipps_upstream_request_duration_seconds_count{api="vipps",endpoint="login.token",status="200"} 1`,
		`bcvipps_upstream_request_duration_seconds_count{api="bc",endpoint="customers",status="200"}`,
		`bcvipps_jobs{kind="customer",status="completed"} 1`,
		`bcvipps_job_transitions_total{kind="customer",status="completed"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(body), "91234567") || strings.Contains(string(body), id) {
		t.Errorf("/metrics carries request data")
	}
	if res := e.Do(http.MethodGet, "/metrics", "", nil); res.Status != http.StatusNotFound {
		t.Errorf("/metrics on the API listener: %d", res.Status)
	}
}
