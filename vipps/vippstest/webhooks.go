package vippstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Webhook limits and the delivery schedule.
const (
	// webhookLimitPerEvent is the current limit (25 registrations per event
	// type per MSN); the spec copy still says 5 (SOURCES.md, Known drift).
	webhookLimitPerEvent  = 25
	webhookLimitCheckedIn = 1 // user.checked-in.v1
	webhookFirstRetry     = time.Second
	webhookMaxRetry       = time.Hour
	webhookDeliveryGiveUp = 7 * 24 * time.Hour
	loginPingEvent        = "login.merchant-initiated.ping.v1"
	checkedInEvent        = "user.checked-in.v1"
)

// knownWebhookEvents are the event names the simulator accepts.
var knownWebhookEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
	"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
	"epayments.payment.authorized.v1", "epayments.payment.terminated.v1", checkedInEvent, loginPingEvent,
}

// webhook is one registration with its delivery queue.
type webhook struct {
	id, msn, url, secret string
	events               []string
	queue                []delivery
	running, deleted     bool
}

type delivery struct {
	body    []byte
	created time.Time
}

// WebhookDelivery is one attempt to deliver an event, for test assertions.
type WebhookDelivery struct {
	WebhookID string
	Body      []byte
	Status    int       // 0 when the request failed without an answer
	At        time.Time // simulator time of the attempt
}

// SignWebhook returns the headers of a signed delivery of body to rawURL at
// date, following the documented scheme: x-ms-content-sha256 =
// base64(SHA-256(body)); Authorization = "HMAC-SHA256
// SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
// base64(HMAC-SHA256(secret, "POST\n<pathAndQuery>\n<date>;<host>;<hash>")).
func SignWebhook(secret, rawURL string, date time.Time, body []byte) (http.Header, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	xmsDate := date.UTC().Format(http.TimeFormat)
	pathAndQuery := u.EscapedPath()
	if pathAndQuery == "" {
		pathAndQuery = "/"
	}
	if u.RawQuery != "" {
		pathAndQuery += "?" + u.RawQuery
	}
	toSign := "POST\n" + pathAndQuery + "\n" + xmsDate + ";" + u.Host + ";" + hash
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(toSign))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	h := http.Header{}
	h.Set("x-ms-date", xmsDate)
	h.Set("x-ms-content-sha256", hash)
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+sig)
	h.Set("Content-Type", "application/json")
	return h, nil
}

// POST /webhooks/v1/webhooks
func (s *Sim) handleRegisterWebhook(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return
	}
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "The body must be {url, events}.", "")
		return
	}
	// The real service demands public HTTPS; the simulator also accepts
	// http so that tests can receive deliveries on loopback.
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "url must be an absolute HTTPS URL.", "", extraDetail{Name: "url", Reason: "invalid URL"})
		return
	}
	if len(req.Events) == 0 {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "events must not be empty.", "", extraDetail{Name: "events", Reason: "required"})
		return
	}
	for _, e := range req.Events {
		if !slices.Contains(knownWebhookEvents, e) {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Unknown event type.", "", extraDetail{Name: "events", Reason: "unknown event " + e})
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range req.Events {
		limit := webhookLimitPerEvent
		if e == checkedInEvent {
			limit = webhookLimitCheckedIn
		}
		n := 0
		for _, h := range s.hooks {
			if h.msn == m.msn && slices.Contains(h.events, e) {
				n++
			}
		}
		if n >= limit {
			writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Too many webhooks registered for this event type.", "", extraDetail{Name: "events", Reason: "limit reached for " + e})
			return
		}
	}
	h := &webhook{id: uuid.NewString(), msn: m.msn, url: req.URL, secret: base64.StdEncoding.EncodeToString([]byte(randomToken(32))), events: slices.Clone(req.Events)}
	s.hooks[h.id] = h
	s.hookOrder = append(s.hookOrder, h.id)
	writeJSON(w, http.StatusCreated, map[string]string{"id": h.id, "secret": h.secret})
}

// GET /webhooks/v1/webhooks
func (s *Sim) handleListWebhooks(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return
	}
	type item struct {
		ID     string   `json:"id"`
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	out := []item{}
	s.mu.Lock()
	for _, id := range s.hookOrder {
		if h := s.hooks[id]; h != nil && h.msn == m.msn {
			out = append(out, item{ID: h.id, URL: h.url, Events: h.events})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// DELETE /webhooks/v1/webhooks/{id}
func (s *Sim) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	h := s.hooks[id]
	if h == nil || h.msn != m.msn {
		s.mu.Unlock()
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "No webhook with this id.", "", extraDetail{Name: "id", Reason: "not found"})
		return
	}
	h.deleted = true
	delete(s.hooks, id)
	s.hookOrder = slices.DeleteFunc(s.hookOrder, func(x string) bool { return x == id })
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// emitLoginPing queues the login ping event when the user has answered.
func (s *Sim) emitLoginPing(msn, authReqID string) {
	body, _ := json.Marshal(map[string]string{"auth_req_id": authReqID})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueueWebhookLocked(msn, loginPingEvent, body)
}

// enqueueWebhookLocked queues body for every registration of the sales
// unit that subscribes to event, and starts its delivery worker. s.mu is
// held.
func (s *Sim) enqueueWebhookLocked(msn, event string, body []byte) {
	if s.ctx.Err() != nil {
		return
	}
	for _, id := range s.hookOrder {
		h := s.hooks[id]
		if h.msn != msn || !slices.Contains(h.events, event) {
			continue
		}
		h.queue = append(h.queue, delivery{body: body, created: s.now()})
		if !h.running {
			h.running = true
			s.wg.Add(1)
			go s.deliverLoop(h)
		}
	}
}

// deliverLoop delivers a registration's queue in order. A failing
// delivery is retried with exponential backoff (1 s doubling, at most 1 h
// apart, given up after 7 days) on the simulator clock and blocks the
// events queued after it.
func (s *Sim) deliverLoop(h *webhook) {
	defer s.wg.Done()
	attempt := 0
	for {
		s.mu.Lock()
		if h.deleted || len(h.queue) == 0 || s.ctx.Err() != nil {
			h.running = false
			s.mu.Unlock()
			return
		}
		d := h.queue[0]
		s.mu.Unlock()
		at := s.now()
		status := s.deliverOnce(h, d.body)
		ok := status >= 200 && status < 300
		s.mu.Lock()
		s.deliveries = append(s.deliveries, WebhookDelivery{WebhookID: h.id, Body: d.body, Status: status, At: at})
		if ok {
			s.stats.WebhookDeliveries++
		} else {
			s.stats.WebhookFailures++
		}
		if ok || s.now().Sub(d.created) >= webhookDeliveryGiveUp {
			h.queue = h.queue[1:]
			attempt = 0
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		backoff := webhookFirstRetry << attempt
		if backoff > webhookMaxRetry || backoff <= 0 {
			backoff = webhookMaxRetry
		}
		attempt++
		select {
		case <-s.clock.After(backoff):
		case <-s.ctx.Done():
			s.mu.Lock()
			h.running = false
			s.mu.Unlock()
			return
		}
	}
}

// deliverOnce POSTs one signed delivery and returns the status (0 when
// the request failed).
func (s *Sim) deliverOnce(h *webhook, body []byte) int {
	hdr, err := SignWebhook(h.secret, h.url, s.now(), body)
	if err != nil {
		return 0
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := s.hookClient.Do(req)
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	return resp.StatusCode
}

// WebhookDeliveries returns every delivery attempt so far, oldest first.
func (s *Sim) WebhookDeliveries() []WebhookDelivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}
