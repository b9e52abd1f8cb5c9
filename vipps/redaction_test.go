package vipps_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretsInLogsOrErrors drives failing calls whose answers echo
// personal data and scans every log line and error string for the keys,
// tokens and phone numbers involved.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	const phone = "4791234567"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "backchannel"):
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"error":"invalid_request","error_code":"invalid_user","error_description":"user 4791234567 (+47 912 34 567) not eligible"}`)
		case strings.Contains(r.URL.Path, "openid-configuration"):
			_, _ = io.WriteString(w, `{}`)
		case strings.Contains(r.URL.Path, "loyalty-check-in"):
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"title":"Bad Request","detail":"phoneNumber 4791234567 is not a member","status":400,"invalidParams":[{"name":"phoneNumber","reason":"4791234567 unknown"}]}`)
		default:
			w.WriteHeader(503)
			_, _ = io.WriteString(w, `{"title":"Service Unavailable","detail":"for 4791234567"}`)
		}
	})
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, clk := fakeClient(t, f, vipps.WithLogger(logger))
	driveClock(t, clk, time.Second)
	ctx := context.Background()
	var errs []error
	_, err := c.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: phone})
	errs = append(errs, err)
	_, err = c.CheckIn.LoyaltyCheckIn(ctx, phone, true)
	errs = append(errs, err)
	_, err = c.EPayment.Get(ctx, "store1-order-0001")
	errs = append(errs, err)
	err = c.EPayment.ForceApprove(ctx, "store1-order-0001", phone)
	errs = append(errs, err)
	_, err = c.Login.UserExists(ctx, "47912345678901234") // invalid input
	errs = append(errs, err)

	// a client whose token call fails
	bad := newFake(t, okList)
	bad.token = ""
	bc, _ := fakeClient(t, bad, vipps.WithLogger(logger))
	_, err = bc.Webhooks.List(ctx)
	errs = append(errs, err)

	tok := vipps.LoginToken{AccessToken: "user-access-SECRET", IDToken: "id-token-SECRET", Scope: "openid name"}
	logger.Info("token", "tok", tok)
	printed := fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok)
	reg := vipps.RegisteredWebhook{ID: "w1", Secret: "webhook-SECRET"}
	printed += fmt.Sprintf("%v %+v %#v", reg, reg, reg)

	var all strings.Builder
	for i, e := range errs {
		if e == nil {
			t.Fatalf("call %d did not fail", i)
		}
		all.WriteString(e.Error() + "\n")
	}
	all.WriteString(logs.String())
	all.WriteString(printed)
	cfg := fakeConfig(f)
	for _, secret := range []string{cfg.ClientSecret, cfg.SubscriptionKey, "tok-SECRET", phone, "912 34 567",
		"user-access-SECRET", "id-token-SECRET", "webhook-SECRET", "47912345678901234"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("%q leaked into logs or errors:\n%s", secret, all.String())
		}
	}
	if !strings.Contains(logs.String(), "retried") {
		t.Fatal("expected retry log lines to scan")
	}
}
