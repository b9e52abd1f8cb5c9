package bc_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestBatch(t *testing.T) {
	t.Run("250 customer updates are sent as 3 $batch calls and mapped back", func(t *testing.T) {
		e := startEnv(t, bctest.WithSeed(false))
		custs := addCustomers(t, e.srv.Sim, 250)
		c := e.client(t, nil)
		ops := make([]bc.BatchOperation, len(custs))
		for i, cu := range custs {
			ops[i] = c.Customers.UpdateOp(cu.ID, cu.ODataETag, map[string]any{"city": fmt.Sprintf("City %d", i)})
		}
		e.srv.Sim.ResetStats()
		res, err := c.Batch(t.Context(), ops, bc.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st := e.srv.Sim.Stats()
		if st.Batches != 3 || st.BatchOperations != 250 {
			t.Fatalf("batches %d with %d operations, want 3 with 250", st.Batches, st.BatchOperations)
		}
		if len(res) != 250 {
			t.Fatalf("%d results, want 250", len(res))
		}
		for i, r := range res {
			var got bc.Customer
			if r.Err != nil || r.Status != http.StatusOK || r.Decode(&got) != nil {
				t.Fatalf("result %d: status %d err %v", i, r.Status, r.Err)
			}
			if got.ID != custs[i].ID || got.City != fmt.Sprintf("City %d", i) {
				t.Fatalf("result %d is customer %s city %q, want %s City %d", i, got.ID, got.City, custs[i].ID, i)
			}
		}
	})

	t.Run("a stale etag fails only its own operation, as a conflict", func(t *testing.T) {
		e := startEnv(t, bctest.WithSeed(false))
		custs := addCustomers(t, e.srv.Sim, 3)
		c := e.client(t, nil)
		if err := e.srv.Sim.TouchCustomer(bctest.DemoCompanyID, custs[1].ID); err != nil {
			t.Fatal(err)
		}
		var ops []bc.BatchOperation
		for _, cu := range custs {
			ops = append(ops, c.Customers.UpdateOp(cu.ID, cu.ODataETag, map[string]any{"city": "Moss"}))
		}
		res, err := c.Batch(t.Context(), ops, bc.BatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil || res[2].Err != nil || !bc.IsConflict(res[1].Err) {
			t.Fatalf("errors %v / %v / %v, want only the middle one a conflict", res[0].Err, res[1].Err, res[2].Err)
		}
	})

	t.Run("with Isolation snapshot one failure rolls back the whole batch", func(t *testing.T) {
		e := startEnv(t, bctest.WithSeed(false))
		custs := addCustomers(t, e.srv.Sim, 2)
		c := e.client(t, nil)
		ops := []bc.BatchOperation{
			c.Customers.UpdateOp(custs[0].ID, custs[0].ODataETag, map[string]any{"city": "Moss"}),
			c.Customers.UpdateOp(custs[1].ID, custs[1].ODataETag, map[string]any{"city": strings.Repeat("x", bc.MaxCustomerCity+1)}),
		}
		res, err := c.Batch(t.Context(), ops, bc.BatchOptions{Isolation: true})
		if err == nil && res[1].Err == nil {
			t.Fatal("the too-long city was accepted")
		}
		if got, _ := e.srv.Sim.Customer(bctest.DemoCompanyID, custs[0].ID); got.City == "Moss" {
			t.Fatal("the first operation stayed written despite Isolation: snapshot")
		}
	})

	t.Run("a PATCH without etag is refused before sending", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil)
		_, err := c.Batch(t.Context(), []bc.BatchOperation{c.Customers.UpdateOp(bctest.DemoCustomerEmptyAddressID, "", map[string]any{"city": "Moss"})}, bc.BatchOptions{})
		if err == nil {
			t.Fatal("batch without If-Match was sent")
		}
	})
}

func TestPaging(t *testing.T) {
	t.Run("listing follows nextLink through 1,000 customers", func(t *testing.T) {
		e := startEnv(t, bctest.WithSeed(false))
		addCustomers(t, e.srv.Sim, 1000)
		c := e.client(t, nil)
		e.srv.Sim.ResetStats()
		seen := map[string]bool{}
		for cu, err := range c.Customers.List(t.Context(), bc.ListOptions{PageSize: 100}) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[cu.ID] {
				t.Fatalf("customer %s listed twice", cu.ID)
			}
			seen[cu.ID] = true
		}
		if len(seen) != 1000 {
			t.Fatalf("listed %d customers, want 1000", len(seen))
		}
		if got := e.srv.Sim.Stats().Requests; got != 10 {
			t.Fatalf("%d requests, want 10 pages of 100", got)
		}
	})
	t.Run("breaking out of the loop stops paging", func(t *testing.T) {
		e := startEnv(t, bctest.WithSeed(false))
		addCustomers(t, e.srv.Sim, 50)
		c := e.client(t, nil)
		e.srv.Sim.ResetStats()
		n := 0
		for _, err := range c.Customers.List(t.Context(), bc.ListOptions{PageSize: 10}) {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 15 {
				break
			}
		}
		if got := e.srv.Sim.Stats().Requests; got != 2 {
			t.Fatalf("%d requests, want 2", got)
		}
	})
}
