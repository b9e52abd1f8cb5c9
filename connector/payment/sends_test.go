package payment_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestCancelRightAfterTheCreateIsNotRefused: the create answers before its
// follower records that Vipps took it; a cancel sent at once waits for
// that record instead of being refused as "still being sent".
func TestCancelRightAfterTheCreateIsNotRefused(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	waiting := make(chan struct{}, 1)
	payment.HoldFollowerSaves(t, func() { <-release }, func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	}, nil)
	v := e.pay("k1", payBody(vippstest.PersonaIgnore, 7000))
	if f := e.Job("acme", followerID(v.ID)); f.Status != "sending" {
		t.Fatalf("the follower's record was not held: %q", f.Status)
	}
	answered := make(chan testenv.Response, 1)
	go func() { answered <- e.operate(v.ID, "cancel", "c1", nil) }()
	select {
	case res := <-answered:
		close(release)
		t.Fatalf("cancel answered before the create's record was stored: %d %s", res.Status, res.Raw)
	case <-waiting:
	}
	close(release)
	res := <-answered
	if res.Status != http.StatusOK || view(t, res).Status != payment.StatusCancelled {
		t.Fatalf("cancel right after the create: %d %s", res.Status, res.Raw)
	}
	if n := e.vippsCalls(http.MethodPost, "/epayment/v1/payments"); n != 1 {
		t.Fatalf("%d ePayment creates, want 1", n)
	}
}

// TestWebhookWhileTheCreatesRecordIsOnItsWay: the customer answers before
// the create's follower record is stored; the follower still looks at
// once (capture on authorize runs without waiting for the next poll).
func TestWebhookWhileTheCreatesRecordIsOnItsWay(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	woken := make(chan struct{}, 1)
	payment.HoldFollowerSaves(t, func() { <-release }, nil, func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	})
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
		close(release)
		t.Fatal("the webhook's wake was not left to the follower's record on its way")
	}
	close(release)
	// No clock move: the follower is due now and captures.
	if got := e.waitStatus(v.ID, payment.StatusCaptured); got.CapturedAmount != 7000 {
		t.Fatalf("captured on authorize: %+v", got)
	}
}
