package bc

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDecodeError(t *testing.T) {
	const corr = "9e5c1c43-63bb-4e3c-b1f0-0b2a1c7e6d10"
	tests := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		wantCode  string
		wantCorr  string
		isNF, isC bool
		isLen     bool
	}{
		{"correlation id comes from the message suffix", 409, nil,
			`{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record.  CorrelationId:  ` + corr + `."}}`,
			CodeEntityChanged, corr, false, true, false},
		{"412 is a conflict without a code", 412, nil, ``, "", "", false, true, false},
		{"not found by code", 404, nil,
			`{"error":{"code":"BadRequest_NotFound","message":"Not found. CorrelationId: ` + corr + `."}}`,
			CodeNotFound, corr, true, false, false},
		{"field length error is recognisable", 400, nil,
			`{"error":{"code":"Application_StringExceededLength","message":"The length of the string is 31, but it must be less than or equal to 30 characters. Value: Ola Nordmann Storgata. CorrelationId: ` + corr + `."}}`,
			CodeStringExceededLength, corr, false, false, true},
		{"correlation id falls back to the response header", 500, http.Header{"Request-Id": {corr}},
			`not json`, "", corr, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError(ServiceBC, tt.status, tt.header, []byte(tt.body))
			if e.Code != tt.wantCode || e.CorrelationID != tt.wantCorr {
				t.Fatalf("got code %q corr %q, want %q %q", e.Code, e.CorrelationID, tt.wantCode, tt.wantCorr)
			}
			err := fmt.Errorf("update customer x: %w", e)
			if IsNotFound(err) != tt.isNF || IsConflict(err) != tt.isC || IsStringExceededLength(err) != tt.isLen {
				t.Fatalf("classification: notFound=%v conflict=%v length=%v", IsNotFound(err), IsConflict(err), IsStringExceededLength(err))
			}
		})
	}
	t.Run("the error string leaves BC's message out", func(t *testing.T) {
		e := decodeError(ServiceBC, 400, nil, []byte(`{"error":{"code":"Application_StringExceededLength","message":"Value: Ola Nordmann"}}`))
		if strings.Contains(e.Error(), "Ola") {
			t.Fatalf("error string %q leaks the value", e.Error())
		}
	})
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      []string
		forbidden []string
	}{
		{"BC is named", &Error{Status: 500, Code: "Internal_ServerError"},
			[]string{"Business Central answered 500 Internal Server Error (Internal_ServerError)"}, []string{"NP Retail"}},
		{"NP Retail is named, not BC", &Error{Service: ServiceNPRetail, Status: 400, Message: "Value: Kari"},
			[]string{"NP Retail answered 400 Bad Request"}, []string{"Business Central", "bc:", "Kari"}},
		{"Retry-After is shown", &Error{Status: 429, RetryAfter: 30 * time.Second}, []string{"retry after 30s"}, nil},
		{"an unknown outcome is said", &Error{Service: ServiceNPRetail, Status: 502, OutcomeUnknown: true},
			[]string{"may have been carried out"}, []string{"Business Central"}},
		{"a transport error names the service, method and path once",
			&requestError{service: ServiceNPRetail, method: "POST", path: "/membership",
				err: &url.Error{Op: "Post", URL: "/membership", Err: io.EOF}, outcomeUnknown: true},
			[]string{"NP Retail: POST /membership: EOF; the request may have been carried out"}, []string{"Post \""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q does not contain %q", got, w)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(got, f) {
					t.Errorf("%q contains %q", got, f)
				}
			}
		})
	}
}

func TestFailureClassification(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("create membership: %w", err) }
	dropped := &requestError{service: ServiceNPRetail, method: "POST", path: "/m", err: io.EOF, outcomeUnknown: true}
	limit := &requestError{service: ServiceBC, method: "GET", path: "/c", err: &LimitError{RetryAfter: 90 * time.Second}}
	tests := []struct {
		name          string
		err           error
		wantAfter     time.Duration
		wantAfterOK   bool
		wantUnknown   bool
		wantThrottled bool
	}{
		{"429 with Retry-After", wrap(&Error{Status: 429, RetryAfter: 30 * time.Second}), 30 * time.Second, true, false, true},
		{"503 with Retry-After", wrap(&Error{Status: 503, RetryAfter: 5 * time.Second}), 5 * time.Second, true, false, false},
		{"429 without Retry-After", wrap(&Error{Status: 429}), 0, false, false, true},
		{"500 on a write", wrap(&Error{Status: 500, OutcomeUnknown: true}), 0, false, true, false},
		{"500 on a read", wrap(&Error{Status: 500}), 0, false, false, false},
		{"dropped connection after sending a write", wrap(dropped), 0, false, true, false},
		{"the governor's limit", wrap(limit), 90 * time.Second, true, false, true},
		{"a foreign error", errors.New("boom"), 0, false, false, false},
		{"nil", nil, 0, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := RetryAfter(tt.err)
			if d != tt.wantAfter || ok != tt.wantAfterOK {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", d, ok, tt.wantAfter, tt.wantAfterOK)
			}
			if got := OutcomeUnknown(tt.err); got != tt.wantUnknown {
				t.Errorf("OutcomeUnknown = %v, want %v", got, tt.wantUnknown)
			}
			if got := IsThrottled(tt.err); got != tt.wantThrottled {
				t.Errorf("IsThrottled = %v, want %v", got, tt.wantThrottled)
			}
		})
	}
	if !errors.Is(dropped, io.EOF) {
		t.Error("the transport error does not unwrap to its cause")
	}
}
