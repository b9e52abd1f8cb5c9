package vipps_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

// The official test vector (shared/docs/vipps-api.md §5).
const (
	vecSecret = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
	vecURL    = "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
	vecDate   = "Thu, 30 Mar 2023 08:38:32 GMT"
	vecBody   = `{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`
	vecHash   = "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
	vecSig    = "agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
)

var vecNow = time.Date(2023, 3, 30, 8, 39, 0, 0, time.UTC)

func vecHeader() http.Header {
	h := http.Header{}
	h.Set("x-ms-date", vecDate)
	h.Set("x-ms-content-sha256", vecHash)
	h.Set("host", "webhook.site")
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+vecSig)
	return h
}

func TestSignWebhookMatchesTestVector(t *testing.T) {
	date, _ := http.ParseTime(vecDate)
	h, err := vipps.SignWebhook(vecSecret, vecURL, date, []byte(vecBody))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vecHeader() {
		if h.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v[0])
		}
	}
}

func TestVerifyWebhook(t *testing.T) {
	opts := vipps.WebhookOptions{Secret: vecSecret, URL: vecURL, Now: vecNow}
	tests := []struct {
		name   string
		header func(http.Header)
		body   string
		opts   func(*vipps.WebhookOptions)
		ok     bool
	}{
		{name: "official test vector verifies", ok: true},
		{name: "request Host header is not trusted, the registered URL is", header: func(h http.Header) { h.Set("host", "evil.example") }, ok: true},
		{name: "tampered body fails the content hash", body: strings.Replace(vecBody, "hello", "hullo", 1)},
		{name: "content hash header must match the body", header: func(h http.Header) { h.Set("x-ms-content-sha256", "AAAA") }},
		{name: "wrong secret fails the signature", opts: func(o *vipps.WebhookOptions) { o.Secret = "other" }},
		{name: "other registered path fails", opts: func(o *vipps.WebhookOptions) { o.URL = "https://webhook.site/other" }},
		{name: "other registered host fails", opts: func(o *vipps.WebhookOptions) { o.URL = "https://example.com/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63" }},
		{name: "non-default port is part of the host", opts: func(o *vipps.WebhookOptions) {
			o.URL = "https://webhook.site:8443/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
		}},
		{name: "default port equals no port", opts: func(o *vipps.WebhookOptions) { o.URL = "https://webhook.site:443/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63" }, ok: true},
		{name: "date too old", opts: func(o *vipps.WebhookOptions) { o.Now = vecNow.Add(10 * time.Minute) }},
		{name: "date in the future", opts: func(o *vipps.WebhookOptions) { o.Now = vecNow.Add(-10 * time.Minute) }},
		{name: "configurable window accepts an older date", opts: func(o *vipps.WebhookOptions) { o.Now, o.Tolerance = vecNow.Add(10*time.Minute), 15*time.Minute }, ok: true},
		{name: "date header is signed", header: func(h http.Header) { h.Set("x-ms-date", "Thu, 30 Mar 2023 08:38:33 GMT") }},
		{name: "missing date", header: func(h http.Header) { h.Del("x-ms-date") }},
		{name: "missing authorization", header: func(h http.Header) { h.Del("Authorization") }},
		{name: "body over the size limit", opts: func(o *vipps.WebhookOptions) { o.MaxBodyBytes = 10 }},
		{name: "current time required", opts: func(o *vipps.WebhookOptions) { o.Now = time.Time{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := vecHeader()
			if tt.header != nil {
				tt.header(h)
			}
			body := vecBody
			if tt.body != "" {
				body = tt.body
			}
			o := opts
			if tt.opts != nil {
				tt.opts(&o)
			}
			err := vipps.VerifyWebhook(h, []byte(body), o)
			if tt.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tt.ok && !errors.Is(err, vipps.ErrWebhookSignature) {
				t.Fatalf("err = %v, want ErrWebhookSignature", err)
			}
			if err != nil && strings.Contains(err.Error(), vecSecret) {
				t.Fatal("error reveals the secret")
			}
		})
	}
}

func TestReadWebhookBodyLimit(t *testing.T) {
	if _, err := vipps.ReadWebhookBody(strings.NewReader("0123456789"), 10); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := vipps.ReadWebhookBody(strings.NewReader("0123456789a"), 10); !errors.Is(err, vipps.ErrWebhookSignature) {
		t.Fatalf("over the limit: %v", err)
	}
}
