package bc_test

import (
	"fmt"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// BenchmarkBatchUpdate measures updating 100 customers in one $batch
// against the simulator on loopback (client + simulator cost, one op =
// 100 customer updates).
func BenchmarkBatchUpdate(b *testing.B) {
	srv := bctest.Start(b, bctest.WithSeed(false))
	custs := make([]bc.Customer, 100)
	for i := range custs {
		c, err := srv.Sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{DisplayName: fmt.Sprintf("Bench %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		custs[i] = c
	}
	c, err := bc.New(bc.Config{
		BaseURL: srv.BCURL + "/v2.0", TenantID: bctest.DemoTenantID, Environment: bctest.DemoEnvironment,
		CompanyID: bctest.DemoCompanyID,
		Auth: bc.AuthConfig{Method: bc.AuthClientSecret, TenantID: bctest.DemoTenantID, ClientID: bctest.DemoClientID,
			ClientSecret: bctest.DemoClientSecret, AuthorityHost: srv.AuthorityURL, DisableInstanceDiscovery: true},
		Limits: bc.Limits{RequestsPerWindow: 1 << 20},
	}, bc.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	etags := make([]string, len(custs))
	for i, cu := range custs {
		etags[i] = cu.ODataETag
	}
	n := 0
	for b.Loop() {
		ops := make([]bc.BatchOperation, len(custs))
		for i, cu := range custs {
			ops[i] = c.Customers.UpdateOp(cu.ID, etags[i], map[string]any{"city": fmt.Sprintf("City %d", n)})
		}
		n++
		res, err := c.Batch(ctx, ops, bc.BatchOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range res {
			var got bc.Customer
			if r.Err != nil || r.Decode(&got) != nil {
				b.Fatalf("op %d: %v", i, r.Err)
			}
			etags[i] = got.ODataETag
		}
	}
}
