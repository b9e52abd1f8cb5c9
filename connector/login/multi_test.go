package login_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// pollRecorder notes every CIBA token poll an instance sends.
type pollRecorder struct {
	mu    sync.Mutex
	polls []poll
}

type poll struct {
	instance  string
	authReqID string
	at        time.Time
}

type recordingTransport struct {
	instance string
	rec      *pollRecorder
	e        *env
	next     http.RoundTripper
}

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/oauth2/token") && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("auth_req_id") != "" {
			rt.rec.mu.Lock()
			rt.rec.polls = append(rt.rec.polls, poll{rt.instance, form.Get("auth_req_id"), rt.e.Clock.Now()})
			rt.rec.mu.Unlock()
		}
	}
	return rt.next.RoundTrip(req)
}

func (rt recordingTransport) CloseIdleConnections() {
	if c, ok := rt.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// TestTwoInstancesOnOnePostgresPollEachLoginOnce runs two connector
// instances on one PostgreSQL database: every poll of every login is sent by
// exactly one of them, never early, and every request completes once.
func TestTwoInstancesOnOnePostgresPollEachLoginOnce(t *testing.T) {
	e := newEnv(t, testenv.WithPostgres(storetest.PostgresDSN(t)), testenv.NotStarted())
	e.Cfg.Worker.PollBatch = 4 // small claims, so both instances get work
	rec := &pollRecorder{}
	for _, name := range []string{"a", "b"} {
		base := e.BC.HTTPClient()
		hc := *base
		tr := base.Transport
		if tr == nil {
			tr = http.DefaultTransport
		}
		hc.Transport = recordingTransport{instance: name, rec: rec, e: e, next: tr}
		e.StartWith(name, &hc)
	}
	const logins = 16
	var ids []string
	for i := range logins {
		phone := fmt.Sprintf("47900%05d", i)
		e.Vipps.AddUser(vippstest.User{PhoneNumber: phone, Behaviour: vippstest.BehaviourApprove, Delay: 12 * time.Second,
			Profile: vipps.UserInfo{GivenName: "Test", FamilyName: fmt.Sprint("Person", i), PhoneNumber: phone}})
		ids = append(ids, e.create(login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "+" + phone}))
	}
	// Polls at 5 s, 10 s (pending) and 15 s (approved).
	for range 3 {
		versions := map[string]int64{}
		for _, id := range ids {
			versions[id] = e.row("acme", id).Version
		}
		e.Advance(5 * time.Second)
		for _, id := range ids {
			v := versions[id]
			e.waitRow("acme", id, func(r login.Request) bool { return r.Version > v })
		}
	}
	for _, id := range ids {
		r := e.waitRow("acme", id, func(r login.Request) bool { return r.Final })
		if r.Status != login.StatusCompleted {
			t.Errorf("request %s ended %s", id, r.Status)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	type key struct {
		id string
		at time.Time
	}
	seen := map[key]string{}
	perLogin := map[string]int{}
	byInstance := map[string]int{}
	for _, p := range rec.polls {
		k := key{p.authReqID, p.at}
		if other, dup := seen[k]; dup {
			t.Errorf("login polled twice at %s (by %s and %s)", p.at, other, p.instance)
		}
		seen[k] = p.instance
		perLogin[p.authReqID]++
		byInstance[p.instance]++
	}
	if len(perLogin) != logins {
		t.Errorf("%d logins polled, want %d", len(perLogin), logins)
	}
	for id, n := range perLogin {
		if n != 3 {
			t.Errorf("login %s polled %d times, want 3", id, n)
		}
	}
	if s := e.Vipps.Stats(); s.EarlyPolls != 0 {
		t.Errorf("early polls (slow_down) = %d, want 0", s.EarlyPolls)
	}
	t.Logf("polls by instance: %v", byInstance)
}
