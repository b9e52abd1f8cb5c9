package bc_test

import (
	"context"
	"fmt"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// Example shows the connector's use: a client authenticated with an Entra
// app's client secret (here against the simulator), a lookup by phone and a
// conflict-safe update that only fills an empty field.
func Example() {
	srv, err := bctest.NewServers("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer func() { _ = srv.Close() }()

	c, err := bc.New(bc.Config{
		BaseURL:     srv.BCURL + "/v2.0", // online: leave empty for https://api.businesscentral.dynamics.com/v2.0
		TenantID:    bctest.DemoTenantID,
		Environment: bctest.DemoEnvironment,
		CompanyID:   bctest.DemoCompanyID,
		Auth: bc.AuthConfig{
			Method: bc.AuthClientSecret, TenantID: bctest.DemoTenantID,
			ClientID: bctest.DemoClientID, ClientSecret: bctest.DemoClientSecret,
			AuthorityHost: srv.AuthorityURL, DisableInstanceDiscovery: true, // simulator only
		},
	}, bc.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	found, err := c.Customers.FindByPhone(ctx, "912 34 567")
	if err != nil || len(found) != 1 {
		fmt.Println("lookup failed:", err)
		return
	}
	updated, err := c.Customers.Update(ctx, found[0].ID, func(cur *bc.Customer) (map[string]any, error) {
		if cur.City != "" {
			return nil, nil // keep what the user typed
		}
		return map[string]any{"addressLine1": "Storgata 1", "postalCode": "0155", "city": "Oslo"}, nil
	})
	if err != nil {
		fmt.Println("update failed:", err)
		return
	}
	fmt.Println(updated.Number, updated.City)
	// Output: 10000 Oslo
}
