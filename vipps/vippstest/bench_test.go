package vippstest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// benchToken serves POST /accesstoken/get in-process.
func benchToken(b *testing.B, s *Sim) string {
	req := httptest.NewRequest("POST", "/accesstoken/get", nil)
	req.Header.Set("client_id", DefaultClientID)
	req.Header.Set("client_secret", DefaultClientSecret)
	req.Header.Set("Ocp-Apim-Subscription-Key", DefaultSubscriptionKey)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("token: %d", rec.Code)
	}
	v := rec.Body.String()
	i := strings.Index(v, `"access_token":"`) + len(`"access_token":"`)
	return v[i : i+strings.IndexByte(v[i:], '"')]
}

func BenchmarkAccessToken(b *testing.B) {
	s := New()
	defer s.Close()
	for b.Loop() {
		benchToken(b, s)
	}
}

func benchCreate(b *testing.B, s *Sim) {
	tok := benchToken(b, s)
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest("POST", "/epayment/v1/payments", strings.NewReader(pushPayment(fmt.Sprintf("bench-order-%08d", i), PersonaIgnore, 1000)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Ocp-Apim-Subscription-Key", DefaultSubscriptionKey)
		req.Header.Set("Merchant-Serial-Number", DefaultMSN)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("k%d", i))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkCreatePayment(b *testing.B) {
	s := New()
	defer s.Close()
	benchCreate(b, s)
}

func BenchmarkCreatePaymentSpecValidated(b *testing.B) {
	if _, err := os.Stat(specDir); err != nil {
		b.Skip("spec folder absent")
	}
	s := New(WithSpecValidation(specDir))
	defer s.Close()
	benchCreate(b, s)
	if v := s.SpecViolations(); len(v) > 0 {
		b.Fatalf("violations: %v", v[0])
	}
}
