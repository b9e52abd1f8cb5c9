package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// slowTokenEndpoint holds every CIBA token poll until the test releases
// it, standing for a token endpoint that answers slowly. Like the real
// network, a released poll reaches Vipps (which hands out the consent's
// token once) even when the caller has given up meanwhile; the caller then
// never sees the answer.
type slowTokenEndpoint struct {
	next    http.RoundTripper
	entered chan struct{}
	release chan struct{}
}

func (s *slowTokenEndpoint) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/oauth2/token") {
		return s.next.RoundTrip(req)
	}
	s.entered <- struct{}{}
	<-s.release
	res, err := s.next.RoundTrip(req.WithContext(context.WithoutCancel(req.Context())))
	if cerr := req.Context().Err(); cerr != nil {
		if err == nil {
			res.Body.Close()
		}
		return nil, cerr // the answer is lost on the way back
	}
	return res, err
}

// A token endpoint slower than any step deadline never costs a consent:
// the poll is not cut off by the step's deadline, and the token it
// redeems is kept and used once.
func TestSlowTokenEndpointNeverLosesAConsent(t *testing.T) {
	for _, latency := range []time.Duration{7 * time.Second, 12 * time.Second, 26 * time.Second} {
		t.Run(latency.String(), func(t *testing.T) {
			e := newEnv(t, testenv.NotStarted())
			// The lease outlasts the step (25 s) by more than the time to
			// store an answer, so a poll may outlive the step's deadline.
			e.Cfg.Worker.LeaseDuration = 40 * time.Second
			base := e.BC.HTTPClient()
			slow := &slowTokenEndpoint{next: base.Transport, entered: make(chan struct{}, 1), release: make(chan struct{})}
			e.StartWith("a", &http.Client{Transport: slow})
			id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaApprove))

			// The first poll is due after the interval; the customer has
			// consented by then (after 2 s). The poll hangs for latency,
			// past the step deadline (25 s, the default worker.stepTimeout) in
			// the last case; a real poll is bounded by upstream.timeout (10 s).
			e.Advance(5 * time.Second)
			<-slow.entered
			e.Advance(latency)
			close(slow.release)

			r := e.drive("acme", id)
			if r.Status != login.StatusCompleted {
				t.Fatalf("login ended %s: %s", r.Status, r.Error)
			}
			if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != 1 {
				t.Errorf("PATCHes = %d, want 1", n)
			}
		})
	}
}
