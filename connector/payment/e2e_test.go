package payment_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestPaymentLifecycle: approve → authorized (webhook) → partial capture →
// capture of the rest → partial refund, with the amounts right at every
// step, one Vipps call per caller key, and BC's vippsPayments equal to the
// connector's view after each step.
func TestPaymentLifecycle(t *testing.T) {
	e := newEnv(t)
	body := payBody(vippstest.PersonaApprove, 29900)
	body["reference"] = "S042-000123-1"
	body["posId"] = "kasse-3"
	body["receiptNumber"] = "000123"
	body["orderLines"] = []map[string]any{
		{"name": "Genser", "id": "1001", "totalAmount": 19900, "totalAmountExcludingTax": 15920, "totalTaxAmount": 3980, "taxRate": 2500},
		{"name": "Lue", "id": "1002", "totalAmount": 10000, "totalAmountExcludingTax": 8000, "totalTaxAmount": 2000, "taxRate": 2500},
	}
	v := e.pay("pay-key-1", body)
	if v.Status != payment.StatusCreated || v.Amount != 29900 || v.Reference != "S042-000123-1" || v.SalesUnit != vippstest.DefaultMSN {
		t.Fatalf("created: %+v", v)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 1 {
		t.Fatalf("creates sent: %d", n)
	}
	// A retry of the create answers the first payment and sends nothing.
	again := e.do(http.MethodPost, "/v1/payments", body, "Idempotency-Key", "pay-key-1")
	if again.Status != http.StatusOK || view(t, again).ID != v.ID {
		t.Fatalf("retry: %d %s", again.Status, again.Raw)
	}
	// The same key with another body is refused.
	other := payBody(vippstest.PersonaApprove, 100)
	if res := e.do(http.MethodPost, "/v1/payments", other, "Idempotency-Key", "pay-key-1"); res.Status != http.StatusConflict || !hasField(res, "Idempotency-Key") {
		t.Fatalf("reused key: %d %s", res.Status, res.Raw)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 1 {
		t.Fatalf("creates sent after retries: %d", n)
	}
	e.checkBC(v)

	// The customer approves after 2 s; the webhook tells at once.
	e.Advance(2 * time.Second)
	v = e.waitStatus(v.ID, payment.StatusAuthorized)
	if v.AuthorizedAmount != 29900 || v.CapturedAmount != 0 {
		t.Fatalf("authorized: %+v", v)
	}

	capture := func(key string, amount int64, want int) payment.View {
		t.Helper()
		var b map[string]any
		if amount > 0 {
			b = map[string]any{"amount": amount}
		}
		res := e.operate(v.ID, "capture", key, b)
		if res.Status != want {
			t.Fatalf("capture %s: %d %s", key, res.Status, res.Raw)
		}
		return view(t, res)
	}
	v = capture("cap-1", 10000, http.StatusOK)
	if v.Status != payment.StatusAuthorized || v.CapturedAmount != 10000 {
		t.Fatalf("after partial capture: %+v", v)
	}
	// Repeating the capture with its key returns the first answer; Vipps
	// sees one capture.
	v = capture("cap-1", 10000, http.StatusOK)
	if v.CapturedAmount != 10000 || e.vippsCalls(http.MethodPost, "/epayment/v1/payments/S042-000123-1/capture") != 1 {
		t.Fatalf("repeated capture: %+v, %d calls", v, e.vippsCalls(http.MethodPost, "/epayment/v1/payments/S042-000123-1/capture"))
	}
	e.checkBC(v)
	v = capture("cap-2", 0, http.StatusOK) // the rest
	if v.Status != payment.StatusCaptured || v.CapturedAmount != 29900 {
		t.Fatalf("after capturing the rest: %+v", v)
	}
	e.checkBC(v)
	res := e.operate(v.ID, "refund", "ref-1", map[string]any{"amount": 5000})
	if res.Status != http.StatusOK {
		t.Fatalf("refund: %d %s", res.Status, res.Raw)
	}
	v = view(t, res)
	if v.Status != payment.StatusCaptured || v.RefundedAmount != 5000 || v.CapturedAmount != 29900 {
		t.Fatalf("after partial refund: %+v", v)
	}
	if len(v.Operations) != 3 {
		t.Fatalf("operations: %+v", v.Operations)
	}
	for _, op := range v.Operations {
		if op.Status != payment.OpDone {
			t.Fatalf("operation %+v", op)
		}
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/S042-000123-1/capture"); n != 2 {
		t.Fatalf("captures sent: %d", n)
	}
	// The webhooks of the captures and the refund change nothing: the
	// amounts stay Vipps' aggregate.
	e.settle(followerID(v.ID))
	final := e.payment(v.ID)
	if final.CapturedAmount != 29900 || final.RefundedAmount != 5000 || final.AuthorizedAmount != 29900 {
		t.Fatalf("final: %+v", final)
	}
	e.checkBC(final)
	// Listing by reference finds it.
	list := e.do(http.MethodGet, "/v1/payments?reference=S042-000123-1", nil)
	if items, _ := list.Body["items"].([]any); list.Status != http.StatusOK || len(items) != 1 {
		t.Fatalf("list: %d %s", list.Status, list.Raw)
	}
}

func hasField(r testenv.Response, field string) bool {
	errs, _ := r.Body["errors"].([]any)
	for _, x := range errs {
		if m, _ := x.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

var _ = store.Job{}

// TestSharedProfilePurgedAfterDelivery: a payment's shared profile is
// personal data. retention.profile after an answer first gave it to the
// caller it is purged, also while the payment stays open (captured, still
// refundable), and it is not read from Vipps again.
func TestSharedProfilePurgedAfterDelivery(t *testing.T) {
	e := newEnv(t)
	v := e.sharedProfilePayment("share-1")
	if v = e.payment(v.ID); len(v.Profile) == 0 { // delivered here
		t.Fatalf("authorized payment without the shared profile: %+v", v)
	}
	if ph, _ := v.Profile["phoneNumber"].(string); !strings.HasPrefix(ph, "+") {
		t.Errorf("profile phoneNumber %q, want E.164 as everywhere in the API", ph)
	}
	userinfoReads := func() int {
		e.callsMu.Lock()
		defer e.callsMu.Unlock()
		n := 0
		for k, c := range e.calls {
			if strings.HasPrefix(k, "GET /vipps-userinfo-api/userinfo/") {
				n += c
			}
		}
		return n
	}
	reads := userinfoReads()
	if reads == 0 {
		t.Fatal("the profile was not read from Vipps")
	}
	if res := e.operate(v.ID, "capture", "share-cap", nil); res.Status != http.StatusOK || view(t, res).Status != payment.StatusCaptured {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	// Not yet: the caller may fetch the answer again for a while.
	e.Advance(e.Cfg.Retention.Profile - time.Minute)
	if v = e.payment(v.ID); len(v.Profile) == 0 {
		t.Fatal("profile purged before retention.profile")
	}
	e.Advance(2 * time.Minute)
	e.WaitFor("acme", v.ID, func(j store.Job) bool { return len(j.Result) == 0 })
	v = e.payment(v.ID)
	if len(v.Profile) != 0 || v.Status != payment.StatusCaptured || v.CapturedAmount != 29900 {
		t.Fatalf("after retention.profile: %+v", v)
	}
	// The follower polls the open payment on; it does not read the
	// profile again.
	e.Advance(time.Minute)
	if n := userinfoReads(); n != reads {
		t.Fatalf("the profile was read from Vipps again after its purge: %d reads, want %d", n, reads)
	}
}

// sharedProfilePayment makes an authorized payment whose customer shares
// name, email and phone number, and waits until the connector has read the profile (at
// once, or at the follower's next poll when Vipps had not written the sub
// yet).
func (e *env) sharedProfilePayment(key string) payment.View {
	e.T.Helper()
	body := payBody(vippstest.PersonaApprove, 29900)
	body["shareProfile"] = []string{"name", "email", "phoneNumber"}
	v := e.pay(key, body)
	e.Advance(2 * time.Second) // the customer approves
	e.WaitFor("acme", v.ID, func(j store.Job) bool { return j.Status == payment.StatusAuthorized })
	for i := 0; len(e.Job("acme", v.ID).Result) == 0; i++ {
		if i == 10 {
			e.T.Fatal("the shared profile was never read")
		}
		f := e.Job("acme", followerID(v.ID))
		if d := f.DueAt.Sub(e.Clock.Now()); d > 0 {
			e.Advance(d)
		} else {
			e.Advance(0)
		}
		e.WaitFor("acme", f.ID, func(j store.Job) bool { return j.Version > f.Version || len(e.Job("acme", v.ID).Result) > 0 })
	}
	return v
}

// TestSharedProfilePurgedWhenFinal: a payment that ends (cancelled) after
// its profile was delivered loses the profile retention.profile after the
// delivery, through the store's housekeeping, not a day later.
func TestSharedProfilePurgedWhenFinal(t *testing.T) {
	e := newEnv(t)
	v := e.sharedProfilePayment("share-final")
	if v = e.payment(v.ID); len(v.Profile) == 0 { // delivered here
		t.Fatalf("no profile: %+v", v)
	}
	delivered := e.Clock.Now()
	if res := e.operate(v.ID, "cancel", "share-cancel", nil); res.Status != http.StatusOK || view(t, res).Status != payment.StatusCancelled {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	if j := e.Job("acme", v.ID); !j.Final || !j.DeliveredAt.Equal(delivered) {
		t.Fatalf("final payment: final %v, deliveredAt %v, want %v", j.Final, j.DeliveredAt, delivered)
	}
	e.Advance(e.Cfg.Retention.Profile + time.Second)
	e.First().Svc.Engine().Housekeep(t.Context())
	if j := e.Job("acme", v.ID); len(j.Result) != 0 {
		t.Fatalf("cancelled payment still holds its delivered profile after retention.profile: %s", j.Result)
	}
}
