package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/vipps"
)

// runPayments measures the payment create's added latency, as runLatency
// does the login's: two open-loop runs at o.payRate per second,
//
//  1. direct: POST /epayment/v1/payments straight to the Vipps simulator,
//     with the configuration's sales unit and the same request the
//     connector builds (push to the phone, customer present, wallet);
//  2. connector: POST /v1/payments {amount, currency, phoneNumber,
//     description} with an Idempotency-Key, which validates, stores the
//     payment with its follower and BC outbox in one commit, makes that
//     same ePayment create and stores its answer;
//
// and the added latency is connector minus direct, percentile by
// percentile. The users decline at once, so each payment ends (aborted)
// at its follower's first poll, and each costs BC one upsert for its
// creation and one for its end, through the outbox.
func runPayments(ctx context.Context, e *env, c *http.Client, o options, ph *phones, tb *table) error {
	n := int(o.payRate * (o.warmup + o.payDuration).Seconds())
	skip := int(o.payRate * o.warmup.Seconds())
	directUsers, apiUsers := ph.take(n), ph.take(n)
	// The direct calls' users never answer: their webhooks would reach
	// the connector (same sales unit) while it is being measured.
	if err := seedUsers(ctx, c, e.vippsURL, "ignore", 0, directUsers); err != nil {
		return err
	}
	if err := seedUsers(ctx, c, e.vippsURL, "reject", 0, apiUsers); err != nil {
		return err
	}
	vc, err := directEPayment(c, e.cfg)
	if err != nil {
		return err
	}
	stamp := time.Now().UnixNano()
	logf("payments: %d direct ePayment creates at %.0f/s", n, o.payRate)
	directShots := openLoop(ctx, o.payRate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		ref := fmt.Sprintf("direct-%d-%d", stamp, i)
		_, err := vc.EPayment.Create(ctx, ref, vipps.CreatePaymentRequest{
			Amount: vipps.Amount{Currency: "NOK", Value: 29900}, Customer: &vipps.Customer{PhoneNumber: directUsers[i]},
			CustomerInteraction: "CUSTOMER_PRESENT", PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
			Reference: ref, UserFlow: "PUSH_MESSAGE", PaymentDescription: "Kasse 3",
		})
		return err
	})
	logf("payments: %d connector POST /v1/payments at %.0f/s", n, o.payRate)
	pids := []int{e.serve.cmd.Process.Pid, e.sims.cmd.Process.Pid}
	cpu0 := cpuTimes(pids)
	began := time.Now()
	profiled := e.profile(ctx, "payments-post", o.warmup+o.payDuration)
	apiShots := openLoop(ctx, o.payRate, n, o.maxInFlight, func(ctx context.Context, i int) error {
		var v struct {
			Status string `json:"status"`
		}
		hdr := map[string]string{"Authorization": "Bearer " + apiKey, "Idempotency-Key": fmt.Sprintf("load-%d-%d", stamp, i)}
		err := doJSON(ctx, c, http.MethodPost, e.apiURL+"/v1/payments", hdr,
			map[string]any{"amount": 29900, "currency": "NOK", "phoneNumber": "+" + apiUsers[i], "description": "Kasse 3"}, &v)
		if err == nil && v.Status != "created" {
			err = fmt.Errorf("POST /v1/payments answered status %q, want created", v.Status)
		}
		return err
	})
	wall := time.Since(began)
	cpu1 := cpuTimes(pids)
	profiled()

	dl, dFail, dErr := latencies(directShots, skip)
	al, aFail, aErr := latencies(apiShots, skip)
	ds, as := summarize(dl), summarize(al)
	rate := fmt.Sprintf("%.0f/s for %s", o.payRate, o.payDuration)
	tb.add(row{Figure: "direct ePayment create p50 / p99",
		Value: fmt.Sprintf("%.2f / %.2f ms", ms(ds.P50), ms(ds.P99)), Target: "-", Result: noTarget,
		Note: fmt.Sprintf("open loop %s, n=%d%s", rate, ds.N, failNote(dFail, dErr))})
	tb.add(row{Figure: "connector POST /v1/payments p50 / p99",
		Value: fmt.Sprintf("%.2f / %.2f ms", ms(as.P50), ms(as.P99)), Target: "-", Result: noTarget,
		Note: fmt.Sprintf("open loop %s, n=%d%s", rate, as.N, failNote(aFail, aErr))})
	add50, add99 := as.P50-ds.P50, as.P99-ds.P99
	connCPU := cpu1[0] - cpu0[0]
	simCPU := cpu1[1] - cpu0[1]
	tb.add(row{Figure: "payment create added latency p50 / p99 (POST minus direct)",
		Value:  fmt.Sprintf("%.2f / %.2f ms", ms(add50), ms(add99)),
		Target: "p99 ≤ 2 ms at 500/s", Result: check(ds.N > 0 && as.N > 0 && aFail == 0 && add99 <= latencyTarget),
		Note: fmt.Sprintf("at %.0f/s; during the POST run the connector used %.0f%% of one core (%.2f ms CPU per POST), the simulators %.0f%%",
			o.payRate, 100*connCPU.Seconds()/wall.Seconds(), ms(connCPU)/float64(n), 100*simCPU.Seconds()/wall.Seconds())})
	return nil
}

// directEPayment is a Vipps client for the configuration's first sales
// unit, as the connector builds it.
func directEPayment(c *http.Client, cfg *config.Config) (*vipps.Client, error) {
	t := cfg.Tenants[0]
	su := t.Vipps.SalesUnits[0]
	if err := loopbackOnly(t.Vipps.BaseURL); err != nil {
		return nil, err
	}
	return vipps.New(vipps.Config{
		Environment: vipps.EnvironmentTest, BaseURL: t.Vipps.BaseURL, MSN: su.MSN,
		ClientID: su.ClientID, ClientSecret: su.ClientSecret, SubscriptionKey: su.SubscriptionKey,
		System: vipps.System{Name: t.Vipps.System.Name, Version: t.Vipps.System.Version},
	}, vipps.WithHTTPClient(c))
}
