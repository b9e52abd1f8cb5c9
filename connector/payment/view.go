package payment

import (
	"encoding/json"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/store"
)

// View is a payment as the API returns it (DESIGN §4). The amounts are
// Vipps' own aggregate, so what the till shows is what Vipps did.
type View struct {
	ID               string         `json:"id"`
	Reference        string         `json:"reference"`
	SalesUnit        string         `json:"salesUnit"`
	Status           string         `json:"status"`
	Currency         string         `json:"currency"`
	Amount           int64          `json:"amount"`
	AuthorizedAmount int64          `json:"authorizedAmount"`
	CapturedAmount   int64          `json:"capturedAmount"`
	RefundedAmount   int64          `json:"refundedAmount"`
	CancelledAmount  int64          `json:"cancelledAmount"`
	Description      string         `json:"description"`
	MemberID         string         `json:"memberId"`
	PosID            string         `json:"posId,omitempty"`
	ReceiptNumber    string         `json:"receiptNumber,omitempty"`
	Profile          map[string]any `json:"profile"`
	Operations       []operation    `json:"operations"`
	Events           []event        `json:"events"`
	CreatedAt        time.Time      `json:"createdAt"`
	UpdatedAt        time.Time      `json:"updatedAt"`
	ExpiresAt        time.Time      `json:"expiresAt"`
	Error            *api.Problem   `json:"error"`
}

// result is the payment job's Result: personal data, purged.
type result struct {
	Profile map[string]any `json:"profile,omitempty"`
}

func view(j store.Job) View {
	s := decodeState(j.State)
	v := View{
		ID: j.ID, Reference: s.Reference, SalesUnit: s.MSN, Status: j.Status, Currency: s.Currency, Amount: s.Amount,
		AuthorizedAmount: s.Aggregate.Authorized, CapturedAmount: s.Aggregate.Captured, RefundedAmount: s.Aggregate.Refunded,
		CancelledAmount: s.Aggregate.Cancelled, Description: s.Description, MemberID: s.MemberID, PosID: s.PosID,
		ReceiptNumber: s.ReceiptNumber, Operations: s.Operations, Events: s.Events,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(), Error: s.Error,
	}
	if v.Operations == nil {
		v.Operations = []operation{}
	}
	if v.Events == nil {
		v.Events = []event{}
	}
	var r result
	if len(j.Result) > 0 && json.Unmarshal(j.Result, &r) == nil {
		v.Profile = r.Profile
	}
	if v.Profile == nil {
		v.Profile = map[string]any{}
	}
	return v
}
