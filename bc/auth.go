package bc

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/jonboulle/clockwork"
)

// Scope is the OAuth scope of Business Central's APIs (online, and
// on-premises servers configured for Entra ID with this audience).
const Scope = "https://api.businesscentral.dynamics.com/.default"

// Authentication methods of AuthConfig.Method.
const (
	AuthClientSecret      = "clientSecret"
	AuthClientCertificate = "clientCertificate"
	AuthManagedIdentity   = "managedIdentity"
	AuthWorkloadIdentity  = "workloadIdentity"
	AuthDefault           = "default"
	AuthBasic             = "basic"
)

// tokenRefreshMargin is how long before expiry a cached token is replaced.
const tokenRefreshMargin = 5 * time.Minute

// ErrBasicAuth is returned by NewCredential for Method "basic", which uses
// no token: New handles it by sending the user name and access key.
var ErrBasicAuth = errors.New("bc auth: basic authentication has no token credential")

// AuthConfig says how the client authenticates. Method picks one of:
//
//   - "clientSecret": TenantID, ClientID, ClientSecret (Entra app registration)
//   - "clientCertificate": TenantID, ClientID, CertificatePath (PEM or PKCS#12)
//     and CertificatePassword if the file is encrypted
//   - "managedIdentity": ClientID of a user-assigned identity, or empty for the
//     system-assigned one
//   - "workloadIdentity": TenantID, ClientID, TokenFilePath (default from the
//     AZURE_* environment variables, as in Kubernetes workload identity)
//   - "default": azidentity's DefaultAzureCredential chain
//   - "basic": on-premises only — Username and AccessKey (web service access key)
//
// AuthorityHost overrides the Entra authority (e.g. a sovereign cloud or the
// simulator); DisableInstanceDiscovery must be set for hosts Entra does not
// know, such as the simulator.
type AuthConfig struct {
	Method                   string
	TenantID                 string
	ClientID                 string
	ClientSecret             string
	CertificatePath          string
	CertificatePassword      string
	TokenFilePath            string
	Username                 string
	AccessKey                string
	AuthorityHost            string
	DisableInstanceDiscovery bool
}

// NewCredential builds the azidentity credential that a describes. httpClient
// (may be nil) carries the token requests.
func NewCredential(a AuthConfig, httpClient *http.Client) (azcore.TokenCredential, error) {
	co := azcore.ClientOptions{}
	if httpClient != nil {
		co.Transport = httpClient
	}
	if a.AuthorityHost != "" {
		co.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: a.AuthorityHost}
	}
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch a.Method {
	case AuthClientSecret:
		if a.TenantID == "" || a.ClientID == "" || a.ClientSecret == "" {
			return nil, errors.New("bc auth clientSecret: tenantId, clientId and clientSecret are required")
		}
		cred, err = azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: a.DisableInstanceDiscovery})
	case AuthClientCertificate:
		if a.TenantID == "" || a.ClientID == "" || a.CertificatePath == "" {
			return nil, errors.New("bc auth clientCertificate: tenantId, clientId and certificatePath are required")
		}
		data, rerr := os.ReadFile(a.CertificatePath)
		if rerr != nil {
			return nil, fmt.Errorf("bc auth clientCertificate: read certificate: %w", rerr)
		}
		var pw []byte
		if a.CertificatePassword != "" {
			pw = []byte(a.CertificatePassword)
		}
		certs, key, perr := azidentity.ParseCertificates(data, pw)
		if perr != nil {
			// The parser's message names no secret, only the format problem.
			return nil, fmt.Errorf("bc auth clientCertificate: parse certificate: %w", perr)
		}
		cred, err = azidentity.NewClientCertificateCredential(a.TenantID, a.ClientID, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: a.DisableInstanceDiscovery})
	case AuthManagedIdentity:
		o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if a.ClientID != "" {
			o.ID = azidentity.ClientID(a.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(o)
	case AuthWorkloadIdentity:
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: co, TenantID: a.TenantID, ClientID: a.ClientID, TokenFilePath: a.TokenFilePath,
			DisableInstanceDiscovery: a.DisableInstanceDiscovery,
		})
	case AuthDefault, "":
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: a.TenantID, DisableInstanceDiscovery: a.DisableInstanceDiscovery,
		})
	case AuthBasic:
		return nil, ErrBasicAuth
	default:
		return nil, fmt.Errorf("bc auth: unknown method %q", a.Method)
	}
	if err != nil {
		return nil, fmt.Errorf("bc auth %s: %w", a.Method, err)
	}
	return cred, nil
}

// authorizer sets the Authorization header of a BC request.
type authorizer interface {
	header(ctx context.Context) (string, error)
	// invalidate drops a cached token after BC answered 401.
	invalidate()
}

// basicAuth is on-premises user name + web service access key.
type basicAuth struct{ value string }

func newBasicAuth(user, key string) (*basicAuth, error) {
	if user == "" || key == "" {
		return nil, errors.New("bc auth basic: username and accessKey are required")
	}
	return &basicAuth{value: "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+key))}, nil
}

func (b *basicAuth) header(context.Context) (string, error) { return b.value, nil }
func (b *basicAuth) invalidate()                            {}

// tokenCache reuses a bearer token until tokenRefreshMargin before it
// expires (by the injected clock), so BC calls do not ask the credential for
// every request. Concurrent callers wait for one refresh.
type tokenCache struct {
	cred  azcore.TokenCredential
	clock clockwork.Clock

	mu  sync.Mutex
	tok azcore.AccessToken
}

func (t *tokenCache) header(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Token != "" && t.clock.Now().Before(t.tok.ExpiresOn.Add(-tokenRefreshMargin)) {
		return "Bearer " + t.tok.Token, nil
	}
	tok, err := t.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{Scope}})
	if err != nil {
		return "", fmt.Errorf("bc auth: get token: %w", redactAuthError(err))
	}
	t.tok = tok
	return "Bearer " + tok.Token, nil
}

func (t *tokenCache) invalidate() {
	t.mu.Lock()
	t.tok = azcore.AccessToken{}
	t.mu.Unlock()
}

// AuthError is a failure to obtain a token. It keeps the credential's error
// for errors.As/Is but prints only a fixed description, because azidentity's
// messages quote the authority's full response.
type AuthError struct{ Err error }

func (e *AuthError) Error() string {
	var af *azidentity.AuthenticationFailedError
	if errors.As(e.Err, &af) && af.RawResponse != nil {
		return fmt.Sprintf("authentication failed (authority answered %d)", af.RawResponse.StatusCode)
	}
	var cu *azidentity.AuthenticationRequiredError
	if errors.As(e.Err, &cu) {
		return "authentication required"
	}
	return "credential unavailable or authority unreachable"
}

// Unwrap returns the credential's error.
func (e *AuthError) Unwrap() error { return e.Err }

func redactAuthError(err error) error { return &AuthError{Err: err} }
