package login_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store"
)

// TestOpenAPIDescribesEveryRoute keeps openapi.yaml and the gin routes in
// step: every route is documented and every documented operation exists.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := testenv.LoadOpenAPI(t)
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
	e := newEnv(t)
	oc := testenv.NewOpenAPIChecker(e.Env)
	check := func(method, path, key, body string) {
		t.Helper()
		oc.Check(method, path, key, body)
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
	// A trailing slash is a problem+json 404, not an HTML redirect.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	slash, err := noFollow.Get(e.First().API.URL + "/v1/reconciliation/runs/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, slash.Body)
	slash.Body.Close()
	if slash.StatusCode != http.StatusNotFound || slash.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("a trailing slash: %d %s", slash.StatusCode, slash.Header.Get("Content-Type"))
	}
}

// TestProfilerOnlyWhenAsked: /debug/pprof/ is on the admin listener only
// with server.pprof, and never on the API listener.
func TestProfilerOnlyWhenAsked(t *testing.T) {
	e := newEnv(t, testenv.NotStarted())
	get := func(h http.Handler, path string) int {
		t.Helper()
		srv := httptest.NewServer(h)
		defer srv.Close()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	off := e.Start("off")
	if got := get(off.Svc.AdminHandler(), "/debug/pprof/heap?debug=1"); got != http.StatusNotFound {
		t.Errorf("profiler off: /debug/pprof/heap answered %d, want 404", got)
	}
	e.Cfg.Server.Pprof = true
	on := e.Start("on")
	// profile runs for its second: the index does not route it (nor
	// cmdline and symbol), servePprof does.
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/cmdline", "/debug/pprof/symbol", "/debug/pprof/profile?seconds=1"} {
		if got := get(on.Svc.AdminHandler(), path); got != http.StatusOK {
			t.Errorf("profiler on: %s answered %d, want 200", path, got)
		}
	}
	if got := get(on.Svc.APIHandler(), "/debug/pprof/"); got != http.StatusNotFound {
		t.Errorf("profiler on: the API listener answered %d for /debug/pprof/, want 404", got)
	}
}
