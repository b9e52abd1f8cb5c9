package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildBinary compiles ./cmd/bcvipps into dir and returns the binary's path.
func buildBinary(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "bcvipps")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/bcvipps")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/bcvipps: %w", err)
	}
	return bin, nil
}

// proc is a bcvipps process started by the load generator. Its stderr (JSON
// log lines) is copied to a log file and scanned for the lines waited on.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	poke chan struct{}
	done chan struct{}
	err  error // set before done closes
}

// cleanEnv is the environment without BCVIPPS_* variables (they would
// override the configuration under test), plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BCVIPPS_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startProc starts bin with args; stderr goes to logFile.
func startProc(name, bin, logFile string, env []string, args ...string) (*proc, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, poke: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout = io.Discard
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		defer f.Close()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = f.Write(append(line, '\n'))
			var m map[string]any
			// Only the start-up lines are kept; the rest is in the file.
			if json.Unmarshal(line, &m) == nil && (m["msg"] == "listening" || m["msg"] == "simulators ready") {
				p.mu.Lock()
				p.logs = append(p.logs, m)
				p.mu.Unlock()
				select {
				case p.poke <- struct{}{}:
				default:
				}
			}
		}
	}()
	go func() {
		<-scanned
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitLog waits, at most d, for a kept log line that match accepts.
func (p *proc) waitLog(match func(map[string]any) bool, d time.Duration) (map[string]any, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		for ; seen < len(p.logs); seen++ {
			if match(p.logs[seen]) {
				m := p.logs[seen]
				p.mu.Unlock()
				return m, nil
			}
		}
		p.mu.Unlock()
		select {
		case <-p.poke:
		case <-p.done:
			return nil, fmt.Errorf("%s exited (%v) before it was ready", p.name, p.err)
		case <-deadline.C:
			return nil, fmt.Errorf("%s not ready within %s", p.name, d)
		}
	}
}

// stop sends SIGTERM and waits, at most d, for the exit; then it kills.
func (p *proc) stop(d time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("stop %s: no exit within %s of SIGTERM; killed", p.name, d)
	}
}

// memory is a process's resident set size now and at its peak.
type memory struct{ RSS, HWM int64 } // bytes

// readMemory reads VmRSS and VmHWM from /proc/<pid>/status.
func readMemory(pid int) (memory, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	var m memory
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return memory{}, fmt.Errorf("read memory of %d: unexpected %q", pid, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
		}
		if k == "VmRSS" {
			m.RSS = n << 10
		} else {
			m.HWM = n << 10
		}
	}
	if m.RSS == 0 {
		return memory{}, fmt.Errorf("read memory of %d: no VmRSS line", pid)
	}
	return m, nil
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// readCPU returns the user plus system CPU time the process has used, from
// /proc/<pid>/stat.
func readCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("read CPU time of %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields after it start at 3.
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("read CPU time of %d: short stat line", pid)
	}
	var ticks int64
	for _, s := range f[11:13] { // utime (14), stime (15)
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("read CPU time of %d: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}
