package vipps_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/jonboulle/clockwork"
)

// fakeVipps is a loopback server for edge cases the simulator cannot
// produce: it serves POST /accesstoken/get (string expires_in, as Vipps
// does) under a non-root base path and hands every other request to api.
type fakeVipps struct {
	srv *httptest.Server

	mu         sync.Mutex
	tokenCalls int
	tokenHdrs  []http.Header
	calls      []recorded
	expiresIn  string
	token      string
	tokenGate  chan struct{} // when non-nil, token requests wait for it
	entered    chan struct{} // receives once per token request that reached the server
}

type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

const fakePrefix = "/vipps-base"

func newFake(t *testing.T, api http.HandlerFunc) *fakeVipps {
	f := &fakeVipps{expiresIn: "3599", token: "tok-SECRET-0123456789abcdef", entered: make(chan struct{}, 1000)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == fakePrefix+"/accesstoken/get" && r.Method == http.MethodPost {
			f.mu.Lock()
			f.tokenCalls++
			f.tokenHdrs = append(f.tokenHdrs, r.Header.Clone())
			gate, exp, tok := f.tokenGate, f.expiresIn, f.token
			f.mu.Unlock()
			f.entered <- struct{}{}
			if gate != nil {
				<-gate
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":`+exp+`,"ext_expires_in":"0","expires_on":"0","not_before":"0","resource":"x","access_token":"`+tok+`"}`)
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
		f.mu.Unlock()
		api(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVipps) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.calls...)
}

func (f *fakeVipps) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

func fakeConfig(f *fakeVipps) vipps.Config {
	return vipps.Config{
		Environment: vipps.EnvironmentTest, BaseURL: f.srv.URL + fakePrefix, MSN: "123456",
		ClientID: "client-id-1", ClientSecret: "client-SECRET-value-1", SubscriptionKey: "subkey-SECRET-value-1",
		System: vipps.System{Name: "bcvipps", Version: "1.0.0", PluginName: "bcvipps-bc", PluginVersion: "2.0.0"},
	}
}

func fakeClient(t *testing.T, f *fakeVipps, opts ...vipps.Option) (*vipps.Client, *clockwork.FakeClock) {
	clk := clockwork.NewFakeClockAt(epoch)
	c, err := vipps.New(fakeConfig(f), append([]vipps.Option{vipps.WithClock(clk)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}
