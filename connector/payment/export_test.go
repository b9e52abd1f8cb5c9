package payment

import (
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// CapturedJob is a stored payment of tenant at sales unit msn, authorized
// and captured (amount, with pspReference psp, at at), as the connector
// keeps it: the benchmarks store a million of them directly.
func CapturedJob(tenant, msn, ref, psp string, amount int64, at time.Time) store.Job {
	s := state{Reference: ref, MSN: msn, Currency: "NOK", Amount: amount, Description: "Kasse 1", Changes: 1,
		Aggregate: aggregate{Authorized: amount, Captured: amount}, VippsState: "AUTHORIZED", ExpiresAt: at.Add(5 * time.Minute),
		Events: []event{
			{Name: "CREATED", Amount: amount, At: at, PSPReference: psp + "-c", Success: true},
			{Name: "AUTHORIZED", Amount: amount, At: at, PSPReference: psp + "-a", Success: true},
			{Name: "CAPTURED", Amount: amount, At: at, PSPReference: psp, Success: true},
		},
		Operations: []operation{{ID: "op_" + psp, Type: OpCapture, Amount: amount, Status: OpDone, At: at}}}
	return store.Job{TenantID: tenant, ID: paymentID(tenant, msn, ref), Kind: KindPayment, Status: StatusCaptured, State: mustJSON(s)}
}
