package testenv

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// Bench is a connector on the real clock and a SQLite file store against
// in-process simulators, its API on a loopback listener (with
// Options.Public, also its server.publicBaseURL).
type Bench struct {
	URL    string
	Store  store.Store
	Vipps  *vippstest.Server
	BC     *bctest.Servers
	Client *http.Client
}

// NewBench starts a Bench configured by o (see Options); everything stops
// when the benchmark ends. It logs errors only, to nowhere.
func NewBench(b *testing.B, o Options) *Bench {
	b.Helper()
	vopts := append([]vippstest.Option(nil), o.VippsOptions...)
	if o.ObserveVipps != nil {
		vopts = append(vopts, vippstest.WithRequestObserver(o.ObserveVipps))
	}
	vs := vippstest.Start(b, vopts...)
	bcs := bctest.Start(b)
	if o.Prepare != nil {
		o.Prepare(vs, bcs)
	}
	srv := httptest.NewUnstartedServer(nil)
	public := ""
	if o.Public {
		public = "http://" + srv.Listener.Addr().String()
	}
	cfg := o.config(b, vs.URL, bcs, "sqlite", "file:"+filepath.Join(b.TempDir(), "bench.db"), public)
	cfg.Log.Level = "error"
	// The tests' small worker pool (4) would make the benchmarks measure
	// waiting for a worker; they run with the production defaults.
	cfg.Worker.Concurrency, cfg.Worker.PollBatch = 64, 100
	st, err := store.Open(context.Background(), "sqlite", cfg.Store.DSN)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := connector.New(cfg, connector.WithStore(st), connector.WithHTTPClient(bcs.HTTPClient()),
		connector.WithLogger(connector.NewLogger(io.Discard, config.Log{Level: "error"})), connector.WithClock(clockwork.NewRealClock()))
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
	return &Bench{URL: srv.URL, Store: st, Vipps: vs, BC: bcs, Client: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
}
