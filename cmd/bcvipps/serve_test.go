package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
)

// TestServeAgainstSimulators runs `sandbox --simulators-only --write-config`
// and `serve` as two processes: a request completed before serve is killed
// with SIGKILL is still there after a restart, because the state is in
// SQLite and the simulators kept theirs.
func TestServeAgainstSimulators(t *testing.T) {
	dir := t.TempDir()
	cfgFile := dir + "/serve.yaml"
	sims := startProc(t, "sandbox", "--simulators-only", "--write-config", cfgFile, "--data-dir", dir+"/data",
		"--log-format", "json", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--vipps-listen", "127.0.0.1:0", "--bc-listen", "127.0.0.1:0")
	ready := sims.waitLog("simulators ready", 30*time.Second)
	bcURL := logString(t, ready, "bc")
	if got := logString(t, ready, "config"); got != cfgFile {
		t.Fatalf("config written to %q, want %q", got, cfgFile)
	}

	t.Run("the written configuration is valid for serve and holds the sandbox key's hash", func(t *testing.T) {
		cfg, err := config.Load(cfgFile)
		if err != nil {
			t.Fatalf("config.Load: %v", err)
		}
		if h := cfg.Tenants[0].APIKeys[0].SHA256; h != connector.HashAPIKey(sandboxAPIKey) {
			t.Errorf("api key hash %s is not the sandbox key's", h)
		}
		if !strings.HasPrefix(cfg.Store.DSN, "file:"+dir+"/data/") {
			t.Errorf("store DSN %q is not in the data dir", cfg.Store.DSN)
		}
		if _, err := os.Stat(cfg.Upstream.CAFile); err != nil {
			t.Errorf("upstream.caFile: %v", err)
		}
		if cfg.Server.PublicBaseURL != "" {
			t.Errorf("server.publicBaseURL %q with --listen port 0, want empty (serve's port is not known)", cfg.Server.PublicBaseURL)
		}
	})

	startServe := func() (*proc, string) {
		s := startProc(t, "serve", "--sandbox-key", "--config", cfgFile)
		api := "http://" + listeningAddr(t, s, "api")
		waitReady(t, api, 30*time.Second)
		return s, api
	}

	srv, api := startServe()
	id := postCustomerRequest(t, api, sandboxAPIKey, bctest.DemoCustomerEmptyAddress, personaPhone)
	first := awaitRequest(t, customerURL(api, id), sandboxAPIKey, 60*time.Second)
	if first["status"] != "completed" {
		t.Fatalf("request ended %v: %v", first["status"], first["error"])
	}
	if c := bcCustomer(t, bcURL, bctest.DemoCustomerEmptyAddress); c["city"] != "Oslo" {
		t.Fatalf("BC customer city %q, want Oslo", c["city"])
	}
	if code := srv.stop(syscall.SIGKILL, 10*time.Second); code != -1 {
		t.Fatalf("exit code %d, want -1 (killed by SIGKILL)", code)
	}

	srv2, api2 := startServe()
	t.Run("a request completed before kill -9 is still completed after the restart", func(t *testing.T) {
		code, got := apiCall(t, "GET", customerURL(api2, id), sandboxAPIKey, nil)
		if code != 200 || got["status"] != "completed" {
			t.Fatalf("GET after restart: %d %v", code, got)
		}
	})
	t.Run("the restarted connector completes a new request", func(t *testing.T) {
		id2 := postCustomerRequest(t, api2, sandboxAPIKey, bctest.DemoCustomerEmptyAddress, personaPhone)
		if got := awaitRequest(t, customerURL(api2, id2), sandboxAPIKey, 60*time.Second); got["status"] != "completed" {
			t.Fatalf("request ended %v: %v", got["status"], got["error"])
		}
	})
	if code := srv2.stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("serve exit code %d after SIGTERM, want 0", code)
	}
	srv2.waitLog("stopped", time.Second)
	if code := sims.stop(syscall.SIGINT, 30*time.Second); code != 0 {
		t.Errorf("simulators exit code %d after SIGINT, want 0", code)
	}
}

// listeningAddr waits for the "listening" log line of listener name.
func listeningAddr(t *testing.T, p *proc, name string) string {
	t.Helper()
	m := p.waitMatch("listening "+name, func(m map[string]any) bool {
		return m["msg"] == "listening" && m["listener"] == name
	}, 30*time.Second)
	return logString(t, m, "addr")
}
