package payment_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// A tenant's BC writes go in rounds: while one round is on the wire the
// outbox's other writes queue, and the next round sends them together
// (one GET of their rows, one $batch). The test holds the first round
// until the other payments' writes have queued behind it.
func TestOutboxWritesBCInRounds(t *testing.T) {
	const n = 4 // the test configuration's worker concurrency
	started, release, queued := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var first, full sync.Once
	var mu sync.Mutex
	var sizes []int
	payment.WatchBCRounds(t,
		func(q int) {
			if q >= n-1 {
				full.Do(func() { close(queued) })
			}
		},
		func(size int) {
			mu.Lock()
			sizes = append(sizes, size)
			mu.Unlock()
			first.Do(func() { close(started); <-release })
		})
	e := newEnv(t)
	before := e.BC.Sim.Stats()
	for i := range n {
		e.pay(fmt.Sprintf("round-%d", i), payBody(vippstest.PersonaApprove, int64(100+i)))
	}
	for _, ch := range []chan struct{}{started, queued} {
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			close(release)
			t.Fatal("the BC writes did not queue behind the first round")
		}
	}
	close(release)
	e.paidMu.Lock()
	ids := append([]string(nil), e.paid...)
	e.paidMu.Unlock()
	for _, id := range ids {
		e.checkBC(e.payment(id))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) < 2 || sizes[0] != 1 || sizes[1] < n-1 {
		t.Fatalf("round sizes %v: want the first alone, then the %d queued behind it together", sizes, n-1)
	}
	after := e.BC.Sim.Stats()
	if ops := after.BatchOperations - before.BatchOperations; ops < n {
		t.Fatalf("%d operations in $batch requests, want at least one per payment (%d)", ops, n)
	}
}
