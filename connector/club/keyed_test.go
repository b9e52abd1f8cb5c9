package club_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/club"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestConcurrentRetriesUnderOneKey: retries sent while the first request
// under their key is being answered wait for its answer and give it; the
// customer's app is notified once.
func TestConcurrentRetriesUnderOneKey(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"phoneNumber": "+" + memberPhone}
	const n = 6
	answers := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := e.Do(http.MethodPost, "/v1/check-ins", apiKey, body, "Idempotency-Key", "same")
			codes[i], answers[i] = res.Status, string(res.Raw)
		})
	}
	wg.Wait()
	for i := range n {
		if codes[i] != http.StatusOK || answers[i] != answers[0] {
			t.Fatalf("answer %d: %d %s (first %s)", i, codes[i], answers[i], answers[0])
		}
	}
	if got := e.Vipps.Stats().Requests["POST /point-of-sale/v1/loyalty-check-in"]; got != 1 {
		t.Fatalf("%d check-ins sent, want 1", got)
	}
}

// TestKeptAnswerIsPurgedLikeADeliveredLogin: the phone number an answer
// under a key holds goes with the purge of delivered personal data
// (retention.profile), not a day later.
func TestKeptAnswerIsPurgedLikeADeliveredLogin(t *testing.T) {
	e := newEnv(t)
	if res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + memberPhone}, "Idempotency-Key", "p1"); res.Status != http.StatusOK {
		t.Fatalf("check-in: %d %s", res.Status, res.Raw)
	}
	e.Advance(e.Cfg.Retention.Profile + time.Minute)
	e.First().Svc.Engine().Housekeep(context.Background())
	rec, err := e.First().Store.GetByKey(context.Background(), "acme", club.KindAnswer, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Result) != 0 || rec.RequestHash != "" {
		t.Fatalf("answer kept after retention.profile: %s", rec.Result)
	}
}

// TestAnswerLeftByADeadProcess: a process died while answering under a
// key. Past its hold the record waits for a retry, which does the work.
func TestAnswerLeftByADeadProcess(t *testing.T) {
	e := newEnv(t)
	phone := "+" + memberPhone
	rec, err := e.First().Svc.Engine().Create(context.Background(), store.Job{TenantID: "acme", ID: "cla_dead", Kind: club.KindAnswer,
		Status: "answering", IdempotencyKey: "k", RequestHash: api.RequestHash("check-in", phone, "", vippstest.DefaultMSN),
		DueAt: e.Clock.Now().Add(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(31 * time.Second)
	e.WaitFor("acme", rec.ID, func(j store.Job) bool { return j.Status == "retry" })
	res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": phone}, "Idempotency-Key", "k")
	if res.Status != http.StatusOK || res.Body["notified"] != true {
		t.Fatalf("retry after the process died: %d %s", res.Status, res.Raw)
	}
	if j := e.Job("acme", rec.ID); j.Status != "answered" {
		t.Fatalf("record after the retry: %s", j.Status)
	}
}
