package login

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps"
)

func TestTransientBC(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"503 from BC", &bc.Error{Status: http.StatusServiceUnavailable}, true},
		{"429 from BC", &bc.Error{Status: http.StatusTooManyRequests}, true},
		{"401 (secret expired, fixable by an admin)", &bc.Error{Status: http.StatusUnauthorized}, true},
		{"400 field too long", &bc.Error{Status: http.StatusBadRequest, Code: "Application_StringExceededLength"}, false},
		{"404 customer deleted", &bc.Error{Status: http.StatusNotFound}, false},
		{"connection refused", fmt.Errorf("GET /customers: %w", &net.OpError{Op: "dial", Err: errors.New("refused")}), true},
		{"timeout", fmt.Errorf("GET /customers: %w", context.DeadlineExceeded), true},
		{"no token", &bc.AuthError{Err: errors.New("authority down")}, true},
		{"unreadable answer", fmt.Errorf("decode customer: %w", errors.New("invalid character")), false},
		{"write without etag", bc.ErrNoETag, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := transientBC(tc.err); got != tc.want {
				t.Errorf("transientBC = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestClassifyUpstreamFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  work.Failure
		want work.Failure
	}{
		{"BC 429 with Retry-After", classifyBC(&bc.Error{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Minute}), work.Failure{Verdict: work.RetryAfter, After: 2 * time.Minute}},
		{"BC 503 without Retry-After", classifyBC(&bc.Error{Status: http.StatusServiceUnavailable}), work.Failure{Verdict: work.BackOff}},
		{"BC 400", classifyBC(&bc.Error{Status: http.StatusBadRequest}), work.Failure{Verdict: work.Refused}},
		{"Vipps login in progress", classifyVipps(&vipps.RateLimitError{RetryAfter: 40 * time.Second}), work.Failure{Verdict: work.RetryAfter, After: 40 * time.Second}},
		{"Vipps rate limit without a wait", classifyVipps(&vipps.RateLimitError{}), work.Failure{Verdict: work.RetryAfter, After: 5 * time.Second}},
		{"Vipps call cut off", classifyVipps(fmt.Errorf("poll: %w", context.DeadlineExceeded)), work.Failure{Verdict: work.BackOff}},
		{"Vipps refusal", classifyVipps(&vipps.Error{Status: http.StatusBadRequest}), work.Failure{Verdict: work.Refused}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
}
