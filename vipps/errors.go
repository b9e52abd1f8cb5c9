package vipps

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Error is a non-success answer from a Vipps API, decoded from
// application/problem+json (RFC 7807) or from the other shapes Vipps and its
// API gateway use (OAuth {"error"}, APIM {"statusCode","message"}).
// Text fields are scrubbed of long digit runs (phone numbers, NIN) before
// they are kept.
type Error struct {
	Op         string // operation, e.g. "epayment capture"
	Status     int    // HTTP status
	Type       string
	Title      string
	Detail     string
	Instance   string
	TraceID    string
	ErrorCodes []string // Vipps error codes (extraDetails entries named ErrorCode), e.g. "4150"
	Details    []ErrorDetail
}

// ErrorDetail is one extraDetails / invalidParams entry.
type ErrorDetail struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: vipps status %d", e.Op, e.Status)
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Detail != "" && e.Detail != e.Title {
		b.WriteString(": " + e.Detail)
	}
	if len(e.ErrorCodes) > 0 {
		b.WriteString(" (codes " + strings.Join(e.ErrorCodes, ",") + ")")
	}
	if e.TraceID != "" {
		b.WriteString(" traceId=" + e.TraceID)
	}
	return b.String()
}

// HasCode reports whether the error carries the Vipps error code.
func (e *Error) HasCode(code string) bool {
	for _, c := range e.ErrorCodes {
		if c == code {
			return true
		}
	}
	return false
}

// HasDetail reports whether the answer names field (an extraDetails or
// invalidParams entry), compared case-insensitively: Vipps spells them
// both "amount.currency" and "Amount.Currency".
func (e *Error) HasDetail(field string) bool {
	for _, d := range e.Details {
		if strings.EqualFold(d.Name, field) {
			return true
		}
	}
	return false
}

// RateLimitError is an HTTP 429 answer. RetryAfter is the server's
// Retry-After (zero when absent).
type RateLimitError struct {
	Op         string
	RetryAfter time.Duration
	Err        *Error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%s: vipps rate limit, retry after %s", e.Op, e.RetryAfter)
}

// Unwrap gives the decoded body.
func (e *RateLimitError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

var digitRun = regexp.MustCompile(`\+?[0-9][0-9 ]{6,}[0-9]`)

// scrub removes anything that looks like a phone number or NIN from text
// that came from the server, since Vipps sometimes echoes input.
func scrub(s string) string {
	if len(s) > 300 {
		s = s[:300]
	}
	return digitRun.ReplaceAllString(s, "[redacted]")
}

type problemBody struct {
	Type             string        `json:"type"`
	Title            string        `json:"title"`
	Detail           string        `json:"detail"`
	Status           int           `json:"status"`
	Instance         string        `json:"instance"`
	TraceID          string        `json:"traceId"`
	ExtraDetails     []ErrorDetail `json:"extraDetails"`
	InvalidParams    []ErrorDetail `json:"invalidParams"`
	Message          string        `json:"message"` // APIM
	ErrorField       any           `json:"error"`   // OAuth string or object
	ErrorDescription string        `json:"error_description"`
	ErrorCodeField   any           `json:"error_code"`
}

// decodeError builds an *Error (wrapped in *RateLimitError for 429).
func decodeError(op string, status int, header http.Header, body []byte, now time.Time) error {
	e := &Error{Op: op, Status: status}
	var p problemBody
	if json.Unmarshal(body, &p) == nil {
		e.Type, e.Title, e.Detail, e.Instance = p.Type, scrub(p.Title), scrub(p.Detail), p.Instance
		e.TraceID = p.TraceID
		if s, ok := p.ErrorField.(string); ok && e.Title == "" {
			e.Title = scrub(s)
			if e.Detail == "" {
				e.Detail = scrub(p.ErrorDescription)
			}
		}
		if e.Title == "" && p.Message != "" {
			e.Title = scrub(p.Message)
		}
		if s, ok := p.ErrorCodeField.(string); ok && s != "" {
			e.ErrorCodes = append(e.ErrorCodes, s)
		}
		for _, d := range append(p.ExtraDetails, p.InvalidParams...) {
			d.Reason = scrub(d.Reason)
			e.Details = append(e.Details, d)
			if strings.EqualFold(d.Name, "ErrorCode") {
				e.ErrorCodes = append(e.ErrorCodes, d.Reason)
			}
		}
	}
	if e.TraceID == "" {
		e.TraceID = header.Get("Vipps-Trace-Id")
	}
	if e.Title == "" {
		e.Title = http.StatusText(status)
	}
	if status == http.StatusTooManyRequests {
		return &RateLimitError{Op: op, RetryAfter: parseRetryAfter(header.Get("Retry-After"), now), Err: e}
	}
	return e
}

// parseRetryAfter reads delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int64
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// IsRetryable reports whether err is a transient failure the caller may
// retry later with the same idempotency key (5xx, 429, network).
func IsRetryable(err error) bool {
	var rl *RateLimitError
	if errors.As(err, &rl) {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status >= 500
	}
	var ne *NetworkError
	return errors.As(err, &ne)
}

// NetworkError is a transport failure (no HTTP answer).
type NetworkError struct {
	Op  string
	Err error
}

func (e *NetworkError) Error() string { return e.Op + ": network: " + e.Err.Error() }

// Unwrap gives the transport error.
func (e *NetworkError) Unwrap() error { return e.Err }
