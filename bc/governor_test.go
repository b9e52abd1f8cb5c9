package bc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestGovernor(t *testing.T) {
	t.Run("a request beyond the window waits until the oldest start leaves it", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{RequestsPerWindow: 3, Window: time.Minute, MaxInFlight: 10}, clock)
		ctx := t.Context()
		for range 3 {
			rel, err := g.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rel()
			clock.Advance(10 * time.Second)
		}
		// Starts at 0s, 10s, 20s; now 30s. The 4th may start at 60s.
		done := make(chan struct{})
		go func() {
			rel, err := g.Acquire(ctx)
			if err == nil {
				rel()
			}
			close(done)
		}()
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(29 * time.Second)
		select {
		case <-done:
			t.Fatal("4th request started 1s before the window allowed it")
		default:
		}
		clock.Advance(time.Second)
		<-done
	})

	t.Run("no more than MaxInFlight requests hold a slot", func(t *testing.T) {
		g := NewGovernor(Limits{MaxInFlight: 2}, clockwork.NewFakeClock())
		ctx := t.Context()
		r1, _ := g.Acquire(ctx)
		r2, _ := g.Acquire(ctx)
		full, cancel := context.WithCancel(ctx)
		cancel() // the slot channel is full, so only ctx.Done is ready
		if _, err := g.Acquire(full); err == nil {
			t.Fatal("third request got a slot while two were in flight")
		}
		r1()
		r1() // release is idempotent
		r3, err := g.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.InFlight(); got != 2 {
			t.Fatalf("in flight = %d, want 2", got)
		}
		r2()
		r3()
	})

	t.Run("Pause holds back every request until the given time", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{}, clock)
		g.Pause(clock.Now().Add(30 * time.Second))
		done := make(chan struct{})
		go func() {
			if rel, err := g.Acquire(t.Context()); err == nil {
				rel()
			}
			close(done)
		}()
		if err := clock.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("request started during the pause")
		default:
		}
		clock.Advance(30 * time.Second)
		<-done
	})

	t.Run("a cancelled wait gives its slot back", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{RequestsPerWindow: 1, Window: time.Minute, MaxInFlight: 1}, clock)
		rel, _ := g.Acquire(t.Context())
		rel()
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { _, err := g.Acquire(ctx); errc <- err }()
		if err := clock.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-errc; err == nil {
			t.Fatal("cancelled Acquire succeeded")
		}
		if g.InFlight() != 0 {
			t.Fatal("cancelled Acquire kept its slot")
		}
	})
}

func TestGovernorWaitLimit(t *testing.T) {
	t.Run("a pause longer than the limit is not waited out", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{}, clock)
		g.Pause(clock.Now().Add(2 * time.Minute))
		_, waited, err := g.acquire(t.Context(), 10*time.Second)
		var le *LimitError
		if !errors.As(err, &le) || le.RetryAfter != 2*time.Minute || waited != 0 {
			t.Fatalf("err = %v, waited %v; want a *LimitError of 2m without waiting", err, waited)
		}
		if g.InFlight() != 0 {
			t.Fatal("the refused request kept its slot")
		}
	})
	t.Run("a full window within the limit is waited for", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{RequestsPerWindow: 1, Window: 30 * time.Second}, clock)
		rel, _ := g.Acquire(t.Context())
		rel()
		type res struct {
			waited time.Duration
			err    error
		}
		done := make(chan res, 1)
		go func() {
			rel, waited, err := g.acquire(t.Context(), time.Minute)
			if err == nil {
				rel()
			}
			done <- res{waited, err}
		}()
		if err := clock.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(30 * time.Second)
		if r := <-done; r.err != nil || r.waited != 30*time.Second {
			t.Fatalf("err = %v, waited %v; want success after 30s", r.err, r.waited)
		}
	})
	t.Run("a zero limit never waits", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		g := NewGovernor(Limits{RequestsPerWindow: 1, Window: time.Second}, clock)
		rel, _, err := g.acquire(t.Context(), 0)
		if err != nil {
			t.Fatal(err)
		}
		rel()
		if _, _, err := g.acquire(t.Context(), 0); !IsThrottled(err) {
			t.Fatalf("err = %v, want a throttling *LimitError", err)
		}
	})
}

// BenchmarkGovernor measures the governor's own cost per request: a full
// 6,000-entry window that slides every nanosecond, so every Acquire takes
// the ring-replacement path without ever waiting.
func BenchmarkGovernor(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		g := NewGovernor(Limits{RequestsPerWindow: 6000, Window: time.Nanosecond}, nil)
		ctx := context.Background()
		for b.Loop() {
			rel, err := g.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rel()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		g := NewGovernor(Limits{RequestsPerWindow: 6000, Window: time.Nanosecond}, nil)
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rel, err := g.Acquire(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				rel()
			}
		})
	})
}
