package payment

import (
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
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

// AuthorizedJob is a stored payment of tenant at sales unit msn that the
// customer approved (amount reserved, nothing captured), holding the
// events Vipps reported for it.
func AuthorizedJob(tenant, msn, ref string, amount int64, evs []vipps.PaymentEvent) store.Job {
	s := state{Reference: ref, MSN: msn, Currency: "NOK", Amount: amount, Description: "Kasse 1", Changes: 1, Operations: []operation{}}
	s.addEvents(evs)
	s.mergeAggregate(vipps.Aggregate{AuthorizedAmount: vipps.Amount{Currency: "NOK", Value: amount}})
	if len(evs) > 0 {
		s.ExpiresAt = evs[0].Timestamp.Add(5 * time.Minute)
	}
	return store.Job{TenantID: tenant, ID: paymentID(tenant, msn, ref), Kind: KindPayment, Status: s.status(), State: mustJSON(s)}
}

// ViewOf is the stored payment j as the API shows it.
func ViewOf(j store.Job) View { return view(j) }

// WatchBCRounds calls queued with the length of a tenant's queue of BC
// writes after each write joins it, and round with each round's size
// before it is sent, until the test ends.
func WatchBCRounds(t interface{ Cleanup(func()) }, queued, round func(n int)) {
	bcTestHooks.Store(&bcHooks{queued: queued, round: round})
	t.Cleanup(func() { bcTestHooks.Store(nil) })
}

// HoldFollowerSaves runs before in each create's background save of its
// follower, before it is stored, waiting when an operation waits for one,
// woken when a webhook's wake is left to one, and leftElsewhere when a
// webhook leaves its wake to a follower still sending whose save is not
// running in this process, until the test ends.
func HoldFollowerSaves(t interface{ Cleanup(func()) }, before, waiting, woken, leftElsewhere func()) {
	sendHooks.Store(&sendHookSet{before: before, waiting: waiting, woken: woken, leftElsewhere: leftElsewhere})
	t.Cleanup(func() { sendHooks.Store(nil) })
}
