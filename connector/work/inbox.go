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
func (e *Engine) Receive(ctx context.Context, tenantID, kind, eventKey, status string, payload []byte) (store.Job, bool, error) {
	got, err := e.Create(ctx, e.InboxJob(tenantID, kind, eventKey, status, payload))
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
