package login

import (
	"encoding/json"
	"time"

	"github.com/bcvipps/bcvipps/mapping"
)

// requestView is the JSON answer for one request (openapi.yaml InfoRequest).
type requestView struct {
	ID               string            `json:"id"`
	Status           string            `json:"status"`
	UseCase          string            `json:"useCase"`
	ExpiresAt        time.Time         `json:"expiresAt"`
	BindingMessage   string            `json:"bindingMessage,omitempty"`
	PollAfterSeconds int               `json:"pollAfterSeconds,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	UpdatedAt        time.Time         `json:"updatedAt"`
	Customer         *customerView     `json:"customer,omitempty"`
	Member           *memberView       `json:"member,omitempty"`
	Changes          []mapping.Change  `json:"changes"`
	Warnings         []mapping.Warning `json:"warnings"`
	Error            json.RawMessage   `json:"error,omitempty"`
}

func (s *Flows) view(r request) requestView {
	m, _ := decodeJSON[meta](r.Meta)
	v := requestView{
		ID: r.ID, Status: r.Status, UseCase: r.UseCase, ExpiresAt: r.ExpiresAt.UTC(),
		BindingMessage: m.BindingMessage, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if !r.Final {
		v.PollAfterSeconds = 2
		if r.PollInterval > 0 {
			v.PollAfterSeconds = int(r.PollInterval / time.Second)
		}
	}
	if r.Final {
		res, _ := decodeJSON[result](r.Result)
		v.Customer, v.Member, v.Changes, v.Warnings = res.Customer, res.Member, res.Changes, res.Warnings
	}
	// Always present (DESIGN §4), empty until there is something to say.
	if v.Changes == nil {
		v.Changes = []mapping.Change{}
	}
	if v.Warnings == nil {
		v.Warnings = []mapping.Warning{}
	}
	if len(r.Error) > 0 {
		v.Error = r.Error
	}
	return v
}
