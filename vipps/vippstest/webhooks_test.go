package vippstest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestSignWebhookTestVector(t *testing.T) {
	// The official test vector (docs/vipps-api.md §5).
	date, _ := time.Parse(http.TimeFormat, "Thu, 30 Mar 2023 08:38:32 GMT")
	h, err := SignWebhook("A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==",
		"https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63", date,
		[]byte(`{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("x-ms-content-sha256"); got != "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=" {
		t.Errorf("content hash %s", got)
	}
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
	if got := h.Get("Authorization"); got != want {
		t.Errorf("Authorization %s", got)
	}
	if h.Get("x-ms-date") != "Thu, 30 Mar 2023 08:38:32 GMT" {
		t.Errorf("x-ms-date %s", h.Get("x-ms-date"))
	}
}

// receiver is a webhook endpoint that verifies signatures and answers
// with scripted statuses (200 once the script is used up).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	got    chan receivedHook
	mu     sync.Mutex
	script []int
	secret string
	url    string
}

type receivedHook struct {
	body   map[string]any
	status int
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{t: t, got: make(chan receivedHook, 100), script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret, url := r.secret, r.url
		status := 200
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		date, err := time.Parse(http.TimeFormat, req.Header.Get("x-ms-date"))
		want, _ := SignWebhook(secret, url, date, body)
		if err != nil || req.Header.Get("Authorization") != want.Get("Authorization") ||
			req.Header.Get("x-ms-content-sha256") != want.Get("x-ms-content-sha256") || req.Host != r.srv.Listener.Addr().String() {
			t.Errorf("delivery signature does not verify")
		}
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		w.WriteHeader(status)
		r.got <- receivedHook{body: m, status: status}
	}))
	r.url = r.srv.URL + "/hooks/vipps?tenant=a"
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) next() receivedHook {
	r.t.Helper()
	select {
	case h := <-r.got:
		return h
	case <-time.After(10 * time.Second): // guard only; deliveries arrive at once
		r.t.Fatal("no webhook delivery")
		return receivedHook{}
	}
}

func (e *env) register(r *receiver, events ...string) string {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"url": r.url, "events": events})
	a := e.do("POST", "/webhooks/v1/webhooks", string(b), e.merchant()...)
	if a.status != 201 {
		e.t.Fatalf("register: %d %s", a.status, a.body)
	}
	m := a.json(e.t)
	r.mu.Lock()
	r.secret = m["secret"].(string)
	r.mu.Unlock()
	return m["id"].(string)
}

func TestWebhookRegistration(t *testing.T) {
	e := start(t)
	r := newReceiver(t)
	id := e.register(r, "epayments.payment.captured.v1")
	l := e.do("GET", "/webhooks/v1/webhooks", "", e.merchant()...)
	var list struct {
		Webhooks []struct {
			ID, URL string
			Events  []string
		}
	}
	if err := json.Unmarshal(l.body, &list); err != nil || len(list.Webhooks) != 1 || list.Webhooks[0].ID != id || list.Webhooks[0].URL != r.url {
		t.Fatalf("list: %s", l.body)
	}
	if a := e.do("DELETE", "/webhooks/v1/webhooks/"+id, "", e.merchant()...); a.status != 204 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	if a := e.do("DELETE", "/webhooks/v1/webhooks/"+id, "", e.merchant()...); a.status != 400 {
		t.Fatalf("delete again: %d", a.status)
	}
	t.Run("25 registrations per event type, the 26th is refused", func(t *testing.T) {
		for i := range 25 {
			if a := e.do("POST", "/webhooks/v1/webhooks", fmt.Sprintf(`{"url":"https://example.com/%d","events":["epayments.payment.created.v1"]}`, i), e.merchant()...); a.status != 201 {
				t.Fatalf("registration %d: %d", i, a.status)
			}
		}
		if a := e.do("POST", "/webhooks/v1/webhooks", `{"url":"https://example.com/x","events":["epayments.payment.created.v1"]}`, e.merchant()...); a.status != 400 {
			t.Fatalf("26th: %d", a.status)
		}
	})
	t.Run("one registration for user.checked-in.v1", func(t *testing.T) {
		if a := e.do("POST", "/webhooks/v1/webhooks", `{"url":"https://example.com/c1","events":["user.checked-in.v1"]}`, e.merchant()...); a.status != 201 {
			t.Fatalf("first: %d", a.status)
		}
		if a := e.do("POST", "/webhooks/v1/webhooks", `{"url":"https://example.com/c2","events":["user.checked-in.v1"]}`, e.merchant()...); a.status != 400 {
			t.Fatalf("second: %d", a.status)
		}
	})
	t.Run("unknown event is refused", func(t *testing.T) {
		if a := e.do("POST", "/webhooks/v1/webhooks", `{"url":"https://example.com/u","events":["nope.v1"]}`, e.merchant()...); a.status != 400 {
			t.Fatalf("status %d", a.status)
		}
	})
}

func TestWebhookRetryBackoffAndOrder(t *testing.T) {
	e := start(t)
	r := newReceiver(t, 500, 503, 500) // three failures, then success
	e.register(r, "epayments.payment.created.v1", "epayments.payment.authorized.v1")
	body := `{"amount":{"currency":"NOK","value":1000},"paymentMethod":{"type":"WALLET"},"reference":"hook-order-01","userFlow":"WEB_REDIRECT","returnUrl":"https://example.com/r"}`
	if a := e.create("k", body); a.status != 201 {
		t.Fatalf("create: %d", a.status)
	}
	if a := e.do("POST", "/epayment/v1/test/payments/hook-order-01/approve", `{"customer":{"phoneNumber":"`+PersonaApprove+`"}}`, e.merchant()...); a.status != 200 {
		t.Fatalf("approve: %d", a.status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, backoff := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if h := r.next(); h.body["name"] != "CREATED" || h.status == 200 {
			t.Fatalf("a failing event must be retried before later ones: %v", h)
		}
		// Waiters: the payment's expiry timer and the retry.
		if err := e.clock.BlockUntilContext(ctx, 2); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(backoff)
	}
	if h := r.next(); h.body["name"] != "CREATED" || h.status != 200 || h.body["msn"] != DefaultMSN {
		t.Fatalf("4th attempt: %v", h)
	}
	if h := r.next(); h.body["name"] != "AUTHORIZED" || h.body["pspReference"] == "" {
		t.Fatalf("then the next event: %v", h)
	}
	// The first four attempts are recorded once the fifth has started.
	var at []time.Time
	for _, d := range e.srv.WebhookDeliveries()[:4] {
		at = append(at, d.At)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if got := at[i+1].Sub(at[i]); got != want {
			t.Errorf("gap %d = %v, want %v (exponential backoff)", i, got, want)
		}
	}
	if st := e.srv.Stats(); st.WebhookFailures != 3 || st.WebhookDeliveries < 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestLoginPingWebhook(t *testing.T) {
	e := start(t)
	r := newReceiver(t)
	e.register(r, "login.merchant-initiated.ping.v1")
	id := e.startLogin(PersonaApprove, "openid")
	e.clock.Advance(2 * time.Second)
	if h := r.next(); h.body["auth_req_id"] != id {
		t.Fatalf("ping: %v", h.body)
	}
	if p := e.poll(id); p.status != 200 {
		t.Fatalf("token after ping: %d %s", p.status, p.body)
	}
}
