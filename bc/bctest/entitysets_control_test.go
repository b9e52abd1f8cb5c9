package bctest_test

import (
	"net/http"
	"testing"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestControlListEntities(t *testing.T) {
	d := startDemo(t)
	ctl := d.srv.BCURL + "/_sim/entitysets/"
	d.srv.Sim.RegisterEntitySet("bcvipps", "vipps", "v1.0", "vippsPayments", "reference")
	d.srv.Sim.RegisterEntitySet("bcvipps", "vipps", "v1.0", "vippsFindings", "findingId")
	d.srv.Sim.RegisterEntitySet("other", "grp", "v2.0", "things", "")
	base := d.srv.BCURL + "/v2.0/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/api"
	payments := base + "/bcvipps/vipps/v1.0/companies(" + bctest.DemoCompanyID + ")/vippsPayments"

	items := func(t *testing.T, r result) []map[string]any {
		t.Helper()
		raw, ok := r.body["items"].([]any)
		if r.status != http.StatusOK || !ok {
			t.Fatalf("want 200 with an items array, got %d %s", r.status, r.raw)
		}
		out := make([]map[string]any, 0, len(raw))
		for _, v := range raw {
			out = append(out, v.(map[string]any))
		}
		return out
	}

	t.Run("registered but empty is an empty array, not null", func(t *testing.T) {
		r := call(t, http.MethodGet, ctl+"vippsPayments", "", nil)
		if got := items(t, r); len(got) != 0 {
			t.Fatalf("items %v", got)
		}
		if string(r.raw) != "{\"items\":[]}\n" {
			t.Fatalf("raw %q", r.raw)
		}
	})

	t.Run("entities written through the OData API are listed as the API returns them", func(t *testing.T) {
		first := call(t, http.MethodPost, payments, d.token, map[string]any{"reference": "order-1", "amount": 100.0, "status": "AUTHORIZED"})
		if first.status != http.StatusCreated {
			t.Fatalf("%d %s", first.status, first.raw)
		}
		second := call(t, http.MethodPost, payments, d.token, map[string]any{"reference": "order-2", "amount": 50.0})
		if second.status != http.StatusCreated {
			t.Fatalf("%d %s", second.status, second.raw)
		}
		got := items(t, call(t, http.MethodGet, ctl+"vippsPayments", "", nil))
		if len(got) != 2 || got[0]["reference"] != "order-1" || got[1]["reference"] != "order-2" {
			t.Fatalf("items %v", got)
		}
		if got[0]["id"] != first.body["id"] || got[0]["@odata.etag"] != first.body["@odata.etag"] ||
			got[0]["amount"] != 100.0 || got[0]["status"] != "AUTHORIZED" {
			t.Fatalf("item %v, created %v", got[0], first.body)
		}
		// The defaults are the explicit values.
		explicit := items(t, call(t, http.MethodGet, ctl+"vippsPayments"+query(
			"publisher", "bcvipps", "group", "vipps", "version", "v1.0", "companyId", bctest.DemoCompanyID), "", nil))
		if len(explicit) != 2 {
			t.Fatalf("explicit parameters: %v", explicit)
		}
		// Another registered set stays empty.
		if got := items(t, call(t, http.MethodGet, ctl+"vippsFindings", "", nil)); len(got) != 0 {
			t.Fatalf("findings %v", got)
		}
	})

	t.Run("publisher, group and version select another API", func(t *testing.T) {
		u := base + "/other/grp/v2.0/companies(" + bctest.DemoCompanyID + ")/things"
		if r := call(t, http.MethodPost, u, d.token, map[string]any{"name": "x"}); r.status != http.StatusCreated {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		got := items(t, call(t, http.MethodGet, ctl+"things"+query("publisher", "other", "group", "grp", "version", "v2.0"), "", nil))
		if len(got) != 1 || got[0]["name"] != "x" {
			t.Fatalf("items %v", got)
		}
	})

	t.Run("an entity set never registered is 404", func(t *testing.T) {
		for _, u := range []string{
			ctl + "nothing",
			ctl + "things", // registered under other/grp/v2.0 only
			ctl + "vippsPayments" + query("version", "v2.0"),
		} {
			r := call(t, http.MethodGet, u, "", nil)
			if r.status != http.StatusNotFound || r.code() != bctest.CodeNotFound || r.message() == "" {
				t.Fatalf("%s: %d %s", u, r.status, r.raw)
			}
		}
	})

	t.Run("an unknown company is 404", func(t *testing.T) {
		r := call(t, http.MethodGet, ctl+"vippsPayments"+query("companyId", "00000000-0000-0000-0000-00000000dead"), "", nil)
		if r.status != http.StatusNotFound || r.code() != bctest.CodeNotFound {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}
