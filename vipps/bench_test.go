package vipps

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkTokenCacheHit measures getting a cached access token.
func BenchmarkTokenCacheHit(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":"3599","access_token":"tok"}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, MSN: "123456", ClientID: "a", ClientSecret: "b", SubscriptionKey: "c"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.accessToken(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.accessToken(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyWebhook measures verifying a typical 400-byte delivery.
func BenchmarkVerifyWebhook(b *testing.B) {
	body := []byte(`{"msn":"123456","reference":"store1-order-0001","pspReference":"7686f7788898767977","name":"AUTHORIZED","amount":{"currency":"NOK","value":49900},"timestamp":"2026-03-02T10:00:00.000Z","idempotencyKey":"key-create-1","success":true}`)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	const secret, url = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "https://bcvipps.example.com/v1/webhooks/vipps/t1"
	h, err := SignWebhook(secret, url, now, body)
	if err != nil {
		b.Fatal(err)
	}
	o := WebhookOptions{Secret: secret, URL: url, Now: now}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyWebhook(h, body, o); err != nil {
			b.Fatal(err)
		}
	}
}
