package payment

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
)

// TestSweepQueuesAChangeWhoseOutboxWasLost: the process died (or the
// store failed) between a payment's change and making its BC outbox due,
// so the outbox is synced at an older change and due never. The sweep's
// question (BCPending) finds it and queues it; before, it answered
// "pending" and nothing ever wrote BC.
func TestSweepQueuesAChangeWhoseOutboxWasLost(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	p, e := paymentsFixture(t, clock)
	st := p.store

	pj := AuthorizedJob("acme", "123456", "repair-ref-01", 10000, []vipps.PaymentEvent{
		{Reference: "repair-ref-01", PSPReference: "a1", Name: "AUTHORIZED", Amount: vipps.Amount{Currency: "NOK", Value: 10000}, Timestamp: clock.Now(), Success: true},
	})
	rows, errs, err := e.CreateEach(ctx, []store.Job{pj, outboxJob(pj, clock.Now())})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatal(err, errs)
	}
	// BC has change 1; then the payment is captured (change 2) and the
	// process dies before its outbox is made due.
	synced := rows[1]
	synced.Status, synced.DueAt, synced.State = outboxSynced, time.Time{}, mustJSON(outboxState{Payment: pj.ID, Synced: decodeState(rows[0].State).Changes})
	if _, err := st.Update(ctx, synced); err != nil {
		t.Fatal(err)
	}
	captured := rows[0]
	s := decodeState(captured.State)
	s.Aggregate.Captured, s.Changes = 10000, s.Changes+1
	captured.State, captured.Status = mustJSON(s), StatusCaptured
	if _, err := st.Update(ctx, captured); err != nil {
		t.Fatal(err)
	}

	if !p.BCPending(ctx, "acme", pj.ID) {
		t.Fatal("BCPending: the change BC has not seen is not reported as on its way")
	}
	o, err := st.Get(ctx, "acme", outboxID(pj.ID))
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != outboxPending || o.DueAt.IsZero() || o.DueAt.After(clock.Now()) {
		t.Fatalf("the outbox was not queued: status %q, due %v", o.Status, o.DueAt)
	}
}

// TestEventWithNothingNewIsOneWrite: an event that the payment has
// already (its poll was first) is stored as applied on its own, once, and
// the payment is not written.
func TestEventWithNothingNewIsOneWrite(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))
	p, e := paymentsFixture(t, clock)
	auth := vipps.PaymentEvent{Reference: "known-ref-01", PSPReference: "a1", Name: "AUTHORIZED", Amount: vipps.Amount{Currency: "NOK", Value: 10000}, Timestamp: clock.Now(), Success: true}
	pj := AuthorizedJob("acme", "123456", "known-ref-01", 10000, []vipps.PaymentEvent{auth})
	if _, err := e.Create(ctx, pj); err != nil {
		t.Fatal(err)
	}
	ev := wireEvent{PaymentEvent: auth}
	record := e.InboxJob("acme", KindEvent, eventKey("123456", ev, nil), eventApplied, []byte(`{}`))
	before, err := p.store.Get(ctx, "acme", pj.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, wantFresh := range []bool{true, false} {
		done, fresh := p.applyNow(ctx, "acme", "123456", ev, record)
		if !done || fresh != wantFresh {
			t.Fatalf("delivery %d: done %v fresh %v, want true %v", i+1, done, fresh, wantFresh)
		}
	}
	r, err := p.store.Get(ctx, "acme", record.ID)
	if err != nil || r.Status != eventApplied || r.Version != 1 {
		t.Fatalf("record: %+v, %v", r, err)
	}
	if after, _ := p.store.Get(ctx, "acme", pj.ID); after.Version != before.Version {
		t.Fatalf("the payment was written: version %d → %d", before.Version, after.Version)
	}
}
