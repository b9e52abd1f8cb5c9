package payment_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestPartialRefundKeepsTheRestOpen: a partial capture refunded in full
// leaves the rest of the authorization open to capture; only when nothing
// is left is the payment refunded (final), and then every operation is
// refused with 409 and nothing is sent.
func TestPartialRefundKeepsTheRestOpen(t *testing.T) {
	e := newEnv(t)
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 10000))
	e.Advance(2 * time.Second)
	e.waitStatus(v.ID, payment.StatusAuthorized)
	mustOp := func(op, key string, body map[string]any, want int) payment.View {
		t.Helper()
		res := e.operate(v.ID, op, key, body)
		if res.Status != want {
			t.Fatalf("%s %s: %d %s", op, key, res.Status, res.Raw)
		}
		if want >= 300 {
			return payment.View{}
		}
		return view(t, res)
	}
	mustOp("capture", "c1", map[string]any{"amount": 4000}, http.StatusOK)
	got := mustOp("refund", "r1", map[string]any{"amount": 4000}, http.StatusOK)
	if got.Status != payment.StatusAuthorized || got.CapturedAmount != 4000 || got.RefundedAmount != 4000 {
		t.Fatalf("after refunding the partial capture: %+v", got)
	}
	got = mustOp("capture", "c2", nil, http.StatusOK)
	if got.Status != payment.StatusCaptured || got.CapturedAmount != 10000 {
		t.Fatalf("capture of the rest: %+v", got)
	}
	got = mustOp("refund", "r2", map[string]any{"amount": 6000}, http.StatusOK)
	if got.Status != payment.StatusRefunded || got.RefundedAmount != 10000 {
		t.Fatalf("refunded: %+v", got)
	}
	calls := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/capture") + e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/cancel")
	mustOp("capture", "c3", nil, http.StatusConflict)
	mustOp("cancel", "x1", nil, http.StatusConflict)
	mustOp("refund", "r3", map[string]any{"amount": 1}, http.StatusConflict)
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/capture") + e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/cancel"); n != calls {
		t.Fatalf("operations on a refunded payment reached Vipps: %d → %d", calls, n)
	}
	e.checkBC(e.payment(v.ID))
}

// TestNoCancelWhileCapturing: at Vipps a cancel releases everything not
// captured, so it is refused while a capture is pending.
func TestNoCancelWhileCapturing(t *testing.T) {
	e := newEnv(t)
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 10000))
	e.Advance(2 * time.Second)
	e.waitStatus(v.ID, payment.StatusAuthorized)
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/epayment/v1/payments/" + v.Reference + "/capture", Status: http.StatusServiceUnavailable, Times: 1})
	if res := e.operate(v.ID, "capture", "c1", map[string]any{"amount": 6000}); res.Status != http.StatusAccepted {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	if res := e.operate(v.ID, "cancel", "x1", nil); res.Status != http.StatusConflict {
		t.Fatalf("cancel while capturing: %d %s", res.Status, res.Raw)
	}
	op, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindOp, "c1")
	if err != nil {
		t.Fatal(err)
	}
	e.settle(op.ID)
	e.WaitFor("acme", op.ID, func(j store.Job) bool { return j.Final })
	if res := e.operate(v.ID, "cancel", "x2", nil); res.Status != http.StatusOK || view(t, res).CancelledAmount != 4000 || view(t, res).Status != payment.StatusCaptured {
		t.Fatalf("cancel of the rest: %d %s", res.Status, res.Raw)
	}
}

// TestLostCreateAnswer: the create reached Vipps but its answer was lost,
// and every later try failed until the payment's expiry: Vipps is asked
// before the payment is called failed, so the customer's approval counts.
func TestLostCreateAnswer(t *testing.T) {
	e := newEnv(t, withoutWebhooks())
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/epayment/v1/payments", Status: http.StatusBadGateway, Times: 1000})
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 10000))
	// The create was refused by the gateway; have it reach Vipps as if
	// only its answer had been lost.
	e.Vipps.ClearFaults()
	if err := createDirect(e, v.Reference); err != nil {
		t.Fatal(err)
	}
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/epayment/v1/payments", Status: http.StatusBadGateway, Times: 1000})
	e.Advance(2 * time.Second) // approved at Vipps
	e.Advance(11 * time.Minute)
	e.settle(followerID(v.ID))
	got := e.waitStatus(v.ID, payment.StatusAuthorized)
	if got.AuthorizedAmount != 10000 || got.Error != nil {
		t.Fatalf("after the lost answer: %+v", got)
	}
}

// TestListByReference: an unknown reference is an empty list.
func TestListByReference(t *testing.T) {
	e := newEnv(t)
	res := e.do(http.MethodGet, "/v1/payments?reference=NO-SUCH-REF-1", nil)
	if items, ok := res.Body["items"].([]any); res.Status != http.StatusOK || !ok || len(items) != 0 {
		t.Fatalf("unknown reference: %d %s", res.Status, res.Raw)
	}
	if res := e.do(http.MethodGet, "/v1/payments", nil); res.Status != http.StatusBadRequest || !hasField(res, "reference") {
		t.Fatalf("no reference: %d %s", res.Status, res.Raw)
	}
}

// TestUnknownWebhookTarget: a delivery for a tenant or sales unit that
// does not exist is answered like a bad signature.
func TestUnknownWebhookTarget(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/v1/webhooks/vipps/nobody/123456", "/v1/webhooks/vipps/acme/999999"} {
		if res := e.do(http.MethodPost, path, `{"reference":"x"}`); res.Status != http.StatusUnauthorized {
			t.Fatalf("%s: %d %s", path, res.Status, res.Raw)
		}
	}
}
