package bctest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

// fetchToken gets a token from the simulated authority with a plain POST.
func fetchToken(t *testing.T, srv *bctest.Servers, tenant, clientID, secret string) string {
	t.Helper()
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://api.businesscentral.dynamics.com/.default"},
	}
	resp, err := srv.HTTPClient().PostForm(srv.AuthorityURL+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: status %d, err %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// result is a decoded HTTP answer.
type result struct {
	status int
	header http.Header
	body   map[string]any
	list   []any // when the body is a JSON array
	raw    []byte
}

func (r result) code() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r result) message() string {
	e, _ := r.body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func (r result) values() []map[string]any {
	vs, _ := r.body["value"].([]any)
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.(map[string]any))
	}
	return out
}

// call sends one request. body may be nil, []byte (sent as is) or a value
// encoded as JSON. headers are "Name: value" pairs.
func call(t *testing.T, method, u, token string, body any, headers ...string) result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if raw[0] == '[' {
			_ = json.Unmarshal(raw, &r.list)
		} else {
			_ = json.Unmarshal(raw, &r.body)
		}
	}
	return r
}

// demo is a started simulator with a demo token and URLs.
type demo struct {
	srv       *bctest.Servers
	token     string
	root      string // API v2.0 root
	customers string // customers collection URL of the demo company
}

func startDemo(t *testing.T, opts ...bctest.Option) demo {
	t.Helper()
	srv := bctest.Start(t, opts...)
	root := srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)
	return demo{
		srv: srv, token: fetchToken(t, srv, bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret),
		root: root, customers: root + "/companies(" + bctest.DemoCompanyID + ")/customers",
	}
}

func (d demo) customer(id string) string { return d.customers + "(" + id + ")" }

// query encodes query options, e.g. query("$filter", "code eq 'NO'").
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + strings.ReplaceAll(v.Encode(), "+", "%20")
}

// status sends a request without a body and returns the status, or -1 when
// the request fails; safe to use from goroutines.
func status(method, u, token string) int {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return -1
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
