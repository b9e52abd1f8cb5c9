package payment_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
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
