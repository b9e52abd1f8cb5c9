package bc

import (
	"context"
	"errors"
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
	maxWait    time.Duration // bound on waiting inside one request (retries, governor); negative: none
	service    string        // ServiceBC or ServiceNPRetail, in error strings
	logName    string        // "bc" or "np retail", in log messages
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
// the service's answer, or a redacted transport error (*requestError).
//
// Waiting (backoff, Retry-After, the governor) is bounded by t.maxWait in
// all: a wait that would exceed it is not started and the last failure is
// returned at once, carrying the server's Retry-After (or a *LimitError from
// the governor).
func (t *transport) do(ctx context.Context, req request) (*response, error) {
	path := redactedPath(req.url)
	reauthorized := false
	mayHaveRun := false // some attempt of a write may have been carried out
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		resp, sent, govWait, err := t.once(ctx, req, t.waitLeft(waited))
		waited += govWait
		status := 0
		if resp != nil {
			status = resp.status
		}
		if err == nil && status == http.StatusUnauthorized && t.auth != nil && !reauthorized {
			// A token revoked or expired early: fetch a fresh one once.
			reauthorized = true
			t.auth.invalidate()
			t.logger.LogAttrs(ctx, slog.LevelInfo, t.logName+" request unauthorized, renewing token",
				slog.String("method", req.method), slog.String("path", path))
			attempt--
			continue
		}
		if err == nil && status < 400 {
			t.logger.LogAttrs(ctx, slog.LevelDebug, t.logName+" request",
				slog.String("method", req.method), slog.String("path", path),
				slog.Int("status", status), slog.Int("attempt", attempt))
			return resp, nil
		}
		var apiErr *Error
		var retryAfter time.Duration
		hasRetryAfter := false
		if err == nil {
			apiErr = decodeError(t.service, status, resp.header, resp.body)
			retryAfter, hasRetryAfter = parseRetryAfter(resp.header.Get("Retry-After"), t.clock.Now())
			apiErr.RetryAfter = retryAfter
		}
		if outcomeUnknown(req.method, status, hasRetryAfter, sent, err) {
			mayHaveRun = true
		}
		d := decideRetry(ctx, req.idempotent, status, hasRetryAfter, err)
		wait := backoff(attempt, retryAfter)
		if status == http.StatusTooManyRequests && t.gov != nil {
			// Hold back the principal's other requests too, even when this
			// one is not retried here.
			t.gov.Pause(t.clock.Now().Add(wait))
		}
		if d.retry && attempt < t.maxRetries && t.maxWait >= 0 && waited+wait > t.maxWait {
			d = retryDecision{false, "the wait would exceed the maximum in-call wait"}
		}
		if !d.retry || attempt >= t.maxRetries {
			if err != nil {
				return nil, &requestError{service: t.service, method: req.method, path: path, err: err, outcomeUnknown: mayHaveRun}
			}
			apiErr.OutcomeUnknown = mayHaveRun
			t.logger.LogAttrs(ctx, slog.LevelWarn, t.logName+" request failed",
				slog.String("method", req.method), slog.String("path", path),
				slog.Int("status", status), slog.String("code", apiErr.Code),
				slog.String("correlationId", apiErr.CorrelationID), slog.Int("attempt", attempt),
				slog.String("reason", d.reason), slog.Duration("retryAfter", retryAfter),
				slog.Bool("outcomeUnknown", mayHaveRun))
			return nil, apiErr
		}
		attrs := []slog.Attr{slog.String("method", req.method), slog.String("path", path),
			slog.String("reason", d.reason), slog.Int("attempt", attempt), slog.Duration("wait", wait)}
		if apiErr != nil {
			attrs = append(attrs, slog.String("correlationId", apiErr.CorrelationID))
		}
		t.logger.LogAttrs(ctx, slog.LevelWarn, t.logName+" request retried", attrs...)
		select {
		case <-t.clock.After(wait):
			waited += wait
		case <-ctx.Done():
			return nil, &requestError{service: t.service, method: req.method, path: path, err: ctx.Err(), outcomeUnknown: mayHaveRun}
		}
	}
}

// waitLeft is how long a request that has waited so far may still wait
// (negative: no bound).
func (t *transport) waitLeft(waited time.Duration) time.Duration {
	if t.maxWait < 0 {
		return -1
	}
	return max(t.maxWait-waited, 0)
}

// once sends one attempt under the governor, which may hold it back at most
// limit (negative: no bound). sent is false when it failed before the
// request was handed to the network (governor, token); govWait is the time
// the governor held it back.
func (t *transport) once(ctx context.Context, req request, limit time.Duration) (resp *response, sent bool, govWait time.Duration, err error) {
	if t.gov != nil {
		release, w, err := t.gov.acquire(ctx, limit)
		govWait = w
		if err != nil {
			return nil, false, govWait, err
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
			return nil, false, govWait, err
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
		return nil, true, govWait, redactURLError(err)
	}
	return &response{status: res.StatusCode(), header: res.Header(), body: res.Body()}, true, govWait, nil
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
