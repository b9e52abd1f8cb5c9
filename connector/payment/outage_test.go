package payment_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestCaptureWhileVippsDown: Vipps does not answer the capture → 202 with
// the operation pending; it is retried with the same key and captured
// once when Vipps is back.
func TestCaptureWhileVippsDown(t *testing.T) {
	e := newEnv(t)
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 12000))
	e.Advance(2 * time.Second)
	e.waitStatus(v.ID, payment.StatusAuthorized)
	path := "/epayment/v1/payments/" + v.Reference + "/capture"
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: path, Status: http.StatusServiceUnavailable, Times: 3})
	res := e.operate(v.ID, "capture", "cap-1", nil)
	if res.Status != http.StatusAccepted {
		t.Fatalf("capture while Vipps is down: %d %s", res.Status, res.Raw)
	}
	got := view(t, res)
	if got.CapturedAmount != 0 || len(got.Operations) != 1 || got.Operations[0].Status != payment.OpPending {
		t.Fatalf("pending capture: %+v", got)
	}
	// The caller's retry says the same, and sends nothing new.
	if again := e.operate(v.ID, "capture", "cap-1", nil); again.Status != http.StatusAccepted {
		t.Fatalf("retry while pending: %d %s", again.Status, again.Raw)
	}
	// Another capture cannot take the amount being captured.
	if other := e.operate(v.ID, "capture", "cap-2", nil); other.Status != http.StatusConflict {
		t.Fatalf("second capture while one is pending: %d %s", other.Status, other.Raw)
	}
	op, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindOp, "cap-1")
	if err != nil {
		t.Fatal(err)
	}
	e.settle(op.ID)
	e.WaitFor("acme", op.ID, func(j store.Job) bool { return j.Status == payment.OpDone })
	final := e.payment(v.ID)
	if final.Status != payment.StatusCaptured || final.CapturedAmount != 12000 || final.Operations[0].Status != payment.OpDone {
		t.Fatalf("after Vipps healed: %+v", final)
	}
	// 3 refused attempts and one that went through, all with one key: one
	// capture at Vipps.
	if n := e.vippsCalls(http.MethodPost, path); n != 4 {
		t.Fatalf("capture attempts: %d", n)
	}
	if res := e.operate(v.ID, "capture", "cap-1", nil); res.Status != http.StatusOK {
		t.Fatalf("retry after done: %d %s", res.Status, res.Raw)
	}
	e.checkBC(final)
}

// TestCrashRecovery: the process dies (no cleanup) at each stored step
// before its call: a payment stored but not sent, a capture stored but not
// sent. After a restart every payment ends right and nothing is sent
// twice.
func TestCrashRecovery(t *testing.T) {
	e := newEnv(t)
	// Vipps answers nothing to the create and the capture for a while:
	// the rows are stored, the calls not confirmed.
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/epayment/v1/payments", Status: http.StatusGatewayTimeout, Times: 1})
	v := e.pay("k1", payBody(vippstest.PersonaApprove, 30000))
	if v.Status != payment.StatusCreated {
		t.Fatalf("stored: %+v", v)
	}
	e.Stop(e.First()) // kill -9: the follower is due, nothing else was done
	e.Start("b")
	e.settle(followerID(v.ID), v.ID)
	e.Advance(2 * time.Second)
	got := e.waitStatus(v.ID, payment.StatusAuthorized)
	// One create refused before Vipps did anything, one sent after the
	// restart with the same key.
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 2 || got.AuthorizedAmount != 30000 {
		t.Fatalf("creates: %d, payment %+v", n, got)
	}
	path := "/epayment/v1/payments/" + v.Reference + "/capture"
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: path, Status: http.StatusGatewayTimeout, Times: 1})
	if res := e.operate(v.ID, "capture", "cap-1", nil); res.Status != http.StatusAccepted {
		t.Fatalf("capture with Vipps silent: %d %s", res.Status, res.Raw)
	}
	e.Stop(e.First())
	e.Start("c")
	op, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindOp, "cap-1")
	if err != nil {
		t.Fatal(err)
	}
	e.settle(op.ID)
	e.WaitFor("acme", op.ID, func(j store.Job) bool { return j.Final })
	final := e.payment(v.ID)
	if final.Status != payment.StatusCaptured || final.CapturedAmount != 30000 {
		t.Fatalf("after restarts: %+v", final)
	}
	// The first attempt was refused before Vipps did anything; the retry
	// after the restart is the one capture.
	if n := e.vippsCalls(http.MethodPost, path); n != 2 {
		t.Fatalf("capture calls: %d", n)
	}
	e.checkBC(final)
}

// TestTwoInstancesPostgres: two connector processes on one PostgreSQL
// database, each with operations to run after a restart of the other:
// every operation is sent to Vipps once.
func TestTwoInstancesPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	e := newEnv(t, testenv.WithPostgres(dsn))
	e.Start("b")
	var ids []string
	for i := range 6 {
		v := e.pay("k"+string(rune('a'+i)), payBody(vippstest.PersonaApprove, 10000))
		ids = append(ids, v.ID)
	}
	e.Advance(2 * time.Second)
	for _, id := range ids {
		e.waitStatus(id, payment.StatusAuthorized)
	}
	// Vipps is silent for the first capture of each: both instances then
	// race to retry them.
	for i, id := range ids {
		v := e.payment(id)
		e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/epayment/v1/payments/" + v.Reference + "/capture", Status: 502, Times: 1})
		if res := e.operate(id, "capture", "cap-"+string(rune('a'+i)), nil); res.Status != http.StatusAccepted {
			t.Fatalf("capture: %d %s", res.Status, res.Raw)
		}
	}
	for i, id := range ids {
		op, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindOp, "cap-"+string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		e.settle(op.ID)
		e.WaitFor("acme", op.ID, func(j store.Job) bool { return j.Final })
		v := e.payment(id)
		if v.CapturedAmount != 10000 {
			t.Fatalf("payment %d: %+v", i, v)
		}
		if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/capture"); n != 2 {
			t.Fatalf("payment %d: %d capture calls (one refused, one sent)", i, n)
		}
	}
}

// TestEventOnAnotherInstancePostgres: on PostgreSQL a webhook reaches any
// replica; an event for a payment another instance created is applied in
// the webhook's own write there too (its record stored as applied, version
// 1), and its duplicate changes nothing.
func TestEventOnAnotherInstancePostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	e := newEnv(t, testenv.WithPostgres(dsn))
	v, secret := e.unanswered()
	e.Start("b") // the front now sends deliveries to b, which did not create the payment
	now := e.Clock.Now()
	auth := eventBody(v.Reference, "AUTHORIZED", "psp-b1", 20000, now)
	for i := range 2 {
		if s := e.deliver(secret, now, auth, nil); s != http.StatusOK {
			t.Fatalf("delivery %d: %d", i+1, s)
		}
	}
	if got := e.payment(v.ID); got.Status != payment.StatusAuthorized || got.AuthorizedAmount != 20000 {
		t.Fatalf("after the deliveries' answers: %s, authorized %d", got.Status, got.AuthorizedAmount)
	}
	r, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindEvent, "epayment:"+vippstest.DefaultMSN+":"+v.Reference+":AUTHORIZED:psp-b1")
	if err != nil || r.Status != "applied" || r.Version != 1 {
		t.Fatalf("event record: %s, version %d, %v; want applied in its first write", r.Status, r.Version, err)
	}
}

// TestAnswerOnAnotherInstanceWhileTheCreatesRecordIsOnItsWayPostgres: the
// customer approves while the create's record of its follower is still on
// its way, and the webhook reaches another replica. That replica finds the
// follower still sending and leaves the wake to it; the record, once it
// lands, must look at the payment at once (the capture on authorize
// waits for it), not at its next poll 20 s later.
func TestAnswerOnAnotherInstanceWhileTheCreatesRecordIsOnItsWayPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	e := newEnv(t, testenv.WithPostgres(dsn))
	left := make(chan struct{}, 1)
	release := holdRecords(t, nil, nil, left)
	body := payBody(vippstest.PersonaApprove, 7000)
	body["captureOnAuthorize"] = true
	v := e.pay("k1", body)
	a := e.First()
	e.Start("b") // the front now sends the webhooks to b
	// The customer approves after 2 s; the clock is moved by hand
	// (Advance would wait for the held record).
	e.Clock.Advance(2 * time.Second)
	e.WaitFor("acme", v.ID, func(j store.Job) bool { return j.Status == payment.StatusAuthorized })
	// b applied the approval, found the follower still sending, and left
	// the wake to the record on its way in a.
	select {
	case <-left:
	case <-time.After(30 * time.Second): // a guard, not a wait: left comes within milliseconds
		t.Fatal("the webhook on b did not leave its wake to the follower still sending")
	}
	release()
	a.Svc.Settle()
	if f := e.Job("acme", followerID(v.ID)); f.DueAt.After(e.Clock.Now()) {
		t.Fatalf("the follower waits for its next poll (due in %s) after another replica applied the approval", f.DueAt.Sub(e.Clock.Now()))
	}
	if got := e.waitStatus(v.ID, payment.StatusCaptured); got.CapturedAmount != 7000 {
		t.Fatalf("captured on authorize: %+v", got)
	}
}
