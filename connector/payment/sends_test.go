package payment_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// holdRecords holds every create's background record of its follower
// (sending → following) until the returned release is called; the test's
// end releases it too. waiting and woken, when set, are told when an
// operation waits for a held record and when a webhook's wake is left to
// one.
func holdRecords(t *testing.T, waiting, woken chan<- struct{}, leftElsewhere ...chan<- struct{}) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	tell := func(c chan<- struct{}) func() {
		if c == nil {
			return nil
		}
		return func() {
			select {
			case c <- struct{}{}:
			default:
			}
		}
	}
	var left chan<- struct{}
	if len(leftElsewhere) > 0 {
		left = leftElsewhere[0]
	}
	payment.HoldFollowerSaves(t, func() { <-gate }, tell(waiting), tell(woken), tell(left))
	t.Cleanup(release) // runs before the instances stop (they wait for held records)
	return release
}

// TestCancelRightAfterTheCreateIsNotRefused: the create answers before its
// follower records that Vipps took it; a cancel sent at once waits for
// that record instead of being refused as "still being sent".
func TestCancelRightAfterTheCreateIsNotRefused(t *testing.T) {
	e := newEnv(t)
	waiting := make(chan struct{}, 1)
	release := holdRecords(t, waiting, nil)
	v := e.pay("k1", payBody(vippstest.PersonaIgnore, 7000))
	if f := e.Job("acme", followerID(v.ID)); f.Status != "sending" {
		t.Fatalf("the follower's record was not held: %q", f.Status)
	}
	answered := make(chan testenv.Response, 1)
	go func() { answered <- e.operate(v.ID, "cancel", "c1", nil) }()
	select {
	case res := <-answered:
		t.Fatalf("cancel answered before the create's record was stored: %d %s", res.Status, res.Raw)
	case <-waiting:
	}
	release()
	cancelled(e, <-answered, "cancel right after the create")
}

// cancelled checks that res cancelled the payment, which was sent to
// Vipps once.
func cancelled(e *env, res testenv.Response, what string) {
	e.T.Helper()
	if res.Status != http.StatusOK || view(e.T, res).Status != payment.StatusCancelled {
		e.T.Fatalf("%s: %d %s", what, res.Status, res.Raw)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 1 {
		e.T.Fatalf("%d ePayment creates, want 1", n)
	}
}

// TestCancelOnAnotherInstanceRightAfterTheCreate: the load balancer sends
// the cancel to another replica while the create's record is still on its
// way at the first; the replica asks Vipps, which has the payment, and
// cancels it.
func TestCancelOnAnotherInstanceRightAfterTheCreate(t *testing.T) {
	e := newEnv(t)
	first, other := e.First(), e.Start("b")
	release := holdRecords(t, nil, nil)
	created := e.DoOn(first, http.MethodPost, "/v1/payments", apiKey, payBody(vippstest.PersonaIgnore, 7000), "Idempotency-Key", "k1")
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	v := view(t, created)
	if f := e.Job("acme", followerID(v.ID)); f.Status != "sending" {
		t.Fatalf("the follower's record was not held: %q", f.Status)
	}
	res := e.DoOn(other, http.MethodPost, "/v1/payments/"+v.ID+"/cancel", apiKey, map[string]any{}, "Idempotency-Key", "c1")
	release()
	cancelled(e, res, "cancel on another instance right after the create")
}

// TestWebhookWhileTheCreatesRecordIsOnItsWay: the customer answers before
// the create's follower record is stored; the follower still looks at
// once (capture on authorize runs without waiting for the next poll).
func TestWebhookWhileTheCreatesRecordIsOnItsWay(t *testing.T) {
	e := newEnv(t)
	woken := make(chan struct{}, 1)
	release := holdRecords(t, nil, woken)
	body := payBody(vippstest.PersonaApprove, 7000)
	body["captureOnAuthorize"] = true
	v := e.pay("k1", body)
	// The customer approves after 2 s and the webhook is applied while the
	// record is held (the clock is moved by hand: Advance would wait for
	// the held record).
	e.Clock.Advance(2 * time.Second)
	e.First().Svc.Wake()
	select {
	case <-woken:
	case <-time.After(30 * time.Second): // a guard, not a wait: woken comes within milliseconds
		t.Fatal("the webhook's wake was not left to the follower's record on its way")
	}
	release()
	// No clock move: the follower is due now and captures.
	if got := e.waitStatus(v.ID, payment.StatusCaptured); got.CapturedAmount != 7000 {
		t.Fatalf("captured on authorize: %+v", got)
	}
}

// TestCreateRecordLostInACrash: the process dies after the create's
// answer, before its record of the create is stored (modelled by a record
// held past the follower's due time). The follower sends the create again
// under the same Idempotency-Key, Vipps answers it as the first, and the
// payment ends right; the late record, once released, changes nothing.
func TestCreateRecordLostInACrash(t *testing.T) {
	e := newEnv(t)
	release := holdRecords(t, nil, nil)
	body := payBody(vippstest.PersonaApprove, 7000)
	body["captureOnAuthorize"] = true
	v := e.pay("k1", body)
	e.Clock.Advance(31 * time.Second) // past sendGrace (Advance would wait for the held record)
	e.First().Svc.Wake()
	e.WaitFor("acme", followerID(v.ID), func(j store.Job) bool { return j.Status != "sending" })
	release()
	got := e.waitStatus(v.ID, payment.StatusCaptured)
	if got.CapturedAmount != 7000 || got.AuthorizedAmount != 7000 {
		t.Fatalf("payment after the resend: %+v", got)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 2 {
		t.Fatalf("%d ePayment creates, want the first and the follower's resend", n)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/capture"); n != 1 {
		t.Fatalf("%d captures, want 1", n)
	}
}

// TestCaptureOnAuthorizeCapturesOnce: a payment created with
// captureOnAuthorize is captured in full once the customer approves, with
// one capture sent to Vipps (the operation keeps its lease between
// reserving the amount and the call: freed, it was claimed again and sent
// twice).
func TestCaptureOnAuthorizeCapturesOnce(t *testing.T) {
	e := newEnv(t)
	var ids []payment.View
	for i := range 4 {
		body := payBody(vippstest.PersonaApprove, int64(5000+i))
		body["captureOnAuthorize"] = true
		ids = append(ids, e.pay("k"+string(rune('a'+i)), body))
	}
	e.Advance(2 * time.Second)
	for _, v := range ids {
		e.waitStatus(v.ID, payment.StatusCaptured) // Vipps' CAPTURED event may come before the operation's own record
		op, err := e.First().Store.GetByKey(t.Context(), "acme", payment.KindOp, "capture-on-authorize:"+v.ID)
		if err != nil {
			t.Fatalf("capture operation of %s: %v", v.ID, err)
		}
		e.WaitFor("acme", op.ID, func(j store.Job) bool { return j.Final })
		got := e.payment(v.ID)
		if got.CapturedAmount != v.Amount || len(got.Operations) != 1 || got.Operations[0].Status != payment.OpDone {
			t.Fatalf("captured on authorize: %+v", got)
		}
		if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments/"+v.Reference+"/capture"); n != 1 {
			t.Fatalf("%d captures sent for %s, want 1", n, v.Reference)
		}
	}
}
