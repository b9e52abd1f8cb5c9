package login

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// kindPingIndex rows map a login's auth_req_id to the login, so the login
// ping webhook ({"auth_req_id"}) finds it. They are final when stored and
// deleted with the finished rows.
const (
	kindPingIndex   = "login-ping-index"
	pingIndexStatus = "indexed"
)

// ErrBusy is Ping's answer while the login is being polled: try again
// shortly.
var ErrBusy = errors.New("login: being polled; ping again shortly")

type pingIndexKind struct{}

func (pingIndexKind) Final(string) bool               { return true }
func (pingIndexKind) Step(context.Context, store.Job) {}

type pingIndex struct {
	Login string `json:"login"`
}

func pingIndexID(tenantID, msn, authReqID string) string {
	sum := sha256.Sum256([]byte(tenantID + "\x00" + msn + "\x00" + authReqID))
	return "lpi_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// indexForPing records the started login's auth_req_id when webhooks are
// in use (server.publicBaseURL). Without the index the login is still
// polled at Vipps' interval.
func (s *Flows) indexForPing(ctx context.Context, r request) {
	if s.cfg.Server.PublicBaseURL == "" {
		return
	}
	_, err := s.engine.Create(context.WithoutCancel(ctx), store.Job{
		TenantID: r.TenantID, ID: pingIndexID(r.TenantID, r.MSN, r.AuthReqID), Kind: kindPingIndex,
		Status: pingIndexStatus, State: mustJSON(pingIndex{Login: r.ID}),
	})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		s.log.Warn("login ping index", "tenant", r.TenantID, "request", r.ID, "err", err)
	}
}

// startedID is the id of a login a POST started before storing it: derived
// from the auth_req_id Vipps gave it (not invertible to it), so the ping
// webhook finds the login by its id. A login the scheduler starts later
// keeps its random id and gets a ping index row.
func startedID(prefix, tenantID, msn, authReqID string) string {
	sum := sha256.Sum256([]byte("login\x00" + tenantID + "\x00" + msn + "\x00" + authReqID))
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// loginPrefixes are the id prefixes of the login kinds.
var loginPrefixes = [...]string{"cir_", "mir_", "enr_"}

// Ping is the login ping webhook (login.merchant-initiated.ping.v1): the
// customer answered the login authReqID, so it polls the token endpoint
// now instead of at its next interval. store.ErrNotFound when no login of
// the tenant has that auth_req_id.
func (s *Flows) Ping(ctx context.Context, tenantID, msn, authReqID string) error {
	r, err := s.pinged(ctx, tenantID, msn, authReqID)
	for range 5 {
		if err != nil {
			return err
		}
		if !r.waitingFor(authReqID) {
			return nil // answered already, or a login restarted since
		}
		if r.held(s.clock.Now()) {
			// Polling right now, perhaps with an answer from just before
			// the approval: the ping is tried again shortly.
			return ErrBusy
		}
		prev := r
		r.DueAt = s.clock.Now()
		if _, err := s.save(ctx, prev, r); !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrLeased) {
			return err
		}
		r, err = s.get(ctx, tenantID, r.ID)
	}
	return nil
}

// PingNow is Ping in one write, for a login that is pending and free:
// the login is made due now and taken by this process (its poll starts on
// a free worker at once, without a claim), and record — the ping's inbox
// event, applied — is stored in the same transaction. It reports false,
// having stored nothing, when the login is not stored yet, answered or
// restarted already, being polled, or the write failed: the caller keeps
// the ping in its inbox and Ping sorts it out.
func (s *Flows) PingNow(ctx context.Context, tenantID, msn, authReqID string, record store.Job) bool {
	r, err := s.pinged(ctx, tenantID, msn, authReqID)
	now := s.clock.Now()
	if err != nil || !r.waitingFor(authReqID) || r.held(now) {
		return false
	}
	next := r
	next.DueAt = now
	_, err = s.engine.Take(ctx, r.job(), next.job(), record)
	return err == nil
}

// waitingFor reports whether r is a pending login waiting for the answer
// to authReqID (not answered, nor restarted under another one).
func (r request) waitingFor(authReqID string) bool {
	return r.Status == statusPending && r.AuthReqID == authReqID
}

// held reports whether r is leased (being polled) at now.
func (r request) held(now time.Time) bool {
	return r.LeaseOwner != "" && r.LeaseUntil.After(now)
}

// pinged finds the login of authReqID: by the id a POST gave it, else
// through its ping index row.
func (s *Flows) pinged(ctx context.Context, tenantID, msn, authReqID string) (request, error) {
	ids := make([]string, len(loginPrefixes))
	for i, p := range loginPrefixes {
		ids[i] = startedID(p, tenantID, msn, authReqID)
	}
	js, err := s.store.GetEach(ctx, tenantID, ids)
	if err != nil {
		return request{}, err
	}
	if len(js) > 0 {
		return toRequest(js[0]), nil
	}
	idx, err := s.store.Get(ctx, tenantID, pingIndexID(tenantID, msn, authReqID))
	if err != nil {
		return request{}, err
	}
	var pi pingIndex
	_ = json.Unmarshal(idx.State, &pi)
	return s.get(ctx, tenantID, pi.Login)
}
