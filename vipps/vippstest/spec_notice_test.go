package vippstest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecValidationIfPresent: a missing spec folder turns validation off
// visibly, with one line naming the folder, not silently; an existing one
// turns it on.
func TestSpecValidationIfPresent(t *testing.T) {
	t.Run("missing folder: one line naming it, once, and no failure", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "shared", "specs", "vipps")
		var out bytes.Buffer
		n := &specNotice{w: &out}
		for range 3 {
			opt, ok := specValidationIfPresent(missing, n)
			if ok {
				t.Fatal("reported present")
			}
			s := New(opt)
			if s.spec != nil || len(s.SpecViolations()) != 0 {
				t.Fatal("validation on, or a violation recorded, for a missing folder")
			}
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], missing) || !strings.Contains(lines[0], "NOT validated") {
			t.Fatalf("notice = %q, want one line naming %s", out.String(), missing)
		}
	})
	t.Run("existing folder: validation on, nothing printed", func(t *testing.T) {
		var out bytes.Buffer
		dir := t.TempDir()
		opt, ok := specValidationIfPresent(dir, &specNotice{w: &out})
		if !ok || out.Len() != 0 {
			t.Fatalf("ok = %v, printed %q", ok, out.String())
		}
		if s := New(opt); s.spec == nil || len(s.SpecViolations()) == 0 {
			t.Fatal("an empty spec folder must still be validated (and its load failure recorded)")
		}
	})
}
