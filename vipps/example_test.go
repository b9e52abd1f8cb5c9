package vipps_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
	"github.com/jonboulle/clockwork"
)

// A merchant-initiated login against the simulator: start it, poll one
// step at a time as a scheduler would (Wait does the same in one call),
// then read the consented profile.
func ExampleLoginService_Poll() {
	clock := clockwork.NewFakeClock() // the simulated customer answers after 2 s of this clock
	sim, err := vippstest.NewServer("127.0.0.1:0", vippstest.WithClock(clock))
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	c, err := vipps.New(vipps.Config{
		BaseURL: sim.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret,
		SubscriptionKey: vippstest.DefaultSubscriptionKey,
		System:          vipps.System{Name: "bcvipps", Version: "1.0.0"},
	}, vipps.WithClock(clock))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	start, err := c.Login.Start(ctx, vipps.LoginRequest{
		PhoneNumber: vippstest.PersonaApprove, Scopes: []string{"name", "address"}, BindingMessage: "POS-12",
	})
	if err != nil {
		panic(err)
	}
	interval := start.Interval
	for {
		clock.Advance(interval) // a real scheduler waits until NextPollAt
		res, err := c.Login.Poll(ctx, start.AuthReqID, interval)
		switch {
		case errors.Is(err, vipps.ErrAccessDenied):
			fmt.Println("customer declined")
			return
		case err != nil:
			panic(err)
		case res.Token == nil:
			interval = res.Interval
			continue
		}
		profile, err := c.Login.UserInfo(ctx, res.Token)
		if err != nil {
			panic(err)
		}
		fmt.Println("country:", profile.Address.Country, "has name:", profile.GivenName != "")
		return
	}
	// Output: country: NO has name: true
}

// Verifying a webhook delivery with the secret returned at registration
// and the URL as registered (here the official test vector).
func ExampleVerifyWebhook() {
	body := []byte(`{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`)
	h := http.Header{}
	h.Set("x-ms-date", "Thu, 30 Mar 2023 08:38:32 GMT")
	h.Set("x-ms-content-sha256", "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=")
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=")

	err := vipps.VerifyWebhook(h, body, vipps.WebhookOptions{
		Secret: "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==",
		URL:    "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63",
		Now:    time.Date(2023, 3, 30, 8, 40, 0, 0, time.UTC), // in a handler: clock.Now()
	})
	fmt.Println("valid:", err == nil)

	err = vipps.VerifyWebhook(h, []byte(`{"forged":true}`), vipps.WebhookOptions{
		Secret: "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==",
		URL:    "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63",
		Now:    time.Date(2023, 3, 30, 8, 40, 0, 0, time.UTC),
	})
	fmt.Println("forged rejected:", errors.Is(err, vipps.ErrWebhookSignature))
	// Output:
	// valid: true
	// forged rejected: true
}
