package vippstest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const receiptJSON = `{"orderLines":[{"name":"Kaffe","id":"1","totalAmount":4990,"totalAmountExcludingTax":3992,"totalTaxAmount":998,"taxRate":2500,"unitInfo":{"unitPrice":4990,"quantity":"1","quantityUnit":"PCS"}}],"bottomLine":{"currency":"NOK","posId":"POS-1","receiptNumber":"42"}}`

func pushPayment(ref, phone string, value int) string {
	return fmt.Sprintf(`{"amount":{"currency":"NOK","value":%d},"paymentMethod":{"type":"WALLET"},"reference":%q,"userFlow":"PUSH_MESSAGE","customer":{"phoneNumber":%q},"customerInteraction":"CUSTOMER_PRESENT","paymentDescription":"Kaffe og kake","receipt":%s}`, value, ref, phone, receiptJSON)
}

func (e *env) create(key, body string) answer {
	e.t.Helper()
	return e.do("POST", "/epayment/v1/payments", body, e.merchant("Idempotency-Key", key)...)
}

func (e *env) payment(ref string) map[string]any {
	e.t.Helper()
	a := e.do("GET", "/epayment/v1/payments/"+ref, "", e.merchant()...)
	if a.status != 200 {
		e.t.Fatalf("get %s: %d %s", ref, a.status, a.body)
	}
	return a.json(e.t)
}

func (e *env) events(ref string) []map[string]any {
	e.t.Helper()
	a := e.do("GET", "/epayment/v1/payments/"+ref+"/events", "", e.merchant()...)
	var out []map[string]any
	if err := json.Unmarshal(a.body, &out); err != nil || a.status != 200 {
		e.t.Fatalf("events: %d %s", a.status, a.body)
	}
	return out
}

func (e *env) adjust(op, key, ref string, value int) answer {
	e.t.Helper()
	body := ""
	if op != "cancel" {
		body = fmt.Sprintf(`{"modificationAmount":{"currency":"NOK","value":%d}}`, value)
	}
	return e.do("POST", "/epayment/v1/payments/"+ref+"/"+op, body, e.merchant("Idempotency-Key", key)...)
}

func agg(m map[string]any, name string) int {
	return int(m["aggregate"].(map[string]any)[name].(map[string]any)["value"].(float64))
}

func TestPaymentLifecycle(t *testing.T) {
	e := start(t)
	ref := "store1-order-0001"
	if a := e.create("k-create", pushPayment(ref, PersonaApprove, 10000)); a.status != 201 || a.json(t)["reference"] != ref {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	if st := e.payment(ref)["state"]; st != "CREATED" {
		t.Fatalf("state %v before the user answers", st)
	}
	e.clock.Advance(2 * time.Second)
	p := e.payment(ref)
	if p["state"] != "AUTHORIZED" || agg(p, "authorizedAmount") != 10000 {
		t.Fatalf("after approval: %v", p)
	}
	if a := e.adjust("capture", "k-cap1", ref, 6000); a.status != 200 || a.json(t)["state"] != "AUTHORIZED" {
		t.Fatalf("capture: %d %s", a.status, a.body)
	}
	if a := e.adjust("refund", "k-ref1", ref, 1000); a.status != 200 {
		t.Fatalf("refund: %d %s", a.status, a.body)
	}
	if a := e.adjust("cancel", "k-can1", ref, 0); a.status != 200 {
		t.Fatalf("cancel remainder: %d %s", a.status, a.body)
	}
	p = e.payment(ref)
	want := map[string]int{"authorizedAmount": 10000, "capturedAmount": 6000, "refundedAmount": 1000, "cancelledAmount": 4000}
	for k, v := range want {
		if got := agg(p, k); got != v {
			t.Errorf("%s = %d, want %d", k, got, v)
		}
	}
	if p["state"] != "AUTHORIZED" {
		t.Errorf("state %v: AUTHORIZED must stay after capture/refund/cancel", p["state"])
	}
	evs := e.events(ref)
	var names []string
	psp := map[string]bool{}
	for _, ev := range evs {
		names = append(names, ev["name"].(string))
		psp[ev["pspReference"].(string)] = true
		if ev["success"] != true {
			t.Errorf("event %v not successful", ev)
		}
	}
	if got := strings.Join(names, ","); got != "CREATED,AUTHORIZED,CAPTURED,REFUNDED,CANCELLED" {
		t.Errorf("events %s", got)
	}
	if len(psp) != len(evs) {
		t.Errorf("pspReference must differ per event: %v", psp)
	}
	if evs[2]["idempotencyKey"] != "k-cap1" || evs[0]["idempotencyKey"] != "k-create" {
		t.Errorf("idempotencyKey not carried: %v / %v", evs[0]["idempotencyKey"], evs[2]["idempotencyKey"])
	}
	if a := e.adjust("capture", "k-cap2", ref, 1); a.status != 400 || !strings.Contains(string(a.body), "6090") {
		t.Errorf("capture after cancel: %d %s", a.status, a.body)
	}
}

func TestPaymentOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		phone     string
		advance   time.Duration
		wantState string
		lastEvent string
	}{
		{"approving user authorizes after the delay", PersonaApprove, 2 * time.Second, "AUTHORIZED", "AUTHORIZED"},
		{"declining user aborts", PersonaReject, 2 * time.Second, "ABORTED", "ABORTED"},
		{"silent user lets the payment expire after 10 minutes", PersonaIgnore, 10 * time.Minute, "EXPIRED", "EXPIRED"},
		{"nothing happens before the delay", PersonaApprove, time.Second, "CREATED", "CREATED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			ref := "outcome-test-1"
			if a := e.create("k", pushPayment(ref, tc.phone, 1000)); a.status != 201 {
				t.Fatalf("create: %d %s", a.status, a.body)
			}
			e.clock.Advance(tc.advance)
			if st := e.payment(ref)["state"]; st != tc.wantState {
				t.Fatalf("state %v, want %s", st, tc.wantState)
			}
			evs := e.events(ref)
			if last := evs[len(evs)-1]["name"]; last != tc.lastEvent {
				t.Fatalf("last event %v", last)
			}
		})
	}
	t.Run("cancel before authorization terminates", func(t *testing.T) {
		e := start(t)
		e.create("k", pushPayment("terminate-me-1", PersonaIgnore, 1000))
		a := e.adjust("cancel", "k-c", "terminate-me-1", 0)
		if a.status != 200 || a.json(t)["state"] != "TERMINATED" {
			t.Fatalf("cancel: %d %s", a.status, a.body)
		}
		if a := e.adjust("capture", "k-cap", "terminate-me-1", 100); a.status != 400 || !strings.Contains(string(a.body), "6080") {
			t.Fatalf("capture of terminated payment: %d %s", a.status, a.body)
		}
	})
}

func TestPaymentIdempotency(t *testing.T) {
	e := start(t)
	body := pushPayment("idem-order-01", PersonaApprove, 2000)
	first := e.create("key-1", body)
	again := e.create("key-1", body)
	if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) {
		t.Fatalf("same key, same body: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if a := e.create("key-1", pushPayment("idem-order-02", PersonaApprove, 2000)); a.status != 409 {
		t.Fatalf("same key, other body: %d %s", a.status, a.body)
	}
	if a := e.create("key-2", body); a.status != 409 || !strings.Contains(string(a.body), "4150") {
		t.Fatalf("existing reference, new key: %d %s", a.status, a.body)
	}
	e.clock.Advance(2 * time.Second)
	c1 := e.adjust("capture", "cap-1", "idem-order-01", 500)
	c2 := e.adjust("capture", "cap-1", "idem-order-01", 500)
	if c1.status != 200 || string(c1.body) != string(c2.body) {
		t.Fatalf("capture retry: %s / %s", c1.body, c2.body)
	}
	if got := agg(e.payment("idem-order-01"), "capturedAmount"); got != 500 {
		t.Fatalf("a retried capture must not capture twice: captured %d", got)
	}
	if a := e.adjust("capture", "cap-1", "idem-order-01", 600); a.status != 409 {
		t.Fatalf("capture key reused with another amount: %d", a.status)
	}
	// A 4xx stays a 4xx for its key.
	tooHigh1 := e.adjust("capture", "cap-2", "idem-order-01", 99999)
	tooHigh2 := e.adjust("capture", "cap-2", "idem-order-01", 99999)
	if tooHigh1.status != 400 || tooHigh2.status != 400 {
		t.Fatalf("too high capture: %d / %d", tooHigh1.status, tooHigh2.status)
	}
}

func TestCreatePaymentValidation(t *testing.T) {
	base := func(mod func(m map[string]any)) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(pushPayment("valid-ref-001", PersonaApprove, 1000)), &m)
		mod(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name     string
		body     string
		wantCode string
	}{
		{"decimal amount is refused", strings.Replace(pushPayment("valid-ref-001", PersonaApprove, 1000), `"value":1000`, `"value":10.5`, 1), "4040"},
		{"NOK below 100 øre is refused", pushPayment("valid-ref-001", PersonaApprove, 99), "4040"},
		{"unknown currency is refused", base(func(m map[string]any) { m["amount"] = map[string]any{"currency": "SEK", "value": 1000} }), "4040"},
		{"too short reference is refused", pushPayment("short", PersonaApprove, 1000), ""},
		{"reference over 64 characters is refused", pushPayment(strings.Repeat("a", 65), PersonaApprove, 1000), ""},
		{"reference with other characters is refused", pushPayment("order_0001", PersonaApprove, 1000), ""},
		{"malformed phone number is refused", pushPayment("valid-ref-001", "+4791234567", 1000), "4070"},
		{"unknown customer is refused", pushPayment("valid-ref-001", "4700000001", 1000), "7010"},
		{"two customer identifications are refused", base(func(m map[string]any) {
			m["customer"] = map[string]any{"phoneNumber": PersonaApprove, "personalQr": "https://qr.vipps.no/28/2/01/031/4791234567?v=1"}
		}), ""},
		{"invalid personal QR is refused", base(func(m map[string]any) { m["customer"] = map[string]any{"personalQr": "https://example.com/x"} }), "4060"},
		{"PUSH_MESSAGE without customer is refused", base(func(m map[string]any) { delete(m, "customer") }), ""},
		{"expiresAt without receipt is refused", base(func(m map[string]any) {
			delete(m, "receipt")
			m["expiresAt"] = epoch.Add(time.Hour).Format(time.RFC3339)
		}), ""},
		{"expiresAt beyond 60 days is refused", base(func(m map[string]any) { m["expiresAt"] = epoch.Add(61 * 24 * time.Hour).Format(time.RFC3339) }), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startRefusals(t)
			a := e.create("k", tc.body)
			if a.status != 400 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %q", a.header.Get("Content-Type"))
			}
			if tc.wantCode != "" && !strings.Contains(string(a.body), `"reason":"`+tc.wantCode+`"`) {
				t.Fatalf("want error code %s: %s", tc.wantCode, a.body)
			}
		})
	}
	t.Run("missing Idempotency-Key is refused", func(t *testing.T) {
		e := startRefusals(t)
		if a := e.do("POST", "/epayment/v1/payments", pushPayment("valid-ref-001", PersonaApprove, 1000), e.merchant()...); a.status != 400 {
			t.Fatalf("status %d", a.status)
		}
	})
	t.Run("64-character reference and 60-day expiresAt are accepted (current docs)", func(t *testing.T) {
		e := start(t)
		body := base(func(m map[string]any) {
			m["reference"] = strings.Repeat("b", 64)
			m["expiresAt"] = epoch.Add(60 * 24 * time.Hour).Format(time.RFC3339)
		})
		if a := e.create("k", body); a.status != 201 {
			t.Fatalf("status %d: %s", a.status, a.body)
		}
	})
}

func TestPaymentRateLimits(t *testing.T) {
	t.Run("create is limited to 5 per minute per reference", func(t *testing.T) {
		e := start(t)
		for i := range 5 {
			e.create(fmt.Sprintf("k%d", i), pushPayment("rate-limit-1", PersonaIgnore, 1000))
		}
		a := e.create("k6", pushPayment("rate-limit-1", PersonaIgnore, 1000))
		if a.status != 429 || a.header.Get("Retry-After") == "" {
			t.Fatalf("6th create: %d %s", a.status, a.body)
		}
		if a := e.create("k7", pushPayment("rate-limit-2", PersonaIgnore, 1000)); a.status != 201 {
			t.Fatalf("other reference: %d", a.status)
		}
		e.clock.Advance(time.Minute)
		if a := e.create("k8", pushPayment("rate-limit-1", PersonaIgnore, 1000)); a.status != 409 {
			t.Fatalf("after a minute the limit is lifted (and the reference exists): %d", a.status)
		}
	})
	t.Run("get is limited to 120 per minute per reference", func(t *testing.T) {
		e := start(t)
		e.create("k", pushPayment("rate-limit-3", PersonaIgnore, 1000))
		h := e.merchant()
		for range 120 {
			if a := e.do("GET", "/epayment/v1/payments/rate-limit-3", "", h...); a.status != 200 {
				t.Fatalf("within limit: %d", a.status)
			}
		}
		if a := e.do("GET", "/epayment/v1/payments/rate-limit-3", "", h...); a.status != 429 {
			t.Fatalf("121st get: %d", a.status)
		}
		if a := e.do("GET", "/epayment/v1/payments/rate-limit-3/events", "", h...); a.status != 200 {
			t.Fatalf("events count separately: %d", a.status)
		}
	})
	t.Run("capture is limited to 5 per minute per reference", func(t *testing.T) {
		e := start(t)
		e.create("k", pushPayment("rate-limit-4", PersonaApprove, 10000))
		e.clock.Advance(2 * time.Second)
		for i := range 5 {
			if a := e.adjust("capture", fmt.Sprintf("c%d", i), "rate-limit-4", 100); a.status != 200 {
				t.Fatalf("capture %d: %d", i, a.status)
			}
		}
		if a := e.adjust("capture", "c6", "rate-limit-4", 100); a.status != 429 {
			t.Fatalf("6th capture: %d", a.status)
		}
	})
}

func TestForceApproveAndProfileSharing(t *testing.T) {
	e := start(t)
	body := `{"amount":{"currency":"NOK","value":5000},"paymentMethod":{"type":"WALLET"},"reference":"web-order-0001","userFlow":"WEB_REDIRECT","returnUrl":"https://example.com/done","profile":{"scope":"name email"}}`
	a := e.create("k", body)
	if a.status != 201 || a.json(t)["redirectUrl"] == nil {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	if a := e.do("POST", "/epayment/v1/test/payments/web-order-0001/approve", `{"customer":{"phoneNumber":"`+PersonaApprove+`"}}`, e.merchant()...); a.status != 200 {
		t.Fatalf("force approve: %d %s", a.status, a.body)
	}
	p := e.payment("web-order-0001")
	sub, _ := p["profile"].(map[string]any)["sub"].(string)
	if p["state"] != "AUTHORIZED" || sub == "" {
		t.Fatalf("after force approve: %v", p)
	}
	u := e.do("GET", "/vipps-userinfo-api/userinfo/"+sub, "", e.merchant()...)
	if u.status != 200 {
		t.Fatalf("userinfo by sub: %d %s", u.status, u.body)
	}
	m := u.json(t)
	if m["email"] != "ase.ostby@example.com" || m["address"] != nil {
		t.Fatalf("shared claims: %s", u.body)
	}
	if a := e.do("GET", "/vipps-userinfo-api/userinfo/unknown-sub", "", e.merchant()...); a.status != 404 {
		t.Fatalf("unknown sub: %d", a.status)
	}
	e.clock.Advance(169 * time.Hour)
	if m := e.do("GET", "/vipps-userinfo-api/userinfo/"+sub, "", e.merchant()...).json(t); m["email"] != "[Expired]" {
		t.Fatalf("after 168 h: %v", m)
	}
}

func TestPaymentCustomerByQRAndToken(t *testing.T) {
	e := start(t)
	for i, cust := range []string{
		`{"personalQr":"` + e.srv.PersonalQR(PersonaApprove) + `"}`,
		`{"personalQr":"` + e.srv.TokenizedPersonalQR(PersonaApprove) + `"}`,
		`{"customerToken":"` + e.srv.CustomerToken(PersonaApprove) + `"}`,
	} {
		ref := fmt.Sprintf("qr-customer-%d", i)
		body := fmt.Sprintf(`{"amount":{"currency":"NOK","value":1000},"paymentMethod":{"type":"WALLET"},"reference":%q,"userFlow":"PUSH_MESSAGE","customer":%s}`, ref, cust)
		if a := e.create("k"+ref, body); a.status != 201 {
			t.Fatalf("%s: %d %s", cust, a.status, a.body)
		}
	}
	e.clock.Advance(2 * time.Second)
	for i := range 3 {
		if st := e.payment(fmt.Sprintf("qr-customer-%d", i))["state"]; st != "AUTHORIZED" {
			t.Errorf("payment %d: %v", i, st)
		}
	}
}
