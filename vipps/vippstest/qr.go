package vippstest

import (
	"net/http"
	"net/url"
	"strings"
)

const (
	personalQRPrefix  = "https://qr.vipps.no/28/2/01/031/"
	tokenizedQRPrefix = "https://qr.vipps.no/p/"
)

// PersonalQR returns the content of the user's personal QR code in the
// clear-text Vipps format (https://qr.vipps.no/28/2/01/031/<msisdn>?v=1).
// Exchange answers it with version "1.0".
func (s *Sim) PersonalQR(phoneNumber string) string {
	return personalQRPrefix + phoneNumber + "?v=1"
}

// TokenizedPersonalQR returns a tokenized personal QR content
// (https://qr.vipps.no/p/<token>, as MobilePay codes are) that only the
// exchange endpoint can resolve; Exchange answers it with version "2.0"
// and a timestamp.
func (s *Sim) TokenizedPersonalQR(phoneNumber string) string {
	tok := randomToken(16)
	s.mu.Lock()
	s.qrTokens[tok] = phoneNumber
	s.mu.Unlock()
	return tokenizedQRPrefix + tok
}

// resolvePersonalQR returns the MSISDN of a scanned personal QR content and
// whether it is the tokenized (2.0) format.
func (s *Sim) resolvePersonalQR(content string) (msisdn string, tokenized, ok bool) {
	if tok, found := strings.CutPrefix(content, tokenizedQRPrefix); found {
		s.mu.Lock()
		msisdn, ok = s.qrTokens[tok]
		s.mu.Unlock()
		return msisdn, true, ok
	}
	u, err := url.Parse(content)
	if err != nil || u.Scheme != "https" || u.Host != "qr.vipps.no" || u.Query().Get("v") == "" {
		return "", false, false
	}
	msisdn, found := strings.CutPrefix(u.Path, "/28/2/01/031/")
	if !found || !allDigits(msisdn) || len(msisdn) < 10 || len(msisdn) > 15 {
		return "", false, false
	}
	return msisdn, false, true
}

func allDigits(v string) bool {
	if v == "" {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// POST /qr/v1/exchange
func (s *Sim) handleQRExchange(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authMerchant(w, r, false); !ok {
		return
	}
	var req struct {
		QRCode        string   `json:"qrCode"`
		RequestedData []string `json:"requestedData"`
	}
	if err := decodeJSON(r, &req); err != nil {
		qrBadRequest(w, "body", "The request body must be JSON.")
		return
	}
	msisdn, tokenized, ok := s.resolvePersonalQR(req.QRCode)
	if !ok {
		qrBadRequest(w, "qrCode", "The complete data contained in the QR code is required.")
		return
	}
	if tokenized {
		writeJSON(w, http.StatusOK, map[string]any{"msisdn": msisdn, "timestamp": s.now().Unix(), "version": "2.0"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"msisdn": msisdn, "version": "1.0"})
}

func qrBadRequest(w http.ResponseWriter, name, reason string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"title":        "Bad request",
		"status":       http.StatusBadRequest,
		"detail":       "The request body contains one or more invalid parameters.",
		"extraDetails": []extraDetail{{Name: name, Reason: reason}},
	})
}
