package reconcile

import (
	"strconv"
	"strings"
	"testing"
)

// TestHourlyAtRandomMinute: "hourly" never lands on :00–:10, differs
// between tenants and is the same every time for one.
func TestHourlyAtRandomMinute(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range []string{"a.settlement", "b.settlement", "c.settlement", "acme.settlement", "cronus-no.settlement"} {
		spec := hourlyAtRandomMinute(name)
		if spec != hourlyAtRandomMinute(name) {
			t.Fatalf("%s: not stable", name)
		}
		m, err := strconv.Atoi(strings.Fields(spec)[0])
		if err != nil || m < 11 || m > 59 || !strings.HasSuffix(spec, " * * * *") {
			t.Fatalf("%s: %q", name, spec)
		}
		seen[spec] = true
	}
	if len(seen) < 2 {
		t.Fatalf("every tenant at the same minute: %v", seen)
	}
}

// TestSettlementFilter: ledgerDate is a Date field of vippsSettlements, so
// its literal is bare; BC refuses a quoted string compared with a date.
func TestSettlementFilter(t *testing.T) {
	if got, want := settlementFilter("2026-11-30", "MSN 1'2"), "ledgerDate eq 2026-11-30 and salesUnit eq 'MSN 1''2'"; got != want {
		t.Fatalf("filter %q, want %q", got, want)
	}
}
