package bc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/jonboulle/clockwork"
)

// transport is the HTTP layer shared by the BC and NP Retail clients: the
// governor, authentication, one retry policy (decideRetry) and error
// decoding. resty stays inside it; its own retries are off.
type transport struct {
	rc         *resty.Client
	auth       authorizer        // nil: no Authorization header
	headers    map[string]string // sent on every request (e.g. x-np-api-key)
	gov        *Governor         // nil: no client-side limits
	clock      clockwork.Clock
	logger     *slog.Logger
	maxRetries int
}

// request is one logical call; body is marshalled once so every attempt
// sends identical bytes.
type request struct {
	method     string
	url        string
	body       []byte
	headers    map[string]string
	idempotent bool
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func newResty(hc *http.Client) *resty.Client {
	c := *hc // resty may set a Transport on the client it is given; keep the caller's untouched
	return resty.NewWithClient(&c).
		SetLogger(discardLogger{}).
		SetDisableWarn(true).
		SetRetryCount(0)
}

// discardLogger silences resty: its messages may contain URLs with query
// strings (phone numbers in $filter) and headers.
type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

// do sends req with retries and returns the 2xx response, or an *Error for
// BC's answer, or a redacted transport error.
func (t *transport) do(ctx context.Context, req request) (*response, error) {
	path := redactedPath(req.url)
	reauthorized := false
	for attempt := 0; ; attempt++ {
		resp, err := t.once(ctx, req)
		status := 0
		if resp != nil {
			status = resp.status
		}
		if err == nil && status == http.StatusUnauthorized && t.auth != nil && !reauthorized {
			// A token revoked or expired early: fetch a fresh one once.
			reauthorized = true
			t.auth.invalidate()
			t.logger.LogAttrs(ctx, slog.LevelInfo, "bc request unauthorized, renewing token",
				slog.String("method", req.method), slog.String("path", path))
			attempt--
			continue
		}
		if err == nil && status < 400 {
			t.logger.LogAttrs(ctx, slog.LevelDebug, "bc request",
				slog.String("method", req.method), slog.String("path", path),
				slog.Int("status", status), slog.Int("attempt", attempt))
			return resp, nil
		}
		var apiErr *Error
		var retryAfter time.Duration
		if err == nil {
			apiErr = decodeError(status, resp.header, resp.body)
			retryAfter = parseRetryAfter(resp.header.Get("Retry-After"), t.clock.Now())
		}
		d := decideRetry(ctx, req.idempotent, status, err)
		if !d.retry || attempt >= t.maxRetries {
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", req.method, path, err)
			}
			t.logger.LogAttrs(ctx, slog.LevelWarn, "bc request failed",
				slog.String("method", req.method), slog.String("path", path),
				slog.Int("status", status), slog.String("code", apiErr.Code),
				slog.String("correlationId", apiErr.CorrelationID), slog.Int("attempt", attempt))
			return nil, apiErr
		}
		wait := backoff(attempt, retryAfter)
		if status == http.StatusTooManyRequests && t.gov != nil {
			t.gov.Pause(t.clock.Now().Add(wait))
		}
		attrs := []slog.Attr{slog.String("method", req.method), slog.String("path", path),
			slog.String("reason", d.reason), slog.Int("attempt", attempt), slog.Duration("wait", wait)}
		if apiErr != nil {
			attrs = append(attrs, slog.String("correlationId", apiErr.CorrelationID))
		}
		t.logger.LogAttrs(ctx, slog.LevelWarn, "bc request retried", attrs...)
		select {
		case <-t.clock.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s: %w", req.method, path, ctx.Err())
		}
	}
}

// once sends one attempt under the governor.
func (t *transport) once(ctx context.Context, req request) (*response, error) {
	if t.gov != nil {
		release, err := t.gov.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	r := t.rc.R().SetContext(ctx).SetHeader("Accept", "application/json")
	for k, v := range t.headers {
		r.SetHeader(k, v)
	}
	if t.auth != nil {
		h, err := t.auth.header(ctx)
		if err != nil {
			return nil, err
		}
		r.SetHeader("Authorization", h)
	}
	for k, v := range req.headers {
		r.SetHeader(k, v)
	}
	if req.body != nil {
		r.SetHeader("Content-Type", "application/json").SetBody(req.body)
	}
	res, err := r.Execute(req.method, req.url)
	if err != nil {
		return nil, redactURLError(err)
	}
	return &response{status: res.StatusCode(), header: res.Header(), body: res.Body()}, nil
}

// redactedPath is the URL's path only: query strings can hold personal data
// ($filter on phone or e-mail, NP Retail search parameters).
func redactedPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable url)"
	}
	return u.EscapedPath()
}

// redactURLError rewrites a *url.Error so its text names the path only.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactedPath(ue.URL), Err: ue.Err}
	}
	return err
}
