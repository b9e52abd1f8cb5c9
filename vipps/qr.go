package vipps

import (
	"context"
	"net/http"
)

// QRService turns scanned personal QR codes into phone numbers.
type QRService struct{ c *Client }

// QRExchange is the answer of a personal-QR exchange. MSISDN is personal
// data.
type QRExchange struct {
	MSISDN    string `json:"msisdn"`
	Timestamp int64  `json:"timestamp,omitempty"` // only for tokenized (v2.0) codes
	Version   string `json:"version,omitempty"`
}

// Exchange sends the complete scanned content of a personal QR code and
// gets the phone number (POST /qr/v1/exchange). A lookup, so safe to retry.
func (s *QRService) Exchange(ctx context.Context, qrCode string) (*QRExchange, error) {
	const op = "vipps qr exchange"
	if len(qrCode) < 5 || len(qrCode) > 1024 {
		return nil, invalid(op, "QR content must be 5-1024 characters")
	}
	cl, err := jsonCall(op, http.MethodPost, s.c.url("/qr/v1/exchange"), map[string]any{
		"qrCode": qrCode, "requestedData": []string{"MSISDN"},
	})
	if err != nil {
		return nil, err
	}
	cl.safe = true
	var r QRExchange
	if _, err := s.c.send(ctx, cl, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
