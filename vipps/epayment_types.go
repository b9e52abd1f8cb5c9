package vipps

import "time"

// Amount is money in minor units (øre/cents): {"currency":"NOK","value":49900} is 499.00 NOK.
type Amount struct {
	Currency string `json:"currency"` // NOK, DKK or EUR
	Value    int64  `json:"value"`
}

// Customer identifies the payer; set exactly one field.
type Customer struct {
	PhoneNumber   string `json:"phoneNumber,omitempty"`   // MSISDN digits
	PersonalQR    string `json:"personalQr,omitempty"`    // complete scanned personal QR content
	CustomerToken string `json:"customerToken,omitempty"` // from a user.checked-in.v1 webhook
}

// PaymentMethod is the payment method of a create request (WALLET, CARD, ...).
type PaymentMethod struct {
	Type string `json:"type"`
}

// ProfileRequest asks for profile sharing: space-separated scopes such as "name phoneNumber".
type ProfileRequest struct {
	Scope string `json:"scope"`
}

// QRFormat selects the QR returned for userFlow QR.
type QRFormat struct {
	Format string `json:"format,omitempty"` // TEXT/TARGETURL, IMAGE/SVG+XML, IMAGE/PNG
	Size   int    `json:"size,omitempty"`
}

// Receipt is the Order Management receipt sent inline with a payment.
type Receipt struct {
	OrderLines []OrderLine `json:"orderLines"`
	BottomLine BottomLine  `json:"bottomLine"`
}

// OrderLine is one receipt line; amounts in minor units, TaxRate 2500 = 25 %.
type OrderLine struct {
	Name                    string    `json:"name"`
	ID                      string    `json:"id"`
	TotalAmount             int64     `json:"totalAmount"`
	TotalAmountExcludingTax int64     `json:"totalAmountExcludingTax"`
	TotalTaxAmount          int64     `json:"totalTaxAmount"`
	TaxRate                 *int64    `json:"taxRate,omitempty"`
	TaxPercentage           *int64    `json:"taxPercentage,omitempty"`
	UnitInfo                *UnitInfo `json:"unitInfo,omitempty"`
	Discount                *int64    `json:"discount,omitempty"`
	ProductURL              string    `json:"productUrl,omitempty"`
	IsReturn                bool      `json:"isReturn,omitempty"`
	IsShipping              bool      `json:"isShipping,omitempty"`
}

// UnitInfo is quantity and unit price of an order line.
type UnitInfo struct {
	UnitPrice    int64  `json:"unitPrice"`
	Quantity     string `json:"quantity"`
	QuantityUnit string `json:"quantityUnit"` // PCS, KG, KM, MINUTE, LITRE, KWH
}

// BottomLine is the receipt footer.
type BottomLine struct {
	Currency      string `json:"currency"`
	TipAmount     *int64 `json:"tipAmount,omitempty"`
	POSID         string `json:"posId,omitempty"`
	ReceiptNumber string `json:"receiptNumber,omitempty"`
}

// CreatePaymentRequest is the body of POST /epayment/v1/payments.
type CreatePaymentRequest struct {
	Amount              Amount            `json:"amount"`
	Customer            *Customer         `json:"customer,omitempty"`
	CustomerInteraction string            `json:"customerInteraction,omitempty"` // CUSTOMER_PRESENT | CUSTOMER_NOT_PRESENT
	PaymentMethod       PaymentMethod     `json:"paymentMethod"`
	Profile             *ProfileRequest   `json:"profile,omitempty"`
	Reference           string            `json:"reference"`
	ReturnURL           string            `json:"returnUrl,omitempty"`
	UserFlow            string            `json:"userFlow"` // PUSH_MESSAGE, QR, WEB_REDIRECT, NATIVE_REDIRECT
	ExpiresAt           *time.Time        `json:"expiresAt,omitempty"`
	QRFormat            *QRFormat         `json:"qrFormat,omitempty"`
	PaymentDescription  string            `json:"paymentDescription,omitempty"`
	Receipt             *Receipt          `json:"receipt,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	ReceiptURL          string            `json:"receiptUrl,omitempty"`
}

// CreatePaymentResponse is the answer to a create.
type CreatePaymentResponse struct {
	RedirectURL string `json:"redirectUrl,omitempty"`
	Reference   string `json:"reference"`
}

// Aggregate sums what happened to a payment's money; use it, not State,
// to see captures and refunds.
type Aggregate struct {
	AuthorizedAmount Amount `json:"authorizedAmount"`
	CancelledAmount  Amount `json:"cancelledAmount"`
	CapturedAmount   Amount `json:"capturedAmount"`
	RefundedAmount   Amount `json:"refundedAmount"`
}

// Payment states.
const (
	StateCreated    = "CREATED"
	StateAuthorized = "AUTHORIZED" // final; stays after capture, refund, cancel
	StateAborted    = "ABORTED"
	StateExpired    = "EXPIRED"
	StateTerminated = "TERMINATED"
)

// Payment is GET /epayment/v1/payments/{reference}.
type Payment struct {
	Aggregate     Aggregate `json:"aggregate"`
	Amount        Amount    `json:"amount"`
	State         string    `json:"state"`
	PaymentMethod struct {
		Type    string `json:"type"`
		CardBin string `json:"cardBin,omitempty"`
	} `json:"paymentMethod"`
	Profile *struct {
		Sub string `json:"sub,omitempty"`
	} `json:"profile,omitempty"`
	PSPReference string            `json:"pspReference"`
	RedirectURL  string            `json:"redirectUrl,omitempty"`
	Reference    string            `json:"reference"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	// CaptureGuaranteedUntil is current API behaviour, not in the spec copy.
	CaptureGuaranteedUntil string `json:"captureGuaranteedUntil,omitempty"`
}

// PaymentEvent is one entry of a payment's history (also the webhook payload).
type PaymentEvent struct {
	MSN            string    `json:"msn,omitempty"`
	Reference      string    `json:"reference"`
	PSPReference   string    `json:"pspReference"`
	Name           string    `json:"name"` // CREATED, AUTHORIZED, CAPTURED, ...
	Amount         Amount    `json:"amount"`
	Timestamp      time.Time `json:"timestamp"`
	IdempotencyKey *string   `json:"idempotencyKey"`
	Success        bool      `json:"success"`
}

// ModificationResponse answers capture, cancel and refund.
type ModificationResponse struct {
	Amount       Amount    `json:"amount"`
	State        string    `json:"state"`
	Aggregate    Aggregate `json:"aggregate"`
	PSPReference string    `json:"pspReference"`
	Reference    string    `json:"reference"`
}
