package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/bcvipps/bcvipps/config"
)

// startTimeout bounds the wait for a process to log that it is ready.
const startTimeout = 60 * time.Second

// env is one benchmark environment: the simulators process and the
// connector process (serve) in front of them, all on 127.0.0.1.
type env struct {
	bin, dir string
	sims     *proc
	serve    *proc
	cfgFile  string
	cfg      *config.Config
	// apiListen is where every serve run listens: known before the
	// simulators start, so the configuration's publicBaseURL (the webhook
	// URL Vipps delivers to) is the connector's, as in production.
	apiListen string
	vippsURL  string // Vipps simulator
	bcURL     string // BC simulator (control API at /_sim/)
	apiURL    string // connector API
	adminURL  string // connector admin listener
	profDir   string // where profile writes CPU profiles ("": nowhere)
}

// startSimulators runs `bcvipps sandbox --simulators-only` and loads the
// configuration it writes.
func (e *env) startSimulators() error {
	e.cfgFile = filepath.Join(e.dir, "serve.yaml")
	port, err := freePort()
	if err != nil {
		return err
	}
	e.apiListen = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p, err := startProc("simulators", e.bin, filepath.Join(e.dir, "simulators.log"), cleanEnv(),
		"sandbox", "--simulators-only", "--write-config", e.cfgFile, "--data-dir", filepath.Join(e.dir, "data"),
		"--log-format", "json", "--log-level", "info", "--listen", e.apiListen, "--admin-listen", "127.0.0.1:0",
		"--vipps-listen", "127.0.0.1:0", "--bc-listen", "127.0.0.1:0", "--authority-listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.sims = p
	ready, err := p.waitLog(func(m map[string]any) bool { return m["msg"] == "simulators ready" }, startTimeout)
	if err != nil {
		return err
	}
	e.vippsURL, _ = ready["vipps"].(string)
	e.bcURL, _ = ready["bc"].(string)
	if e.vippsURL == "" || e.bcURL == "" {
		return fmt.Errorf("simulators ready line lacks the vipps or bc address: %v", ready)
	}
	for _, u := range []string{e.vippsURL, e.bcURL} {
		if err := loopbackOnly(u); err != nil {
			return err
		}
	}
	cfg, err := config.Load(e.cfgFile)
	if err != nil {
		return fmt.Errorf("load the written configuration: %w", err)
	}
	e.cfg = cfg
	return nil
}

// startServe runs `bcvipps serve --sandbox-key` on the written
// configuration with the store at dbFile, and waits until /readyz is 200.
func (e *env) startServe(ctx context.Context, client *http.Client, name, dbFile string) error {
	p, err := startProc(name, e.bin, filepath.Join(e.dir, name+".log"),
		cleanEnv("BCVIPPS_STORE_DSN=file:"+filepath.ToSlash(dbFile), "BCVIPPS_SERVER_LISTEN="+e.apiListen,
			"BCVIPPS_SERVER_ADMINLISTEN=127.0.0.1:0", "BCVIPPS_SERVER_PPROF="+strconv.FormatBool(e.profDir != "")),
		"serve", "--sandbox-key", "--config", e.cfgFile)
	if err != nil {
		return err
	}
	e.serve = p
	m, err := p.waitLog(func(m map[string]any) bool { return m["msg"] == "listening" && m["listener"] == "api" }, startTimeout)
	if err != nil {
		return err
	}
	addr, _ := m["addr"].(string)
	e.apiURL = "http://" + addr
	if err := loopbackOnly(e.apiURL); err != nil {
		return err
	}
	m, err = p.waitLog(func(m map[string]any) bool { return m["msg"] == "listening" && m["listener"] == "admin" }, startTimeout)
	if err != nil {
		return err
	}
	addr, _ = m["addr"].(string)
	e.adminURL = "http://" + addr
	return waitReady(ctx, client, e.apiURL+"/readyz", startTimeout)
}

// stopServe stops the connector process with SIGTERM.
func (e *env) stopServe() error {
	if e.serve == nil {
		return nil
	}
	err := e.serve.stop(30 * time.Second)
	e.serve = nil
	return err
}

// close stops both processes with SIGTERM.
func (e *env) close() error {
	err := e.stopServe()
	if e.sims != nil {
		if serr := e.sims.stop(30 * time.Second); serr != nil && err == nil {
			err = serr
		}
	}
	return err
}

// waitReady polls url until it answers 200, at most d. Polling is how one
// waits for another process; the loop is bounded in time.
func waitReady(ctx context.Context, client *http.Client, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			drain(resp)
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s not ready within %s (last error %v)", url, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loopbackOnly refuses any URL whose host is not 127.0.0.1: the load
// generator sends traffic to loopback only.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("refusing non-loopback address %q", raw)
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// maxProfile is the longest CPU profile asked for: the admin listener
// ends a response after 90 s (its WriteTimeout), and the profile is sent
// only when it ends.
const maxProfile = 80 * time.Second

// profile starts a CPU profile of the connector lasting d (whole seconds,
// from one up to maxProfile), written to profDir/name.pprof; the returned
// function waits for it. A profile that fails is reported, not the
// phase's failure. Without -cpuprofile it does nothing.
func (e *env) profile(ctx context.Context, name string, d time.Duration) func() {
	if e.profDir == "" {
		return func() {}
	}
	secs := max(1, int(min(d, maxProfile).Round(time.Second)/time.Second))
	if d > maxProfile {
		logf("CPU profile %s: the first %d s only", name, secs)
	}
	done := make(chan error, 1)
	go func() { done <- e.fetchProfile(ctx, name, secs) }()
	return func() {
		if err := <-done; err != nil {
			logf("CPU profile %s: %v", name, err)
		}
	}
}

// fetchProfile asks the connector's admin listener for a CPU profile of
// secs seconds and writes it to profDir/name.pprof. Its client has no
// timeout of its own (the load client's would end the wait): ctx bounds
// it.
func (e *env) fetchProfile(ctx context.Context, name string, secs int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", e.adminURL, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin listener answered %s", resp.Status)
	}
	path := filepath.Join(e.profDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	logf("CPU profile of the connector: %s", path)
	return nil
}
