package bctest_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

func azCredential(t *testing.T, srv *bctest.Servers, tenant, client, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityURL},
			Transport: srv.HTTPClient(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

func TestRealAzidentityCredentialCallsBC(t *testing.T) {
	srv := bctest.Start(t)
	cred := azCredential(t, srv, bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret)
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://api.businesscentral.dynamics.com/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Value []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"value"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Value) != 1 || body.Value[0].ID != bctest.DemoCompanyID || body.Value[0].Name != bctest.DemoCompanyName {
		t.Fatalf("companies = %+v", body.Value)
	}
}

func TestAuthorityRefusals(t *testing.T) {
	srv := bctest.Start(t)
	ctx := context.Background()
	scope := policy.TokenRequestOptions{Scopes: []string{"https://api.businesscentral.dynamics.com/.default"}}
	tests := []struct {
		name, tenant, client, secret string
	}{
		{"wrong secret is refused", bctest.DemoTenantID, bctest.DemoClientID, "wrong"},
		{"unknown app is refused", bctest.DemoTenantID, "99999999-9999-4999-8999-999999999999", bctest.DemoClientSecret},
		{"unknown tenant is refused", "88888888-8888-4888-8888-888888888888", bctest.DemoClientID, bctest.DemoClientSecret},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cred := azCredential(t, srv, tc.tenant, tc.client, tc.secret)
			if _, err := cred.GetToken(ctx, scope); err == nil {
				t.Fatal("GetToken succeeded")
			}
		})
	}
	t.Run("scope other than BC is refused", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {bctest.DemoClientID},
			"client_secret": {bctest.DemoClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
		resp, err := srv.HTTPClient().PostForm(srv.AuthorityURL+bctest.DemoTenantID+"/oauth2/v2.0/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 400 || body["error"] != "invalid_scope" {
			t.Fatalf("got %d %v", resp.StatusCode, body)
		}
	})
	t.Run("openid configuration names the authority's endpoints", func(t *testing.T) {
		resp, err := srv.HTTPClient().Get(srv.AuthorityURL + bctest.DemoTenantID + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if body["token_endpoint"] != srv.AuthorityURL+bctest.DemoTenantID+"/oauth2/v2.0/token" ||
			body["issuer"] != srv.AuthorityURL+bctest.DemoTenantID+"/v2.0" || body["authorization_endpoint"] == nil {
			t.Fatalf("openid configuration = %v", body)
		}
	})
}

func TestBCAcceptsOnlyValidTokens(t *testing.T) {
	clock := clockwork.NewFakeClock()
	d := startDemo(t, bctest.WithClock(clock))
	otherTenant := "12121212-3434-4565-8787-909090909090"
	d.srv.Sim.RegisterApp(otherTenant, "abababab-cdcd-4efe-8a8a-121212121212", "other-secret")
	otherToken := fetchToken(t, d.srv, otherTenant, "abababab-cdcd-4efe-8a8a-121212121212", "other-secret")

	foreignKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"aud": "https://api.businesscentral.dynamics.com", "tid": bctest.DemoTenantID, "appid": bctest.DemoClientID,
		"exp": clock.Now().Add(time.Hour).Unix(),
	}).SignedString(foreignKey)
	if err != nil {
		t.Fatal(err)
	}
	companies := d.root + "/companies"
	tests := []struct {
		name  string
		token string
		url   string
	}{
		{"missing token is refused", "", companies},
		{"token signed by another key is refused", forged, companies},
		{"token of another tenant is refused for this tenant's URL", otherToken, companies},
		{"garbage token is refused", "not.a.jwt", companies},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodGet, tc.url, tc.token, nil)
			if r.status != 401 || r.code() != bctest.CodeInvalidCredentials || r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
	}
	t.Run("valid token is accepted and works without the tenant in the URL", func(t *testing.T) {
		r := call(t, http.MethodGet, d.srv.BCURL+"/v2.0/"+bctest.DemoEnvironment+"/api/v2.0/companies", d.token, nil)
		if r.status != 200 || len(r.values()) != 1 {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("token expired on the sim clock is refused", func(t *testing.T) {
		clock.Advance(time.Hour + time.Minute)
		r := call(t, http.MethodGet, companies, d.token, nil)
		if r.status != 401 || r.code() != bctest.CodeInvalidCredentials {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
}

func TestBasicAuth(t *testing.T) {
	srv := bctest.Start(t, bctest.WithBasicAuth("WEBUSER", "access-key"))
	u := srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment) + "/companies"
	for _, tc := range []struct {
		name, user, key string
		status          int
	}{
		{"right access key is accepted", "WEBUSER", "access-key", 200},
		{"wrong access key is refused", "WEBUSER", "wrong", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.SetBasicAuth(tc.user, tc.key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
	}
}

func TestRealAzidentityCertificateCredential(t *testing.T) {
	srv := bctest.Start(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "bcvipps test app"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	const clientID = "c3c3c3c3-d4d4-4e5e-8f6f-a7a7a7a7a7a7"
	srv.Sim.RegisterAppCertificate(bctest.DemoTenantID, clientID, cert)
	cred, err := azidentity.NewClientCertificateCredential(bctest.DemoTenantID, clientID, []*x509.Certificate{cert}, key,
		&azidentity.ClientCertificateCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityURL}, Transport: srv.HTTPClient()},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://api.businesscentral.dynamics.com/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	r := call(t, http.MethodGet, srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies", tok.Token, nil)
	if r.status != 200 {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	t.Run("assertion signed by an unregistered key is refused", func(t *testing.T) {
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		cred, err := azidentity.NewClientCertificateCredential(bctest.DemoTenantID, clientID, []*x509.Certificate{cert}, other,
			&azidentity.ClientCertificateCredentialOptions{
				ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityURL}, Transport: srv.HTTPClient()},
				DisableInstanceDiscovery: true,
			})
		if err != nil {
			return // refused up front: the key does not match the certificate
		}
		if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://api.businesscentral.dynamics.com/.default"}}); err == nil {
			t.Fatal("GetToken succeeded")
		}
	})
}
