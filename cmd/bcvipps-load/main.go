package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	rate        float64       // latency phase: calls per second
	warmup      time.Duration // latency phase: discarded start of each run
	duration    time.Duration // latency phase: measured part of each run
	e2eRate     float64       // approval-to-BC run: requests per second
	e2eDuration time.Duration
	tputRate    float64 // throughput run: requests per second offered
	tputDur     time.Duration
	payRate     float64       // payments phase: creates per second
	payDuration time.Duration // payments phase: measured length of each run
	pending     int           // pending-logins phase: requests
	window      time.Duration // pending-logins phase: measured window
	creators    int           // pending-logins phase: concurrent POSTs
	waiters     int           // concurrent long-polls while draining
	drain       time.Duration // longest wait for requests to finish
	maxInFlight int           // open-loop cap of outstanding calls
	timeout     time.Duration // the whole run
	keep        bool          // keep the temporary directory (logs)
	failOnMiss  bool
	only        string // run this phase alone ("": all)
	cpuProfile  string // directory for the connector's CPU profiles ("": none)
}

// phases are the names -only takes.
var phases = []string{"latency", "customers", "payments", "pending"}

// runs reports whether phase is part of the run.
func (o options) runs(phase string) bool { return o.only == "" || o.only == phase }

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bcvipps-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Float64Var(&o.rate, "rate", 500, "latency phase: requests per second (open loop)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "latency phase: discarded warm-up of each run")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "latency phase: measured length of each run")
	fs.Float64Var(&o.e2eRate, "approval-rate", 20, "approval-to-BC run: requests per second")
	fs.DurationVar(&o.e2eDuration, "approval-duration", 10*time.Second, "approval-to-BC run: length")
	fs.Float64Var(&o.tputRate, "throughput-rate", 300, "throughput run: requests per second offered")
	fs.DurationVar(&o.tputDur, "throughput-duration", 5*time.Second, "throughput run: length")
	fs.Float64Var(&o.payRate, "payment-rate", 500, "payments phase: creates per second (open loop)")
	fs.DurationVar(&o.payDuration, "payment-duration", 10*time.Second, "payments phase: measured length of each run")
	fs.IntVar(&o.pending, "pending", 10000, "pending-logins phase: requests whose users never answer")
	fs.DurationVar(&o.window, "window", 20*time.Second, "pending-logins phase: measured window")
	fs.IntVar(&o.creators, "creators", 32, "pending-logins phase: concurrent POSTs")
	fs.IntVar(&o.waiters, "waiters", 512, "concurrent long-polls while waiting for requests to finish")
	fs.DurationVar(&o.drain, "drain", 60*time.Second, "longest wait for the requests of a run to finish")
	fs.IntVar(&o.maxInFlight, "max-in-flight", 2000, "open loop: most outstanding calls (more are counted as failed)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "the whole run (the processes are stopped when it ends)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory with the processes' logs")
	fs.BoolVar(&o.failOnMiss, "fail-on-miss", false, "exit 1 when a figure misses its target")
	fs.StringVar(&o.only, "only", "", "run one phase alone: "+strings.Join(phases, ", ")+" (A/B runs of one figure)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the connector's CPU profile of each measured POST run into this directory (go tool pprof -tags FILE); profiling adds CPU")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.rate <= 0 || o.e2eRate <= 0 || o.tputRate <= 0 || o.payRate <= 0:
		return o, errors.New("rates must be positive")
	case o.duration <= 0 || o.e2eDuration <= 0 || o.tputDur <= 0 || o.payDuration <= 0 || o.window <= 0 || o.warmup < 0:
		return o, errors.New("durations must be positive")
	case o.pending < 1 || o.creators < 1 || o.waiters < 1 || o.maxInFlight < 1:
		return o, errors.New("counts must be at least 1")
	case o.only != "" && !slices.Contains(phases, o.only):
		return o, fmt.Errorf("-only must be one of %s", strings.Join(phases, ", "))
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcvipps-load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	tb, err := run(ctx, o)
	if tb != nil && len(tb.rows) > 0 {
		fmt.Println()
		fmt.Println(machine())
		fmt.Println()
		_ = tb.write(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bcvipps-load:", err)
		os.Exit(1)
	}
	if o.failOnMiss && tb.misses() > 0 {
		fmt.Fprintf(os.Stderr, "bcvipps-load: %d figure(s) missed their target\n", tb.misses())
		os.Exit(1)
	}
}

// logf prints a progress line on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bcvipps-load: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// machine describes where the figures were measured.
func machine() string {
	cpu := "unknown CPU"
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s · %s %s/%s · %d CPUs (GOMAXPROCS %d) · %s", time.Now().Format("2006-01-02 15:04 MST"),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), cpu)
}
