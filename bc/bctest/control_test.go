package bctest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestControlAPI(t *testing.T) {
	srv := bctest.Start(t)
	ctl := srv.BCURL + "/_sim"

	t.Run("GET customers lists every customer with companyId, without a token", func(t *testing.T) {
		r := call(t, http.MethodGet, ctl+"/customers", "", nil)
		vs := r.values()
		if r.status != 200 || len(vs) != 4 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, v := range vs {
			if v["companyId"] != bctest.DemoCompanyID || v["@odata.etag"] == nil || v["number"] == nil {
				t.Fatalf("customer %v", v)
			}
		}
	})
	t.Run("POST customers validates like the API", func(t *testing.T) {
		r := call(t, http.MethodPost, ctl+"/customers", "", map[string]any{"displayName": "Control Made", "city": "Oslo"})
		if r.status != 201 || r.body["companyId"] != bctest.DemoCompanyID || r.body["number"] == "" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = call(t, http.MethodPost, ctl+"/customers", "", map[string]any{"displayName": "X", "country": "ZZ"})
		if r.status != 400 || r.code() != bctest.CodeDialogException {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = call(t, http.MethodPost, ctl+"/customers", "", map[string]any{"displayName": "X", "companyId": "00000000-0000-0000-0000-00000000dead"})
		if r.status != 404 {
			t.Fatalf("unknown company: %d", r.status)
		}
	})
	t.Run("POST apps registers an app that gets tokens BC accepts", func(t *testing.T) {
		const client = "7d7d7d7d-8e8e-4f9f-a0a0-b1b1b1b1b1b1"
		r := call(t, http.MethodPost, ctl+"/apps", "", map[string]any{"tenantId": bctest.DemoTenantID, "clientId": client, "clientSecret": "s3"})
		if r.status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		tok := fetchToken(t, srv, bctest.DemoTenantID, client, "s3")
		if r := call(t, http.MethodGet, srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies", tok, nil); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodPost, ctl+"/apps", "", map[string]any{"tenantId": bctest.DemoTenantID}); r.status != 400 {
			t.Fatalf("incomplete app: %d", r.status)
		}
	})
	t.Run("members can be listed and added", func(t *testing.T) {
		r := call(t, http.MethodPost, ctl+"/members", "", map[string]any{"firstName": "Control", "phoneNo": "+4741111111"})
		if r.status != 201 || r.body["memberId"] == "" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodPost, ctl+"/members", "", map[string]any{"city": "This city name is far longer than fifty characters, really"}); r.status != 400 {
			t.Fatalf("too long: %d %s", r.status, r.raw)
		}
		r = call(t, http.MethodGet, ctl+"/members", "", nil)
		if r.status != 200 || len(r.values()) != 3 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("faults can be injected, seen in stats and cleared", func(t *testing.T) {
		r := call(t, http.MethodPost, ctl+"/faults", "", map[string]any{"method": "GET", "pathPrefix": "/v2.0/", "status": 503, "retryAfter": "3s", "times": 1})
		if r.status != 204 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		tok := fetchToken(t, srv, bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret)
		got := call(t, http.MethodGet, srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies", tok, nil)
		if got.status != 503 || got.header.Get("Retry-After") != "3" {
			t.Fatalf("%d %q", got.status, got.header.Get("Retry-After"))
		}
		st := call(t, http.MethodGet, ctl+"/stats", "", nil)
		if st.status != 200 || st.body["faultsInjected"].(float64) != 1 {
			t.Fatalf("%d %s", st.status, st.raw)
		}
		if r := call(t, http.MethodPost, ctl+"/faults", "", map[string]any{"status": 500, "latency": "soon"}); r.status != 400 {
			t.Fatalf("bad duration: %d", r.status)
		}
		call(t, http.MethodPost, ctl+"/faults", "", map[string]any{"status": 500})
		if r := call(t, http.MethodDelete, ctl+"/faults", "", nil); r.status != 204 {
			t.Fatalf("%d", r.status)
		}
		if r := call(t, http.MethodGet, srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)+"/companies", tok, nil); r.status != 200 {
			t.Fatalf("after clear: %d", r.status)
		}
	})
	t.Run("POST entitysets serves a custom API page", func(t *testing.T) {
		r := call(t, http.MethodPost, ctl+"/entitysets", "", map[string]any{"publisher": "bcvipps", "group": "vipps", "version": "v1.0", "entitySet": "settlements"})
		if r.status != 204 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		tok := fetchToken(t, srv, bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret)
		u := srv.BCURL + "/v2.0/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/api/bcvipps/vipps/v1.0/companies(" + bctest.DemoCompanyID + ")/settlements"
		if r := call(t, http.MethodPost, u, tok, map[string]any{"amount": 5.0}); r.status != 201 || r.body["id"] == "" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodPost, ctl+"/entitysets", "", map[string]any{"publisher": "x"}); r.status != 400 {
			t.Fatalf("incomplete: %d", r.status)
		}
	})
	t.Run("companies are listed", func(t *testing.T) {
		r := call(t, http.MethodGet, ctl+"/companies", "", nil)
		if vs := r.values(); len(vs) != 1 || vs[0]["tenantId"] != bctest.DemoTenantID || vs[0]["environment"] != bctest.DemoEnvironment {
			t.Fatalf("%s", r.raw)
		}
	})
}

func TestCustomEntitySet(t *testing.T) {
	d := startDemo(t)
	d.srv.Sim.RegisterEntitySet("bcvipps", "payments", "v1.0", "vippsPayments", "reference")
	base := d.srv.BCURL + "/v2.0/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/api/bcvipps/payments/v1.0"
	set := base + "/companies(" + bctest.DemoCompanyID + ")/vippsPayments"

	t.Run("unregistered set is 404", func(t *testing.T) {
		u := d.srv.BCURL + "/v2.0/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/api/bcvipps/payments/v1.0/companies(" + bctest.DemoCompanyID + ")/other"
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 404 {
			t.Fatalf("%d", r.status)
		}
	})
	created := call(t, http.MethodPost, set, d.token, map[string]any{"reference": "order-1", "amount": 100.0, "state": "AUTHORIZED"})
	if created.status != 201 || created.body["id"] == "" || created.body["@odata.etag"] == nil {
		t.Fatalf("%d %s", created.status, created.raw)
	}
	t.Run("missing key field is refused", func(t *testing.T) {
		if r := call(t, http.MethodPost, set, d.token, map[string]any{"amount": 1.0}); r.status != 400 {
			t.Fatalf("%d", r.status)
		}
	})
	t.Run("duplicate key is refused", func(t *testing.T) {
		if r := call(t, http.MethodPost, set, d.token, map[string]any{"reference": "order-1"}); r.status != 400 || r.code() != bctest.CodeEntityWithSameKey {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("get, filter and PATCH by key with ETag rules", func(t *testing.T) {
		item := set + "('order-1')"
		if r := call(t, http.MethodGet, item, d.token, nil); r.status != 200 || r.body["amount"] != 100.0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodGet, set+query("$filter", "state eq 'AUTHORIZED' and amount ge 100"), d.token, nil); len(r.values()) != 1 {
			t.Fatalf("%s", r.raw)
		}
		if r := call(t, http.MethodPatch, item, d.token, map[string]any{"state": "CAPTURED"}); r.status != 400 || r.code() != bctest.CodeInvalidToken {
			t.Fatalf("%d", r.status)
		}
		r := call(t, http.MethodPatch, item, d.token, map[string]any{"state": "CAPTURED"}, "If-Match: "+created.body["@odata.etag"].(string))
		if r.status != 200 || r.body["state"] != "CAPTURED" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodPatch, item, d.token, map[string]any{"state": "REFUNDED"}, "If-Match: "+created.body["@odata.etag"].(string)); r.status != 409 {
			t.Fatalf("stale: %d", r.status)
		}
	})
	t.Run("batch against the custom API root", func(t *testing.T) {
		ops := []map[string]any{{"id": "1", "method": "POST", "url": "companies(" + bctest.DemoCompanyID + ")/vippsPayments",
			"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"reference": "order-2"}}}
		r := call(t, http.MethodPost, base+"/$batch", d.token, map[string]any{"requests": ops})
		if res := batchResponses(t, r); len(res) != 1 || res[0].Status != 201 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if n := len(d.srv.Sim.Entities(bctest.DemoCompanyID, "bcvipps", "payments", "v1.0", "vippsPayments")); n != 2 {
			t.Fatalf("%d entities", n)
		}
	})
	t.Run("a filter on the key finds the keyed records, added by AddEntity too", func(t *testing.T) {
		if err := d.srv.Sim.AddEntity(bctest.DemoCompanyID, "bcvipps", "payments", "v1.0", "vippsPayments", map[string]any{"reference": "order-3", "state": "CREATED"}); err != nil {
			t.Fatal(err)
		}
		r := call(t, http.MethodGet, set+query("$filter", "reference in ('order-1', 'order-3', 'order-9')"), d.token, nil)
		var refs []string
		for _, v := range r.values() {
			refs = append(refs, v["reference"].(string))
		}
		slices.Sort(refs)
		if len(refs) != 2 || refs[0] != "order-1" || refs[1] != "order-3" {
			t.Fatalf("in: %v %s", refs, r.raw)
		}
		if r := call(t, http.MethodGet, set+query("$filter", "reference eq 'order-2'"), d.token, nil); len(r.values()) != 1 {
			t.Fatalf("eq: %s", r.raw)
		}
		if r := call(t, http.MethodGet, set+query("$filter", "reference eq 'order-2' or reference eq 'order-3' or reference eq 'nope'"), d.token, nil); len(r.values()) != 2 {
			t.Fatalf("or: %s", r.raw)
		}
		if r := call(t, http.MethodGet, set+query("$filter", "reference eq 'order-2' or state eq 'CAPTURED'"), d.token, nil); len(r.values()) != 2 {
			t.Fatalf("or on another field (no narrowing): %s", r.raw)
		}
		if r := call(t, http.MethodGet, set+query("$filter", "reference in ('order-1', 'order-2') and state eq 'CAPTURED'"), d.token, nil); len(r.values()) != 1 {
			t.Fatalf("in and: %s", r.raw)
		}
	})
}
