package vipps_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
	"github.com/jonboulle/clockwork"
)

const (
	cibaTokenPath  = "/access-management-1.0/access/oauth2/token"
	cibaTokenRoute = "POST " + cibaTokenPath
)

// eagerRetries would retry ten times without waiting: Poll must ignore it.
var eagerRetries = vipps.WithRetryPolicy(vipps.RetryPolicy{MaxAttempts: 10})

// tap records what the simulator receives, with the simulator time.
type tap struct {
	mu    sync.Mutex
	clock clockwork.Clock
	reqs  []tapped
}

type tapped struct {
	method, path string
	header       http.Header
	at           time.Time
}

func (tp *tap) observe(r *http.Request) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.reqs = append(tp.reqs, tapped{r.Method, r.URL.Path, r.Header.Clone(), tp.clock.Now()})
}

func (tp *tap) requests() []tapped {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]tapped(nil), tp.reqs...)
}

// newTappedEnv is newEnv with every request the simulator receives recorded.
func newTappedEnv(t *testing.T, cfgEdit func(*vipps.Config), opts ...vipps.Option) (*env, *tap) {
	t.Helper()
	tp := &tap{}
	e := newEnv(t, []vippstest.Option{vippstest.WithRequestObserver(tp.observe)}, cfgEdit, opts...)
	tp.mu.Lock()
	tp.clock = e.simClock
	tp.mu.Unlock()
	return e, tp
}

func totalRequests(st vippstest.Stats) int {
	n := 0
	for _, v := range st.Requests {
		n += v
	}
	return n
}

// TestLoginPollSendsOneRequest: a poll against a failing token endpoint is
// one request, however eager the retry policy, and returns a retryable
// *PollRetryError saying when to poll next; the login is still open.
func TestLoginPollSendsOneRequest(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		fault vippstest.Fault
		next  time.Duration // NextPollAt - now
		cause func(error) bool
	}{
		{"500", vippstest.Fault{Status: 500}, 5 * time.Second, func(err error) bool {
			var ve *vipps.Error
			return errors.As(err, &ve) && ve.Status == 500
		}},
		{"503 with Retry-After", vippstest.Fault{Status: 503, RetryAfter: 30 * time.Second}, 30 * time.Second, func(err error) bool {
			var ve *vipps.Error
			return errors.As(err, &ve) && ve.Status == 503
		}},
		{"dropped connection", vippstest.Fault{Drop: true}, 5 * time.Second, func(err error) bool {
			var ne *vipps.NetworkError
			return errors.As(err, &ne)
		}},
	}
	for _, tt := range tests {
		for _, fresh := range []bool{false, true} {
			name := tt.name
			if fresh {
				name += " on a client without discovery"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, nil, nil, eagerRetries)
				st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
				if err != nil {
					t.Fatal(err)
				}
				poller := e.client
				if fresh {
					cfg := vipps.Config{BaseURL: e.sim.URL, MSN: vippstest.DefaultMSN, ClientID: vippstest.DefaultClientID,
						ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey}
					if poller, err = vipps.New(cfg, vipps.WithClock(e.cliClock), eagerRetries); err != nil {
						t.Fatal(err)
					}
				}
				f := tt.fault
				f.Method, f.PathPrefix = http.MethodPost, cibaTokenPath
				e.sim.InjectFault(f)
				e.advance(st.Interval)
				before := e.sim.Stats()
				res, err := poller.Login.Poll(ctx, st.AuthReqID, st.Interval)
				after := e.sim.Stats()
				if n := after.Requests[cibaTokenRoute] - before.Requests[cibaTokenRoute]; n != 1 {
					t.Fatalf("one Poll sent %d token requests, want exactly 1", n)
				}
				if n := totalRequests(after) - totalRequests(before); n != 1 {
					t.Fatalf("one Poll sent %d requests in all, want exactly 1", n)
				}
				var pre *vipps.PollRetryError
				if res != nil || !errors.As(err, &pre) || !vipps.IsRetryable(err) || !tt.cause(err) {
					t.Fatalf("Poll = %+v, %v; want a retryable *PollRetryError", res, err)
				}
				if want := e.cliClock.Now().Add(tt.next); !pre.NextPollAt.Equal(want) {
					t.Fatalf("NextPollAt = %s, want %s", pre.NextPollAt, want)
				}
				// The endpoint recovers: the login was not ended.
				e.sim.ClearFaults()
				e.advance(tt.next)
				res, err = poller.Login.Poll(ctx, st.AuthReqID, st.Interval)
				if err != nil || res.Token == nil {
					t.Fatalf("poll after recovery: %v %+v", err, res)
				}
			})
		}
	}
}

// TestLoginWaitBacksOffAfterFailedPolls: Wait keeps at least the interval
// between polls and doubles the pause after each failed poll.
func TestLoginWaitBacksOffAfterFailedPolls(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		fault vippstest.Fault
	}{
		{"500", vippstest.Fault{Status: 500}},
		{"dropped connection", vippstest.Fault{Drop: true}},
	} {
		t.Run(tt.name+" twice, then the token", func(t *testing.T) {
			e, tp := newTappedEnv(t, nil, eagerRetries)
			st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
			if err != nil {
				t.Fatal(err)
			}
			f := tt.fault
			f.Method, f.PathPrefix, f.Times = http.MethodPost, cibaTokenPath, 2
			e.sim.InjectFault(f)
			t0 := e.simClock.Now()
			e.drive(t)
			tok, err := e.client.Login.Wait(ctx, st)
			if err != nil || tok.AccessToken == "" {
				t.Fatalf("Wait = %v, %v", tok, err)
			}
			got := pollOffsets(tp, t0)
			want := []time.Duration{5 * time.Second, 15 * time.Second, 35 * time.Second}
			if !slices.Equal(got, want) {
				t.Fatalf("token polls at %v after start, want %v (interval 5 s, then 10 s and 20 s after failures)", got, want)
			}
			if s := e.sim.Stats(); s.EarlyPolls != 0 {
				t.Fatalf("%d polls answered slow_down", s.EarlyPolls)
			}
		})
	}
	t.Run("failing until the login expires", func(t *testing.T) {
		e, tp := newTappedEnv(t, nil, eagerRetries)
		st, err := e.client.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: vippstest.PersonaApprove})
		if err != nil {
			t.Fatal(err)
		}
		e.sim.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: cibaTokenPath, Status: 500})
		t0 := e.simClock.Now()
		e.drive(t)
		if _, err := e.client.Login.Wait(ctx, st); !errors.Is(err, vipps.ErrExpiredToken) {
			t.Fatalf("err = %v, want ErrExpiredToken", err)
		}
		got := pollOffsets(tp, t0)
		if len(got) == 0 || got[0] != st.Interval || got[len(got)-1] != st.ExpiresIn {
			t.Fatalf("polls at %v: want the first one interval in and the last at expiry (%s)", got, st.ExpiresIn)
		}
		for i := 1; i < len(got); i++ {
			if gap := got[i] - got[i-1]; gap < st.Interval || gap > time.Minute {
				t.Fatalf("polls at %v: gap %s outside [interval, 1 min]", got, gap)
			}
		}
		if got[1]-got[0] != 2*st.Interval || got[2]-got[1] != 4*st.Interval {
			t.Fatalf("polls at %v: no doubling backoff after failures", got)
		}
	})
}

func pollOffsets(tp *tap, t0 time.Time) []time.Duration {
	var out []time.Duration
	for _, r := range tp.requests() {
		if r.method == http.MethodPost && r.path == cibaTokenPath {
			out = append(out, r.at.Sub(t0))
		}
	}
	return out
}
