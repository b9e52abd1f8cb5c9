package vipps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
)

// EPaymentService is the ePayment API (/epayment/v1). State-changing calls
// take the caller's Idempotency-Key: keep it with the operation and reuse it
// on every retry, also across restarts; the client retries with it too.
type EPaymentService struct{ c *Client }

// referencePattern follows current documentation (8-64 characters); the
// spec copy in shared/specs still says 8-50 (SOURCES.md, "Known drift").
var referencePattern = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)

func checkKey(op, key string) error {
	if key == "" || len(key) > 50 {
		return invalid(op, "idempotency key must be 1-50 characters")
	}
	return nil
}

func checkRef(op, ref string) error {
	if !referencePattern.MatchString(ref) {
		return invalid(op, "reference must match ^[a-zA-Z0-9-]{8,64}$")
	}
	return nil
}

func (s *EPaymentService) path(ref, suffix string) string {
	return s.c.url("/epayment/v1/payments/" + url.PathEscape(ref) + suffix)
}

// Create starts a payment (POST /epayment/v1/payments).
func (s *EPaymentService) Create(ctx context.Context, idempotencyKey string, req CreatePaymentRequest) (*CreatePaymentResponse, error) {
	const op = "vipps epayment create"
	if err := checkKey(op, idempotencyKey); err != nil {
		return nil, err
	}
	if err := checkRef(op, req.Reference); err != nil {
		return nil, err
	}
	if req.Amount.Value < 0 || req.Amount.Currency == "" {
		return nil, invalid(op, "amount needs a currency and a non-negative value")
	}
	if req.Customer != nil {
		n := 0
		for _, v := range []string{req.Customer.PhoneNumber, req.Customer.PersonalQR, req.Customer.CustomerToken} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return nil, invalid(op, "customer needs exactly one of phone number, personal QR, customer token")
		}
	}
	cl, err := jsonCall(op, http.MethodPost, s.c.url("/epayment/v1/payments"), req)
	if err != nil {
		return nil, err
	}
	cl.idempotencyKey = idempotencyKey
	var r CreatePaymentResponse
	if _, err := s.c.send(ctx, cl, &r); err != nil {
		return nil, fmt.Errorf("reference %s: %w", req.Reference, err)
	}
	return &r, nil
}

// Get reads the payment (GET /epayment/v1/payments/{reference}).
func (s *EPaymentService) Get(ctx context.Context, reference string) (*Payment, error) {
	const op = "vipps epayment get"
	if err := checkRef(op, reference); err != nil {
		return nil, err
	}
	var p Payment
	if _, err := s.c.send(ctx, call{op: op, method: http.MethodGet, url: s.path(reference, "")}, &p); err != nil {
		return nil, fmt.Errorf("reference %s: %w", reference, err)
	}
	return &p, nil
}

// Events reads the payment's history (GET /epayment/v1/payments/{reference}/events).
func (s *EPaymentService) Events(ctx context.Context, reference string) ([]PaymentEvent, error) {
	const op = "vipps epayment events"
	if err := checkRef(op, reference); err != nil {
		return nil, err
	}
	var ev []PaymentEvent
	if _, err := s.c.send(ctx, call{op: op, method: http.MethodGet, url: s.path(reference, "/events")}, &ev); err != nil {
		return nil, fmt.Errorf("reference %s: %w", reference, err)
	}
	return ev, nil
}

func (s *EPaymentService) modify(ctx context.Context, op, idempotencyKey, reference, suffix string, body any) (*ModificationResponse, error) {
	if err := checkKey(op, idempotencyKey); err != nil {
		return nil, err
	}
	if err := checkRef(op, reference); err != nil {
		return nil, err
	}
	cl, err := jsonCall(op, http.MethodPost, s.path(reference, suffix), body)
	if err != nil {
		return nil, err
	}
	cl.idempotencyKey = idempotencyKey
	var r ModificationResponse
	if _, err := s.c.send(ctx, cl, &r); err != nil {
		return nil, fmt.Errorf("reference %s: %w", reference, err)
	}
	return &r, nil
}

type modificationRequest struct {
	ModificationAmount Amount `json:"modificationAmount"`
}

// Capture captures amount of an authorized payment (POST .../{reference}/capture).
func (s *EPaymentService) Capture(ctx context.Context, idempotencyKey, reference string, amount Amount) (*ModificationResponse, error) {
	return s.modify(ctx, "vipps epayment capture", idempotencyKey, reference, "/capture", modificationRequest{amount})
}

// Refund refunds amount of a captured payment (POST .../{reference}/refund).
func (s *EPaymentService) Refund(ctx context.Context, idempotencyKey, reference string, amount Amount) (*ModificationResponse, error) {
	return s.modify(ctx, "vipps epayment refund", idempotencyKey, reference, "/refund", modificationRequest{amount})
}

// Cancel cancels the payment, or releases the uncaptured remainder
// (POST .../{reference}/cancel).
func (s *EPaymentService) Cancel(ctx context.Context, idempotencyKey, reference string) (*ModificationResponse, error) {
	return s.modify(ctx, "vipps epayment cancel", idempotencyKey, reference, "/cancel", nil)
}

// ForceApprove approves a payment as the test user would (test environment
// only; POST /epayment/v1/test/payments/{reference}/approve).
func (s *EPaymentService) ForceApprove(ctx context.Context, reference, phoneNumber string) error {
	const op = "vipps epayment force approve"
	if err := checkRef(op, reference); err != nil {
		return err
	}
	if !msisdnPattern.MatchString(phoneNumber) {
		return invalid(op, "phone number must be 8-15 digits with country code")
	}
	cl, err := jsonCall(op, http.MethodPost, s.c.url("/epayment/v1/test/payments/"+url.PathEscape(reference)+"/approve"),
		map[string]any{"customer": Customer{PhoneNumber: phoneNumber}})
	if err != nil {
		return err
	}
	if _, err := s.c.send(ctx, cl, nil); err != nil {
		return fmt.Errorf("reference %s: %w", reference, err)
	}
	return nil
}
