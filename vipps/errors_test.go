package vipps_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

func TestErrorDecoding(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		check  func(t *testing.T, err error)
	}{
		{"problem+json keeps status, title, detail, codes and traceId", 409, map[string]string{"Content-Type": "application/problem+json"},
			`{"type":"https://developer.vippsmobilepay.com/docs/APIs/epayment-api/api-guide/errors","title":"Conflict","detail":"Reference already used","status":409,"traceId":"trace-77","extraDetails":[{"name":"ErrorCode","reason":"4150"}]}`,
			func(t *testing.T, err error) {
				var e *vipps.Error
				if !errors.As(err, &e) {
					t.Fatalf("not *Error: %v", err)
				}
				if e.Status != 409 || e.Title != "Conflict" || e.Detail != "Reference already used" || e.TraceID != "trace-77" || !e.HasCode("4150") || e.Type == "" {
					t.Fatalf("decoded %+v", e)
				}
			}},
		{"APIM gateway body", 401, nil, `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`,
			func(t *testing.T, err error) {
				var e *vipps.Error
				if !errors.As(err, &e) || e.Status != 401 || e.Title == "" {
					t.Fatalf("decoded %v", err)
				}
			}},
		{"invalidParams of older APIs", 400, nil, `{"title":"Bad Request","status":400,"invalidParams":[{"name":"phoneNumber","reason":"must match ^47[0-9]{8}$"}]}`,
			func(t *testing.T, err error) {
				var e *vipps.Error
				if !errors.As(err, &e) || len(e.Details) != 1 || e.Details[0].Name != "phoneNumber" {
					t.Fatalf("decoded %v", err)
				}
			}},
		{"429 is a RateLimitError with retry-after", 429, map[string]string{"Retry-After": "120"}, `{"title":"Too Many Requests","status":429}`,
			func(t *testing.T, err error) {
				var rl *vipps.RateLimitError
				if !errors.As(err, &rl) || rl.RetryAfter != 120*time.Second {
					t.Fatalf("decoded %v", err)
				}
				var e *vipps.Error
				if !errors.As(err, &e) || e.Status != 429 || !vipps.IsRetryable(err) {
					t.Fatalf("RateLimitError does not unwrap to *Error 429: %v", err)
				}
			}},
		{"non-JSON body still gives status", 502, nil, `<html>bad gateway</html>`,
			func(t *testing.T, err error) {
				var e *vipps.Error
				if !errors.As(err, &e) || e.Status != 502 || e.Title != "Bad Gateway" {
					t.Fatalf("decoded %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := fakeClient(t, f, vipps.WithRetryPolicy(vipps.RetryPolicy{MaxAttempts: 1, MaxDelay: time.Second}))
			_, err := c.EPayment.Get(ctx, "store1-order-0001")
			tt.check(t, err)
		})
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := vipps.Config{Environment: vipps.EnvironmentTest, MSN: "123456", ClientID: "a", ClientSecret: "b", SubscriptionKey: "c"}
	tests := []struct {
		name string
		edit func(*vipps.Config)
	}{
		{"unknown environment", func(c *vipps.Config) { c.Environment = "staging" }},
		{"keys required", func(c *vipps.Config) { c.ClientSecret = "" }},
		{"MSN digits", func(c *vipps.Config) { c.MSN = "12ab" }},
		{"partner keys need MSN", func(c *vipps.Config) { c.PartnerKeys, c.MSN = true, "" }},
		{"login auth method", func(c *vipps.Config) { c.LoginAuthMethod = "private_key_jwt" }},
		{"system header length", func(c *vipps.Config) { c.System.Name = "a-very-long-system-name-over-thirty" }},
		{"base URL absolute", func(c *vipps.Config) { c.BaseURL = "apitest.vipps.no" }},
	}
	if _, err := vipps.New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if _, err := vipps.New(cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
