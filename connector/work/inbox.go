package work

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/bcvipps/bcvipps/connector/store"
)

// Receive stores an inbound event (a webhook delivery) once: a job of kind
// with the event's unique key as idempotency key, due now, holding payload
// as its input. It returns the stored job and whether it is new; a
// duplicate delivery returns the first one and false. Store the event with
// Receive before acknowledging it; the kind's handler applies it after.
//
// While the engine runs and has a free worker, the event is stored leased
// to this process and its step starts at once, without a claim (one write
// fewer per event); should the process die first, the lease ends and any
// replica claims it.
func (e *Engine) Receive(ctx context.Context, tenantID, kind, eventKey, status string, payload []byte) (store.Job, bool, error) {
	start, cancel, inline := e.reserve()
	if inline {
		defer cancel() // a no-op once started
	}
	got, err := e.create(ctx, e.InboxJob(tenantID, kind, eventKey, status, payload), inline)
	if inline && err == nil && got.LeaseOwner == e.cfg.Instance {
		start(got)
	}
	if errors.Is(err, store.ErrDuplicate) {
		return got, false, nil
	}
	if err != nil {
		return store.Job{}, false, err
	}
	return got, true, nil
}

// InboxJob is the job Receive stores for an event: due now, its id and
// idempotency key derived from the event's unique key. Several events are
// stored in one commit with CreateEach (a duplicate there is ErrDuplicate).
func (e *Engine) InboxJob(tenantID, kind, eventKey, status string, payload []byte) store.Job {
	sum := sha256.Sum256([]byte(kind + "\x00" + eventKey))
	return store.Job{
		TenantID: tenantID, ID: "evt_" + hex.EncodeToString(sum[:16]), Kind: kind, Status: status,
		IdempotencyKey: eventKey, Input: payload, DueAt: e.clock.Now(),
	}
}
