package reconcile_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/payment"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/store"
)

// TestReconciliationAnswersMatchTheOpenAPIDocument validates real answers
// of the reconciliation endpoints (a run while it runs and once it ended,
// a retry, findings, settlements) against the document.
func TestReconciliationAnswersMatchTheOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	oc := testenv.NewOpenAPIChecker(e.Env)
	v := e.authorized("k1", 5000)
	// BC's row changed behind the connector's back: a finding to list.
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(v.ID, "pay_"), func(store.Job) bool {
		r := e.bcRow(payment.PaymentsEntity, "reference", v.Reference)
		return r != nil && r["status"] == payment.StatusAuthorized
	})
	e.BC.Sim.SetEntityField(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, v.Reference, "status", "captured")
	res := oc.Check(http.MethodPost, "/v1/reconciliation/runs", apiKey, `{"job":"payment-sweep"}`, "Idempotency-Key", "oa-run")
	id, _ := res.Body["id"].(string)
	oc.Check(http.MethodGet, "/v1/reconciliation/runs/"+id, apiKey, "")
	oc.Check(http.MethodPost, "/v1/reconciliation/runs", apiKey, `{"job":"payment-sweep"}`, "Idempotency-Key", "oa-run")
	oc.Check(http.MethodPost, "/v1/reconciliation/runs", apiKey, `{"job":"settlement"}`, "Idempotency-Key", "oa-run")
	oc.Check(http.MethodPost, "/v1/reconciliation/runs", apiKey, `{"job":"nope"}`)
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status != reconcile.RunRunning })
	oc.Check(http.MethodGet, "/v1/reconciliation/runs/"+id, apiKey, "")
	oc.Check(http.MethodGet, "/v1/reconciliation/runs?job=payment-sweep", apiKey, "")
	if f := oc.Check(http.MethodGet, "/v1/reconciliation/findings", apiKey, ""); !strings.Contains(string(f.Raw), "bc-out-of-date") {
		t.Fatalf("findings: %s", f.Raw)
	}
	// A settled day: capture, let the ledger date close, settle it.
	day := e.Clock.Now().In(oslo(t)).Format(time.DateOnly)
	if res := e.do(http.MethodPost, "/v1/payments/"+v.ID+"/capture", map[string]any{}, "Idempotency-Key", "oa-cap"); res.Status != http.StatusOK {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	e.Advance(24 * time.Hour)
	e.Stop(e.First()) // a new process: the Entra token cache follows the real clock
	e.Start("b")
	e.run(map[string]any{"job": "settlement", "ledgerDate": day})
	if sts := oc.Check(http.MethodGet, "/v1/settlements", apiKey, ""); !strings.Contains(string(sts.Raw), `"payoutReference"`) {
		t.Fatalf("settlements: %s", sts.Raw)
	}
}
