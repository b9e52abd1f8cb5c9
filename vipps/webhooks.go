package vipps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// WebhooksService registers where Vipps delivers events (/webhooks/v1/webhooks).
type WebhooksService struct{ c *Client }

// Webhook is one registration.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// RegisteredWebhook is the answer to Register. Secret is returned only
// once: store it (encrypted) to verify deliveries. It is never printed.
type RegisteredWebhook struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// String redacts the secret.
func (r RegisteredWebhook) String() string {
	return "RegisteredWebhook{ID:" + r.ID + " Secret:[redacted]}"
}

// Format redacts the secret for every verb.
func (r RegisteredWebhook) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// Register subscribes url to events (POST /webhooks/v1/webhooks). Not
// retried: the API has no idempotency key; on a network error, List and
// compare before registering again.
func (s *WebhooksService) Register(ctx context.Context, webhookURL string, events []string) (*RegisteredWebhook, error) {
	const op = "vipps webhooks register"
	u, err := url.Parse(webhookURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, invalid(op, "webhook URL must be absolute")
	}
	if len(events) == 0 {
		return nil, invalid(op, "at least one event")
	}
	cl, err := jsonCall(op, http.MethodPost, s.c.url("/webhooks/v1/webhooks"), map[string]any{"url": webhookURL, "events": events})
	if err != nil {
		return nil, err
	}
	var r RegisteredWebhook
	if _, err := s.c.send(ctx, cl, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// List returns the registrations of this sales unit (GET /webhooks/v1/webhooks).
func (s *WebhooksService) List(ctx context.Context) ([]Webhook, error) {
	var r struct {
		Webhooks []Webhook `json:"webhooks"`
	}
	if _, err := s.c.send(ctx, call{op: "vipps webhooks list", method: http.MethodGet, url: s.c.url("/webhooks/v1/webhooks")}, &r); err != nil {
		return nil, err
	}
	return r.Webhooks, nil
}

// Delete removes a registration (DELETE /webhooks/v1/webhooks/{id}).
// Deleting is idempotent, so it is retried like a GET.
func (s *WebhooksService) Delete(ctx context.Context, id string) error {
	const op = "vipps webhooks delete"
	if id == "" {
		return invalid(op, "empty id")
	}
	cl := call{op: op, method: http.MethodDelete, url: s.c.url("/webhooks/v1/webhooks/" + url.PathEscape(id)), safe: true}
	_, err := s.c.send(ctx, cl, nil)
	return err
}
