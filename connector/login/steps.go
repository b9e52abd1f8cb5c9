package login

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps"
)

// process does the next step of a claimed request. Every step ends in a
// stored state; nothing is done that is not announced in the store first.
func (s *Flows) process(ctx context.Context, r request) {
	t, ok := s.tenants[r.TenantID]
	if !ok {
		// The tenant was removed from the configuration.
		s.fail(ctx, r, &api.Problem{Type: api.ProblemInternal, Title: "Tenant no longer configured", Status: http.StatusInternalServerError})
		return
	}
	now := s.clock.Now()
	switch r.Status {
	case statusPending:
		sec, _ := decodeJSON[secret](r.Private)
		switch {
		case sec.Token != nil:
			s.fetchProfile(ctx, t, r, sec)
		case !now.Before(r.ExpiresAt):
			s.finish(ctx, r, statusExpired, nil, &api.Problem{Type: api.TypeBase + "expired", Title: "The customer did not answer in time", Status: http.StatusGone,
				Detail: "The request expired before the customer answered in the Vipps MobilePay app; nothing was shared or written. Send a new request if the customer still wants to share."})
		case r.AuthReqID == "":
			_, _ = s.startLogin(ctx, t, r, r.LeaseOwner)
		default:
			s.poll(ctx, t, r)
		}
	case statusApplying:
		if !now.Before(r.Deadline) {
			if s.planLanded(ctx, t, r) || s.enrolmentLanded(ctx, t, r) {
				return
			}
			m, _ := decodeJSON[meta](r.Meta)
			where := "Business Central"
			if r.Kind == kindMember || r.Kind == kindEnrollment {
				where = "NP Retail"
			}
			s.fail(ctx, r, &api.Problem{Type: api.ProblemDeadlinePassed, Title: "Could not write to " + where + " in time", Status: http.StatusGatewayTimeout,
				Detail: "Gave up after the configured apply deadline (worker.applyDeadline). Last error: " + m.LastError})
			return
		}
		switch r.Kind {
		case kindCustomer:
			s.applyCustomer(ctx, t, r)
		case kindMember:
			s.applyMember(ctx, t, r)
		case kindEnrollment:
			s.applyEnrollment(ctx, t, r)
		default:
			s.fail(ctx, r, &api.Problem{Type: api.ProblemInternal, Title: "Unknown request kind", Status: http.StatusInternalServerError})
		}
	default:
		_ = s.store.Release(ctx, r.TenantID, r.ID, r.LeaseOwner)
	}
}

// startLogin sends the backchannel authentication request of a stored
// request (the scheduler's retry of a start that failed) and records the
// outcome. owner is the lease holder.
func (s *Flows) startLogin(ctx context.Context, t *tenant, r request, owner string) (request, error) {
	r.LeaseOwner = owner
	next, err := s.callStart(ctx, t, r)
	if err == nil && next.AuthReqID != "" {
		s.indexForPing(ctx, next)
		// Vipps has sent the push: record it at once, retrying a failed
		// write (a busy database) rather than leaving the row to the
		// scheduler, which would start a second login.
		return s.saveStarted(ctx, r, next)
	}
	saved, serr := s.save(ctx, r, next)
	if serr != nil {
		return saved, serr
	}
	return saved, err
}

// callStart sends the backchannel authentication request for r and
// returns r as it is to be stored next, without storing it: started (an
// auth_req_id, due at the first poll), finished (refused, or too late to
// retry), or due again later, when err is the failure to retry.
// maxStartWait is the longest a login start waits when Vipps asks it to
// (an earlier login of the phone still open there): a push later than
// that reaches a customer who has left the till, so the request fails
// login-pending at once instead.
const maxStartWait = 10 * time.Second

func (s *Flows) callStart(ctx context.Context, t *tenant, r request) (request, error) {
	in, err := decodeJSON[input](r.Input)
	if err != nil || in.MSISDN == "" {
		return finished(r, statusFailed, nil, &api.Problem{Type: api.ProblemInternal, Title: "Stored request is unreadable", Status: http.StatusInternalServerError}), nil
	}
	m, _ := decodeJSON[meta](r.Meta)
	uc := t.useCases[r.UseCase]
	// The call is not cut off by the step's deadline (the HTTP client's
	// upstream.timeout, shorter than the step, bounds it; callContext ends
	// it while the job is still ours): a login Vipps started must be
	// recorded, or the customer gets a second push later.
	cctx, cancel := s.callContext(ctx, r)
	defer cancel()
	start, err := t.vipps[r.MSN].Login.Start(cctx, vipps.LoginRequest{
		PhoneNumber: in.MSISDN, Scopes: uc.scopes, BindingMessage: m.BindingMessage, RequestedExpiry: uc.expiry,
	})
	s.observe("vipps", "login.start", err)
	now := s.clock.Now()
	if err != nil {
		var rl *vipps.RateLimitError
		errors.As(err, &rl)
		switch {
		case errors.Is(err, vipps.ErrInvalidUser):
			return finished(r, statusFailed, nil, &api.Problem{Type: api.ProblemVippsUser, Title: "No usable Vipps MobilePay user", Status: http.StatusUnprocessableEntity,
				Detail: "The phone number has no active Vipps MobilePay account, or its owner may not log in (for example under 15)."}), nil
		case errors.Is(err, vipps.ErrOldApp):
			return finished(r, statusFailed, nil, &api.Problem{Type: api.ProblemVippsUser, Title: "The customer's app is too old", Status: http.StatusUnprocessableEntity,
				Detail: "Ask the customer to update the Vipps MobilePay app and try again."}), nil
		default:
			// A login in progress for the customer (another till) says when
			// to come back; an outage backs off; anything else is a refusal.
			f := classifyVipps(err)
			next, ok := f.Next(now, r.Attempts, 30*time.Second)
			if !ok {
				return finished(r, statusFailed, nil, &api.Problem{Type: api.ProblemVippsRejected, Title: "Vipps MobilePay refused the login request", Status: http.StatusBadGateway, Detail: vippsDetail(err)}), nil
			}
			r.DueAt = next
			if f.Verdict == work.BackOff {
				r.Attempts++
			}
		}
		if rl != nil && (rl.RetryAfter > maxStartWait || !r.DueAt.Before(r.ExpiresAt)) {
			// Vipps still has an earlier login of this phone open (one
			// cancelled here cannot be withdrawn there, or one started by
			// another system): say so now, rather than push the customer
			// minutes later, when they have left the till.
			return finished(r, statusFailed, nil, &api.Problem{Type: api.ProblemLoginPending, Title: "A request for this phone number is already waiting for the customer", Status: http.StatusConflict,
				Detail: fmt.Sprintf("Vipps MobilePay still has an earlier login for this phone number open (a cancelled request stays open at Vipps until it expires). Try again in %d seconds.", int(rl.RetryAfter.Seconds()+0.5))}), nil
		}
		if !r.DueAt.Before(r.ExpiresAt) {
			return finished(r, statusExpired, nil, &api.Problem{Type: api.TypeBase + "expired", Title: "The login could not be started in time", Status: http.StatusGone, Detail: vippsDetail(err)}), nil
		}
		m.LastError = vippsDetail(err)
		r.Meta = mustJSON(m)
		return r, err
	}
	r.AuthReqID = start.AuthReqID
	r.PollInterval = start.Interval
	r.Attempts = 0
	r.DueAt = now.Add(start.Interval)
	if start.ExpiresIn > 0 {
		r.ExpiresAt = now.Add(start.ExpiresIn)
	}
	return r, nil
}

// saveStarted stores a started login, retrying a write that failed for a
// reason other than a takeover a few times.
func (s *Flows) saveStarted(ctx context.Context, prev, r request) (u request, err error) {
	s.retryWrite(ctx, nil, func() bool {
		u, err = s.save(ctx, prev, r)
		return err != nil && !takenOver(err)
	})
	return u, err
}

// retryWrite runs write, which reports whether it should be tried again,
// up to five times 200 ms apart, or until ctx ends or stop is closed: once
// Vipps has started a login, a busy database must not lose it.
func (s *Flows) retryWrite(ctx context.Context, stop <-chan struct{}, write func() (again bool)) {
	for attempt := 0; write() && attempt < 4; attempt++ {
		select {
		case <-s.clock.After(200 * time.Millisecond):
		case <-ctx.Done():
			return
		case <-stop:
			return
		}
	}
}

// poll asks the token endpoint once, at the pace Vipps sets.
func (s *Flows) poll(ctx context.Context, t *tenant, r request) {
	// A token answer that arrives must never be thrown away (the token
	// endpoint answers a consent once): the poll is not cut off by the
	// step's deadline; upstream.timeout (shorter than the step) bounds it.
	cctx, cancel := s.callContext(ctx, r)
	defer cancel()
	res, err := t.vipps[r.MSN].Login.Poll(cctx, r.AuthReqID, r.PollInterval)
	s.observe("vipps", "login.poll", err)
	now := s.clock.Now()
	prev := r
	if err != nil {
		switch {
		case errors.Is(err, vipps.ErrAccessDenied):
			s.finish(ctx, r, statusRejected, nil, &api.Problem{Type: api.TypeBase + "rejected", Title: "The customer declined", Status: http.StatusForbidden,
				Detail: "The customer declined the request in the Vipps MobilePay app; nothing was shared or written."})
		case errors.Is(err, vipps.ErrExpiredToken):
			s.finish(ctx, r, statusExpired, nil, &api.Problem{Type: api.TypeBase + "expired", Title: "The customer did not answer in time", Status: http.StatusGone,
				Detail: "The request expired before the customer answered in the Vipps MobilePay app; nothing was shared or written. Send a new request if the customer still wants to share."})
		default:
			next, ok := classifyVipps(err).Next(now, r.Attempts, 30*time.Second)
			if !ok {
				s.fail(ctx, r, &api.Problem{Type: api.ProblemVippsRejected, Title: "Vipps MobilePay ended the login", Status: http.StatusBadGateway, Detail: vippsDetail(err)})
				return
			}
			// Never sooner than the interval Vipps set.
			r.DueAt = maxTime(next, now.Add(r.PollInterval))
			r.Attempts++
			_, _ = s.save(ctx, prev, r)
		}
		return
	}
	if res.Token == nil {
		r.PollInterval = res.Interval
		r.DueAt = res.NextPollAt
		r.Attempts = 0
		_, _ = s.save(ctx, prev, r)
		return
	}
	// Consent given: keep the token before using it, so a crash now does
	// not lose the consent (the token endpoint answers only once).
	sec := secret{Token: res.Token}
	r.Private = mustJSON(sec)
	// The customer answered: the phone is free for the next login.
	r.ExclusiveKey = r.keyAfterConsent()
	r.DueAt = now
	var u request
	for attempt := 0; ; attempt++ {
		u, err = s.save(ctx, prev, r, s.keepLease())
		if err == nil {
			break
		}
		if errors.Is(err, store.ErrExclusive) {
			// Another enrolment of the phone in this tenant got past its
			// consent (a race the POST's checks leave on PostgreSQL): keep
			// the phone's key; applyEnrollment takes the tenant's before
			// it creates a member, waiting for the other to end.
			r.ExclusiveKey = prev.ExclusiveKey
			continue
		}
		if takenOver(err) || attempt >= 4 || !s.clock.Now().Before(res.Token.ExpiresAt) {
			// The token cannot be kept; still try to read the profile with
			// it, so the consent is not lost with it.
			s.log.Error("consent could not be stored; reading the profile directly", "tenant", r.TenantID, "request", r.ID, "err", err)
			s.fetchProfile(ctx, t, r, sec)
			return
		}
		select {
		case <-s.clock.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	s.fetchProfile(ctx, t, u, sec)
}

// fetchProfile reads userinfo with the user's token and moves to applying.
func (s *Flows) fetchProfile(ctx context.Context, t *tenant, r request, sec secret) {
	info, err := t.vipps[r.MSN].Login.UserInfo(ctx, sec.Token)
	s.observe("vipps", "userinfo", err)
	now := s.clock.Now()
	prev := r
	if err != nil {
		if next, ok := classifyVipps(err).Next(now, r.Attempts, 10*time.Second); ok && now.Before(sec.Token.ExpiresAt) {
			r.DueAt = next
			r.Attempts++
			_, _ = s.save(ctx, prev, r)
			return
		}
		s.fail(ctx, r, &api.Problem{Type: api.ProblemVippsRejected, Title: "Could not read the consented profile", Status: http.StatusBadGateway, Detail: vippsDetail(err)})
		return
	}
	r.Status = statusApplying
	if r.Kind != kindEnrollment {
		r.ExclusiveKey = "" // an enrolment's moved at its consent
	}
	r.Private = mustJSON(secret{Profile: info})
	r.Deadline = now.Add(s.cfg.Worker.ApplyDeadline)
	r.DueAt = now
	r.Attempts = 0
	u, err := s.save(ctx, prev, r, s.keepLease())
	if err != nil {
		return
	}
	switch u.Kind {
	case kindCustomer:
		s.applyCustomer(ctx, t, u)
	case kindMember:
		s.applyMember(ctx, t, u)
	case kindEnrollment:
		s.applyEnrollment(ctx, t, u)
	}
}

// finish ends a request in a final status with an optional result or
// problem; the consented profile is dropped.
func (s *Flows) finish(ctx context.Context, r request, status string, res *result, p *api.Problem) (request, error) {
	return s.save(ctx, r, finished(r, status, res, p))
}

// finished is r ended in a final status with an optional result or
// problem, the consented profile dropped (not stored yet).
func finished(r request, status string, res *result, p *api.Problem) request {
	r.Status = status
	r.Private = nil
	r.DueAt = time.Time{}
	if res != nil {
		res.Plan = nil
		r.Result = mustJSON(res)
	}
	if p != nil {
		r.Error = mustJSON(p)
	}
	return r
}

func (s *Flows) fail(ctx context.Context, r request, p *api.Problem) (request, error) {
	return s.finish(ctx, r, statusFailed, nil, p)
}

// deferApply records why a write did not happen and when to try again.
func (s *Flows) deferApply(ctx context.Context, r request, target string, err error) {
	prev := r
	m, _ := decodeJSON[meta](r.Meta)
	m.LastError = upstreamDetail(target, err)
	r.Meta = mustJSON(m)
	// BC (or NP Retail) may have said when to come back: the step ends now
	// and the job is due then, instead of a call sleeping past its lease.
	// A conflict that keeps coming back (a refusal by class) backs off.
	r.DueAt = classifyBC(err).Again(s.clock.Now(), r.Attempts, s.cfg.Worker.RetryBackoffMax)
	r.Attempts++
	s.metrics.bcWriteRetries.WithLabelValues(target).Inc()
	s.log.Warn("write deferred", "tenant", r.TenantID, "request", r.ID, "target", target, "attempt", r.Attempts, "err", err)
	_, _ = s.save(ctx, prev, r)
}

// callMargin is what a call bounded by the job's lease leaves of it: the
// time to store the answer (a save takes at most 5 s) and a margin.
const callMargin = 6 * time.Second

// callContext is the context of a Vipps call that the step's deadline must
// not cut off (a started login must be recorded; the token endpoint hands a
// consent out once) but that must end while this process still holds the
// job, with time left to store the answer: at the lease's end less
// callMargin, or after lookupTimeout for a POST starting its login inline.
func (s *Flows) callContext(ctx context.Context, r request) (context.Context, context.CancelFunc) {
	limit := lookupTimeout
	if r.LeaseOwner != "" && r.LeaseOwner == s.engine.Instance() && !r.LeaseUntil.IsZero() {
		limit = r.LeaseUntil.Sub(s.clock.Now()) - callMargin
	}
	return work.WithClockTimeout(context.WithoutCancel(ctx), s.clock, max(limit, time.Second))
}

// planLanded completes an applying customer request whose planned PATCH is
// already in BC (sent before a crash, never recorded), so that the apply
// deadline never fails a write that happened. It reports whether it did.
func (s *Flows) planLanded(ctx context.Context, t *tenant, r request) bool {
	res, _ := decodeJSON[result](r.Result)
	if r.Kind != kindCustomer || res.Plan == nil {
		return false
	}
	in, _ := decodeJSON[input](r.Input)
	cur, err := t.bc.Customers.Get(ctx, in.CustomerID)
	s.observe("bc", "customers.get", err)
	if err != nil || cur.ODataETag == res.Plan.ETag || !landed(cur, res.Plan.Patch) {
		return false
	}
	_, _ = s.finish(ctx, r, statusCompleted, &result{Customer: viewCustomer(cur), Changes: res.Plan.Changes, Warnings: res.Plan.Warnings}, nil)
	return true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
