package payment_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestPaymentOutcomes: the customer declines, does not answer, or the
// cashier cancels before the customer answered; an unknown number fails.
func TestPaymentOutcomes(t *testing.T) {
	e := newEnv(t)
	declined := e.pay("k-reject", payBody(vippstest.PersonaReject, 5000))
	ignored := e.pay("k-ignore", payBody(vippstest.PersonaIgnore, 5000))
	e.Advance(2 * time.Second)
	if v := e.waitStatus(declined.ID, payment.StatusAborted); v.AuthorizedAmount != 0 {
		t.Fatalf("declined: %+v", v)
	}
	// Cancel a payment the customer has not answered yet.
	waiting := e.pay("k-cancel", payBody(vippstest.PersonaIgnore, 7000))
	res := e.operate(waiting.ID, "cancel", "cancel-1", nil)
	if res.Status != http.StatusOK || view(t, res).Status != payment.StatusCancelled {
		t.Fatalf("cancel before approval: %d %s", res.Status, res.Raw)
	}
	// No answer: expired after Vipps' 10 minutes.
	e.Advance(10 * time.Minute)
	if v := e.waitStatus(ignored.ID, payment.StatusExpired); v.AuthorizedAmount != 0 {
		t.Fatalf("expired: %+v", v)
	}
	// A number without Vipps: failed at once, with a clear error.
	failed := e.pay("k-unknown", payBody("4799999999", 5000))
	if failed.Status != payment.StatusFailed || failed.Error == nil || !strings.Contains(failed.Error.Detail, "7010") {
		t.Fatalf("unknown number: %+v", failed)
	}
	// A currency the sales unit does not take, and a check-in token Vipps
	// does not know: failed at once, saying which.
	dkk := payBody(vippstest.PersonaApprove, 5000)
	dkk["currency"] = "DKK"
	wrongCurrency := e.pay("k-dkk", dkk)
	if wrongCurrency.Status != payment.StatusFailed || wrongCurrency.Error == nil || !strings.Contains(wrongCurrency.Error.Title, "currency") ||
		!strings.Contains(wrongCurrency.Error.Detail, "amount.currency") {
		t.Fatalf("DKK at a NOK sales unit: %+v", wrongCurrency.Error)
	}
	token := map[string]any{"amount": 5000, "currency": "NOK", "customerToken": "tok-unknown-123", "description": "Kasse 3"}
	badToken := e.pay("k-token", token)
	if badToken.Status != payment.StatusFailed || badToken.Error == nil || !strings.Contains(badToken.Error.Detail, "customer.customerToken") {
		t.Fatalf("unknown customer token: %+v", badToken.Error)
	}
	for _, v := range []payment.View{declined, ignored, waiting, failed, wrongCurrency, badToken} {
		e.checkBC(v)
	}
}

// TestOperationRefusals: a capture above the authorized amount, a refund
// above the captured one and a cancel after a full capture are refused
// with 409 and change nothing, at the connector and at Vipps.
func TestOperationRefusals(t *testing.T) {
	e := newEnv(t)
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 10000))
	e.Advance(2 * time.Second)
	e.waitStatus(v.ID, payment.StatusAuthorized)
	before := e.payment(v.ID)

	if res := e.operate(v.ID, "refund", "r-0", map[string]any{"amount": 100}); res.Status != http.StatusConflict {
		t.Fatalf("refund before capture: %d %s", res.Status, res.Raw)
	}
	if res := e.operate(v.ID, "capture", "c-big", map[string]any{"amount": 10001}); res.Status != http.StatusConflict || !hasField(res, "amount") {
		t.Fatalf("capture above authorized: %d %s", res.Status, res.Raw)
	}
	after := e.payment(v.ID)
	if after.CapturedAmount != before.CapturedAmount || len(after.Operations) != 0 {
		t.Fatalf("refused capture changed the payment: %+v", after)
	}
	if res := e.operate(v.ID, "capture", "c-all", nil); res.Status != http.StatusOK || view(t, res).Status != payment.StatusCaptured {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	if res := e.operate(v.ID, "refund", "r-big", map[string]any{"amount": 10001}); res.Status != http.StatusConflict || !hasField(res, "amount") {
		t.Fatalf("refund above captured: %d %s", res.Status, res.Raw)
	}
	if res := e.operate(v.ID, "cancel", "x-1", nil); res.Status != http.StatusConflict {
		t.Fatalf("cancel after full capture: %d %s", res.Status, res.Raw)
	}
	// A refused key answers the same refusal again.
	if res := e.operate(v.ID, "refund", "r-big", map[string]any{"amount": 10001}); res.Status != http.StatusConflict {
		t.Fatalf("refused retry: %d %s", res.Status, res.Raw)
	}
	ref := e.payment(v.ID).Reference
	for _, op := range []string{"refund", "cancel"} {
		if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+ref+"/"+op); n != 0 {
			t.Fatalf("%d %s calls reached Vipps", n, op)
		}
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+ref+"/capture"); n != 1 {
		t.Fatalf("captures sent: %d", n)
	}
	final := e.payment(v.ID)
	if final.CapturedAmount != 10000 || final.RefundedAmount != 0 || len(final.Operations) != 1 {
		t.Fatalf("final: %+v", final)
	}
	e.checkBC(final)
}

// TestBadInput: invalid creates are answered 400 naming the field, and
// nothing is stored or sent.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	base := func() map[string]any { return payBody(vippstest.PersonaApprove, 29900) }
	with := func(k string, v any) map[string]any { b := base(); b[k] = v; return b }
	without := func(k string) map[string]any { b := base(); delete(b, k); return b }
	line := func(total, excl, tax int64) map[string]any {
		return map[string]any{"name": "Vare", "id": "1", "totalAmount": total, "totalAmountExcludingTax": excl, "totalTaxAmount": tax}
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"no amount", without("amount"), "amount"},
		{"zero amount", with("amount", 0), "amount"},
		{"amount too large", with("amount", 65000001), "amount"},
		{"amount a string", with("amount", "299"), "amount"},
		{"no currency", without("currency"), "currency"},
		{"unknown currency", with("currency", "SEK"), "currency"},
		{"no customer", without("phoneNumber"), "phoneNumber"},
		{"two customers", with("qrCode", "https://qr.vipps.no/28/2/01/031/4791234567?v=1"), "phoneNumber"},
		{"bad phone", with("phoneNumber", "12345"), "phoneNumber"},
		{"short qr", func() map[string]any { b := without("phoneNumber"); b["qrCode"] = "abc"; return b }(), "qrCode"},
		{"no description", without("description"), "description"},
		{"short description", with("description", "ab"), "description"},
		{"long description", with("description", strings.Repeat("x", 101)), "description"},
		{"bad reference", with("reference", "short"), "reference"},
		{"reference with space", with("reference", "S042 000123"), "reference"},
		{"unknown sales unit", with("salesUnit", "999999"), "salesUnit"},
		{"long posId", with("posId", strings.Repeat("p", 51)), "posId"},
		{"unknown profile scope", with("shareProfile", []string{"nin"}), "shareProfile[0]"},
		{"member not a GUID", with("memberId", "M-1"), "memberId"},
		{"unknown field", with("tip", 10), "tip"},
		{"every unknown field named", func() map[string]any { b := with("tip", 10); b["bar"] = 2; return b }(), "bar"},
		{"empty reference", with("reference", ""), "reference"},
		{"empty sales unit", with("salesUnit", ""), "salesUnit"},
		{"an empty token beside the phone", with("customerToken", ""), "customerToken"},
		{"empty qrCode alone", func() map[string]any { b := without("phoneNumber"); b["qrCode"] = " "; return b }(), "qrCode"},
		{"order line sums", with("orderLines", []any{line(29900, 20000, 100)}), "orderLines[0].totalAmount"},
		{"order lines off the amount", with("orderLines", []any{line(1000, 800, 200)}), "orderLines"},
		{"order line without name", with("orderLines", []any{map[string]any{"id": "1", "totalAmount": 29900, "totalAmountExcludingTax": 29900, "totalTaxAmount": 0}}), "orderLines[0].name"},
	}
	for i, tc := range cases {
		res := e.do(http.MethodPost, "/v1/payments", tc.body, "Idempotency-Key", "bad-"+tc.name)
		if res.Status != http.StatusBadRequest || !hasField(res, tc.field) {
			t.Errorf("%d %s: %d %s (want 400 naming %s)", i, tc.name, res.Status, res.Raw, tc.field)
		}
	}
	if res := e.do(http.MethodPost, "/v1/payments", base()); res.Status != http.StatusBadRequest || !hasField(res, "Idempotency-Key") {
		t.Errorf("no Idempotency-Key: %d %s", res.Status, res.Raw)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 0 {
		t.Fatalf("%d creates reached Vipps", n)
	}
	counts, err := e.First().Store.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Kind == payment.KindPayment || c.Kind == payment.KindFollow {
			t.Fatalf("stored after bad input: %+v", c)
		}
	}
	// null is "left out", not an empty string.
	nulls := base()
	nulls["salesUnit"], nulls["memberId"], nulls["reference"] = nil, nil, nil
	if res := e.do(http.MethodPost, "/v1/payments", nulls, "Idempotency-Key", "nulls"); res.Status != http.StatusCreated {
		t.Errorf("null optional fields: %d %s", res.Status, res.Raw)
	} else {
		e.paidMu.Lock()
		e.paid = append(e.paid, view(t, res).ID)
		e.paidMu.Unlock()
	}
	// Bad operation bodies.
	v := e.pay("good", base())
	if res := e.operate(v.ID, "refund", "r", map[string]any{}); res.Status != http.StatusBadRequest || !hasField(res, "amount") {
		t.Errorf("refund without amount: %d %s", res.Status, res.Raw)
	}
	if res := e.operate(v.ID, "capture", "c", map[string]any{"amount": -5}); res.Status != http.StatusBadRequest || !hasField(res, "amount") {
		t.Errorf("negative capture: %d %s", res.Status, res.Raw)
	}
	if res := e.do(http.MethodPost, "/v1/payments/"+v.ID+"/capture", map[string]any{}); res.Status != http.StatusBadRequest || !hasField(res, "Idempotency-Key") {
		t.Errorf("capture without key: %d %s", res.Status, res.Raw)
	}
}

// TestRewriteOfAFinalPayment: BC's row of a final payment whose outbox has
// finished is changed behind the connector's back; a rewrite (what the
// reconciliation does when it finds that) queues a one-off outbox that
// puts BC's row right. One is on its way at a time, and counts as pending
// for the next sweep. Before, the rewrite counted a change no finished
// outbox would ever write.
func TestRewriteOfAFinalPayment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pays := e.First().Svc.Payments()
	declined := e.pay("k-reject", payBody(vippstest.PersonaReject, 5000))
	e.Advance(2 * time.Second)
	e.waitStatus(declined.ID, payment.StatusAborted)
	e.checkBC(declined)
	if o := e.Job("acme", outboxID(declined.ID)); !o.Final {
		t.Fatalf("outbox not finished: %+v", o)
	}
	rewrites := func() []store.Job {
		t.Helper()
		outboxes, err := e.First().Store.List(ctx, store.ListQuery{TenantID: "acme", Kind: payment.KindBCOutbox})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.Job
		for _, o := range outboxes {
			if strings.HasPrefix(o.ID, "bcr_") {
				out = append(out, o)
			}
		}
		return out
	}
	tamper := func() {
		t.Helper()
		if !e.BC.Sim.SetEntityField(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, declined.Reference, "status", "captured") {
			t.Fatal("could not change the BC row")
		}
	}

	// BC is down: the rewrite waits, and a second one is not queued.
	tamper()
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPost, Status: http.StatusServiceUnavailable})
	for range 2 {
		if err := pays.Rewrite(ctx, "acme", declined.ID); err != nil {
			t.Fatal(err)
		}
	}
	rs := rewrites()
	if len(rs) != 1 {
		t.Fatalf("%d rewrites queued, want 1", len(rs))
	}
	e.WaitFor("acme", rs[0].ID, func(j store.Job) bool { return j.Attempts > 0 })
	if !pays.BCPending(ctx, "acme", declined.ID) {
		t.Fatal("a rewrite on its way is not pending")
	}
	e.BC.Sim.ClearFaults()
	e.settle(rs[0].ID)
	if r := e.bcRecord(declined.Reference); r == nil || r["status"] != payment.StatusAborted {
		t.Fatalf("BC's row after the rewrite: %v", r)
	}
	if pays.BCPending(ctx, "acme", declined.ID) {
		t.Fatal("pending after the rewrite finished")
	}

	// Changed again: the next rewrite is a new one.
	tamper()
	if err := pays.Rewrite(ctx, "acme", declined.ID); err != nil {
		t.Fatal(err)
	}
	rs = rewrites()
	if len(rs) != 2 {
		t.Fatalf("%d rewrites, want 2", len(rs))
	}
	for _, r := range rs {
		e.WaitFor("acme", r.ID, func(j store.Job) bool { return j.Final })
	}
	if r := e.bcRecord(declined.Reference); r == nil || r["status"] != payment.StatusAborted {
		t.Fatalf("BC's row after the second rewrite: %v", r)
	}
}

// TestGUIDShapedReference: a POS may use a GUID as the payment reference.
// vippsPayments is keyed by the reference, a Text field, so its row is
// addressed as a text literal ('…'); BC refuses a bare GUID there, and
// the row would stay at its first status.
func TestGUIDShapedReference(t *testing.T) {
	e := newEnv(t)
	body := payBody(vippstest.PersonaReject, 5000)
	body["reference"] = "550e8400-e29b-41d4-a716-446655440000"
	declined := e.pay("k-guid", body)
	e.Advance(2 * time.Second)
	v := e.waitStatus(declined.ID, payment.StatusAborted)
	if v.Reference != body["reference"] {
		t.Fatalf("reference %q", v.Reference)
	}
	e.checkBC(v) // the row was created, then updated to aborted
}
