package login_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// benchEnv is a connector on the real clock against in-process simulators.
func benchEnv(b *testing.B) (*connector.Service, *vippstest.Server, *http.Client, string) {
	b.Helper()
	vs := vippstest.Start(b)
	bcs := bctest.Start(b)
	cfg := testConfig(&testing.T{}, vs.URL, bcs, "sqlite", "file:"+filepath.Join(b.TempDir(), "bench.db"))
	cfg.Log.Level = "error"
	st, err := store.Open(context.Background(), "sqlite", cfg.Store.DSN)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := connector.New(cfg, connector.WithStore(st), connector.WithHTTPClient(bcs.HTTPClient()), connector.WithLogger(connector.NewLogger(discard{}, config.Log{Level: "error"})),
		connector.WithClock(clockwork.NewRealClock()))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = svc.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; _ = st.Close() })
	srv := startHTTP(b, svc.APIHandler())
	return svc, vs, &http.Client{Timeout: 10 * time.Second}, srv
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkCreateMemberRequest measures one POST /v1/member-info-requests
// through the connector: validation, store, and the Vipps backchannel call.
func BenchmarkCreateMemberRequest(b *testing.B) {
	_, vs, client, url := benchEnv(b)
	var n atomic.Int64
	const users = 20000 // b.Loop decides b.N later; phones are reused past this
	for i := range users + 1 {
		phone := fmt.Sprintf("4780%06d", i)
		vs.AddUser(vippstest.User{PhoneNumber: phone, Behaviour: vippstest.BehaviourReject, Profile: vipps.UserInfo{PhoneNumber: phone}})
	}
	b.ResetTimer()
	for b.Loop() {
		i := n.Add(1)%users + 1
		body := fmt.Sprintf(`{"phoneNumber":"+4780%06d"}`, i)
		req, _ := http.NewRequest(http.MethodPost, url+login.MemberRoute, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyAcme)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted || !strings.Contains(string(raw), `"status":"pending"`) {
			b.Fatalf("status %d: %s", res.StatusCode, raw)
		}
	}
}
