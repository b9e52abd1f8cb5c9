package bc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
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

// Error is an error answered by Business Central (or the NP Retail API): the
// HTTP status, BC's error code and the correlation id BC support asks for.
//
// Message is BC's own text. It can contain the offending value (a name, an
// e-mail address), so Error() never prints it; do not log it either.
type Error struct {
	Status        int    // HTTP status
	Code          string // BC error code, e.g. Request_EntityChanged
	Message       string // BC's message; may contain personal data
	CorrelationID string // from the message suffix or the response headers
}

// Error implements error without personal data: status, code, correlation id.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bc: %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, " correlation id %s", e.CorrelationID)
	}
	return b.String()
}

// correlationRe finds BC's "CorrelationId: <guid>." message suffix.
var correlationRe = regexp.MustCompile(`CorrelationId:\s*([0-9A-Fa-f-]{8,})`)

// correlationHeaders are the response headers BC (and Azure front ends) use
// for the request's correlation id, most specific first.
var correlationHeaders = []string{"ms-correlation-x", "x-ms-correlation-id", "request-id", "x-ms-request-id", "x-correlation-id"}

// decodeError builds an *Error from a non-2xx response.
func decodeError(status int, h http.Header, body []byte) *Error {
	e := &Error{Status: status}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
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

// IsThrottled reports whether err is a 429 that survived the client's retries.
func IsThrottled(err error) bool {
	e, ok := AsError(err)
	return ok && e.Status == http.StatusTooManyRequests
}
