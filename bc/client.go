package bc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Client talks to one BC environment and company through API v2.0 and the
// custom APIs installed there. It is safe for concurrent use.
type Client struct {
	cfg     Config
	t       *transport
	root    string // API v2.0 root
	company string // root + /companies(<id>)

	// Customers is the API v2.0 customers entity set of the company.
	Customers *CustomerService
}

// New returns a client for cfg. The credential comes from WithCredential or
// is built from cfg.Auth (NewCredential); Method "basic" sends the on-prem
// user name and web service access key instead of a token.
func New(cfg Config, opts ...Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	var auth authorizer
	switch {
	case o.credential != nil:
		auth = &tokenCache{cred: o.credential, clock: o.clock}
	case cfg.Auth.Method == AuthBasic:
		b, err := newBasicAuth(cfg.Auth.Username, cfg.Auth.AccessKey)
		if err != nil {
			return nil, err
		}
		auth = b
	default:
		cred, err := NewCredential(cfg.Auth, o.httpClient)
		if err != nil {
			return nil, err
		}
		auth = &tokenCache{cred: cred, clock: o.clock}
	}
	gov := o.governor
	if gov == nil {
		gov = NewGovernor(cfg.Limits, o.clock)
	}
	c := &Client{
		cfg: cfg,
		t: &transport{
			rc: newResty(o.httpClient), auth: auth, gov: gov,
			clock: o.clock, logger: o.logger, maxRetries: cfg.MaxRetries, maxWait: o.maxWait,
			service: ServiceBC, logName: "bc",
		},
		root: cfg.apiRoot(),
	}
	c.company = c.root + "/companies(" + url.PathEscape(cfg.CompanyID) + ")"
	c.Customers = &CustomerService{c: c, es: c.entitySet(c.company, "customers")}
	return c, nil
}

// Governor returns the client's governor, to share with other clients of
// the same principal (WithGovernor).
func (c *Client) Governor() *Governor { return c.t.gov }

// Company is an entry of the API's companies list.
type Company struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
}

// Companies lists the environment's companies (GET {root}/companies); use it
// to find Config.CompanyID.
func (c *Client) Companies(ctx context.Context) ([]Company, error) {
	var out []Company
	for co, err := range listPages[Company](ctx, c.t, c.root+"/companies", c.cfg.PageSize) {
		if err != nil {
			return nil, fmt.Errorf("list companies: %w", err)
		}
		out = append(out, co)
	}
	return out, nil
}

// ListOptions are the OData query options of a list.
type ListOptions struct {
	Filter   string   // $filter, e.g. "number eq '10000'"; see Quote
	Select   []string // $select
	OrderBy  string   // $orderby
	Top      int      // $top: at most this many entities in all
	PageSize int      // Prefer: odata.maxpagesize; default Config.PageSize
}

func (o ListOptions) query() string {
	var parts []string
	add := func(k, v string) {
		parts = append(parts, k+"="+strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	if o.Filter != "" {
		add("$filter", o.Filter)
	}
	if len(o.Select) > 0 {
		add("$select", strings.Join(o.Select, ","))
	}
	if o.OrderBy != "" {
		add("$orderby", o.OrderBy)
	}
	if o.Top > 0 {
		add("$top", strconv.Itoa(o.Top))
	}
	if len(parts) == 0 {
		return ""
	}
	return "?" + strings.Join(parts, "&")
}

// Quote returns s as an OData string literal: in single quotes, with single
// quotes doubled.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// keySegment formats an entity key: a GUID bare, anything else quoted.
func keySegment(id string) string {
	if _, err := uuid.Parse(id); err == nil {
		return "(" + id + ")"
	}
	return textKeySegment(id)
}

// textKeySegment formats the key of a text key field: always quoted.
func textKeySegment(id string) string { return "(" + url.PathEscape(Quote(id)) + ")" }

// sendJSON sends body (nil: none) and decodes a 2xx JSON answer into out
// (nil: ignored).
func (t *transport) sendJSON(ctx context.Context, method, u string, headers map[string]string, body, out any, idempotent bool) error {
	req := request{method: method, url: u, headers: headers, idempotent: idempotent}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode body: %w", err)
		}
		req.body = b
	}
	resp, err := t.do(ctx, req)
	if err != nil {
		return err
	}
	if out == nil || len(resp.body) == 0 || resp.status == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", method, redactedPath(u), err)
	}
	return nil
}
