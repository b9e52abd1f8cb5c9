package vipps_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestWebhookRegistrationAndSignedDelivery registers a receiver, makes a
// payment happen and checks that the simulator's signed deliveries pass
// VerifyWebhook with the registered secret and URL.
func TestWebhookRegistrationAndSignedDelivery(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	type delivery struct {
		err   error
		event vipps.PaymentEvent
	}
	got := make(chan delivery, 16)
	var secret string
	ready := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-ready
		body, err := vipps.ReadWebhookBody(r.Body, 0)
		if err == nil {
			err = vipps.VerifyWebhook(r.Header, body, vipps.WebhookOptions{Secret: secret, URL: recvURL(r), Now: e.simClock.Now()})
		}
		var ev vipps.PaymentEvent
		_ = json.Unmarshal(body, &ev)
		got <- delivery{err, ev}
	}))
	t.Cleanup(recv.Close)
	hookURL := recv.URL + "/v1/webhooks/vipps/t1"
	reg, err := e.client.Webhooks.Register(ctx, hookURL, []string{"epayments.payment.authorized.v1"})
	if err != nil {
		t.Fatal(err)
	}
	secret = reg.Secret
	close(ready)
	list, err := e.client.Webhooks.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != reg.ID || list[0].URL != hookURL {
		t.Fatalf("list = %+v, %v", list, err)
	}
	const ref = "store1-hook-0001"
	if _, err := e.client.EPayment.Create(ctx, "hk-1", pushPayment(ref, 2000)); err != nil {
		t.Fatal(err)
	}
	if err := e.client.EPayment.ForceApprove(ctx, ref, vippstest.PersonaApprove); err != nil {
		t.Fatal(err)
	}
	d := <-got
	if d.err != nil {
		t.Fatalf("delivery failed verification: %v", d.err)
	}
	if d.event.Reference != ref || d.event.Name != "AUTHORIZED" {
		t.Fatalf("event %+v", d.event)
	}
	if err := e.client.Webhooks.Delete(ctx, reg.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := e.client.Webhooks.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v, %v", list, err)
	}
}

// recvURL is the URL the delivery was sent to, which here is the registered one.
func recvURL(r *http.Request) string { return "http://" + r.Host + r.URL.RequestURI() }
