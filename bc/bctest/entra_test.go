package bctest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

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
