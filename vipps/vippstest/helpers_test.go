package vippstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// specDir is the folder with the official OpenAPI files.
var specDir = filepath.Join("..", "..", "..", "shared", "specs", "vipps")

// env is a simulator under test with a fake clock.
type env struct {
	t     *testing.T
	srv   *Server
	clock *clockwork.FakeClock
}

var epoch = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// start runs a simulator with a fake clock and, when the spec folder is
// present, spec validation (any violation fails the test).
func start(t *testing.T, opts ...Option) *env {
	t.Helper()
	clock := clockwork.NewFakeClockAt(epoch)
	spec, _ := SpecValidationIfPresent(specDir)
	all := append([]Option{WithClock(clock), spec}, opts...)
	return &env{t: t, srv: Start(t, all...), clock: clock}
}

// startRefusals is start for tests that send deliberately invalid
// requests: request violations are expected, but every response must
// still match the specs.
func startRefusals(t *testing.T, opts ...Option) *env {
	t.Helper()
	clock := clockwork.NewFakeClockAt(epoch)
	spec, _ := SpecValidationIfPresent(specDir)
	srv, err := NewServer("127.0.0.1:0", append([]Option{WithClock(clock), spec}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Close()
		for _, v := range srv.SpecViolations() {
			if !strings.Contains(v, ": request: ") {
				t.Errorf("spec violation: %s", v)
			}
		}
	})
	return &env{t: t, srv: srv, clock: clock}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
	return m
}

// do sends a request with the given headers ("Name: value" pairs).
func (e *env) do(method, path string, body string, headers ...string) answer {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// token fetches a merchant access token for the default sales unit.
func (e *env) token() string {
	e.t.Helper()
	a := e.do("POST", "/accesstoken/get", "", "client_id", DefaultClientID, "client_secret", DefaultClientSecret,
		"Ocp-Apim-Subscription-Key", DefaultSubscriptionKey, "Merchant-Serial-Number", DefaultMSN)
	if a.status != 200 {
		e.t.Fatalf("token: %d %s", a.status, a.body)
	}
	return a.json(e.t)["access_token"].(string)
}

// merchant returns the headers of a merchant API call.
func (e *env) merchant(extra ...string) []string {
	return append([]string{"Authorization", "Bearer " + e.token(), "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey,
		"Merchant-Serial-Number", DefaultMSN, "Vipps-System-Name", "bcvipps", "Vipps-System-Version", "1.0.0",
		"Vipps-System-Plugin-Name", "bcvipps-connector", "Vipps-System-Plugin-Version", "1.0.0"}, extra...)
}

// basic returns the Authorization header for client_secret_basic.
func basic() []string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	return []string{"Authorization", req.Header.Get("Authorization")}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
