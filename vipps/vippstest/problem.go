package vippstest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// problem is an RFC 7807 body as the Vipps APIs return it.
type problem struct {
	Type         string        `json:"type"`
	Title        string        `json:"title"`
	Status       int           `json:"status"`
	Detail       string        `json:"detail,omitempty"`
	Instance     string        `json:"instance,omitempty"`
	TraceID      string        `json:"traceId"`
	ExtraDetails []extraDetail `json:"extraDetails,omitempty"`
}

type extraDetail struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONType(w, "application/json;charset=UTF-8", status, v)
}

func writeJSONType(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "marshal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeProblem writes an application/problem+json body. code, when not
// empty, is a Vipps error code carried as extraDetails ErrorCode.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, title, detail, code string, extra ...extraDetail) {
	p := problem{
		Type:     "https://developer.vippsmobilepay.com/docs/knowledge-base/errors",
		Title:    title,
		Status:   status,
		Detail:   detail,
		Instance: r.URL.Path,
		TraceID:  uuid.NewString(),
	}
	if code != "" {
		p.ExtraDetails = append(p.ExtraDetails, extraDetail{Name: "ErrorCode", Reason: code})
	}
	p.ExtraDetails = append(p.ExtraDetails, extra...)
	writeJSONType(w, "application/problem+json", status, p)
}

// writeAPIM writes an error in the format of Azure API Management, which
// answers 401/403/429 before a request reaches the Vipps service.
func writeAPIM(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": message})
}

// oauthError is the OAuth 2.0 error body of the login endpoints, with the
// Vipps extra error_code.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, description, vippsCode string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthError{Error: code, Description: description, ErrorCode: vippsCode})
}

// randomToken returns n random bytes hex encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isControlPath(p string) bool { return strings.HasPrefix(p, "/_sim/") }

// decodeJSON decodes the request body into v.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	return dec.Decode(v)
}
