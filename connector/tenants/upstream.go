package tenants

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps"
)

// ClassifyBC is the engine's classification of a BC or NP Retail failure:
// Retry-After when BC said when to come back, back off when it may pass by
// itself, refused when BC refused the data.
func ClassifyBC(err error) work.Failure {
	if wait, ok := bc.RetryAfter(err); ok {
		return work.Failure{Verdict: work.RetryAfter, After: wait}
	}
	if TransientBC(err) {
		return work.Failure{Verdict: work.BackOff}
	}
	return work.Failure{Verdict: work.Refused}
}

// ClassifyVipps is the engine's classification of a Vipps failure: a rate
// limit (a login in progress for the same customer) says when to come
// back, an outage or a call cut off backs off, anything else is a refusal.
func ClassifyVipps(err error) work.Failure {
	var rl *vipps.RateLimitError
	switch {
	case errors.As(err, &rl):
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = 5 * time.Second
		}
		return work.Failure{Verdict: work.RetryAfter, After: wait}
	case vipps.IsRetryable(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return work.Failure{Verdict: work.BackOff}
	}
	return work.Failure{Verdict: work.Refused}
}

// TransientBC reports whether a BC or NP Retail failure may pass by itself
// (outage, throttling, auth trouble an admin can fix) rather than being a
// refusal of the data.
func TransientBC(err error) bool {
	if bc.IsThrottled(err) {
		return true
	}
	var be *bc.Error
	if !errors.As(err, &be) {
		// No answer (network, timeout) or no token: may pass. Anything else
		// (an answer that cannot be read, a write without ETag) will not.
		var ne net.Error
		var ae *bc.AuthError
		return errors.As(err, &ne) || errors.As(err, &ae) ||
			errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
			errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED)
	}
	switch be.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout,
		http.StatusTooManyRequests:
		return true
	}
	return be.Status >= 500
}

// BCDetail describes a BC failure without any data from the request.
func BCDetail(err error) string { return UpstreamDetail("bc", err) }

// UpstreamDetail describes a failure of Business Central (target "bc") or
// NP Retail ("npretail") without any data from the request, naming the
// service that failed.
func UpstreamDetail(target string, err error) string {
	name := "Business Central"
	if target == "npretail" {
		name = "NP Retail"
	}
	var be *bc.Error
	if errors.As(err, &be) {
		d := fmt.Sprintf("%s answered HTTP %d", name, be.Status)
		if be.Code != "" {
			d += " " + be.Code
		}
		if be.CorrelationID != "" {
			d += " (correlation id " + be.CorrelationID + ")"
		}
		return d + "."
	}
	var ae *bc.AuthError
	if errors.As(err, &ae) {
		if target == "npretail" {
			return "NP Retail did not accept the configured API key (npRetail.apiKey)."
		}
		return "Could not get a token from Microsoft Entra ID for Business Central; check the app registration and its secret."
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return name + " did not answer in time."
	}
	return name + " could not be reached."
}

func BCProblem(title string, err error) *api.Problem {
	status, typ := http.StatusBadGateway, api.ProblemBCRejected
	if TransientBC(err) {
		status, typ = http.StatusServiceUnavailable, api.ProblemBCUnavailable
	}
	return &api.Problem{Type: typ, Title: title, Status: status, Detail: BCDetail(err)}
}

func NPProblem(title string, err error) *api.Problem {
	status, typ := http.StatusBadGateway, api.ProblemNPRetailRejected
	if TransientBC(err) {
		status, typ = http.StatusServiceUnavailable, api.ProblemNPRetailUnavailble
	}
	return &api.Problem{Type: typ, Title: title, Status: status, Detail: UpstreamDetail("npretail", err)}
}

// VippsDetail describes a Vipps failure without personal data (the client
// scrubs digit runs from Vipps' texts).
func VippsDetail(err error) string {
	var ve *vipps.Error
	var le *vipps.LoginError
	var rl *vipps.RateLimitError
	switch {
	case errors.As(err, &rl):
		return "Vipps MobilePay asked to slow down."
	case errors.As(err, &le):
		d := fmt.Sprintf("Vipps MobilePay Login answered %s", le.Code)
		if le.ErrorCode != "" {
			d += " (" + le.ErrorCode + ")"
		}
		return d + "."
	case errors.As(err, &ve):
		d := fmt.Sprintf("Vipps MobilePay answered HTTP %d", ve.Status)
		if ve.Title != "" {
			d += " " + ve.Title
		}
		// The names of the fields it refused say why; their reasons may
		// quote a value, so they stay out.
		var names []string
		for _, x := range ve.Details {
			if x.Name != "" && x.Name != "ErrorCode" && !slices.Contains(names, x.Name) {
				names = append(names, x.Name)
			}
		}
		if len(names) > 0 {
			d += " about " + strings.Join(names, ", ")
		}
		if ve.TraceID != "" {
			d += " (trace id " + ve.TraceID + ")"
		}
		return d + "."
	case errors.Is(err, context.DeadlineExceeded):
		return "Vipps MobilePay did not answer in time."
	}
	return "Vipps MobilePay could not be reached."
}

func VippsProblem(title string, err error) *api.Problem {
	status, typ := http.StatusServiceUnavailable, api.ProblemVippsUnavailable
	if !vipps.IsRetryable(err) && !errors.Is(err, context.DeadlineExceeded) {
		status, typ = http.StatusBadGateway, api.ProblemVippsRejected
	}
	return &api.Problem{Type: typ, Title: title, Status: status, Detail: VippsDetail(err)}
}
