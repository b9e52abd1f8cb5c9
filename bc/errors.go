package bc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Service names in Error.Service and in error strings.
const (
	ServiceBC       = "Business Central"
	ServiceNPRetail = "NP Retail"
)

// BC error codes the client and its callers branch on. The names are the
// ones Business Central puts in {"error":{"code":…}}.
const (
	CodeEntityChanged        = "Request_EntityChanged"
	CodeInvalidToken         = "BadRequest_InvalidToken"
	CodeNotFound             = "BadRequest_NotFound"
	CodeStringExceededLength = "Application_StringExceededLength"
	CodeInvalidCredentials   = "Authentication_InvalidCredentials"
	CodeTooManyRequests      = "Application_TooManyRequests"
)

// Error is an error answered by Business Central or the NP Retail API: the
// HTTP status, BC's error code and the correlation id BC support asks for.
//
// Message is BC's own text. It can contain the offending value (a name, an
// e-mail address), so Error() never prints it; do not log it either.
type Error struct {
	Service       string // ServiceBC or ServiceNPRetail; "" is read as ServiceBC
	Status        int    // HTTP status
	Code          string // BC error code, e.g. Request_EntityChanged
	Message       string // BC's message; may contain personal data
	CorrelationID string // from the message suffix or the response headers

	// RetryAfter is the server's Retry-After (429, 503), uncapped; 0 when
	// it sent none. See the RetryAfter function.
	RetryAfter time.Duration
	// OutcomeUnknown is set when the request was a write the server may
	// have carried out despite this answer (a 5xx other than 503 with
	// Retry-After). See the OutcomeUnknown function.
	OutcomeUnknown bool
}

// Error implements error without personal data: service, status, code,
// correlation id, Retry-After.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s answered %d %s", e.service(), e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " correlation id %s", e.CorrelationID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	if e.OutcomeUnknown {
		b.WriteString("; the request may have been carried out")
	}
	return b.String()
}

func (e *Error) service() string {
	if e.Service == "" {
		return ServiceBC
	}
	return e.Service
}

// correlationRe finds BC's "CorrelationId: <guid>." message suffix.
var correlationRe = regexp.MustCompile(`CorrelationId:\s*([0-9A-Fa-f-]{8,})`)

// correlationHeaders are the response headers BC (and Azure front ends) use
// for the request's correlation id, most specific first.
var correlationHeaders = []string{"ms-correlation-x", "x-ms-correlation-id", "request-id", "x-ms-request-id", "x-correlation-id"}

// decodeError builds an *Error of service from a non-2xx response.
func decodeError(service string, status int, h http.Header, body []byte) *Error {
	e := &Error{Service: service, Status: status}
	// BC wraps its error in "error"; NP Retail's API answers it flat,
	// {"code":"generic_error","message":…}.
	var env struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(body, &env); err == nil {
		if env.Error != nil {
			e.Code, e.Message = env.Error.Code, env.Error.Message
		} else {
			e.Code, e.Message = env.Code, env.Message
		}
	}
	if m := correlationRe.FindStringSubmatch(e.Message); m != nil {
		e.CorrelationID = m[1]
	}
	if e.CorrelationID == "" && h != nil {
		for _, k := range correlationHeaders {
			if v := h.Get(k); v != "" {
				e.CorrelationID = v
				break
			}
		}
	}
	return e
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// IsNotFound reports whether err is BC's 404 / BadRequest_NotFound.
func IsNotFound(err error) bool {
	e, ok := AsError(err)
	return ok && (e.Status == http.StatusNotFound || e.Code == CodeNotFound)
}

// IsConflict reports whether err is a concurrency conflict: 409
// Request_EntityChanged or 412 Precondition Failed.
func IsConflict(err error) bool {
	e, ok := AsError(err)
	return ok && (e.Code == CodeEntityChanged || e.Status == http.StatusPreconditionFailed ||
		(e.Status == http.StatusConflict && e.Code == ""))
}

// IsStringExceededLength reports whether BC refused a value as longer than
// its field (Application_StringExceededLength).
func IsStringExceededLength(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == CodeStringExceededLength
}

// IsUnauthorized reports whether BC or the token authority refused the
// credentials (401, or an Authentication_* code).
func IsUnauthorized(err error) bool {
	e, ok := AsError(err)
	return ok && (e.Status == http.StatusUnauthorized || strings.HasPrefix(e.Code, "Authentication_"))
}

// IsThrottled reports whether err is a 429 that survived the client's
// retries, or a *LimitError (the client's own limits held the request back
// longer than WithMaxWait allows).
func IsThrottled(err error) bool {
	var le *LimitError
	if errors.As(err, &le) {
		return true
	}
	e, ok := AsError(err)
	return ok && e.Status == http.StatusTooManyRequests
}

// RetryAfter reports how long the caller should wait before sending the
// request again, when the failure says so: the server's Retry-After of an
// *Error (429 or 503), or the wait of a *LimitError. A durable scheduler
// defers the step by it instead of sleeping. ok is false when err carries
// no such wait (then use your own backoff).
func RetryAfter(err error) (d time.Duration, ok bool) {
	var le *LimitError
	if errors.As(err, &le) {
		return le.RetryAfter, true
	}
	if e, isErr := AsError(err); isErr && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// OutcomeUnknown reports whether err is the failure of a write (POST,
// PATCH, DELETE, $batch) that the server may nevertheless have carried out:
// an answer 5xx other than 503 with Retry-After (for BC and NP Retail, 429
// and 503 with Retry-After mean "not processed"), or a timeout, cancellation
// or dropped connection after the request may have been sent. Do not send
// such a request again blindly: read back first (e.g. search for the member
// or membership) or let a person decide. The client itself never repeats a
// non-idempotent request in this state.
//
// It is false for reads, for refusals (4xx), for failures before anything
// was sent (no token, connection refused, the governor's LimitError) and
// for errors not from this package.
func OutcomeUnknown(err error) bool {
	var re *requestError
	if errors.As(err, &re) {
		return re.outcomeUnknown
	}
	e, ok := AsError(err)
	return ok && e.OutcomeUnknown
}

// LimitError is returned instead of waiting when the client's own limits —
// its Governor's request window, or a pause after a 429 — would hold a
// request back longer than WithMaxWait allows. Nothing was sent.
type LimitError struct {
	RetryAfter time.Duration // how long until the governor would let the request start
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("client-side limit: the governor would hold the request back %s (longer than the maximum wait)", e.RetryAfter)
}

// requestError is a failure without an answer from the service (network,
// timeout, no token, the governor). Its text names the service, method and
// path only — no query string.
type requestError struct {
	service, method, path string
	err                   error
	outcomeUnknown        bool
}

func (e *requestError) Error() string {
	inner := e.err
	var ue *url.Error
	if errors.As(inner, &ue) {
		inner = ue.Err // its text would repeat method and path
	}
	s := fmt.Sprintf("%s: %s %s: %v", e.service, e.method, e.path, inner)
	if e.outcomeUnknown {
		s += "; the request may have been carried out"
	}
	return s
}

func (e *requestError) Unwrap() error { return e.err }
