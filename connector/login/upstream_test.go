package login

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
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
