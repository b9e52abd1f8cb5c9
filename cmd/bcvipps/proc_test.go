package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a bcvipps process started by a test, with its output captured.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	logs   []map[string]any // JSON log lines from stderr
	raw    []string         // every stderr line
	notify chan struct{}    // poked on every new stderr line
	done   chan struct{}
	err    error // from Wait, set before done closes
}

// cleanEnv is the test process's environment without BCVIPPS_* variables,
// which would override the configuration under test.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BCVIPPS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startProc runs the built binary with args; it is killed at cleanup if
// still running.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, notify: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout = &lockedWriter{mu: &p.mu, w: &p.stdout}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start bcvipps %v: %v", args, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			var m map[string]any
			p.mu.Lock()
			p.raw = append(p.raw, line)
			if json.Unmarshal([]byte(line), &m) == nil {
				p.logs = append(p.logs, m)
			}
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		<-scanned
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("bcvipps %v stderr:\n%s", args, p.stderrText())
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.raw, "\n")
}

func (p *proc) stdoutText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// waitLog waits, at most d, for a JSON log line with msg and returns it.
func (p *proc) waitLog(msg string, d time.Duration) map[string]any {
	p.t.Helper()
	return p.waitMatch(msg, func(m map[string]any) bool { return m["msg"] == msg }, d)
}

// waitMatch waits, at most d, for a JSON log line that match accepts.
func (p *proc) waitMatch(msg string, match func(map[string]any) bool, d time.Duration) map[string]any {
	p.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.logs); seen++ {
			if match(p.logs[seen]) {
				m := p.logs[seen]
				p.mu.Unlock()
				return m
			}
		}
		p.mu.Unlock()
		select {
		case <-p.notify:
		case <-p.done:
			p.mu.Lock()
			n := len(p.logs)
			p.mu.Unlock()
			if seen == n {
				p.t.Fatalf("bcvipps exited (%v) before logging %q", p.err, msg)
			}
		case <-deadline.C:
			p.t.Fatalf("no %q log line within %s", msg, d)
		}
	}
}

// stop sends sig and waits, at most d, for the process to exit; it returns
// the exit code.
func (p *proc) stop(sig syscall.Signal, d time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("bcvipps did not exit within %s after %v", d, sig)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("wait: %v", p.err)
	}
	return 0
}

// waitReady polls base+"/readyz" until it answers 200. Polling with a short
// interval is how one waits for another process; the loop is bounded.
func waitReady(t *testing.T, base string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not ready within %s (last error %v)", base, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runBinary runs bcvipps to completion and returns stdout, stderr and the
// exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = cleanEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("run bcvipps %v: %v", args, err)
	}
	return out.String(), errb.String(), 0
}
