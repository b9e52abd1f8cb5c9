package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name   string
		in     []time.Duration
		p      float64
		want   time.Duration
		wantOK bool
	}{
		{"an empty set has no percentile", nil, 50, 0, false},
		{"p outside (0,100] has no percentile", ms(1, 2), 0, 0, false},
		{"one sample is every percentile", ms(7), 99, 7 * time.Millisecond, true},
		{"nearest rank: p50 of 1..100 is 50", ms(hundred...), 50, 50 * time.Millisecond, true},
		{"nearest rank: p99 of 1..100 is 99", ms(hundred...), 99, 99 * time.Millisecond, true},
		{"nearest rank: p99 of 10 samples is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond, true},
		{"p100 is the maximum", ms(3, 1, 2), 100, 3 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := append([]time.Duration(nil), tt.in...)
			got, ok := percentile(tt.in, tt.p)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("percentile(%v, %v) = %v, %v; want %v, %v", tt.in, tt.p, got, ok, tt.want, tt.wantOK)
			}
			for i := range before {
				if before[i] != tt.in[i] {
					t.Fatalf("the input was modified")
				}
			}
		})
	}
}

func TestLatenciesSkipWarmupAndCountFailures(t *testing.T) {
	t0 := time.Unix(0, 0)
	shots := []shot{
		{Scheduled: t0, Done: t0.Add(100 * time.Millisecond)}, // warm-up
		{Scheduled: t0, Done: t0.Add(2 * time.Millisecond)},
		{Scheduled: t0, Done: t0.Add(3 * time.Millisecond), Err: errOverloaded},
		{Scheduled: t0.Add(time.Second), Done: t0.Add(time.Second + 4*time.Millisecond)},
	}
	got, failed, first := latencies(shots, 1)
	if len(got) != 2 || got[0] != 2*time.Millisecond || got[1] != 4*time.Millisecond {
		t.Errorf("latencies = %v, want [2ms 4ms] measured from the scheduled time", got)
	}
	if failed != 1 || first != errOverloaded {
		t.Errorf("failed = %d (%v), want 1 (errOverloaded)", failed, first)
	}
}

func TestTableWrite(t *testing.T) {
	tb := &table{}
	tb.add(row{Figure: "a", Value: "1 ms", Target: "< 2 ms", Result: pass})
	tb.add(row{Figure: "längre", Value: "3 ms", Target: "< 2 ms", Result: miss, Note: "n=5"})
	var b strings.Builder
	if err := tb.write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header, rule and 2 rows:\n%s", len(lines), b.String())
	}
	width := len([]rune(lines[0]))
	for _, l := range lines {
		if len([]rune(l)) != width || !strings.HasPrefix(l, "|") || !strings.HasSuffix(l, "|") {
			t.Errorf("line not aligned to %d runes: %q", width, l)
		}
	}
	if !strings.Contains(lines[3], "MISS") || tb.misses() != 1 {
		t.Errorf("the miss is not reported: %q, misses()=%d", lines[3], tb.misses())
	}
}

func TestOnlyNamesAPhase(t *testing.T) {
	var sink strings.Builder
	o, err := parseFlags([]string{"-only", "payments"}, &sink)
	if err != nil || !o.runs("payments") || o.runs("latency") || o.runs("pending") {
		t.Fatalf("-only payments: %+v, %v", o, err)
	}
	if o, err := parseFlags(nil, &sink); err != nil || !o.runs("latency") || !o.runs("pending") {
		t.Fatalf("no -only: %+v, %v", o, err)
	}
	if _, err := parseFlags([]string{"-only", "payment"}, &sink); err == nil || !strings.Contains(err.Error(), "payments") {
		t.Fatalf("-only payment: %v", err)
	}
}
