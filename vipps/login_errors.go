package vipps

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Terminal and notable outcomes of a merchant-initiated login, matched with
// errors.Is against a *LoginError.
var (
	ErrAccessDenied  = errors.New("vipps login: access denied by the user")           // error=access_denied
	ErrExpiredToken  = errors.New("vipps login: login request expired")               // error=expired_token
	ErrInvalidGrant  = errors.New("vipps login: unknown or already used auth_req_id") // error=invalid_grant
	ErrOldApp        = errors.New("vipps login: the user's app is too old")           // error_code=old_app
	ErrInvalidUser   = errors.New("vipps login: no usable Vipps MobilePay account")   // error_code=invalid_user
	ErrInvalidClient = errors.New("vipps login: client authentication failed")        // error=invalid_client
	ErrInvalidScope  = errors.New("vipps login: scope not allowed")                   // error=invalid_scope
	ErrLoginRequest  = errors.New("vipps login: request rejected")                    // error=invalid_request and others
)

// LoginError is an OAuth/CIBA error answer from the backchannel or token
// endpoint: Code is the OAuth "error", ErrorCode the Vipps "error_code".
type LoginError struct {
	Op          string
	Status      int
	Code        string
	ErrorCode   string
	Description string // scrubbed of digit runs
}

func (e *LoginError) Error() string {
	s := fmt.Sprintf("%s: vipps status %d: %s", e.Op, e.Status, e.Code)
	if e.ErrorCode != "" {
		s += " (" + e.ErrorCode + ")"
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// Is matches the sentinel errors above.
func (e *LoginError) Is(target error) bool {
	switch target {
	case ErrAccessDenied:
		return e.Code == "access_denied"
	case ErrExpiredToken:
		return e.Code == "expired_token"
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrOldApp:
		return e.ErrorCode == "old_app" || e.Code == "old_app"
	case ErrInvalidUser:
		return e.ErrorCode == "invalid_user" || e.Code == "invalid_user"
	case ErrInvalidClient:
		return e.Code == "invalid_client"
	case ErrInvalidScope:
		return e.Code == "invalid_scope"
	case ErrLoginRequest:
		return true
	}
	return false
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCode        string `json:"error_code"`
}

// parseOAuthError returns nil when body is not an OAuth error object.
func parseOAuthError(op string, status int, body []byte) *LoginError {
	var o oauthError
	if json.Unmarshal(body, &o) != nil || o.Error == "" {
		return nil
	}
	return &LoginError{Op: op, Status: status, Code: o.Error, ErrorCode: o.ErrorCode, Description: scrub(o.ErrorDescription)}
}
