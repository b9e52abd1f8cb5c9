package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

// Follower statuses.
const (
	followSending   = "sending"
	followFollowing = "following"
	followDone      = "done"
)

// maxProfileTries bounds the tries to read a payment's shared profile.
const maxProfileTries = 5

// followState is the follower's State.
type followState struct {
	Payment string `json:"payment"`
	// Key is the Idempotency-Key of the create at Vipps, stored before the
	// first call and reused on every retry.
	Key string `json:"key"`
}

type followKind struct{ p *Payments }

func (followKind) Final(status string) bool { return status == followDone }

func (k followKind) Step(ctx context.Context, j store.Job) {
	t := k.p.tenants[j.TenantID]
	if t == nil {
		return
	}
	if j.Status == followSending {
		k.p.send(ctx, t, j)
		return
	}
	k.p.poll(ctx, t, j)
}

func followerID(paymentID string) string { return "pfo_" + strings.TrimPrefix(paymentID, "pay_") }

// followerJob is the follower of payment j, due at due.
func (p *Payments) followerJob(j store.Job, due time.Time) store.Job {
	return store.Job{
		TenantID: j.TenantID, ID: followerID(j.ID), Kind: KindFollow, Status: followSending,
		State: mustJSON(followState{Payment: j.ID, Key: vippsKey(j.TenantID, KindPayment, j.IdempotencyKey)}), DueAt: due,
	}
}

// createFollower stores the follower of payment j, due at due (an existing
// one is returned as it is).
func (p *Payments) createFollower(ctx context.Context, j store.Job, due time.Time) (store.Job, error) {
	created, err := p.engine.Create(ctx, p.followerJob(j, due))
	if errors.Is(err, store.ErrDuplicate) {
		return created, nil
	}
	return created, err
}

// save stores a follower or operation step's outcome; a row taken over
// elsewhere is left to its new holder.
func (p *Payments) save(ctx context.Context, prev, next store.Job) (store.Job, bool) {
	saved, err := p.engine.Save(ctx, prev, next)
	if err != nil {
		return prev, false
	}
	return saved, true
}

// retryLater defers a follower or operation after an upstream failure.
func (p *Payments) retryLater(ctx context.Context, j store.Job, f work.Failure) store.Job {
	next := j
	next.DueAt = f.Again(p.clock.Now(), j.Attempts, p.cfg.Worker.RetryBackoffMax)
	next.Attempts++
	saved, _ := p.save(ctx, j, next)
	return saved
}

// send creates the ePayment at Vipps with the follower's stored key.
func (p *Payments) send(ctx context.Context, t *tenants.Tenant, f store.Job) store.Job {
	fs := decodeFollow(f.State)
	moved, forget := p.engine.Wait(fs.Payment)
	defer forget()
	pj, err := p.get(ctx, t.ID, fs.Payment)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			next := f
			next.Status = followDone
			saved, _ := p.save(ctx, f, next)
			return saved
		}
		return p.retryLater(ctx, f, work.Failure{Verdict: work.BackOff})
	}
	return p.sendPayment(ctx, t, f, pj, moved, false)
}

// sendPayment is send of the payment pj as read (the create request has
// the row it just stored).
//
// With answerFirst (the create request), the follower's move to following
// after Vipps took the create is saved in the background (sends) and the
// returned follower is that move, not yet stored.
//
// moved is closed when the payment changes after pj was read: a webhook
// may answer the payment while the create is on its way back and find the
// follower busy or still sending; the follower then looks at once instead
// of at the next poll.
func (p *Payments) sendPayment(ctx context.Context, t *tenants.Tenant, f, pj store.Job, moved <-chan struct{}, answerFirst bool) store.Job {
	fs := decodeFollow(f.State)
	s := decodeState(pj.State)
	if pj.Final {
		return p.following(ctx, f, pj)
	}
	now := p.clock.Now()
	if !now.Before(s.ExpiresAt) {
		// Vipps never confirmed the create while the customer could still
		// have answered. One of the tries may have reached Vipps all the
		// same (its answer lost): ask Vipps before calling it failed.
		_, err := t.Vipps[s.MSN].EPayment.Get(ctx, s.Reference)
		p.observe("epayment.get", err)
		var ve *vipps.Error
		switch {
		case err == nil:
			return p.following(ctx, f, pj) // Vipps has it: follow it
		case !errors.As(err, &ve) || ve.Status != http.StatusNotFound:
			return p.retryLater(ctx, f, tenants.ClassifyVipps(err))
		}
		_, _ = p.mutate(ctx, t.ID, pj.ID, func(s *state, _ *store.Job) error {
			if s.VippsState != "" {
				return errNoChange
			}
			s.Failed = true
			s.Error = &api.Problem{Type: api.ProblemVippsUnavailable, Title: "Vipps MobilePay could not be reached", Status: http.StatusServiceUnavailable,
				Detail: "The payment request could not be sent to Vipps MobilePay before it expired; nothing was charged."}
			return nil
		})
		return p.following(ctx, f, pj)
	}
	var in input
	_ = json.Unmarshal(pj.Input, &in)
	_, err := t.Vipps[s.MSN].EPayment.Create(ctx, fs.Key, createRequest(s, in))
	p.observe("epayment.create", err)
	if err != nil {
		fl := tenants.ClassifyVipps(err)
		if fl.Verdict != work.Refused {
			return p.retryLater(ctx, f, fl)
		}
		prob := refusal(err)
		_, _ = p.mutate(ctx, t.ID, pj.ID, func(s *state, _ *store.Job) error {
			if s.VippsState != "" {
				return errNoChange
			}
			s.Failed = true
			s.Error = prob
			return nil
		})
		next := f
		next.Status = followDone
		saved, _ := p.save(ctx, f, next)
		return saved
	}
	// Vipps has it: the follower's status records that (the payment itself
	// changes when the customer answers).
	next := p.followingNext(f, pj)
	select {
	case <-moved:
		next.DueAt = p.clock.Now()
	default:
	}
	if answerFirst {
		p.saveFollowing(ctx, f, next)
		return next
	}
	saved, _ := p.save(ctx, f, next)
	return p.lookAgainIfMoved(ctx, saved, moved, pj.ID, pj.Version)
}

// lookAgainIfMoved makes the follower f, just saved due later, due now if
// its payment changed after the follower last read it (at version seen). A
// webhook that changes the payment while the follower is being saved
// finds it held and leaves the wake to it, and the follower's own look at
// moved, before its save, may have come just before that change. moved
// fires on any write of the payment, the follower's own too, so the
// payment's version decides.
func (p *Payments) lookAgainIfMoved(ctx context.Context, f store.Job, moved <-chan struct{}, paymentID string, seen int64) store.Job {
	if f.Final || f.LeaseOwner != "" || !f.DueAt.After(p.clock.Now()) {
		return f
	}
	select {
	case <-moved:
	default:
		return f
	}
	if pj, err := p.get(ctx, f.TenantID, paymentID); err == nil && pj.Version <= seen {
		return f
	}
	next := f
	next.DueAt = p.clock.Now()
	saved, ok := p.save(ctx, f, next)
	if !ok {
		return f
	}
	return saved
}

// following moves the follower to polling, due at the next poll.
func (p *Payments) following(ctx context.Context, f store.Job, pj store.Job) store.Job {
	saved, _ := p.save(ctx, f, p.followingNext(f, pj))
	return saved
}

// followingNext is the follower f moved to polling, due at the next poll.
func (p *Payments) followingNext(f store.Job, pj store.Job) store.Job {
	next := f
	next.Status = followFollowing
	next.Attempts = 0
	next.DueAt = p.nextPoll(decodeState(pj.State))
	if answered(pj) {
		// The customer answered before the create was recorded (a
		// webhook's event, applied while the follower was still sending,
		// moved the payment on): look now.
		next.DueAt = p.clock.Now()
	}
	return next
}

// answered tells whether payment pj has moved on from waiting for the
// customer, as far as the connector knows.
func answered(pj store.Job) bool {
	s := decodeState(pj.State)
	return (s.VippsState != "" && s.VippsState != vipps.StateCreated) || pj.Status != StatusCreated
}

// nextPoll is when a payment waiting for the customer is looked at again:
// at the poll pace, and once more just after it expires.
func (p *Payments) nextPoll(s state) time.Time {
	pace := pollFast
	if p.cfg.Server.PublicBaseURL != "" {
		pace = pollWebhooks
	}
	now := p.clock.Now()
	at := now.Add(pace)
	if last := s.ExpiresAt.Add(expiresSoon); at.After(last) {
		at = last
		if floor := now.Add(time.Second); at.Before(floor) {
			at = floor
		}
	}
	return at
}

// poll reads the payment at Vipps (the safety net under the webhooks) and
// merges what it finds; once the customer has answered it completes the
// payment (events, shared profile, capture on authorize) and ends.
func (p *Payments) poll(ctx context.Context, t *tenants.Tenant, f store.Job) {
	fs := decodeFollow(f.State)
	// A webhook that answers the payment while this poll is under way
	// finds the follower busy: the poll then looks again at once.
	moved, forget := p.engine.Wait(fs.Payment)
	defer forget()
	pj, err := p.get(ctx, t.ID, fs.Payment)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			next := f
			next.Status = followDone
			p.save(ctx, f, next)
			return
		}
		p.retryLater(ctx, f, work.Failure{Verdict: work.BackOff})
		return
	}
	s := decodeState(pj.State)
	if pj.Final && s.Failed {
		next := f
		next.Status = followDone
		p.save(ctx, f, next)
		return
	}
	client := t.Vipps[s.MSN]
	vp, err := client.EPayment.Get(ctx, s.Reference)
	p.observe("epayment.get", err)
	if err != nil {
		p.retryLater(ctx, f, tenants.ClassifyVipps(err))
		return
	}
	var evs []vipps.PaymentEvent
	var profile map[string]any
	profileLater := false
	answered := vp.State != vipps.StateCreated
	if answered {
		evs, err = client.EPayment.Events(ctx, s.Reference)
		p.observe("epayment.events", err)
		if err != nil {
			p.retryLater(ctx, f, tenants.ClassifyVipps(err))
			return
		}
		// The shared profile is best effort: the payment's state is merged
		// whatever happens to it, and a few tries are all it gets.
		if s.ShareProfile && !s.ProfileRead && vp.State == vipps.StateAuthorized && len(pj.Result) == 0 && f.Attempts < maxProfileTries {
			if vp.Profile == nil || vp.Profile.Sub == "" {
				// Vipps writes the sub a moment after authorizing.
				profileLater = true
			} else if info, err := client.UserInfo.BySub(ctx, vp.Profile.Sub); err != nil {
				p.observe("userinfo.get", err)
				profileLater = tenants.ClassifyVipps(err).Verdict != work.Refused
			} else {
				p.observe("userinfo.get", nil)
				profile = profileFields(info)
			}
		}
	}
	movedMeanwhile := false
	select {
	case <-moved: // before this poll's own write, which signals too
		movedMeanwhile = true
	default:
	}
	pj, err = p.mutate(ctx, t.ID, pj.ID, func(s *state, j *store.Job) error {
		changed := s.mergeState(vp.State)
		changed = s.mergeAggregate(vp.Aggregate) || changed
		changed = s.addEvents(evs) || changed
		if profile != nil && !s.ProfileRead {
			j.Result = mustJSON(result{Profile: profile})
			s.ProfileRead = true
			changed = true
		}
		if answered && len(j.Input) > 0 && !profileLater {
			// The customer has answered: who they are (phone, QR, token)
			// is not needed any more.
			j.Input = nil
			changed = true
		}
		if !changed {
			return errNoChange
		}
		return nil
	})
	if err != nil {
		p.retryLater(ctx, f, work.Failure{Verdict: work.BackOff})
		return
	}
	if !answered {
		next := f
		next.Attempts = 0
		next.DueAt = p.nextPoll(decodeState(pj.State))
		if movedMeanwhile {
			next.DueAt = p.clock.Now()
		}
		saved, _ := p.save(ctx, f, next)
		p.lookAgainIfMoved(ctx, saved, moved, pj.ID, pj.Version)
		return
	}
	if profileLater {
		p.retryLater(ctx, f, work.Failure{Verdict: work.RetryAfter, After: time.Second})
		return
	}
	if err := p.autoCapture(ctx, t, pj); err != nil {
		p.retryLater(ctx, f, work.Failure{Verdict: work.BackOff})
		return
	}
	next := f
	next.Status = followDone
	p.save(ctx, f, next)
}

// wakeFollower makes the payment's follower look now (a webhook told that
// the customer answered): it completes the payment with the events, the
// profile and the capture on authorize.
func (p *Payments) wakeFollower(ctx context.Context, tenantID, paymentID string) {
	reread := false
	for range 5 {
		f, err := p.store.Get(ctx, tenantID, followerID(paymentID))
		if err != nil || f.Final || f.LeaseOwner != "" && f.LeaseUntil.After(p.clock.Now()) {
			return
		}
		if f.Status == followSending {
			// Still being sent, or the create's save of its move to
			// following is on its way here (sends): it takes the wake,
			// unless it landed since the read above.
			if p.sends.wake(paymentID) {
				return
			}
			if reread {
				if h := sendHooks.Load(); h != nil && h.leftElsewhere != nil {
					h.leftElsewhere()
				}
				return
			}
			reread = true
			continue
		}
		next := f
		next.DueAt = p.clock.Now()
		if _, err := p.engine.Save(ctx, f, next); !errors.Is(err, store.ErrConflict) {
			return
		}
	}
}

// profileFields are the shared profile fields of a payment (personal
// data: kept in the Result and purged).
func profileFields(u *vipps.UserInfo) map[string]any {
	out := map[string]any{}
	if u.PhoneNumber != "" {
		// E.164, as every phone number the API answers (Vipps gives
		// 4791234567).
		out["phoneNumber"] = u.PhoneNumber
		if ph, err := mapping.ParsePhone("+"+strings.TrimPrefix(u.PhoneNumber, "+"), ""); err == nil {
			out["phoneNumber"] = ph.E164
		}
	}
	if u.Name != "" {
		out["name"] = u.Name
	}
	if u.GivenName != "" {
		out["givenName"] = u.GivenName
	}
	if u.FamilyName != "" {
		out["familyName"] = u.FamilyName
	}
	if u.Email != "" {
		out["email"] = u.Email
	}
	if u.BirthDate != "" {
		out["birthDate"] = u.BirthDate
	}
	if u.Address != nil && !u.Address.IsEmpty() {
		out["address"] = u.Address
	}
	return out
}

// refusal is the problem of a payment Vipps refused, in words the cashier
// can act on.
func refusal(err error) *api.Problem {
	prob := &api.Problem{Type: api.ProblemVippsRejected, Title: "Vipps MobilePay refused the payment", Status: http.StatusUnprocessableEntity,
		Detail: tenants.VippsDetail(err)}
	var ve *vipps.Error
	if errors.As(err, &ve) {
		switch {
		case ve.HasCode("7010"):
			prob.Title = "The customer cannot pay with Vipps MobilePay"
			prob.Detail = "Vipps MobilePay has no account for this phone number, or the customer cannot pay (error 7010). Ask for another number or another way to pay."
		case ve.HasCode("5080"):
			prob.Title = "Push payments are not enabled for this sales unit"
			prob.Detail = "Vipps MobilePay does not allow PUSH_MESSAGE payments for this sales unit yet (error 5080); ask Vipps MobilePay to enable it."
		case ve.HasCode("4060"):
			prob.Title = "The personal QR code was not accepted"
			prob.Detail = "Vipps MobilePay did not accept the scanned QR code (error 4060); scan the customer's personal QR again."
		case ve.HasDetail("amount.currency"):
			prob.Title = "The sales unit does not take this currency"
			prob.Detail = "Vipps MobilePay refused the payment's currency: a sales unit takes payments in its own currency only (NOK, DKK or EUR). " + prob.Detail
		case ve.HasDetail("customer.customerToken"):
			prob.Title = "The check-in token was not accepted"
			prob.Detail = "Vipps MobilePay did not accept the customer token (it is unknown or expired); ask the customer to check in again, or use the phone number. " + prob.Detail
		}
	}
	return prob
}

func decodeFollow(b []byte) followState {
	var s followState
	_ = json.Unmarshal(b, &s)
	return s
}

// observe counts one upstream call by outcome.
func (p *Payments) observe(op string, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		var ve *vipps.Error
		if errors.As(err, &ve) {
			outcome = fmt.Sprint(ve.Status)
		}
	}
	if p.metrics.upstream != nil {
		p.metrics.upstream.WithLabelValues("vipps", op, outcome).Inc()
	}
}
