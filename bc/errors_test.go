package bc

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
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
			e := decodeError(tt.status, tt.header, []byte(tt.body))
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
		e := decodeError(400, nil, []byte(`{"error":{"code":"Application_StringExceededLength","message":"Value: Ola Nordmann"}}`))
		if strings.Contains(e.Error(), "Ola") {
			t.Fatalf("error string %q leaks the value", e.Error())
		}
	})
}
