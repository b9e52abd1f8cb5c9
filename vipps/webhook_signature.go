package vipps

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrWebhookSignature is matched (errors.Is) by every verification failure.
var ErrWebhookSignature = errors.New("vipps webhook: verification failed")

// WebhookError says which check failed; it never includes the secret or body.
type WebhookError struct{ Reason string }

func (e *WebhookError) Error() string { return "vipps webhook: " + e.Reason }

// Is matches ErrWebhookSignature.
func (e *WebhookError) Is(target error) bool { return target == ErrWebhookSignature }

// Defaults for WebhookOptions.
const (
	DefaultWebhookTolerance = 5 * time.Minute
	DefaultWebhookMaxBody   = 1 << 20
)

// WebhookOptions are the inputs of VerifyWebhook besides the delivery.
type WebhookOptions struct {
	// Secret is the registration's secret, used as given (UTF-8 bytes).
	Secret string
	// URL is the URL as registered with Vipps: its host (with a
	// non-default port) and path+query are signed, not those the request
	// arrived with (a proxy may change them).
	URL string
	// Now is the current time; required (VerifyWebhook reads no clock).
	Now time.Time
	// Tolerance is the accepted distance between x-ms-date and Now;
	// zero means DefaultWebhookTolerance.
	Tolerance time.Duration
	// MaxBodyBytes bounds the body; zero means DefaultWebhookMaxBody.
	MaxBodyBytes int
}

// VerifyWebhook checks a delivery as Vipps documents it:
//
//	x-ms-content-sha256 == base64(SHA-256(body))
//	stringToSign = "POST\n" + pathAndQuery + "\n" + x-ms-date + ";" + host + ";" + contentHash
//	Authorization == "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
//	                 base64(HMAC-SHA256(secret, stringToSign))
//
// with host and pathAndQuery taken from the registered URL, the date within
// the tolerance of Now, the body within MaxBodyBytes, and the signature
// compared in constant time. body must be the raw bytes as received.
// It is a pure function: it reads no clock and does no I/O.
func VerifyWebhook(h http.Header, body []byte, o WebhookOptions) error {
	maxBody := o.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultWebhookMaxBody
	}
	if len(body) > maxBody {
		return &WebhookError{Reason: "body too large"}
	}
	if o.Secret == "" || o.Now.IsZero() {
		return &WebhookError{Reason: "verifier needs secret and current time"}
	}
	host, pathQuery, err := signedTarget(o.URL)
	if err != nil {
		return err
	}
	date := h.Get("x-ms-date")
	if date == "" {
		return &WebhookError{Reason: "missing x-ms-date"}
	}
	t, err := http.ParseTime(date)
	if err != nil {
		return &WebhookError{Reason: "malformed x-ms-date"}
	}
	tol := o.Tolerance
	if tol <= 0 {
		tol = DefaultWebhookTolerance
	}
	if d := o.Now.Sub(t); d > tol || d < -tol {
		return &WebhookError{Reason: "x-ms-date outside the accepted window"}
	}
	sum := sha256.Sum256(body)
	contentHash := base64.StdEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(h.Get("x-ms-content-sha256")), []byte(contentHash)) != 1 {
		return &WebhookError{Reason: "content hash mismatch"}
	}
	want := authorizationValue(o.Secret, pathQuery, date, host, contentHash)
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h.Get("Authorization"))), []byte(want)) != 1 {
		return &WebhookError{Reason: "signature mismatch"}
	}
	return nil
}

// SignWebhook returns the headers Vipps would send when delivering body to
// the registered webhookURL at time date (x-ms-date, x-ms-content-sha256,
// host, Authorization). Used by the simulator's counterpart and tests.
func SignWebhook(secret, webhookURL string, date time.Time, body []byte) (http.Header, error) {
	host, pathQuery, err := signedTarget(webhookURL)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	contentHash := base64.StdEncoding.EncodeToString(sum[:])
	d := date.UTC().Format(http.TimeFormat)
	h := http.Header{}
	h.Set("x-ms-date", d)
	h.Set("x-ms-content-sha256", contentHash)
	h.Set("host", host)
	h.Set("Authorization", authorizationValue(secret, pathQuery, d, host, contentHash))
	return h, nil
}

func signedTarget(raw string) (host, pathQuery string, err error) {
	u, perr := url.Parse(raw)
	if perr != nil || u.Host == "" {
		return "", "", &WebhookError{Reason: "registered URL must be absolute"}
	}
	pathQuery = u.EscapedPath()
	if pathQuery == "" {
		pathQuery = "/"
	}
	if u.RawQuery != "" {
		pathQuery += "?" + u.RawQuery
	}
	host = u.Host
	if (u.Scheme == "https" && u.Port() == "443") || (u.Scheme == "http" && u.Port() == "80") {
		host = u.Hostname()
	}
	return host, pathQuery, nil
}

func authorizationValue(secret, pathQuery, date, host, contentHash string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("POST\n" + pathQuery + "\n" + date + ";" + host + ";" + contentHash))
	return "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// ReadWebhookBody reads at most maxBytes (zero: DefaultWebhookMaxBody) of a
// delivery's body, failing with ErrWebhookSignature when it is longer.
func ReadWebhookBody(r io.Reader, maxBytes int) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultWebhookMaxBody
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(maxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("vipps webhook: read body: %w", err)
	}
	if len(b) > maxBytes {
		return nil, &WebhookError{Reason: "body too large"}
	}
	return b, nil
}
