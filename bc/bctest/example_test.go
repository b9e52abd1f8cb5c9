package bctest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// The sandbox way: start the simulator on loopback, get a token with the
// real azidentity credential from the simulated authority, and call BC.
func ExampleNewServers() {
	srv, err := bctest.NewServers("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	cred, err := azidentity.NewClientSecretCredential(bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityURL},
				Transport: srv.HTTPClient(),
			},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://api.businesscentral.dynamics.com/.default"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	req, _ := http.NewRequest(http.MethodGet,
		srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies("+bctest.DemoCompanyID+")/customers?$select=number,displayName", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		Value []struct{ Number, DisplayName string } `json:"value"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&page)
	for _, c := range page.Value {
		fmt.Println(c.Number, c.DisplayName)
	}
	// Output:
	// 10000 Kari Nordmann
	// 20000 Ola Nordmann
	// 30000 Per Hansen
	// 40000 Fjordkafé AS
}

// A test seeds and inspects data through the Go helpers and makes the next
// PATCH of a customer fail once with 503.
func ExampleSim_InjectFault() {
	sim, err := bctest.New(bctest.WithSeed(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{DisplayName: "Nina Berg"})
	if err != nil {
		fmt.Println(err)
		return
	}
	sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusServiceUnavailable, Times: 1})
	fmt.Println(c.Number, c.DisplayName, len(sim.Customers(bctest.DemoCompanyID)))
	// Output: 10000 Nina Berg 1
}
