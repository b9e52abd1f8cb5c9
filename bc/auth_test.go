package bc

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/jonboulle/clockwork"
)

// countingCredential is an azcore.TokenCredential (Azure's interface, not
// ours) that issues numbered tokens valid for an hour on the given clock.
type countingCredential struct {
	clock clockwork.Clock
	calls atomic.Int32
	err   error
}

func (c *countingCredential) GetToken(_ context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n := c.calls.Add(1)
	if c.err != nil {
		return azcore.AccessToken{}, c.err
	}
	if len(o.Scopes) != 1 || o.Scopes[0] != Scope {
		return azcore.AccessToken{}, errors.New("wrong scope")
	}
	return azcore.AccessToken{Token: "tok-" + string(rune('0'+n)), ExpiresOn: c.clock.Now().Add(time.Hour)}, nil
}

func TestTokenCache(t *testing.T) {
	t.Run("a token is reused until five minutes before expiry", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		cred := &countingCredential{clock: clock}
		tc := &tokenCache{cred: cred, clock: clock}
		ctx := t.Context()
		h1, _ := tc.header(ctx)
		clock.Advance(54 * time.Minute)
		h2, _ := tc.header(ctx)
		if h1 != h2 || cred.calls.Load() != 1 {
			t.Fatalf("token not reused: %q %q after %d calls", h1, h2, cred.calls.Load())
		}
		clock.Advance(time.Minute + time.Second)
		h3, _ := tc.header(ctx)
		if h3 == h1 || cred.calls.Load() != 2 {
			t.Fatalf("token not refreshed near expiry: %q after %d calls", h3, cred.calls.Load())
		}
	})
	t.Run("invalidate forces a new token", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		cred := &countingCredential{clock: clock}
		tc := &tokenCache{cred: cred, clock: clock}
		_, _ = tc.header(t.Context())
		tc.invalidate()
		_, _ = tc.header(t.Context())
		if cred.calls.Load() != 2 {
			t.Fatalf("calls = %d, want 2", cred.calls.Load())
		}
	})
	t.Run("a credential failure is an AuthError that hides the cause's text", func(t *testing.T) {
		clock := clockwork.NewFakeClock()
		cause := errors.New("AADSTS7000215: Invalid client secret provided: s3cr3t")
		tc := &tokenCache{cred: &countingCredential{clock: clock, err: cause}, clock: clock}
		_, err := tc.header(t.Context())
		var ae *AuthError
		if !errors.As(err, &ae) || !errors.Is(err, cause) {
			t.Fatalf("err = %v, want an AuthError wrapping the cause", err)
		}
		if got := err.Error(); strings.Contains(got, "s3cr3t") || strings.Contains(got, "AADSTS") {
			t.Fatalf("error string %q leaks the authority's text", got)
		}
	})
}

func TestNewCredential(t *testing.T) {
	tests := []struct {
		name    string
		cfg     AuthConfig
		wantErr bool
	}{
		{"client secret needs all three values", AuthConfig{Method: AuthClientSecret, TenantID: "t", ClientID: "c"}, true},
		{"client secret builds", AuthConfig{Method: AuthClientSecret, TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", ClientSecret: "s"}, false},
		{"certificate needs a readable file", AuthConfig{Method: AuthClientCertificate, TenantID: "t", ClientID: "c", CertificatePath: "testdata/missing.pem"}, true},
		{"certificate from PEM builds", AuthConfig{Method: AuthClientCertificate, TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", CertificatePath: "testdata/cert.pem"}, false},
		{"managed identity builds", AuthConfig{Method: AuthManagedIdentity, ClientID: "c"}, false},
		{"workload identity builds from explicit values", AuthConfig{Method: AuthWorkloadIdentity, TenantID: "00000000-0000-0000-0000-000000000001", ClientID: "c", TokenFilePath: "testdata/federated-token"}, false},
		{"unknown method is refused", AuthConfig{Method: "magic"}, true},
		{"basic has no token credential", AuthConfig{Method: AuthBasic, Username: "u", AccessKey: "k"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, err := NewCredential(tt.cfg, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && cred == nil {
				t.Fatal("nil credential without error")
			}
		})
	}
}
