package vipps

import (
	"fmt"
	"log/slog"
	"time"
)

// LoginToken is the result of a completed login: the user's access token
// (for userinfo) and ID token. Printing or logging it shows no token.
type LoginToken struct {
	AccessToken string
	IDToken     string
	ExpiresAt   time.Time
	Scope       string
}

// String redacts the tokens.
func (t LoginToken) String() string {
	return fmt.Sprintf("LoginToken{AccessToken:[redacted] IDToken:[redacted] ExpiresAt:%s Scope:%q}", t.ExpiresAt.Format(time.RFC3339), t.Scope)
}

// GoString redacts the tokens for %#v.
func (t LoginToken) GoString() string { return t.String() }

// Format redacts the tokens for every verb.
func (t LoginToken) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(t.String())) }

// LogValue redacts the tokens in slog output.
func (t LoginToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiresAt", t.ExpiresAt), slog.String("scope", t.Scope))
}
