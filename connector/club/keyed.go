package club

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
)

// KindAnswer is the record of an answer given under an Idempotency-Key by
// the club's synchronous POSTs (phone lookups, check-ins): a retry gets
// the first answer and sends nothing again (a check-in notifies the
// customer's app once); the key with another request is 409.
//
// The record is stored before the work (answering), and holds the answer
// once it is given (answered, final; marked delivered, so the purge of
// personal data takes it as it takes a delivered login). An answer that
// says to try again (5xx) is not kept: the record waits (retry) for a retry
// under the key, which takes it over. A record left answering past its
// hold (the process died, or its request outlived the hold) waits for a
// retry the same way; one left waiting for a retry ends expired. Work with
// a call that must not be made twice marks the record first
// (attempt.Mark): a check-in does, so a retry after a process that died
// while sending it does not notify the customer's app again.
const KindAnswer = "club-answer"

const (
	answerAnswering = "answering"
	answerRetry     = "retry"
	answerAnswered  = "answered"
	answerExpired   = "expired"
)

// Until these have passed, a record answering is taken to be in hand
// (twice the upstream bound), and a record waiting for a retry is kept.
const (
	answeringHold = 2 * callTimeout
	retryHold     = 24 * time.Hour
)

// answerRecheck is how often a retry waiting for the first answer under
// its key reads the record again.
const answerRecheck = time.Second

type storedAnswer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
	// Problem marks a problem+json answer (given again with this
	// request's id).
	Problem bool `json:"problem,omitempty"`
}

type answerKind struct{ k *Club }

func (answerKind) Final(status string) bool {
	return status == answerAnswered || status == answerExpired
}

// Step moves a record whose time has passed: one left answering waits for
// a retry under its key; one that waited for a retry in vain expires.
func (a answerKind) Step(ctx context.Context, j store.Job) {
	next := j
	next.Status = answerExpired
	if j.Status == answerAnswering {
		next.Status, next.DueAt = answerRetry, a.k.clock.Now().Add(retryHold)
	}
	_, _ = a.k.engine.Save(ctx, j, next)
}

// attempt is what the work of a keyed request sees of its record: the
// state an earlier attempt under the key marked (a process that died
// after a call it must not repeat), and Mark to store its own.
type attempt struct {
	k   *Club
	rec *store.Job // nil without a key
}

// Prior is the state an earlier attempt under the key marked, nil if none.
func (a *attempt) Prior() json.RawMessage {
	if a.rec == nil {
		return nil
	}
	return a.rec.State
}

// Mark stores state in the record before the work makes a call that must
// not be made twice; without a key it does nothing. On an error nothing is
// stored, and the call must not be made.
func (a *attempt) Mark(ctx context.Context, state any) error {
	if a.rec == nil {
		return nil
	}
	next := *a.rec
	next.State = mustJSON(state)
	saved, err := a.k.engine.Save(ctx, *a.rec, next)
	if err != nil {
		return err
	}
	*a.rec = saved
	return nil
}

// keyed answers a validated request under the caller's Idempotency-Key
// key (none: just answer). hash fingerprints the request; do does the
// work and returns the status and body of the answer. Under a key, do
// runs to its end even when the caller leaves (it is bounded by its own
// timeouts): its answer is the one every retry gets, so it must not be
// the caller's cancellation.
func (k *Club) keyed(c *gin.Context, tenantID, key, hash string, do func(ctx context.Context, a *attempt) (int, any)) {
	if key == "" {
		code, body := do(c.Request.Context(), &attempt{k: k})
		writeAnswer(c, code, body)
		return
	}
	ctx := c.Request.Context()
	now := k.clock.Now()
	rec, err := k.engine.Create(ctx, store.Job{TenantID: tenantID, ID: newAnswerID(), Kind: KindAnswer, Status: answerAnswering,
		IdempotencyKey: key, RequestHash: hash, DueAt: now.Add(answeringHold)})
	if errors.Is(err, store.ErrDuplicate) {
		var ok bool
		if rec, ok = k.takeOver(c, rec, key, hash); !ok {
			return
		}
	} else if err != nil {
		api.WriteStoreUnavailable(c, k.log, err)
		return
	}
	code, body := do(context.WithoutCancel(ctx), &attempt{k: k, rec: &rec})
	next := rec
	if code >= 500 {
		// "Try again": a retry under the key does the work again.
		next.Status, next.DueAt = answerRetry, k.clock.Now().Add(retryHold)
	} else {
		_, isProblem := body.(*api.Problem)
		next.Status, next.Result = answerAnswered, mustJSON(storedAnswer{Status: code, Body: mustJSON(body), Problem: isProblem})
	}
	saved, err := k.engine.Save(context.WithoutCancel(ctx), rec, next)
	switch {
	case err != nil:
		k.log.Warn("club answer not stored; a retry under its key does the work again", "tenant", tenantID, "err", err)
	case saved.Final:
		if err := k.engine.Store().MarkDelivered(context.WithoutCancel(ctx), tenantID, saved.ID, k.clock.Now()); err != nil {
			k.log.Warn("club answer not marked delivered; it is purged with the undelivered", "tenant", tenantID, "err", err)
		}
	}
	writeAnswer(c, code, body)
}

// takeOver handles a key used before: it answers (the stored answer, or a
// problem) and returns false, or returns the record it took over for this
// request to answer, and true.
func (k *Club) takeOver(c *gin.Context, rec store.Job, key, hash string) (store.Job, bool) {
	if rec.Kind != KindAnswer || rec.IdempotencyKey != key || (rec.RequestHash != "" && rec.RequestHash != hash) {
		api.WriteProblem(c, api.IdempotencyReused())
		return rec, false
	}
	deadline := k.clock.Now().Add(answeringHold)
	for {
		now := k.clock.Now()
		switch {
		case rec.Status == answerAnswered && len(rec.Result) > 0:
			replay(c, rec)
			return rec, false
		case rec.Status == answerRetry || (rec.Status == answerAnswering && !rec.DueAt.After(now)):
			next := rec
			next.Status, next.DueAt = answerAnswering, now.Add(answeringHold)
			// Not as the holder of a claim of this process's engine: a
			// claimed record is the engine's until its step saves it.
			next.LeaseOwner, next.LeaseUntil = "", time.Time{}
			saved, err := k.engine.Save(c.Request.Context(), rec, next)
			if err == nil {
				return saved, true
			}
			if !work.TakenOver(err) {
				api.WriteStoreUnavailable(c, k.log, err)
				return rec, false
			}
			// Another retry took it over meanwhile: wait for its answer.
		case rec.Status == answerAnswering:
			// Another request with the key is being answered: wait for
			// its answer and give it (below).
		default:
			// Expired, or answered and purged: the first answer is gone.
			api.WriteProblem(c, &api.Problem{Type: api.ProblemConflict, Title: "Idempotency-Key expired", Status: http.StatusConflict,
				Detail: "The answer under this Idempotency-Key is no longer kept; send the request with a new key.",
				Errors: []api.FieldProblem{{Field: "Idempotency-Key", Reason: "is expired"}}})
			return rec, false
		}
		if !k.waitForAnswer(c, rec, deadline) {
			c.Header("Retry-After", "2")
			api.WriteProblem(c, &api.Problem{Type: api.ProblemInternal, Title: "Request in progress", Status: http.StatusServiceUnavailable,
				Detail: "A request with this Idempotency-Key is still being answered; send it again in a moment to get its answer."})
			return rec, false
		}
		cur, err := k.engine.Store().Get(c.Request.Context(), rec.TenantID, rec.ID)
		if err != nil {
			api.WriteStoreUnavailable(c, k.log, err)
			return rec, false
		}
		rec = cur
	}
}

// waitForAnswer waits for the next change of record rec, until deadline
// or the caller leaves; it reports whether there was one in time. The
// change notices are hints (across replicas they come through the
// store's feed, which may lose some): the record is also read again every
// answerRecheck and at the deadline.
func (k *Club) waitForAnswer(c *gin.Context, rec store.Job, deadline time.Time) bool {
	changed, forget := k.engine.Wait(rec.ID)
	defer forget()
	moved := func() bool {
		cur, err := k.engine.Store().Get(c.Request.Context(), rec.TenantID, rec.ID)
		return err == nil && cur.Version != rec.Version
	}
	// The change may have landed before the wait began.
	if moved() {
		return true
	}
	t := k.clock.NewTimer(deadline.Sub(k.clock.Now()))
	defer t.Stop()
	tick := k.clock.NewTicker(answerRecheck)
	defer tick.Stop()
	for {
		select {
		case <-changed:
			return true
		case <-tick.Chan():
			if moved() {
				return true
			}
		case <-t.Chan():
			return moved()
		case <-c.Request.Context().Done():
			return false
		}
	}
}

// replay gives the answer stored in rec again.
func replay(c *gin.Context, rec store.Job) {
	var a storedAnswer
	_ = json.Unmarshal(rec.Result, &a)
	if a.Problem {
		var p api.Problem
		_ = json.Unmarshal(a.Body, &p)
		p.RequestID, p.Instance = "", ""
		api.WriteProblem(c, &p)
		return
	}
	c.Data(a.Status, "application/json; charset=utf-8", a.Body)
}

func writeAnswer(c *gin.Context, code int, body any) {
	if p, ok := body.(*api.Problem); ok {
		api.WriteProblem(c, p)
		return
	}
	c.JSON(code, body)
}

func newAnswerID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "cla_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var _ work.Handler = answerKind{}
