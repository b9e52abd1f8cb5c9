package payment

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
)

// The outbox's writes to vippsPayments are grouped per tenant: the upserts
// that arrive while a round is on the wire go together in the next round,
// which reads their rows with one GET per BCRowsChunk references and writes
// them with one $batch (at most bc.MaxBatchOperations). A lone upsert costs
// a GET and a one-operation $batch, as before; under load BC sees about two
// calls per hundred payment changes instead of two per change, which keeps
// the outbox inside BC's 6,000 calls per 5 minutes. Nothing waits for a
// timer: a round starts as soon as the previous one is done.

// bcRound is the most upserts one round takes.
const bcRound = bc.MaxBatchOperations

// bcHooks lets tests see the rounds form: queued gets the queue's length
// after an upsert joins it, round a round's size before it is sent.
type bcHooks struct {
	queued func(n int)
	round  func(n int)
}

var bcTestHooks atomic.Pointer[bcHooks]

// bcWriter queues one tenant's upserts; running is true while a round is
// being sent (by the upsert that found no round running, then by a
// goroutine per further round).
type bcWriter struct {
	mu      sync.Mutex
	queue   []*bcUpsert
	running bool
}

type bcUpsert struct {
	pj   store.Job
	ref  string     // the payment's reference, BC's key of its row
	done chan error // buffered: the round never waits for its reader
}

// writeBC upserts the payment's latest state into vippsPayments (keyed by
// reference, ETag-guarded) in the tenant's next round, and returns that
// upsert's outcome. When ctx ends first the upsert may still be sent; the
// outbox's retry then finds BC's row as written.
func (p *Payments) writeBC(ctx context.Context, t *tenants.Tenant, pj store.Job) error {
	w := p.bcWriter(t.ID)
	u := &bcUpsert{pj: pj, ref: decodeState(pj.State).Reference, done: make(chan error, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, u)
	n := len(w.queue)
	lead := !w.running
	w.running = true
	w.mu.Unlock()
	if h := bcTestHooks.Load(); h != nil && h.queued != nil {
		h.queued(n)
	}
	if lead {
		p.bcRounds(context.WithoutCancel(ctx), t, w)
	}
	select {
	case err := <-u.done:
		return err
	case <-ctx.Done():
		// Not sent yet: leave the queue, so no round writes this snapshot
		// after the outbox's retry may have written a newer one.
		w.mu.Lock()
		w.queue = slices.DeleteFunc(w.queue, func(q *bcUpsert) bool { return q == u })
		w.mu.Unlock()
		return ctx.Err()
	}
}

func (p *Payments) bcWriter(tenantID string) *bcWriter {
	p.bcMu.Lock()
	defer p.bcMu.Unlock()
	w := p.bcWriters[tenantID]
	if w == nil {
		w = &bcWriter{}
		p.bcWriters[tenantID] = w
	}
	return w
}

// bcRounds sends one round, then hands the next (if anything queued
// meanwhile) to a new goroutine, so the upsert that led returns with its
// own outcome.
func (p *Payments) bcRounds(ctx context.Context, t *tenants.Tenant, w *bcWriter) {
	w.mu.Lock()
	round := takeRound(&w.queue)
	w.mu.Unlock()
	if h := bcTestHooks.Load(); h != nil && h.round != nil {
		h.round(len(round))
	}
	rctx, cancel := context.WithTimeout(ctx, callTimeout)
	p.sendRound(rctx, t, round)
	cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.queue) == 0 {
		w.running = false
		return
	}
	go p.bcRounds(ctx, t, w)
}

// takeRound removes up to bcRound upserts of distinct BC rows (BC keys
// vippsPayments by reference, which two sales units could share) from the
// head of queue; a second upsert of a row waits for the next round.
func takeRound(queue *[]*bcUpsert) []*bcUpsert {
	var round, rest []*bcUpsert
	seen := map[string]bool{}
	for _, u := range *queue {
		if len(round) == bcRound || seen[u.ref] {
			rest = append(rest, u)
			continue
		}
		seen[u.ref] = true
		round = append(round, u)
	}
	*queue = rest
	return round
}

// sendRound reads the round's rows and writes what differs in one $batch.
func (p *Payments) sendRound(ctx context.Context, t *tenants.Tenant, round []*bcUpsert) {
	es := PaymentsSet(t)
	recs := make([]map[string]any, len(round))
	refs := make([]string, len(round))
	for i, u := range round {
		recs[i] = paymentRecord(u.pj)
		refs[i] = recs[i]["reference"].(string)
	}
	rows, err := BCRows(ctx, t, refs)
	if err != nil {
		for _, u := range round {
			u.done <- err
		}
		return
	}
	var ops []bc.BatchOperation
	var pending []*bcUpsert
	for i, u := range round {
		row, ok := rows[refs[i]]
		if !ok {
			ops = append(ops, es.CreateOp(recs[i]))
			pending = append(pending, u)
			continue
		}
		if newerInBC(row, recs[i]) {
			// Another replica wrote a later state of the payment already.
			u.done <- nil
			continue
		}
		patch := map[string]any{}
		for k, v := range recs[i] {
			if !sameValue(row[k], v) {
				patch[k] = v
			}
		}
		if len(patch) == 0 {
			u.done <- nil
			continue
		}
		ops = append(ops, es.UpdateOp(refs[i], row.ETag(), patch))
		pending = append(pending, u)
	}
	if len(ops) == 0 {
		return
	}
	res, err := es.Batch(ctx, ops, bc.BatchOptions{})
	for i, u := range pending {
		switch {
		case i < len(res):
			u.done <- res[i].Err
		case err != nil:
			u.done <- err
		default:
			u.done <- fmt.Errorf("write %s: BC's $batch answer has no result for it", PaymentsEntity)
		}
	}
}

// BCRowsChunk is how many references one BCRows call asks for: 25
// references of up to 64 characters keep the URL near 3 KB.
const BCRowsChunk = 25

// BCRows reads BC's vippsPayments rows of these references, by reference
// (absent when BC has none), in one call per BCRowsChunk. The filter is an
// "or" of "eq": BC's "in" needs $schemaversion=2.1.
func BCRows(ctx context.Context, t *tenants.Tenant, refs []string) (map[string]bc.Entity, error) {
	out := make(map[string]bc.Entity, len(refs))
	es := PaymentsSet(t)
	for chunk := range slices.Chunk(refs, BCRowsChunk) {
		terms := make([]string, len(chunk))
		for i, ref := range chunk {
			terms[i] = "reference eq " + bc.Quote(ref)
		}
		for e, err := range es.List(ctx, bc.ListOptions{Filter: strings.Join(terms, " or ")}) {
			if err != nil {
				return nil, err
			}
			if ref, ok := e["reference"].(string); ok {
				out[ref] = e
			}
		}
	}
	return out, nil
}

// newerInBC reports whether BC's row holds a clearly later change of the
// payment than rec (both carry the payment's lastChangedAt): a round that
// waited on a slow BC must not put back an older state another replica
// already replaced. BC keeps DateTime to about 3 ms, rounded, so only a
// lead of more than a second counts; closer changes are written.
func newerInBC(row bc.Entity, rec map[string]any) bool {
	had, _ := row["lastChangedAt"].(string)
	ours, _ := rec["lastChangedAt"].(string)
	a, err1 := time.Parse(time.RFC3339Nano, had)
	b, err2 := time.Parse(time.RFC3339Nano, ours)
	return err1 == nil && err2 == nil && a.After(b.Add(time.Second))
}
