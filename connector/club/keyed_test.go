package club_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/club"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// post sends a check-in under key from a goroutine of the test (no
// t.Fatal there): the status and body, or the error.
func post(e *env, key string, body string) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, e.Front.URL+"/v1/check-ins", strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), err
}

// holdCheckIn holds the first check-in that reaches the Vipps simulator
// until release is closed, and tells when it has arrived. (A latency
// fault on the fake clock would race the test: the request is seen
// before its wait starts, and a clock advanced in between never ends it.)
func holdCheckIn(arrived chan<- struct{}, release <-chan struct{}) testenv.Option {
	var once sync.Once
	return func(o *testenv.Options) {
		o.ObserveVipps = func(r *http.Request) {
			if r.URL.Path != "/point-of-sale/v1/loyalty-check-in" {
				return
			}
			first := false
			once.Do(func() { first = true })
			if first {
				arrived <- struct{}{}
				<-release
			}
		}
	}
}

// TestConcurrentRetriesUnderOneKey: retries sent while the first request
// under their key is being answered (held at Vipps) wait for its answer
// and give it; the customer's app is notified once.
func TestConcurrentRetriesUnderOneKey(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	e := newEnv(t, holdCheckIn(arrived, release))
	body := `{"phoneNumber":"+` + memberPhone + `"}`
	const n = 6
	answers := make([]string, n)
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Go(func() { codes[0], answers[0], errs[0] = post(e, "same", body) })
	<-arrived // the first request is at Vipps, held there until released
	for i := 1; i < n; i++ {
		wg.Go(func() { codes[i], answers[i], errs[i] = post(e, "same", body) })
	}
	// The retries are sent; some may still be on their way to the
	// handler, and they find the answer stored then.
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || codes[i] != http.StatusOK || answers[i] != answers[0] {
			t.Fatalf("answer %d: %d %s %v (first %s)", i, codes[i], answers[i], errs[i], answers[0])
		}
	}
	if got := e.Vipps.Stats().Requests["POST /point-of-sale/v1/loyalty-check-in"]; got != 1 {
		t.Fatalf("%d check-ins sent, want 1", got)
	}
}

// TestCallerLeavesWhileAnswering: the first caller under a key leaves
// while its check-in is at Vipps (it will retry); the work goes on, and
// the retry gets the real answer, not the caller's cancellation.
func TestCallerLeavesWhileAnswering(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	e := newEnv(t, holdCheckIn(arrived, release))
	body := `{"phoneNumber":"+` + memberPhone + `"}`
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.Front.URL+"/v1/check-ins", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "left")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	<-arrived
	cancel()
	<-done
	close(release)
	code, raw, err := post(e, "left", body)
	if err != nil || code != http.StatusOK || !strings.Contains(raw, `"notified":true`) {
		t.Fatalf("retry after the caller left: %d %s %v", code, raw, err)
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

// TestCheckInMarkedBeforeItIsSent: under a key, the record says the
// check-in is being sent before the call reaches Vipps, so a process that
// dies during the call leaves that behind.
func TestCheckInMarkedBeforeItIsSent(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	e := newEnv(t, holdCheckIn(arrived, release))
	done := make(chan struct{})
	go func() { defer close(done); _, _, _ = post(e, "mark", `{"phoneNumber":"+`+memberPhone+`"}`) }()
	<-arrived // the check-in is at Vipps
	rec, err := e.First().Store.GetByKey(context.Background(), "acme", club.KindAnswer, "mark")
	close(release)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != "answering" || !strings.Contains(string(rec.State), `"checkInSending":true`) {
		t.Fatalf("record while the check-in is at Vipps: %s %s", rec.Status, rec.State)
	}
}

// TestCheckInNotSentTwiceAfterADeadProcess: a process died after it
// marked the check-in as being sent (it may have reached the customer's
// app). The retry under the key answers who the customer is and does not
// notify the app again.
func TestCheckInNotSentTwiceAfterADeadProcess(t *testing.T) {
	e := newEnv(t)
	phone := "+" + memberPhone
	rec, err := e.First().Svc.Engine().Create(context.Background(), store.Job{TenantID: "acme", ID: "cla_sent", Kind: club.KindAnswer,
		Status: "answering", IdempotencyKey: "k", RequestHash: api.RequestHash("check-in", phone, "", vippstest.DefaultMSN),
		State: []byte(`{"checkInSending":true}`), DueAt: e.Clock.Now().Add(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(31 * time.Second)
	e.WaitFor("acme", rec.ID, func(j store.Job) bool { return j.Status == "retry" })
	res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": phone}, "Idempotency-Key", "k")
	if res.Status != http.StatusOK || res.Body["isMember"] != true || res.Body["notified"] != false || !strings.Contains(res.Body["detail"].(string), "earlier attempt") {
		t.Fatalf("retry after the process died with the check-in sent: %d %s", res.Status, res.Raw)
	}
	if n := e.Vipps.Stats().Requests["POST /point-of-sale/v1/loyalty-check-in"]; n != 0 {
		t.Fatalf("%d check-ins sent, want none", n)
	}
	if again := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": phone}, "Idempotency-Key", "k"); again.Status != http.StatusOK || string(again.Raw) != string(res.Raw) {
		t.Fatalf("second retry: %d %s", again.Status, again.Raw)
	}
}
