package payment_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestLoginPing: with the login ping webhook a consented CIBA login is
// written to BC without waiting for its next token poll: the fake clock
// does not move after the customer's approval.
func TestLoginPing(t *testing.T) {
	for _, webhooks := range []bool{true, false} {
		name := "ping"
		var opts []testenv.Option
		if !webhooks {
			name, opts = "poll only", []testenv.Option{withoutWebhooks()}
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, opts...)
			if webhooks {
				e.secret() // registered
			}
			res := e.do(http.MethodPost, "/v1/customer-info-requests", map[string]any{"customerNo": "10000", "phoneNumber": "+" + vippstest.PersonaApprove}, "Idempotency-Key", "login-1")
			if res.Status != http.StatusAccepted {
				t.Fatalf("start login: %d %s", res.Status, res.Raw)
			}
			id, _ := res.Body["id"].(string)
			e.Advance(2 * time.Second) // the customer approves now
			approved := e.Clock.Now()
			if !webhooks {
				// Without the ping nothing happens until the next poll.
				j := e.Job("acme", id)
				if j.Status != "pending" || !j.DueAt.After(approved) {
					t.Fatalf("without the ping the login waits for its poll: %s due %v", j.Status, j.DueAt)
				}
				return
			}
			j := e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "completed" })
			if waited := e.Clock.Now().Sub(approved); waited >= time.Second {
				t.Fatalf("approval → BC written took %v on the fake clock", waited)
			}
			if j.Status != "completed" {
				t.Fatalf("login: %s", j.Status)
			}
		})
	}
}

// TestPingBeforeItsLoginIsStored delivers a ping for a login that is not
// stored yet (a customer who answers at once pings while the POST that
// started the login is still storing it): the event looks again after
// 100 ms, doubling, and is ignored after six tries.
func TestPingBeforeItsLoginIsStored(t *testing.T) {
	e := newEnv(t)
	sec := e.secret()
	if st := e.deliver(sec, e.Clock.Now(), []byte(`{"auth_req_id":"not-stored-yet"}`), nil); st != http.StatusOK {
		t.Fatalf("delivery answered %d", st)
	}
	ev, err := e.First().Store.GetByKey(context.Background(), "acme", payment.KindEvent, "ping:"+vippstest.DefaultMSN+":not-stored-yet")
	if err != nil {
		t.Fatal(err)
	}
	want := 100 * time.Millisecond
	for try := 1; try <= 6; try++ {
		ev = e.WaitFor("acme", ev.ID, func(j store.Job) bool { return j.Attempts >= try && j.LeaseOwner == "" })
		if ev.Status != "received" || ev.Attempts != try || !ev.DueAt.Equal(e.Clock.Now().Add(want)) {
			t.Fatalf("try %d: %s, attempts %d, due in %v; want received, %d, due in %v", try, ev.Status, ev.Attempts, ev.DueAt.Sub(e.Clock.Now()), try, want)
		}
		e.Advance(want)
		want *= 2
	}
	ev = e.WaitFor("acme", ev.ID, func(j store.Job) bool { return j.Final })
	if ev.Status != "ignored" {
		t.Fatalf("after six tries: %s", ev.Status)
	}
}

// TestLoginPingOfALoginStartedByTheScheduler: a login whose start failed in
// the POST is started later by the scheduler; its ping still finds it
// (through its ping index), so approval → BC does not wait for a poll.
func TestLoginPingOfALoginStartedByTheScheduler(t *testing.T) {
	e := newEnv(t)
	e.secret() // registered
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/vipps-login-ciba/api/backchannel", Status: http.StatusServiceUnavailable, Times: 1})
	res := e.do(http.MethodPost, "/v1/customer-info-requests", map[string]any{"customerNo": "10000", "phoneNumber": "+" + vippstest.PersonaApprove}, "Idempotency-Key", "login-1")
	if res.Status != http.StatusAccepted {
		t.Fatalf("start login: %d %s", res.Status, res.Raw)
	}
	id, _ := res.Body["id"].(string)
	j := e.Job("acme", id)
	if !strings.Contains(string(j.State), `"meta"`) || strings.Contains(string(j.State), "authReqId") {
		t.Fatalf("the POST's start should have failed: %s", j.State)
	}
	e.Advance(j.DueAt.Sub(e.Clock.Now())) // the scheduler starts it
	e.WaitFor("acme", id, func(j store.Job) bool { return strings.Contains(string(j.State), "authReqId") })
	e.Advance(2 * time.Second) // the customer approves now
	approved := e.Clock.Now()
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "completed" })
	if waited := e.Clock.Now().Sub(approved); waited >= time.Second {
		t.Fatalf("approval → BC written took %v on the fake clock", waited)
	}
}

// TestLoginPingIsOneWrite: a ping for a pending, free login is stored as
// applied in the same write that makes the login due, and the login polls
// at once (the event is never "received": version 1); a second delivery
// of the same ping changes nothing.
func TestLoginPingIsOneWrite(t *testing.T) {
	e := newEnv(t)
	sec := e.secret()
	res := e.do(http.MethodPost, "/v1/customer-info-requests", map[string]any{"customerNo": "10000", "phoneNumber": "+" + vippstest.PersonaApprove}, "Idempotency-Key", "login-1")
	if res.Status != http.StatusAccepted {
		t.Fatalf("start login: %d %s", res.Status, res.Raw)
	}
	id, _ := res.Body["id"].(string)
	e.Advance(2 * time.Second) // the customer approves now: the simulator pings
	done := e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "completed" })
	var st struct {
		AuthReqID string `json:"authReqId"`
	}
	if err := json.Unmarshal(done.State, &st); err != nil || st.AuthReqID == "" {
		t.Fatalf("login state: %s (%v)", done.State, err)
	}
	key := "ping:" + vippstest.DefaultMSN + ":" + st.AuthReqID
	ev, err := e.First().Store.GetByKey(context.Background(), "acme", payment.KindEvent, key)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != "applied" || ev.Version != 1 || !ev.Final {
		t.Fatalf("ping event: %s, version %d, final %v; want applied in its first write", ev.Status, ev.Version, ev.Final)
	}
	body, _ := json.Marshal(map[string]string{"auth_req_id": st.AuthReqID})
	if code := e.deliver(sec, e.Clock.Now(), body, nil); code != http.StatusOK {
		t.Fatalf("second delivery answered %d", code)
	}
	if again := e.Job("acme", ev.ID); again.Version != 1 || again.Status != "applied" {
		t.Fatalf("second delivery changed the event: %s, version %d", again.Status, again.Version)
	}
	if again := e.Job("acme", id); again.Version != done.Version {
		t.Fatalf("second delivery changed the login: version %d, was %d", again.Version, done.Version)
	}
}
