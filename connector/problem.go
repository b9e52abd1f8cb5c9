package connector

import (
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

// problemTypeBase prefixes the type URIs of the connector's problems.
const problemTypeBase = "https://bcvipps.dev/problems/"

// Problem types the API answers with. BC extensions branch on Type, not Title.
const (
	ProblemInvalidInput         = problemTypeBase + "invalid-input"
	ProblemUnauthorized         = problemTypeBase + "unauthorized"
	ProblemNotFound             = problemTypeBase + "not-found"
	ProblemMethodNotAllowed     = problemTypeBase + "method-not-allowed"
	ProblemUnsupportedMediaType = problemTypeBase + "unsupported-media-type"
	ProblemConflict             = problemTypeBase + "conflict"
	ProblemIdempotencyReused    = problemTypeBase + "idempotency-key-reused"
	ProblemLoginPending         = problemTypeBase + "login-pending"
	ProblemUnknownCustomer      = problemTypeBase + "unknown-customer"
	ProblemUnknownMember        = problemTypeBase + "unknown-member"
	ProblemVippsUser            = problemTypeBase + "vipps-user"
	ProblemVippsUnavailable     = problemTypeBase + "vipps-unavailable"
	ProblemVippsRejected        = problemTypeBase + "vipps-rejected"
	ProblemBCUnavailable        = problemTypeBase + "business-central-unavailable"
	ProblemBCRejected           = problemTypeBase + "business-central-rejected"
	ProblemNPRetailRejected     = problemTypeBase + "np-retail-rejected"
	ProblemNPRetailUnavailble   = problemTypeBase + "np-retail-unavailable"
	ProblemDeadlinePassed       = problemTypeBase + "deadline-passed"
	ProblemInternal             = problemTypeBase + "internal"
)

func invalidInput(errs ...FieldProblem) *Problem {
	return &Problem{
		Type:   ProblemInvalidInput,
		Title:  "Invalid input",
		Status: http.StatusBadRequest,
		Detail: "One or more fields are invalid; see errors.",
		Errors: errs,
	}
}

// writeProblem answers with p as application/problem+json and stops the
// handler chain.
func writeProblem(c *gin.Context, p *Problem) {
	if p.RequestID == "" {
		p.RequestID = c.GetString(ctxRequestID)
	}
	if p.Instance == "" {
		p.Instance = c.Request.URL.Path
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(p.Status, p)
}
