package vippstest

import "testing"

func TestQRExchange(t *testing.T) {
	e := start(t)
	tests := []struct {
		name, code, wantMSISDN, wantVersion string
		wantStatus                          int
	}{
		{"clear-text Vipps code gives version 1.0", e.srv.PersonalQR(PersonaApprove), PersonaApprove, "1.0", 200},
		{"tokenized code gives version 2.0", e.srv.TokenizedPersonalQR(PersonaDanish), PersonaDanish, "2.0", 200},
		{"incomplete code is refused", "https://qr.vipps.no/28/2/01/031/", "", "", 400},
		{"unknown token is refused", "https://qr.vipps.no/p/nope", "", "", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("POST", "/qr/v1/exchange", `{"qrCode":"`+tc.code+`","requestedData":["MSISDN"]}`, e.merchant()...)
			if a.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tc.wantStatus, a.body)
			}
			if tc.wantStatus != 200 {
				return
			}
			m := a.json(t)
			if m["msisdn"] != tc.wantMSISDN || m["version"] != tc.wantVersion {
				t.Fatalf("got %s", a.body)
			}
			if _, hasTS := m["timestamp"]; hasTS != (tc.wantVersion == "2.0") {
				t.Fatalf("timestamp presence wrong: %s", a.body)
			}
		})
	}
}
