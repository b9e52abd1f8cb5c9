package vipps_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
	"github.com/jonboulle/clockwork"
)

// specDir is the official OpenAPI folder, relative to this package.
var specDir = filepath.Join("..", "..", "shared", "specs", "vipps")

func haveSpecs() bool {
	st, err := os.Stat(specDir)
	return err == nil && st.IsDir()
}

// env is a simulator and a client on separate fake clocks that tests move
// together (simAdvance), so that the client's own sleeps can be waited
// for with BlockUntilContext without counting the simulator's timers.
type env struct {
	sim       *vippstest.Server
	simClock  *clockwork.FakeClock
	cliClock  *clockwork.FakeClock
	client    *vipps.Client
	validated bool
}

var epoch = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// newEnv starts the simulator, with spec validation whenever the spec
// folder exists: every request the client sends and every response the
// simulator returns is checked, and the test fails on a violation (the
// conformance test of the issue).
func newEnv(t *testing.T, simOpts []vippstest.Option, cfgEdit func(*vipps.Config), opts ...vipps.Option) *env {
	t.Helper()
	e := &env{simClock: clockwork.NewFakeClockAt(epoch), cliClock: clockwork.NewFakeClockAt(epoch)}
	spec, validated := vippstest.SpecValidationIfPresent(specDir)
	e.validated = validated
	so := append([]vippstest.Option{vippstest.WithClock(e.simClock), spec}, simOpts...)
	srv, err := vippstest.NewServer("127.0.0.1:0", so...)
	if err != nil {
		t.Fatal(err)
	}
	e.sim = srv
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
		for _, v := range srv.SpecViolations() {
			if !knownSpecDefect(v) {
				t.Errorf("spec violation: %s", v)
			}
		}
	})
	cfg := vipps.Config{
		Environment: vipps.EnvironmentTest, BaseURL: e.sim.URL,
		MSN: vippstest.DefaultMSN, ClientID: vippstest.DefaultClientID,
		ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey,
		System: vipps.System{Name: "bcvipps", Version: "1.0.0", PluginName: "bcvipps-test", PluginVersion: "0.1.0"},
	}
	if cfgEdit != nil {
		cfgEdit(&cfg)
	}
	c, err := vipps.New(cfg, append([]vipps.Option{vipps.WithClock(e.cliClock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	return e
}

// knownSpecDefect reports violations caused by the spec copy itself, not
// by the wire traffic. The ePayment spec's Customer is a oneOf of three
// object schemas none of which lists a required property, so every valid
// customer ({"phoneNumber": ...}) matches all three and a strict oneOf
// check fails; Vipps documents "exactly one of" the fields, which the
// client enforces itself (see EPaymentService.Create).
func knownSpecDefect(v string) bool {
	return strings.Contains(v, "/customer") && strings.Contains(v, "more than one schema") && strings.Contains(v, "oneOf")
}

// advance moves both clocks.
func (e *env) advance(d time.Duration) {
	e.simClock.Advance(d)
	e.cliClock.Advance(d)
}

// drive advances both clocks one second at a time whenever the client is
// sleeping, until ctx ends. It returns a stop function.
func (e *env) drive(t *testing.T) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := e.cliClock.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			e.advance(time.Second)
		}
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// driveClock advances a lone fake clock whenever something sleeps on it.
func driveClock(t *testing.T, clk *clockwork.FakeClock, step time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := clk.BlockUntilContext(ctx, 1); err != nil {
				return
			}
			clk.Advance(step)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// TestConformance records whether the flow tests in this package ran with
// spec validation: each newEnv validates every request the client sends
// and every response the simulator returns against the official OpenAPI
// files, and fails its test on any violation.
func TestConformance(t *testing.T) {
	if !haveSpecs() {
		t.Skipf("spec folder %s absent: flow tests ran without OpenAPI validation", specDir)
	}
	e := newEnv(t, nil, nil)
	if !e.validated {
		t.Fatal("spec validation not enabled")
	}
	if _, err := e.client.Login.UserExists(context.Background(), vippstest.PersonaApprove); err != nil {
		t.Fatal(err)
	}
}
