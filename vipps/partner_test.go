package vipps_test

import (
	"context"
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestPartnerKeysLogin: partner keys authenticate CIBA calls with their
// access token and the merchant's MSN.
func TestPartnerKeysLogin(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, func(c *vipps.Config) {
		c.PartnerKeys = true
		c.ClientID, c.ClientSecret, c.SubscriptionKey = "partner-id", "partner-secret", "partner-sub"
	})
	e.sim.AddPartner(vippstest.Partner{ClientID: "partner-id", ClientSecret: "partner-secret", SubscriptionKey: "partner-sub",
		MSNs: []string{vippstest.DefaultMSN}})
	st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(st.Interval)
	res, err := e.client.Login.Poll(ctx, st.AuthReqID, st.Interval)
	if err != nil || res.Token == nil {
		t.Fatalf("poll: %v %+v", err, res)
	}
}

// TestDroppedConnectionIsRetried: a GET whose connection is dropped is
// retried (after backoff on the client's clock) and succeeds.
func TestDroppedConnectionIsRetried(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	const ref = "store1-drop-0001"
	if _, err := e.client.EPayment.Create(ctx, "drop-1", pushPayment(ref, 1000)); err != nil {
		t.Fatal(err)
	}
	e.sim.InjectFault(vippstest.Fault{Method: "GET", PathPrefix: "/epayment/v1/payments/" + ref, Drop: true, Times: 2})
	e.drive(t)
	p, err := e.client.EPayment.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if p.Reference != ref {
		t.Fatalf("got %+v", p)
	}
	if st := e.sim.Stats(); st.FaultsInjected != 2 {
		t.Fatalf("faults hit = %d, want 2", st.FaultsInjected)
	}
}
