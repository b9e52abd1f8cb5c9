package payment_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// benchEnv is a connector on the real clock and a SQLite file store
// against in-process simulators, its API on a loopback listener that is
// also its publicBaseURL.
type benchEnv struct {
	url    string
	st     store.Store
	vipps  *vippstest.Server
	bc     *bctest.Servers
	client *http.Client
}

func newBenchEnv(b *testing.B, webhooks bool) *benchEnv {
	b.Helper()
	vs := vippstest.Start(b)
	bcs := bctest.Start(b)
	bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
	srv := httptest.NewUnstartedServer(nil)
	public := ""
	if webhooks {
		public = "http://" + srv.Listener.Addr().String()
	}
	cfg := testConfig(&testing.T{}, vs.URL, bcs, "sqlite", "file:"+filepath.Join(b.TempDir(), "bench.db"), public)
	cfg.Log.Level = "error"
	st, err := store.Open(context.Background(), "sqlite", cfg.Store.DSN)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := connector.New(cfg, connector.WithStore(st), connector.WithHTTPClient(bcs.HTTPClient()),
		connector.WithLogger(connector.NewLogger(discard{}, config.Log{Level: "error"})), connector.WithClock(clockwork.NewRealClock()))
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = svc.APIHandler()
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; srv.Close(); _ = st.Close() })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	return &benchEnv{url: srv.URL, st: st, vipps: vs, bc: bcs, client: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
}

// registeredSecret waits (on the store's change feed) for the webhook
// registration and returns its secret.
func (be *benchEnv) registeredSecret(b *testing.B) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	feed, err := be.st.Subscribe(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for {
		j, err := be.st.Get(ctx, "acme", "whr_"+vippstest.DefaultMSN)
		if err == nil && j.Status == "registered" {
			var priv struct {
				Secrets []struct {
					Value string `json:"value"`
				} `json:"secrets"`
			}
			_ = json.Unmarshal(j.Private, &priv)
			return priv.Secrets[0].Value
		}
		select {
		case <-feed:
		case <-ctx.Done():
			b.Fatal("webhook never registered")
		}
	}
}

// latencies collects request durations for percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	pct := func(p float64) float64 { return float64(l.d[int(float64(len(l.d)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkWebhookIntake: signed payment events delivered by parallel
// senders (as Vipps' several callback hosts do) are verified and stored
// durably in the inbox before each 200. Reports verified events per
// second and the answer's p50/p99.
func BenchmarkWebhookIntake(b *testing.B) {
	be := newBenchEnv(b, true)
	secret := be.registeredSecret(b)
	u := payment.WebhookURL(be.url, "acme", vippstest.DefaultMSN)
	var seq atomic.Int64
	lat := &latencies{}
	b.SetParallelism(8)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := []byte(fmt.Sprintf(`{"msn":"%s","reference":"bench-%08d","pspReference":"%d","name":"AUTHORIZED","amount":{"currency":"NOK","value":1000},"timestamp":"2026-11-21T10:00:00Z","idempotencyKey":null,"success":true}`,
				vippstest.DefaultMSN, n, n))
			h, _ := vipps.SignWebhook(secret, u, time.Now(), body)
			req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
			for k, v := range h {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/json")
			t0 := time.Now()
			res, err := be.client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat.add(time.Since(t0))
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	lat.report(b)
}

// BenchmarkCreatePayment is one POST /v1/payments through the connector
// (validation, the payment and its follower stored, the ePayment created
// at the simulator inline); BenchmarkDirectEPaymentCreate is the same
// create sent straight to the simulator, for the added latency.
func BenchmarkCreatePayment(b *testing.B) {
	be := newBenchEnv(b, true) // webhooks registered, as in production: the safety-net poll is slow
	var n atomic.Int64
	lat := &latencies{}
	for b.Loop() {
		i := n.Add(1)
		body := `{"amount":29900,"currency":"NOK","phoneNumber":"+4791234567","description":"Kasse 3"}`
		req, _ := http.NewRequest(http.MethodPost, be.url+"/v1/payments", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", i))
		t0 := time.Now()
		res, err := be.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		lat.add(time.Since(t0))
		if res.StatusCode != http.StatusCreated || !strings.Contains(string(raw), `"status":"created"`) {
			b.Fatalf("status %d: %s", res.StatusCode, raw)
		}
	}
	lat.report(b)
}

func BenchmarkDirectEPaymentCreate(b *testing.B) {
	vs := vippstest.Start(b)
	c, err := vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: vs.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var n atomic.Int64
	lat := &latencies{}
	for b.Loop() {
		i := n.Add(1)
		t0 := time.Now()
		_, err := c.EPayment.Create(ctx, fmt.Sprintf("direct-%d", i), vipps.CreatePaymentRequest{
			Amount: vipps.Amount{Currency: "NOK", Value: 29900}, Customer: &vipps.Customer{PhoneNumber: vippstest.PersonaApprove},
			CustomerInteraction: "CUSTOMER_PRESENT", PaymentMethod: vipps.PaymentMethod{Type: "WALLET"},
			Reference: fmt.Sprintf("direct-%08d", i), UserFlow: "PUSH_MESSAGE", PaymentDescription: "Kasse 3",
		})
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
	}
	lat.report(b)
}

// BenchmarkApprovalToBC is a customer-card login with the login ping
// webhook: the time from the customer's approval in the app to the
// request completed (the Customer written to BC), as the caller's
// long-poll sees it. Reports its p50/p99.
func BenchmarkApprovalToBC(b *testing.B) {
	be := newBenchEnv(b, true)
	be.registeredSecret(b)
	const delay = 20 * time.Millisecond
	const phone = "4790001122"
	be.vipps.AddUser(vippstest.User{PhoneNumber: phone, Behaviour: vippstest.BehaviourApprove, Delay: delay,
		Profile: vipps.UserInfo{Name: "Per Hansen", GivenName: "Per", FamilyName: "Hansen", PhoneNumber: phone, Email: "per@example.com"}})
	lat := &latencies{}
	do := func(method, url, body, key string) map[string]any {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := be.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return out
	}
	i := 0
	for b.Loop() {
		i++
		t0 := time.Now()
		created := do(http.MethodPost, be.url+"/v1/customer-info-requests", `{"customerNo":"10000","phoneNumber":"+`+phone+`"}`, fmt.Sprintf("ping-%d", i))
		id, _ := created["id"].(string)
		if id == "" {
			b.Fatalf("create: %v", created)
		}
		for range 10 {
			got := do(http.MethodGet, be.url+"/v1/customer-info-requests/"+id+"?wait=10", "", "")
			if got["status"] == "completed" {
				break
			}
			if s, _ := got["status"].(string); s != "pending" && s != "applying" {
				b.Fatalf("login %s: %v", id, got)
			}
		}
		lat.add(time.Since(t0) - delay)
	}
	lat.report(b)
}
