package bctest_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

type batchResp struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    map[string]any    `json:"body"`
}

func batchResponses(t *testing.T, r result) []batchResp {
	t.Helper()
	raw, _ := r.body["responses"].([]any)
	out := make([]batchResp, len(raw))
	for i, e := range raw {
		m := e.(map[string]any)
		out[i].ID, _ = m["id"].(string)
		out[i].Status = int(m["status"].(float64))
		out[i].Body, _ = m["body"].(map[string]any)
		out[i].Headers = map[string]string{}
		if h, ok := m["headers"].(map[string]any); ok {
			for k, v := range h {
				out[i].Headers[k], _ = v.(string)
			}
		}
	}
	return out
}

func patchOp(id, customerID, etag string, body map[string]any) map[string]any {
	return map[string]any{
		"id": id, "method": "PATCH",
		"url":     "companies(" + bctest.DemoCompanyID + ")/customers(" + customerID + ")",
		"headers": map[string]string{"Content-Type": "application/json", "If-Match": etag},
		"body":    body,
	}
}

func TestBatch(t *testing.T) {
	d := startDemo(t)
	etagOf := func(t *testing.T, id string) string {
		c, ok := d.srv.Sim.Customer(bctest.DemoCompanyID, id)
		if !ok {
			t.Fatalf("no customer %s", id)
		}
		return c.ODataETag
	}
	batch := func(t *testing.T, ops []map[string]any, headers ...string) result {
		return call(t, http.MethodPost, d.root+"/$batch", d.token, map[string]any{"requests": ops}, headers...)
	}

	t.Run("operations are answered by id with their own status", func(t *testing.T) {
		ops := []map[string]any{
			patchOp("1", bctest.DemoCustomerEmptyAddressID, etagOf(t, bctest.DemoCustomerEmptyAddressID), map[string]any{"city": "Oslo"}),
			{"id": "2", "method": "GET", "url": "companies(" + bctest.DemoCompanyID + ")/customers?$filter=number eq '20000'"},
			{"id": "3", "method": "POST", "url": "companies(" + bctest.DemoCompanyID + ")/customers",
				"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"displayName": "Batch Created"}},
			patchOp("4", bctest.DemoCustomerEmailOnlyID, `W/"stale"`, map[string]any{"city": "Oslo"}),
		}
		r := batch(t, ops)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		res := batchResponses(t, r)
		want := map[string]int{"1": 200, "2": 200, "3": 201, "4": 409}
		for _, rr := range res {
			if rr.Status != want[rr.ID] {
				t.Errorf("op %s: status %d, want %d (%v)", rr.ID, rr.Status, want[rr.ID], rr.Body)
			}
		}
		if len(res) != 4 {
			t.Fatalf("%d responses", len(res))
		}
		if vs, _ := res[1].Body["value"].([]any); len(vs) != 1 {
			t.Errorf("GET in batch returned %v", res[1].Body)
		}
		if res[0].Headers["etag"] == "" {
			t.Error("no etag header in the PATCH result")
		}
		if c, _ := d.srv.Sim.Customer(bctest.DemoCompanyID, bctest.DemoCustomerEmptyAddressID); c.City != "Oslo" {
			t.Error("the PATCH of a non-transactional batch was not applied")
		}
	})
	t.Run("101 operations are refused with 400", func(t *testing.T) {
		ops := make([]map[string]any, 101)
		for i := range ops {
			ops[i] = map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "companies"}
		}
		r := batch(t, ops)
		if r.status != 400 || r.code() != bctest.CodeBadRequest {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := batch(t, ops[:100]); r.status != 200 || len(batchResponses(t, r)) != 100 {
			t.Fatalf("100 operations: %d", r.status)
		}
	})
	t.Run("Isolation snapshot rolls back every change when one operation fails", func(t *testing.T) {
		before := d.srv.Sim.Customers(bctest.DemoCompanyID)
		ops := []map[string]any{
			patchOp("a", bctest.DemoCustomerEmptyAddressID, etagOf(t, bctest.DemoCustomerEmptyAddressID), map[string]any{"city": "Tromsø"}),
			{"id": "b", "method": "POST", "url": "companies(" + bctest.DemoCompanyID + ")/customers",
				"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"displayName": "Rolled Back"}},
			patchOp("c", bctest.DemoCustomerFilledAddressID, etagOf(t, bctest.DemoCustomerFilledAddressID), map[string]any{"country": "XX"}),
			patchOp("d", bctest.DemoCustomerEmailOnlyID, etagOf(t, bctest.DemoCustomerEmailOnlyID), map[string]any{"city": "Bodø"}),
		}
		r := batch(t, ops, "Isolation: snapshot")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, rr := range batchResponses(t, r) {
			want := http.StatusFailedDependency
			if rr.ID == "c" {
				want = http.StatusBadRequest
			}
			if rr.Status != want {
				t.Errorf("op %s: status %d, want %d", rr.ID, rr.Status, want)
			}
		}
		after := d.srv.Sim.Customers(bctest.DemoCompanyID)
		if len(after) != len(before) {
			t.Fatalf("%d customers before, %d after the rolled-back batch", len(before), len(after))
		}
		for i := range before {
			if !reflect.DeepEqual(before[i], after[i]) {
				t.Errorf("customer %s changed: %+v → %+v", before[i].Number, before[i], after[i])
			}
		}
	})
	t.Run("Isolation snapshot commits when every operation succeeds", func(t *testing.T) {
		ops := []map[string]any{
			patchOp("a", bctest.DemoCustomerEmptyAddressID, etagOf(t, bctest.DemoCustomerEmptyAddressID), map[string]any{"city": "Tromsø"}),
			patchOp("b", bctest.DemoCustomerEmailOnlyID, etagOf(t, bctest.DemoCustomerEmailOnlyID), map[string]any{"city": "Bodø"}),
		}
		r := batch(t, ops, "Isolation: snapshot")
		for _, rr := range batchResponses(t, r) {
			if rr.Status != 200 {
				t.Fatalf("op %s: %d", rr.ID, rr.Status)
			}
		}
		if c, _ := d.srv.Sim.Customer(bctest.DemoCompanyID, bctest.DemoCustomerEmailOnlyID); c.City != "Bodø" {
			t.Fatal("not committed")
		}
	})
	t.Run("absolute operation URLs under the root are accepted", func(t *testing.T) {
		ops := []map[string]any{{"id": "1", "method": "GET", "url": d.customer(bctest.DemoCustomerCompanyID)}}
		res := batchResponses(t, batch(t, ops))
		if len(res) != 1 || res[0].Status != 200 || res[0].Body["number"] != bctest.DemoCustomerCompany {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("non-JSON batch is refused", func(t *testing.T) {
		r := call(t, http.MethodPost, d.root+"/$batch", d.token, []byte("--batch"), "Content-Type: multipart/mixed; boundary=batch")
		if r.status != http.StatusUnsupportedMediaType {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("batch statistics are counted", func(t *testing.T) {
		st := d.srv.Sim.Stats()
		if st.Batches < 5 || st.BatchOperations < 100 {
			t.Fatalf("%+v", st)
		}
	})
}
