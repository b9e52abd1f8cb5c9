// Package api holds the HTTP building blocks every job's endpoints share:
// problem+json answers, request ids, access logs, API-key authentication,
// strict JSON bodies, Idempotency-Key and the OpenAPI document. The job
// packages register their routes on the router the connector builds.
package api

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Problem is an RFC 9457 problem detail, the body of every error answer of
// the API (Content-Type application/problem+json). Detail never contains
// personal data or secrets.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Errors    []FieldProblem `json:"errors,omitempty"`
	// PendingRequestID names the caller's own request that blocks this one
	// (login-pending).
	PendingRequestID string `json:"pendingRequestId,omitempty"`
}

// FieldProblem names one invalid input field and why it is invalid.
type FieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error makes a Problem usable as an error (for stored failures).
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// TypeBase prefixes the type URIs of the connector's problems.
const TypeBase = "https://bcvipps.dev/problems/"

// Problem types the API answers with. BC extensions branch on Type, not Title.
const (
	ProblemInvalidInput          = TypeBase + "invalid-input"
	ProblemUnauthorized          = TypeBase + "unauthorized"
	ProblemNotFound              = TypeBase + "not-found"
	ProblemMethodNotAllowed      = TypeBase + "method-not-allowed"
	ProblemUnsupportedMediaType  = TypeBase + "unsupported-media-type"
	ProblemConflict              = TypeBase + "conflict"
	ProblemIdempotencyReused     = TypeBase + "idempotency-key-reused"
	ProblemLoginPending          = TypeBase + "login-pending"
	ProblemUnknownCustomer       = TypeBase + "unknown-customer"
	ProblemUnknownMember         = TypeBase + "unknown-member"
	ProblemVippsUser             = TypeBase + "vipps-user"
	ProblemVippsUnavailable      = TypeBase + "vipps-unavailable"
	ProblemVippsRejected         = TypeBase + "vipps-rejected"
	ProblemBCUnavailable         = TypeBase + "business-central-unavailable"
	ProblemBCRejected            = TypeBase + "business-central-rejected"
	ProblemNPRetailRejected      = TypeBase + "np-retail-rejected"
	ProblemNPRetailUnavailble    = TypeBase + "np-retail-unavailable"
	ProblemNPRetailNotConfigured = TypeBase + "np-retail-not-configured"
	ProblemDeadlinePassed        = TypeBase + "deadline-passed"
	ProblemInternal              = TypeBase + "internal"
)

func InvalidInput(errs ...FieldProblem) *Problem {
	return &Problem{
		Type:   ProblemInvalidInput,
		Title:  "Invalid input",
		Status: http.StatusBadRequest,
		Detail: "One or more fields are invalid; see errors.",
		Errors: errs,
	}
}

// WriteStoreUnavailable logs a failure of the connector's database (with
// the request's id) and answers 503.
func WriteStoreUnavailable(c *gin.Context, log *slog.Logger, err error) {
	log.Error("store", "err", err, "request_id", c.GetString(CtxRequestID))
	WriteProblem(c, StoreUnavailable())
}

// StoreUnavailable is the 503 problem of a connector database that did not
// answer.
func StoreUnavailable() *Problem {
	return &Problem{Type: ProblemInternal, Title: "Internal error", Status: http.StatusServiceUnavailable,
		Detail: "The connector's database did not answer; try again."}
}

// WriteProblem answers with p as application/problem+json and stops the
// handler chain.
func WriteProblem(c *gin.Context, p *Problem) {
	if p.RequestID == "" {
		p.RequestID = c.GetString(CtxRequestID)
	}
	if p.Instance == "" {
		p.Instance = c.Request.URL.Path
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}
