package payment_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestPaymentAnswersMatchTheOpenAPIDocument validates real answers of the
// payment endpoints (created, authorized, captured, failed, retries,
// refusals, problems) against the document.
func TestPaymentAnswersMatchTheOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	oc := testenv.NewOpenAPIChecker(e.Env)
	body := `{"amount":5000,"currency":"NOK","phoneNumber":"+` + vippstest.PersonaApprove + `","description":"Kasse 3"}`
	res := oc.Check(http.MethodPost, "/v1/payments", apiKey, body, "Idempotency-Key", "oa-1")
	v := view(t, res)
	e.paidMu.Lock()
	e.paid = append(e.paid, v.ID)
	e.paidMu.Unlock()
	oc.Check(http.MethodPost, "/v1/payments", apiKey, body, "Idempotency-Key", "oa-1")
	oc.Check(http.MethodPost, "/v1/payments", apiKey, `{"amount":5001,"currency":"NOK","phoneNumber":"+`+vippstest.PersonaApprove+`","description":"Kasse 3"}`, "Idempotency-Key", "oa-1")
	oc.Check(http.MethodPost, "/v1/payments", apiKey, `{"amount":-1,"currency":"XYZ","description":"K"}`, "Idempotency-Key", "oa-bad")
	oc.Check(http.MethodGet, "/v1/payments/"+v.ID, apiKey, "")
	e.Advance(2 * time.Second)
	e.waitStatus(v.ID, payment.StatusAuthorized)
	oc.Check(http.MethodGet, "/v1/payments?reference="+v.Reference, apiKey, "")
	oc.Check(http.MethodPost, "/v1/payments/"+v.ID+"/capture", apiKey, `{"amount":9000}`, "Idempotency-Key", "oa-cap-big")
	oc.Check(http.MethodPost, "/v1/payments/"+v.ID+"/capture", apiKey, `{}`, "Idempotency-Key", "oa-cap")
	oc.Check(http.MethodPost, "/v1/payments/"+v.ID+"/refund", apiKey, `{"amount":1000}`, "Idempotency-Key", "oa-ref")
	oc.Check(http.MethodGet, "/v1/payments/nope", apiKey, "")
	failed := oc.Check(http.MethodPost, "/v1/payments", apiKey, `{"amount":5000,"currency":"NOK","phoneNumber":"4799999999","description":"Kasse 3"}`, "Idempotency-Key", "oa-2")
	e.paidMu.Lock()
	e.paid = append(e.paid, view(t, failed).ID)
	e.paidMu.Unlock()
}
