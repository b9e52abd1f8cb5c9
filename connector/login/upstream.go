package login

import (
	"context"
	"errors"
	"fmt"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/vipps"
)

// observe counts one upstream call by outcome.
func (s *Flows) observe(api, op string, err error) {
	outcome := "ok"
	switch {
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		outcome = "timeout"
	default:
		outcome = "error"
		var be *bc.Error
		var ve *vipps.Error
		var le *vipps.LoginError
		switch {
		case errors.As(err, &be):
			outcome = fmt.Sprint(be.Status)
		case errors.As(err, &le):
			outcome = le.Code
			if le.ErrorCode != "" {
				outcome = le.ErrorCode
			}
		case errors.As(err, &ve):
			outcome = fmt.Sprint(ve.Status)
		}
	}
	s.metrics.Upstream.WithLabelValues(api, op, outcome).Inc()
}

// The one classification of upstream failures and their problems live in
// package tenants, shared with the other job packages.
var (
	classifyBC     = tenants.ClassifyBC
	classifyVipps  = tenants.ClassifyVipps
	transientBC    = tenants.TransientBC
	upstreamDetail = tenants.UpstreamDetail
	bcProblem      = tenants.BCProblem
	npProblem      = tenants.NPProblem
	vippsDetail    = tenants.VippsDetail
)
