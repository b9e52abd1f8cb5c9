package vipps_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func pushPayment(ref string, value int64) vipps.CreatePaymentRequest {
	tax := int64(2500)
	return vipps.CreatePaymentRequest{
		Amount:              vipps.Amount{Currency: "NOK", Value: value},
		Customer:            &vipps.Customer{PhoneNumber: vippstest.PersonaApprove},
		CustomerInteraction: "CUSTOMER_PRESENT",
		PaymentMethod:       vipps.PaymentMethod{Type: "WALLET"},
		Reference:           ref,
		UserFlow:            "PUSH_MESSAGE",
		PaymentDescription:  "Purchase at store 1",
		Profile:             &vipps.ProfileRequest{Scope: "name phoneNumber"},
		Receipt: &vipps.Receipt{
			OrderLines: []vipps.OrderLine{{Name: "Coffee", ID: "1001", TotalAmount: value, TotalAmountExcludingTax: value * 4 / 5,
				TotalTaxAmount: value / 5, TaxRate: &tax, UnitInfo: &vipps.UnitInfo{UnitPrice: value, Quantity: "1", QuantityUnit: "PCS"}}},
			BottomLine: vipps.BottomLine{Currency: "NOK", POSID: "pos-1", ReceiptNumber: "r-1"},
		},
	}
}

func TestEPaymentLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	ep := e.client.EPayment
	const ref = "store1-order-0001"
	created, err := ep.Create(ctx, "key-create-1", pushPayment(ref, 49900))
	if err != nil {
		t.Fatal(err)
	}
	if created.Reference != ref {
		t.Fatalf("created %+v", created)
	}
	t.Run("same key and body answers the same", func(t *testing.T) {
		again, err := ep.Create(ctx, "key-create-1", pushPayment(ref, 49900))
		if err != nil || again.Reference != ref {
			t.Fatalf("replay: %v %+v", err, again)
		}
	})
	t.Run("same key other body is a 409 problem", func(t *testing.T) {
		_, err := ep.Create(ctx, "key-create-1", pushPayment(ref, 100))
		var ve *vipps.Error
		if !errors.As(err, &ve) || ve.Status != http.StatusConflict {
			t.Fatalf("err = %v, want *Error 409", err)
		}
	})
	if err := ep.ForceApprove(ctx, ref, vippstest.PersonaApprove); err != nil {
		t.Fatal(err)
	}
	p, err := ep.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if p.State != vipps.StateAuthorized || p.Aggregate.AuthorizedAmount.Value != 49900 {
		t.Fatalf("after approve: %+v", p)
	}
	m, err := ep.Capture(ctx, "key-capture-1", ref, vipps.Amount{Currency: "NOK", Value: 49900})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != vipps.StateAuthorized || m.Aggregate.CapturedAmount.Value != 49900 {
		t.Fatalf("capture: %+v", m)
	}
	m, err = ep.Refund(ctx, "key-refund-1", ref, vipps.Amount{Currency: "NOK", Value: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if m.Aggregate.RefundedAmount.Value != 10000 {
		t.Fatalf("refund: %+v", m)
	}
	t.Run("refund beyond captured is a client error", func(t *testing.T) {
		_, err := ep.Refund(ctx, "key-refund-2", ref, vipps.Amount{Currency: "NOK", Value: 49900})
		var ve *vipps.Error
		if !errors.As(err, &ve) || ve.Status/100 != 4 {
			t.Fatalf("err = %v, want 4xx *Error", err)
		}
	})
	ev, err := ep.Events(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range ev {
		names = append(names, x.Name)
	}
	want := []string{"CREATED", "AUTHORIZED", "CAPTURED", "REFUNDED"}
	for i, n := range want {
		if i >= len(names) || names[i] != n {
			t.Fatalf("events %v, want prefix %v", names, want)
		}
	}
	t.Run("profile sharing by sub", func(t *testing.T) {
		p, err := ep.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if p.Profile == nil || p.Profile.Sub == "" {
			t.Fatalf("no profile sub: %+v", p)
		}
		ui, err := e.client.UserInfo.BySub(ctx, p.Profile.Sub)
		if err != nil {
			t.Fatal(err)
		}
		if ui.Name == "" || ui.PhoneNumber == "" || ui.Email != "" {
			t.Fatalf("profile: want name and phone only, got %+v", ui)
		}
	})
}

func TestEPaymentCancelBeforeApproval(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	const ref = "store1-order-0002"
	if _, err := e.client.EPayment.Create(ctx, "k-2", pushPayment(ref, 1000)); err != nil {
		t.Fatal(err)
	}
	m, err := e.client.EPayment.Cancel(ctx, "k-2-cancel", ref)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != vipps.StateTerminated {
		t.Fatalf("state %s, want TERMINATED", m.State)
	}
}

func TestEPaymentInputChecks(t *testing.T) {
	c, err := vipps.New(vipps.Config{BaseURL: "http://127.0.0.1:1", MSN: "123456", ClientID: "a", ClientSecret: "b", SubscriptionKey: "c"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	two := pushPayment("store1-order-0003", 100)
	two.Customer.PersonalQR = "https://qr.vipps.no/28/2/01/031/4791234567?v=1"
	tests := []struct {
		name string
		call func() error
	}{
		{"idempotency key required", func() error { _, err := c.EPayment.Create(ctx, "", pushPayment("store1-order-0003", 100)); return err }},
		{"idempotency key at most 50 characters", func() error {
			_, err := c.EPayment.Capture(ctx, string(make([]byte, 51)), "store1-order-0003", vipps.Amount{Currency: "NOK", Value: 1})
			return err
		}},
		{"reference pattern", func() error { _, err := c.EPayment.Get(ctx, "short"); return err }},
		{"exactly one customer identifier", func() error { _, err := c.EPayment.Create(ctx, "k", two); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, vipps.ErrInvalidRequest) {
				t.Fatalf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
}

func TestQRExchangeAndCheckIn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil, nil)
	x, err := e.client.QR.Exchange(ctx, e.sim.PersonalQR(vippstest.PersonaApprove))
	if err != nil {
		t.Fatal(err)
	}
	if x.MSISDN != vippstest.PersonaApprove {
		t.Fatal("exchange returned another number")
	}
	ref, err := e.client.CheckIn.LoyaltyCheckIn(ctx, vippstest.PersonaApprove, true)
	if err != nil {
		t.Fatal(err)
	}
	if ref == "" || len(e.sim.CheckIns()) != 1 {
		t.Fatalf("check-in ref %q, sim saw %d", ref, len(e.sim.CheckIns()))
	}
}
