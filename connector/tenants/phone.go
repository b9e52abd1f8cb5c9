package tenants

import (
	"errors"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/mapping"
)

// MaxPhoneInput is the longest typed phone number accepted (openapi.yaml).
const MaxPhoneInput = 40

// ParsePhoneInput parses a typed phone number (non-empty) for the field
// phoneNumber, with the tenant's implicit country prefix.
func ParsePhoneInput(raw, implicitPrefix string) (mapping.Phone, *api.FieldProblem) {
	if len([]rune(raw)) > MaxPhoneInput {
		return mapping.Phone{}, &api.FieldProblem{Field: "phoneNumber", Reason: "is longer than 40 characters"}
	}
	ph, err := mapping.ParsePhone(raw, implicitPrefix)
	if err != nil {
		reason := "is not a valid phone number"
		var pe *mapping.PhoneError
		if errors.As(err, &pe) {
			reason = "is not a valid phone number: " + string(pe.Reason)
		}
		return mapping.Phone{}, &api.FieldProblem{Field: "phoneNumber", Reason: reason}
	}
	return ph, nil
}

// PhoneOrQR checks that exactly one of a typed phone number and a scanned
// personal QR code is given (both trimmed), and parses the phone number.
// The QR code is exchanged later (ExchangeQR).
func PhoneOrQR(phoneNumber, qrCode, implicitPrefix string) (mapping.Phone, []api.FieldProblem) {
	switch {
	case phoneNumber == "" && qrCode == "":
		return mapping.Phone{}, []api.FieldProblem{{Field: "phoneNumber", Reason: "is required (or give qrCode)"}}
	case phoneNumber != "" && qrCode != "":
		return mapping.Phone{}, []api.FieldProblem{{Field: "qrCode", Reason: "give phoneNumber or qrCode, not both"}}
	case qrCode != "":
		if p := CheckQRInput(qrCode); p != nil {
			return mapping.Phone{}, []api.FieldProblem{*p}
		}
		return mapping.Phone{}, nil
	}
	ph, p := ParsePhoneInput(phoneNumber, implicitPrefix)
	if p != nil {
		return mapping.Phone{}, []api.FieldProblem{*p}
	}
	return ph, nil
}

// CheckQRInput checks the length of a scanned personal QR code.
func CheckQRInput(qrCode string) *api.FieldProblem {
	if n := len([]rune(qrCode)); n < 5 || n > 255 {
		return &api.FieldProblem{Field: "qrCode", Reason: "must be the complete scanned content (5 to 255 characters)"}
	}
	return nil
}
