package login

import (
	"context"
	"encoding/json"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// Login statuses (the kind's own; the engine and store know none of them).
const (
	statusPending   = "pending"
	statusApplying  = "applying"
	statusCompleted = "completed"
	statusRejected  = "rejected"
	statusExpired   = "expired"
	statusFailed    = "failed"
	statusCancelled = "cancelled"
)

// Login kinds: one per endpoint.
const (
	kindCustomer = "customer"
	kindMember   = "member"
	// kindEnrollment is in enroll.go.
)

// loginFinal reports whether a login status is final.
func loginFinal(status string) bool {
	switch status {
	case statusCompleted, statusRejected, statusExpired, statusFailed, statusCancelled:
		return true
	}
	return false
}

// request is a login job with the login's own state decoded from
// Job.State. Job.Private holds the consent (token, then profile); Job.Input
// the caller's request; Job.Result the answer.
type request struct {
	store.Job
	UseCase string
	// MSN is the Vipps sales unit used.
	MSN string
	// AuthReqID is the CIBA auth_req_id.
	AuthReqID string
	// PollInterval is the current Vipps token polling interval.
	PollInterval time.Duration
	// ExpiresAt is when the Vipps login expires.
	ExpiresAt time.Time
	// Deadline is when an applying request gives up.
	Deadline time.Time
	// Meta is the non-personal part of the request (see meta).
	Meta json.RawMessage
}

// loginState is Job.State of a login (no personal data). Times are Unix
// microseconds.
type loginState struct {
	UseCase        string          `json:"useCase"`
	MSN            string          `json:"msn"`
	AuthReqID      string          `json:"authReqId,omitempty"`
	PollIntervalMS int64           `json:"pollIntervalMs,omitempty"`
	ExpiresAt      int64           `json:"expiresAt,omitempty"`
	Deadline       int64           `json:"deadline,omitempty"`
	Meta           json.RawMessage `json:"meta,omitempty"`
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// toRequest decodes a stored login job.
func toRequest(j store.Job) request {
	st, _ := decodeJSON[loginState](j.State)
	return request{
		Job: j, UseCase: st.UseCase, MSN: st.MSN, AuthReqID: st.AuthReqID,
		PollInterval: time.Duration(st.PollIntervalMS) * time.Millisecond,
		ExpiresAt:    fromMicros(st.ExpiresAt), Deadline: fromMicros(st.Deadline), Meta: st.Meta,
	}
}

// job encodes r for the store.
func (r request) job() store.Job {
	j := r.Job
	j.State = mustJSON(loginState{
		UseCase: r.UseCase, MSN: r.MSN, AuthReqID: r.AuthReqID, PollIntervalMS: r.PollInterval.Milliseconds(),
		ExpiresAt: toMicros(r.ExpiresAt), Deadline: toMicros(r.Deadline), Meta: r.Meta,
	})
	return j
}

// loginKind is the engine's handler of the two login kinds.
type loginKind struct{ s *Flows }

func (loginKind) Final(status string) bool { return loginFinal(status) }

func (k loginKind) Step(ctx context.Context, j store.Job) { k.s.process(ctx, toRequest(j)) }

// save writes a transition of a login through the engine.
func (s *Flows) save(ctx context.Context, prev, r request, opts ...store.UpdateOption) (request, error) {
	if prev.ExclusiveKey != "" && r.ExclusiveKey != "" && r.ExclusiveKey != prev.ExclusiveKey {
		opts = append(opts, store.MoveExclusive())
	}
	u, err := s.engine.Save(ctx, prev.job(), r.job(), opts...)
	if err != nil {
		return r, err
	}
	return toRequest(u), nil
}

// get reads a login job of the tenant.
func (s *Flows) get(ctx context.Context, tenantID, id string) (request, error) {
	j, err := s.store.Get(ctx, tenantID, id)
	if err != nil {
		return request{}, err
	}
	return toRequest(j), nil
}
