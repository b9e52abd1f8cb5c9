package login_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestConcurrentRequestsForOnePhoneSendOnePush sends requests for one phone
// number at the same moment: a till retrying under one Idempotency-Key and
// other tills under their own. The login is started at Vipps before it is
// stored, so only taking turns keeps it to one push: one request is
// accepted, its retries get it, the others are told a login is waiting.
func TestConcurrentRequestsForOnePhoneSendOnePush(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"phoneNumber": "+" + vippstest.PersonaIgnore}
	const n = 6
	keys := make([]string, 2*n)
	res := make([]testenv.Response, 2*n)
	var wg sync.WaitGroup
	for i := range keys {
		keys[i] = "till-1-retry"
		if i >= n {
			keys[i] = fmt.Sprintf("till-%d", i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = e.Do(http.MethodPost, login.MemberRoute, keyAcme, body, "Idempotency-Key", keys[i])
		}()
	}
	wg.Wait()
	if got := e.Vipps.Stats().BackchannelRequests; got != 1 {
		t.Errorf("logins started at Vipps = %d, want 1", got)
	}
	winner := -1
	for i, r := range res {
		if r.Status == http.StatusAccepted {
			if winner >= 0 {
				t.Fatalf("two requests accepted: %s and %s", res[winner].Raw, r.Raw)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no request accepted: %s", res[0].Raw)
	}
	id := res[winner].Body["id"]
	for i, r := range res {
		switch {
		case i == winner:
		case keys[i] == keys[winner]:
			if r.Status != http.StatusOK || r.Body["id"] != id {
				t.Errorf("retry under the accepted key: %d %s, want 200 with %v", r.Status, r.Raw, id)
			}
		default:
			if r.Status != http.StatusConflict || r.Body["type"] != api.ProblemLoginPending || r.Body["pendingRequestId"] != id {
				t.Errorf("request under key %s: %d %s, want 409 login-pending naming %v", keys[i], r.Status, r.Raw, id)
			}
		}
	}
}

// TestNoPushWhenTheStoreIsDown: the login is started before it is stored,
// so a store that cannot answer must stop the request before Vipps is
// asked: 503, and no push the connector could not record.
func TestNoPushWhenTheStoreIsDown(t *testing.T) {
	e := newEnv(t)
	if err := e.First().Store.Close(); err != nil {
		t.Fatal(err)
	}
	res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "+" + vippstest.PersonaIgnore}, "Idempotency-Key", "till-1-1")
	if res.Status != http.StatusServiceUnavailable {
		t.Errorf("status %d: %s", res.Status, res.Raw)
	}
	if got := e.Vipps.Stats().BackchannelRequests; got != 0 {
		t.Errorf("logins started at Vipps with the store down: %d", got)
	}
}
