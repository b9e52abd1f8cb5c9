package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/tenants"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps"
)

// LoginPingEvent is the webhook event that a merchant-initiated login was
// answered.
const LoginPingEvent = "login.merchant-initiated.ping.v1"

// webhookEvents are the events the connector subscribes to per sales unit.
var webhookEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.authorized.v1", "epayments.payment.aborted.v1",
	"epayments.payment.expired.v1", "epayments.payment.cancelled.v1", "epayments.payment.captured.v1",
	"epayments.payment.refunded.v1", "epayments.payment.terminated.v1", LoginPingEvent,
}

const (
	// recheckRegistration is how often a registration is checked at Vipps
	// (and repaired when it went missing).
	recheckRegistration = 6 * time.Hour
	// rotationKeep is how long a replaced secret is still accepted.
	rotationKeep = time.Hour
	// reloadEvery bounds how often a failed verification re-reads the
	// secrets from the store (another replica may have registered).
	reloadEvery = 2 * time.Second
)

// Registration statuses.
const (
	hookRegistering = "registering"
	hookRegistered  = "registered"
)

// hookState is a registration's State (no secrets).
type hookState struct {
	MSN       string `json:"msn"`
	URL       string `json:"url"`
	WebhookID string `json:"webhookId,omitempty"`
}

// hookPrivate is a registration's Private: the secrets, newest first.
type hookPrivate struct {
	Secrets []secret `json:"secrets"`
}

type secret struct {
	Value string `json:"value"`
	// Until is when a replaced secret stops being accepted (zero: current).
	Until time.Time `json:"until,omitzero"`
}

// hookSecrets is the in-memory copy of a registration's secrets.
type hookSecrets struct {
	secrets []secret
	loaded  time.Time
}

type webhookKind struct{ p *Payments }

func (webhookKind) Final(string) bool { return false }

func (k webhookKind) Step(ctx context.Context, j store.Job) {
	if t := k.p.tenants[j.TenantID]; t != nil {
		k.p.register(ctx, t, j)
	}
}

func hookID(msn string) string { return "whr_" + msn }

// WebhookURL is where Vipps delivers the events of a tenant's sales unit.
func WebhookURL(base, tenantID, msn string) string {
	return strings.TrimRight(base, "/") + "/v1/webhooks/vipps/" + url.PathEscape(tenantID) + "/" + url.PathEscape(msn)
}

// Start makes sure every sales unit of every tenant has its webhook
// registered at server.publicBaseURL: each registration is a job, checked
// now and every few hours, so one replica does it and a lost registration
// is repaired. Without publicBaseURL there are no webhooks and payments
// are polled.
func (p *Payments) Start(ctx context.Context) error {
	base := p.cfg.Server.PublicBaseURL
	if base == "" {
		return nil
	}
	now := p.clock.Now()
	for _, t := range p.tenants {
		for msn := range t.Vipps {
			j := store.Job{TenantID: t.ID, ID: hookID(msn), Kind: KindWebhook, Status: hookRegistering,
				State: mustJSON(hookState{MSN: msn, URL: WebhookURL(base, t.ID, msn)}), DueAt: now}
			got, err := p.engine.Create(ctx, j)
			if errors.Is(err, store.ErrDuplicate) {
				st := decodeHook(got.State)
				if got.DueAt.IsZero() || got.DueAt.After(now) || st.URL != WebhookURL(base, t.ID, msn) {
					next := got
					next.DueAt = now
					next.State = mustJSON(hookState{MSN: msn, URL: WebhookURL(base, t.ID, msn), WebhookID: st.WebhookID})
					if _, err := p.engine.Save(ctx, got, next); err != nil && !work.TakenOver(err) {
						return err
					}
				}
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func decodeHook(b []byte) hookState {
	var s hookState
	_ = json.Unmarshal(b, &s)
	return s
}

// register checks the registration at Vipps and registers it when it is
// missing or its secret is not known here.
func (p *Payments) register(ctx context.Context, t *tenants.Tenant, j store.Job) {
	hs := decodeHook(j.State)
	var priv hookPrivate
	_ = json.Unmarshal(j.Private, &priv)
	client := t.Vipps[hs.MSN]
	if client == nil {
		return
	}
	hooks, err := client.Webhooks.List(ctx)
	p.observe("webhooks.list", err)
	if err != nil {
		p.retryLater(ctx, j, tenants.ClassifyVipps(err))
		return
	}
	var ours []vipps.Webhook
	for _, h := range hooks {
		if h.URL == hs.URL {
			ours = append(ours, h)
		}
	}
	now := p.clock.Now()
	current := slices.IndexFunc(ours, func(h vipps.Webhook) bool {
		return h.ID == hs.WebhookID && len(priv.Secrets) > 0 && subset(webhookEvents, h.Events)
	})
	if current < 0 {
		reg, err := client.Webhooks.Register(ctx, hs.URL, webhookEvents)
		p.observe("webhooks.register", err)
		if err != nil {
			p.log.Warn("webhook registration failed; payments are polled until it works", "tenant", t.ID, "msn", hs.MSN, "err", err)
			p.retryLater(ctx, j, tenants.ClassifyVipps(err))
			return
		}
		keep := []secret{{Value: reg.Secret}}
		for _, s := range priv.Secrets {
			if s.Until.IsZero() {
				s.Until = now.Add(rotationKeep)
			}
			if s.Until.After(now) {
				keep = append(keep, s)
			}
		}
		priv.Secrets = keep
		hs.WebhookID = reg.ID
		next := j
		next.Status = hookRegistered
		next.State = mustJSON(hs)
		next.Private = mustJSON(priv)
		next.Attempts = 0
		next.DueAt = now.Add(recheckRegistration)
		saved, ok := p.save(ctx, j, next)
		if !ok {
			return
		}
		p.forgetSecrets(t.ID, hs.MSN)
		p.log.Info("webhook registered", "tenant", t.ID, "msn", hs.MSN, "webhook", reg.ID)
		j = saved
	}
	// Registrations of our URL that are not the current one are leftovers
	// (a secret lost in a crash): their deliveries could not be verified.
	for _, h := range ours {
		if h.ID != hs.WebhookID {
			err := client.Webhooks.Delete(ctx, h.ID)
			p.observe("webhooks.delete", err)
		}
	}
	if current >= 0 {
		next := j
		next.Status = hookRegistered
		next.Attempts = 0
		next.DueAt = now.Add(recheckRegistration)
		p.save(ctx, j, next)
	}
}

func subset(want, have []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// secretsFor returns the accepted secrets of a sales unit's webhook,
// re-reading the store when asked (at most every reloadEvery).
func (p *Payments) secretsFor(ctx context.Context, tenantID, msn string, reload bool) []string {
	key := tenantID + "/" + msn
	now := p.clock.Now()
	p.hooksMu.Lock()
	h, ok := p.hooks[key]
	p.hooksMu.Unlock()
	if !ok || (reload && (len(h.secrets) == 0 || now.Sub(h.loaded) >= reloadEvery)) {
		p.hooksMu.Lock()
		gen := p.hooksGen
		p.hooksMu.Unlock()
		j, err := p.store.Get(ctx, tenantID, hookID(msn))
		h = hookSecrets{loaded: now}
		if err == nil {
			var priv hookPrivate
			_ = json.Unmarshal(j.Private, &priv)
			h.secrets = priv.Secrets
		}
		p.hooksMu.Lock()
		if p.hooksGen == gen {
			// Not if a registration was stored meanwhile: this read may
			// predate it.
			p.hooks[key] = h
		}
		p.hooksMu.Unlock()
	}
	var out []string
	for _, s := range h.secrets {
		if s.Until.IsZero() || s.Until.After(now) {
			out = append(out, s.Value)
		}
	}
	return out
}

func (p *Payments) forgetSecrets(tenantID, msn string) {
	p.hooksMu.Lock()
	delete(p.hooks, tenantID+"/"+msn)
	p.hooksGen++
	p.hooksMu.Unlock()
}

// envelope is a stored webhook event: the sales unit it came for and the
// body as Vipps sent it (personal data: the job's Input).
type envelope struct {
	MSN  string          `json:"msn"`
	Body json.RawMessage `json:"body"`
}

// wireEvent is what the connector reads of a delivery.
type wireEvent struct {
	vipps.PaymentEvent
	AuthReqID string `json:"auth_req_id"`
}

// receiveWebhook answers POST /v1/webhooks/vipps/{tenant}/{msn}: verified
// deliveries are stored in the inbox before the 200; anything else is 401
// and nothing is stored.
func (p *Payments) receiveWebhook(c *gin.Context) {
	tenantID, msn := c.Param("tenant"), c.Param("msn")
	t := p.tenants[tenantID]
	if t == nil || t.Vipps[msn] == nil || p.cfg.Server.PublicBaseURL == "" {
		// Answered like a bad signature: the URL does not tell which
		// tenants and sales units exist.
		p.metrics.webhooks.WithLabelValues("unknown").Inc()
		api.WriteProblem(c, &api.Problem{Type: api.ProblemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
			Detail: "The delivery's signature or date did not verify."})
		return
	}
	body, err := vipps.ReadWebhookBody(c.Request.Body, 0)
	if err != nil {
		p.metrics.webhooks.WithLabelValues("refused").Inc()
		api.WriteProblem(c, &api.Problem{Type: api.ProblemInvalidInput, Title: "Too large", Status: http.StatusRequestEntityTooLarge, Detail: "The delivery is too large."})
		return
	}
	ctx := c.Request.Context()
	if !p.verified(ctx, c.Request.Header, body, tenantID, msn) {
		p.metrics.webhooks.WithLabelValues("refused").Inc()
		api.WriteProblem(c, &api.Problem{Type: api.ProblemUnauthorized, Title: "Unauthorized", Status: http.StatusUnauthorized,
			Detail: "The delivery's signature or date did not verify."})
		return
	}
	var ev wireEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		p.metrics.webhooks.WithLabelValues("refused").Inc()
		api.WriteProblem(c, api.InvalidInput(api.FieldProblem{Field: "body", Reason: "is not a JSON event"}))
		return
	}
	key, payload := eventKey(msn, ev, body), mustJSON(envelope{MSN: msn, Body: body})
	// A login ping or a payment event is stored as applied (or ignored)
	// in the write of its effect, one write instead of the inbox's three
	// (stored, applied, finished); what cannot be goes to the inbox.
	applied := p.engine.InboxJob(tenantID, KindEvent, key, eventApplied, payload)
	var done, fresh bool
	switch {
	case ev.AuthReqID != "" && p.pinger != nil:
		done = p.pinger.PingNow(ctx, tenantID, msn, ev.AuthReqID, applied)
		fresh = done
	case ev.AuthReqID == "" && ev.Reference != "" && ev.PSPReference != "":
		done, fresh = p.applyNow(ctx, tenantID, msn, ev, applied)
	}
	if done && fresh {
		p.metrics.inboxLag.Observe(0)
	}
	if !done {
		var err error
		if _, fresh, err = p.engine.Receive(ctx, tenantID, KindEvent, key, eventReceived, payload); err != nil {
			p.storeProblem(c, err)
			return
		}
	}
	if fresh {
		p.metrics.webhooks.WithLabelValues("stored").Inc()
	} else {
		p.metrics.webhooks.WithLabelValues("duplicate").Inc()
	}
	c.Status(http.StatusOK)
}

// verified checks a delivery against every accepted secret (several
// during a rotation), re-reading the secrets once when none fits.
func (p *Payments) verified(ctx context.Context, h http.Header, body []byte, tenantID, msn string) bool {
	u := WebhookURL(p.cfg.Server.PublicBaseURL, tenantID, msn)
	now := p.clock.Now()
	for _, reload := range []bool{false, true} {
		for _, s := range p.secretsFor(ctx, tenantID, msn, reload) {
			if vipps.VerifyWebhook(h, body, vipps.WebhookOptions{Secret: s, URL: u, Now: now}) == nil {
				return true
			}
		}
	}
	return false
}

// eventKey is the unique key of a delivery: Vipps gives every payment
// event its own pspReference.
func eventKey(msn string, ev wireEvent, body []byte) string {
	switch {
	case ev.AuthReqID != "":
		return "ping:" + msn + ":" + ev.AuthReqID
	case ev.Reference != "" && ev.PSPReference != "":
		return "epayment:" + msn + ":" + ev.Reference + ":" + ev.Name + ":" + ev.PSPReference
	}
	sum := sha256.Sum256(body)
	return "body:" + msn + ":" + hex.EncodeToString(sum[:16])
}

// A ping whose login is not found is tried again after pingRetry, doubling,
// pingTries times (6.3 s in all) before it is ignored.
const (
	pingRetry = 100 * time.Millisecond
	pingTries = 6
)

// Event statuses.
const (
	eventReceived = "received"
	eventApplied  = "applied"
	eventIgnored  = "ignored"
)

type eventKind struct{ p *Payments }

func (eventKind) Final(status string) bool { return status == eventApplied || status == eventIgnored }

func (k eventKind) Step(ctx context.Context, j store.Job) { k.p.applyEvent(ctx, j) }

// applyEvent applies a stored delivery: a payment event is merged into
// its payment (in any order, duplicates ignored), a login ping makes the
// login poll now.
func (p *Payments) applyEvent(ctx context.Context, j store.Job) {
	var env envelope
	var ev wireEvent
	if json.Unmarshal(j.Input, &env) != nil || json.Unmarshal(env.Body, &ev) != nil {
		p.finishEvent(ctx, j, eventIgnored)
		return
	}
	switch {
	case ev.AuthReqID != "":
		if p.pinger == nil {
			p.finishEvent(ctx, j, eventIgnored)
			return
		}
		if err := p.pinger.Ping(ctx, j.TenantID, env.MSN, ev.AuthReqID); err != nil {
			if errors.Is(err, store.ErrNotFound) && j.Attempts >= pingTries {
				// No login of this connector (or one long gone).
				p.finishEvent(ctx, j, eventIgnored)
				return
			}
			// The login may not be stored yet (a customer who answers at
			// once pings before the POST has stored the login Vipps just
			// started), or is being polled: look again soon, then less
			// often.
			p.retryLater(ctx, j, work.Failure{Verdict: work.RetryAfter, After: pingRetry << min(j.Attempts, 5)})
			return
		}
		p.finishEvent(ctx, j, eventApplied)
	case ev.Reference != "" && ev.PSPReference == "":
		// Vipps gives every payment event a pspReference: without one an
		// event cannot be told from its own second delivery (or from a
		// second run of this step after a crash), so it is never applied.
		// The follower asks Vipps instead.
		p.log.Warn("payment event without a pspReference ignored", "tenant", j.TenantID, "msn", env.MSN, "event", ev.Name)
		p.wakeFollower(ctx, j.TenantID, paymentID(j.TenantID, env.MSN, ev.Reference))
		p.finishEvent(ctx, j, eventIgnored)
	case ev.Reference != "":
		id := paymentID(j.TenantID, env.MSN, ev.Reference)
		pj, err := p.mutate(ctx, j.TenantID, id, func(s *state, _ *store.Job) error {
			changed := s.addEvents([]vipps.PaymentEvent{ev.PaymentEvent})
			if !changed {
				return errNoChange
			}
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			// Not a payment of this connector (another system of the
			// merchant uses the same sales unit).
			p.finishEvent(ctx, j, eventIgnored)
			return
		}
		if err != nil {
			p.retryLater(ctx, j, work.Failure{Verdict: work.BackOff})
			return
		}
		if pj.Status != StatusCreated {
			p.wakeFollower(ctx, j.TenantID, id)
		}
		p.finishEvent(ctx, j, eventApplied)
	default:
		p.finishEvent(ctx, j, eventIgnored)
	}
}

// applyNow applies a payment event in the webhook's own write: the
// payment's change and the event's record (stored as applied) go in one
// transaction, instead of the inbox's three writes (stored, applied,
// finished). An event that changes nothing (Vipps' news already polled,
// say) is stored as applied on its own, and one for a payment the store
// does not have (another system's, at the same sales unit) as ignored:
// one write each instead of two. done is false, with nothing stored, when
// a write failed (the inbox then takes the event); fresh is false for a
// duplicate delivery.
func (p *Payments) applyNow(ctx context.Context, tenantID, msn string, ev wireEvent, record store.Job) (done, fresh bool) {
	id := paymentID(tenantID, msn, ev.Reference)
	pj, stored, err := p.mutateRecording(ctx, tenantID, id, []store.Job{record}, webhookTries, func(s *state, _ *store.Job) error {
		if !s.addEvents([]vipps.PaymentEvent{ev.PaymentEvent}) {
			return errNoChange
		}
		return nil
	})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		// Its record exists: delivered before (through here or the
		// inbox), and the change it brings is stored or on its way.
		return true, false
	case errors.Is(err, store.ErrNotFound):
		// Not a payment of this connector: as the inbox would, it is
		// stored as ignored.
		record.Status = eventIgnored
		return p.recordOnly(ctx, record)
	case err != nil:
		return false, false
	case !stored:
		// Nothing new for the payment: only the record is stored.
		return p.recordOnly(ctx, record)
	}
	if pj.Status != StatusCreated {
		// The change is stored: the wake must not depend on the caller
		// staying for the answer.
		p.wakeFollower(context.WithoutCancel(ctx), tenantID, id)
	}
	return true, true
}

// recordOnly stores an event's record alone (final): done and fresh as
// applyNow's.
func (p *Payments) recordOnly(ctx context.Context, record store.Job) (done, fresh bool) {
	_, err := p.engine.Create(ctx, record)
	if errors.Is(err, store.ErrDuplicate) {
		return true, false
	}
	return err == nil, err == nil
}

func (p *Payments) finishEvent(ctx context.Context, j store.Job, status string) {
	next := j
	next.Status = status
	if _, ok := p.save(ctx, j, next); ok {
		p.metrics.inboxLag.Observe(p.clock.Since(j.CreatedAt).Seconds())
	}
}
