package payment

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/vipps"
)

// Payment statuses (DESIGN §4).
const (
	StatusCreated    = "created"
	StatusAuthorized = "authorized"
	StatusCaptured   = "captured"
	StatusRefunded   = "refunded"
	StatusCancelled  = "cancelled"
	StatusAborted    = "aborted"
	StatusExpired    = "expired"
	StatusFailed     = "failed"
)

// Final reports whether a payment status is final: nothing more can happen
// to the money. A captured payment is not final (it can still be refunded).
func Final(status string) bool {
	switch status {
	case StatusRefunded, StatusCancelled, StatusAborted, StatusExpired, StatusFailed:
		return true
	}
	return false
}

// Operation types and statuses.
const (
	OpCapture = "capture"
	OpRefund  = "refund"
	OpCancel  = "cancel"

	OpPending = "pending"
	OpDone    = "done"
	OpRefused = "refused"
)

// state is a payment's stored working state (the payment job's State). It
// holds no personal data: the customer (phone, QR, token) is the job's
// Input and the shared profile its Result.
type state struct {
	Reference          string `json:"reference"`
	MSN                string `json:"msn"`
	Currency           string `json:"currency"`
	Amount             int64  `json:"amount"`
	Description        string `json:"description"`
	PosID              string `json:"posId,omitempty"`
	ReceiptNumber      string `json:"receiptNumber,omitempty"`
	MemberID           string `json:"memberId,omitempty"`
	CaptureOnAuthorize bool   `json:"captureOnAuthorize,omitempty"`
	ShareProfile       bool   `json:"shareProfile,omitempty"`
	// ProfileRead is set once the shared profile was read (it is not read
	// again after its purge); ProfileDeliveredAt is when an answer first
	// gave it to the caller: it is purged retention.profile later, also
	// while the payment stays open (captured, refundable).
	ProfileRead        bool        `json:"profileRead,omitempty"`
	ProfileDeliveredAt time.Time   `json:"profileDeliveredAt,omitzero"`
	ExpiresAt          time.Time   `json:"expiresAt"`
	Operations         []operation `json:"operations"`
	Events             []event     `json:"events"`

	// VippsState is the newest ePayment state seen (CREATED, AUTHORIZED,
	// ABORTED, EXPIRED, TERMINATED); "" before Vipps confirmed the create.
	VippsState string `json:"vippsState,omitempty"`
	// Aggregate is the largest aggregate Vipps reported (each amount only
	// grows), merged with the sums of the events.
	Aggregate aggregate `json:"aggregate"`
	// Failed is set when Vipps refused the payment (status failed).
	Failed bool         `json:"failed,omitempty"`
	Error  *api.Problem `json:"error,omitempty"`
	// Changes counts the changes BC must see (the outbox compares it).
	Changes int64 `json:"changes"`
	// Settled are the pspReferences of this payment's captures and refunds
	// the Report API has settled (the settlement reconciliation marks them).
	Settled []string `json:"settled,omitempty"`
}

type aggregate struct {
	Authorized int64 `json:"authorized"`
	Captured   int64 `json:"captured"`
	Refunded   int64 `json:"refunded"`
	Cancelled  int64 `json:"cancelled"`
}

// operation is one capture, refund or cancel as the payment shows it.
type operation struct {
	ID     string       `json:"id"`
	Type   string       `json:"type"`
	Amount int64        `json:"amount"`
	Status string       `json:"status"`
	At     time.Time    `json:"at"`
	Error  *api.Problem `json:"error,omitempty"`
}

// event is one ePayment event as Vipps reported it.
type event struct {
	Name         string    `json:"name"`
	Amount       int64     `json:"amount"`
	At           time.Time `json:"at"`
	PSPReference string    `json:"pspReference"`
	Success      bool      `json:"success"`
}

// status derives the payment's status from what Vipps reported.
func (s *state) status() string {
	a := s.Aggregate
	switch {
	case s.Failed:
		return StatusFailed
	case s.VippsState == vipps.StateAborted:
		return StatusAborted
	case s.VippsState == vipps.StateExpired:
		return StatusExpired
	case s.VippsState == vipps.StateTerminated:
		return StatusCancelled
	case a.Authorized == 0:
		return StatusCreated
	case a.Captured > 0 && a.Captured >= a.Authorized-a.Cancelled:
		// Nothing is left to capture: captured, or refunded when all of
		// it went back (a refund of a partial capture leaves the rest of
		// the authorization open: authorized).
		if a.Refunded >= a.Captured {
			return StatusRefunded
		}
		return StatusCaptured
	case a.Captured == 0 && a.Cancelled >= a.Authorized:
		return StatusCancelled
	}
	return StatusAuthorized
}

// stateRank orders ePayment states: a terminal state is never replaced
// by CREATED (an older answer).
func stateRank(s string) int {
	switch s {
	case "":
		return 0
	case vipps.StateCreated:
		return 1
	case vipps.StateAuthorized:
		return 2
	}
	return 3 // ABORTED, EXPIRED, TERMINATED
}

func (s *state) mergeState(vs string) bool {
	if stateRank(vs) > stateRank(s.VippsState) {
		s.VippsState = vs
		return true
	}
	return false
}

// mergeAggregate takes each amount's largest value: amounts at Vipps only
// grow, so an older answer never lowers them.
func (s *state) mergeAggregate(a vipps.Aggregate) bool {
	n := aggregate{
		Authorized: max(s.Aggregate.Authorized, a.AuthorizedAmount.Value),
		Captured:   max(s.Aggregate.Captured, a.CapturedAmount.Value),
		Refunded:   max(s.Aggregate.Refunded, a.RefundedAmount.Value),
		Cancelled:  max(s.Aggregate.Cancelled, a.CancelledAmount.Value),
	}
	if n == s.Aggregate {
		return false
	}
	s.Aggregate = n
	return true
}

// addEvents merges events (deduplicated by pspReference), keeps them in
// time order and lifts the aggregate to at least the events' sums. The
// result does not depend on the order events arrive in.
func (s *state) addEvents(evs []vipps.PaymentEvent) bool {
	changed := false
	for _, e := range evs {
		if e.PSPReference != "" && slices.ContainsFunc(s.Events, func(x event) bool { return x.PSPReference == e.PSPReference && x.Name == e.Name }) {
			continue
		}
		s.Events = append(s.Events, event{Name: e.Name, Amount: e.Amount.Value, At: e.Timestamp.UTC(), PSPReference: e.PSPReference, Success: e.Success})
		changed = true
	}
	if !changed {
		return false
	}
	slices.SortStableFunc(s.Events, func(a, b event) int { return a.At.Compare(b.At) })
	var sum aggregate
	for _, e := range s.Events {
		if !e.Success {
			continue
		}
		switch e.Name {
		case "AUTHORIZED":
			sum.Authorized += e.Amount
			s.mergeState(vipps.StateAuthorized)
		case "CAPTURED":
			sum.Captured += e.Amount
		case "REFUNDED":
			sum.Refunded += e.Amount
		case "CANCELLED":
			sum.Cancelled += e.Amount
		case "ABORTED":
			s.mergeState(vipps.StateAborted)
		case "EXPIRED":
			s.mergeState(vipps.StateExpired)
		case "TERMINATED":
			s.mergeState(vipps.StateTerminated)
		case "CREATED":
			s.mergeState(vipps.StateCreated)
		}
	}
	s.mergeAggregate(vipps.Aggregate{
		AuthorizedAmount: vipps.Amount{Value: sum.Authorized}, CapturedAmount: vipps.Amount{Value: sum.Captured},
		RefundedAmount: vipps.Amount{Value: sum.Refunded}, CancelledAmount: vipps.Amount{Value: sum.Cancelled},
	})
	return true
}

// pending sums the amounts of pending operations of a type.
func (s *state) pending(typ string) int64 {
	var n int64
	for _, o := range s.Operations {
		if o.Type == typ && o.Status == OpPending {
			n += o.Amount
		}
	}
	return n
}

func (s *state) op(id string) *operation {
	for i := range s.Operations {
		if s.Operations[i].ID == id {
			return &s.Operations[i]
		}
	}
	return nil
}

func decodeState(b []byte) state {
	var s state
	decodeInto(b, &s)
	return s
}

// decodeInto decodes a stored state document the connector wrote itself.
func decodeInto(b []byte, v any) { _ = json.Unmarshal(b, v) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
