package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bcvipps/bcvipps/config"
)

// simulatorConfig starts the Vipps and BC simulators in this process and
// writes the sandbox's one-tenant configuration pointing at them.
func simulatorConfig(t *testing.T) string {
	t.Helper()
	yaml, _ := doctorSims(t, "")
	path := filepath.Join(t.TempDir(), "reconcile.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runRoot runs the root command in-process with args.
func runRoot(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	mu := &sync.Mutex{}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(&lockedWriter{mu: mu, w: &out})
	root.SetErr(&lockedWriter{mu: mu, w: &errOut})
	err = root.Execute()
	mu.Lock()
	defer mu.Unlock()
	return out.String(), errOut.String(), err
}

func TestReconcileCommand(t *testing.T) {
	cfgFile := simulatorConfig(t)

	t.Run("a payment sweep against the simulators completes and prints its summary", func(t *testing.T) {
		out, errOut, err := runRoot(t, "reconcile", "--sandbox-key", "--config", cfgFile, "--job", "payment-sweep")
		if err != nil {
			t.Fatalf("reconcile: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
		for _, w := range []string{"run run_", "completed", "job:", "payment-sweep", "tenant:", sandboxTenant,
			"looked:", "matched:", "corrected:", "findings:", "finished:"} {
			if !strings.Contains(out, w) {
				t.Errorf("stdout lacks %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "error:") {
			t.Errorf("a completed run shows an error:\n%s", out)
		}
		if !strings.Contains(errOut, "started: payment-sweep for tenant "+sandboxTenant) {
			t.Errorf("stderr lacks the start line:\n%s", errOut)
		}
	})

	t.Run("a second run on the same store completes too", func(t *testing.T) {
		out, errOut, err := runRoot(t, "reconcile", "--sandbox-key", "--config", cfgFile, "--job", "payment-sweep", "--tenant", sandboxTenant)
		if err != nil || !strings.Contains(out, "completed") {
			t.Fatalf("reconcile: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
		}
	})

	errCases := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown job is refused", []string{"--job", "sweep"}, `--job "sweep" is not a reconciliation job: use payment-sweep or settlement`},
		{"a missing job is refused", nil, "--job is required"},
		{"a bad date is refused", []string{"--job", "settlement", "--date", "30.11.2026"}, "--date"},
		{"an unknown tenant is refused", []string{"--job", "payment-sweep", "--tenant", "nope"}, `--tenant "nope" is not configured`},
		{"the public sandbox key is refused without --sandbox-key", []string{"--job", "payment-sweep"}, "public sandbox key"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := runRoot(t, append([]string{"reconcile", "--config", cfgFile}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q\nstdout:\n%s\nstderr:\n%s", err, tc.want, out, errOut)
			}
		})
	}
}

func TestReconcileTenant(t *testing.T) {
	two := &config.Config{Tenants: []config.Tenant{{ID: "a"}, {ID: "b"}}}
	if _, err := reconcileTenant(two, ""); err == nil || !strings.Contains(err.Error(), "--tenant") {
		t.Errorf("two tenants without --tenant: err = %v", err)
	}
	if id, err := reconcileTenant(two, "b"); err != nil || id != "b" {
		t.Errorf("--tenant b: %q, %v", id, err)
	}
	if id, err := reconcileTenant(&config.Config{Tenants: []config.Tenant{{ID: "only"}}}, ""); err != nil || id != "only" {
		t.Errorf("one tenant: %q, %v", id, err)
	}
}
