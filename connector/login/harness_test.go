package login_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store"
)

// Test API keys of the two tenants.
const (
	keyAcme  = "acme-test-key-1"
	keyOther = "other-test-key-1"
)

// env is one connector process (or several) against the simulators, all on
// one fake clock. API calls go to the first instance.
type env struct{ *testenv.Env }

// options configure the tenants acme and other, without a publicBaseURL.
func options() testenv.Options {
	return testenv.Options{
		Tenants: []testenv.Tenant{{ID: "acme", APIKey: keyAcme}, {ID: "other", APIKey: keyOther}},
		Login:   "{defaultExpiry: 5m, bindingMessage: true}",
	}
}

func newEnv(t *testing.T, opts ...testenv.Option) *env {
	t.Helper()
	return &env{testenv.New(t, options(), opts...)}
}

// create posts a request and expects 202.
func (e *env) create(route, key string, body map[string]any) string {
	e.T.Helper()
	res := e.Do(http.MethodPost, route, key, body)
	if res.Status != http.StatusAccepted {
		e.T.Fatalf("POST %s: status %d, body %s", route, res.Status, res.Raw)
	}
	id, _ := res.Body["id"].(string)
	if id == "" || res.Body["status"] != "pending" {
		e.T.Fatalf("POST %s: unexpected body %s", route, res.Raw)
	}
	return id
}

// await long-polls the request until its status is want. The long-poll
// returns when the status changes, so nothing sleeps.
func (e *env) await(route, key, id, want string) testenv.Response {
	e.T.Helper()
	for range 10 {
		res := e.Do(http.MethodGet, route+"/"+id+"?wait=60", key, nil)
		if res.Status != http.StatusOK {
			e.T.Fatalf("GET %s: status %d %s", id, res.Status, res.Raw)
		}
		if res.Body["status"] == want {
			return res
		}
		if s, _ := res.Body["status"].(string); login.Final(s) {
			e.T.Fatalf("request %s ended %s, want %s: %s", id, s, want, res.Raw)
		}
	}
	e.T.Fatalf("request %s never reached %s", id, want)
	return testenv.Response{}
}

// row reads a request straight from the store.
func (e *env) row(tenant, id string) login.Request {
	e.T.Helper()
	return login.ToRequest(e.Job(tenant, id))
}

// waitRow blocks until the stored row satisfies ok, driven by the store's
// change feed (no sleeping).
func (e *env) waitRow(tenant, id string, ok func(login.Request) bool) login.Request {
	e.T.Helper()
	var r login.Request
	e.WaitFor(tenant, id, func(j store.Job) bool { r = login.ToRequest(j); return ok(r) })
	return r
}

// drive advances the fake clock to each due time of the request until it
// reaches a final status, waiting for the scheduler's step each time.
func (e *env) drive(tenant, id string) login.Request {
	e.T.Helper()
	for range 50 {
		r := e.row(tenant, id)
		if r.Final {
			return r
		}
		if d := r.DueAt.Sub(e.Clock.Now()); d > 0 {
			e.Advance(d + time.Millisecond)
		} else {
			e.Advance(0)
		}
		v := r.Version
		e.waitRow(tenant, id, func(x login.Request) bool { return x.Version > v })
	}
	e.T.Fatalf("request %s did not finish", id)
	return login.Request{}
}

func (e *env) customer(id string) map[string]any {
	e.T.Helper()
	c, ok := e.BC.Sim.Customer(bctest.DemoCompanyID, id)
	if !ok {
		e.T.Fatalf("customer %s missing", id)
	}
	var m map[string]any
	_ = json.Unmarshal(login.MustJSON(c), &m)
	return m
}
