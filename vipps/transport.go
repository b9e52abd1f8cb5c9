package vipps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
)

// transport hides resty. resty's own retries are switched off (count 0,
// no conditions) so that RetryPolicy is the only retry decision, and its
// logger is silenced so it cannot print URLs or bodies.
type transport struct{ r *resty.Client }

const maxResponseBytes = 8 << 20

func newTransport(hc *http.Client) *transport {
	r := resty.NewWithClient(hc).
		SetRetryCount(0).
		SetLogger(discardLogger{}).
		SetDisableWarn(true).
		SetDebug(false).
		SetResponseBodyLimit(maxResponseBytes)
	return &transport{r: r}
}

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

type authKind int

const (
	authMerchant    authKind = iota // Bearer token from /accesstoken/get
	authNone                        // credentials travel in headers/body set by the caller
	authLoginClient                 // client_secret_basic, or partner Bearer token
	authUser                        // Bearer token of a logged-in user
)

// call is one logical API request; the body is sent byte-identical on
// every attempt.
type call struct {
	op             string
	method         string
	url            string
	query          url.Values
	body           []byte
	contentType    string
	header         http.Header
	auth           authKind
	userToken      string
	idempotencyKey string
	safe           bool // the API defines repeating this call as harmless
	no429Retry     bool // the caller schedules around 429 itself
	single         bool // one attempt whatever the retry policy says; the caller reschedules
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// url joins the base URL (which may carry a path prefix) and an API path.
func (c *Client) url(path string) string { return c.base + path }

// setCommonHeaders is the one place the per-call Vipps headers are set.
// The four Vipps-System-* headers always have a value: New filled the
// empty ones with the defaults (System.withDefaults).
func (c *Client) setCommonHeaders(h http.Header) {
	h.Set("Ocp-Apim-Subscription-Key", c.cfg.SubscriptionKey)
	if c.cfg.MSN != "" {
		h.Set("Merchant-Serial-Number", c.cfg.MSN)
	}
	sys := c.cfg.System
	h.Set("Vipps-System-Name", sys.Name)
	h.Set("Vipps-System-Version", sys.Version)
	h.Set("Vipps-System-Plugin-Name", sys.PluginName)
	h.Set("Vipps-System-Plugin-Version", sys.PluginVersion)
}

// raw sends cl under the retry policy and returns the last answer, whatever
// its status, or the error that ended the attempts. A single call is sent
// exactly once.
func (c *Client) raw(ctx context.Context, cl call) (*reply, error) {
	for n := 1; ; n++ {
		rep, err := c.once(ctx, cl)
		a := Attempt{Method: cl.method, Idempotent: cl.safe || cl.idempotencyKey != "", Number: n, Err: err, CtxErr: ctx.Err()}
		if rep != nil {
			a.Status = rep.status
			a.RetryAfter = parseRetryAfter(rep.header.Get("Retry-After"), c.clock.Now())
			if cl.no429Retry && rep.status == http.StatusTooManyRequests {
				return rep, nil
			}
		}
		var te *tokenError
		if errors.As(err, &te) {
			return nil, te.err
		}
		d := c.policy.Decide(a)
		if cl.single {
			d = Decision{Reason: "single attempt"}
		}
		if !d.Retry {
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("%s: %w", cl.op, ctx.Err())
				}
				return nil, &NetworkError{Op: cl.op, Err: err}
			}
			return rep, nil
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "vipps call retried",
			slog.String("op", cl.op), slog.Int("attempt", n), slog.Int("status", a.Status),
			slog.String("reason", d.Reason), slog.Duration("wait", d.Wait))
		if err := c.sleep(ctx, d.Wait); err != nil {
			return nil, fmt.Errorf("%s: %w", cl.op, err)
		}
	}
}

// tokenError carries a failure to get an access token out of once
// without a second round of retries (the token call has its own).
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := c.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.Chan():
		return nil
	}
}

func (c *Client) once(ctx context.Context, cl call) (*reply, error) {
	req := c.http.r.R().SetContext(ctx)
	h := http.Header{}
	c.setCommonHeaders(h)
	for k, vs := range cl.header {
		h[k] = vs
	}
	switch cl.auth {
	case authMerchant:
		tok, err := c.accessToken(ctx)
		if err != nil {
			return nil, &tokenError{err: fmt.Errorf("%s: %w", cl.op, err)}
		}
		h.Set("Authorization", "Bearer "+tok)
	case authLoginClient:
		if c.cfg.PartnerKeys {
			tok, err := c.accessToken(ctx)
			if err != nil {
				return nil, &tokenError{err: fmt.Errorf("%s: %w", cl.op, err)}
			}
			h.Set("Authorization", "Bearer "+tok)
		} else if c.cfg.LoginAuthMethod != AuthClientSecretPost {
			req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
		}
	case authUser:
		h.Set("Authorization", "Bearer "+cl.userToken)
	}
	if cl.idempotencyKey != "" {
		h.Set("Idempotency-Key", cl.idempotencyKey)
	}
	if cl.body != nil {
		h.Set("Content-Type", cl.contentType)
		req.SetBody(cl.body)
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	req.Header = h
	if cl.query != nil {
		req.SetQueryParamsFromValues(cl.query)
	}
	resp, err := req.Execute(cl.method, cl.url)
	if err != nil {
		return nil, err
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "vipps call", slog.String("op", cl.op), slog.Int("status", resp.StatusCode()))
	return &reply{status: resp.StatusCode(), header: resp.Header(), body: resp.Body()}, nil
}

// send performs cl and decodes a 2xx JSON body into out (when non-nil);
// any other status becomes an *Error or *RateLimitError.
func (c *Client) send(ctx context.Context, cl call, out any) (*reply, error) {
	rep, err := c.raw(ctx, cl)
	if err != nil {
		return nil, err
	}
	if rep.status < 200 || rep.status > 299 {
		return rep, decodeError(cl.op, rep.status, rep.header, rep.body, c.clock.Now())
	}
	if out != nil && len(rep.body) > 0 {
		if err := json.Unmarshal(rep.body, out); err != nil {
			return rep, fmt.Errorf("%s: decode response: %w", cl.op, err)
		}
	}
	return rep, nil
}

// jsonCall builds a call with a JSON body.
func jsonCall(op, method, u string, body any) (call, error) {
	cl := call{op: op, method: method, url: u}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return cl, fmt.Errorf("%s: encode request: %w", op, err)
		}
		cl.body, cl.contentType = b, "application/json"
	}
	return cl, nil
}

func jsonDecode(b []byte, out any) error { return json.Unmarshal(b, out) }
