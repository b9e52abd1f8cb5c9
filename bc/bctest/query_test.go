package bctest_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// seedMany adds n customers numbered C00001… with names "Customer i".
func seedMany(t *testing.T, sim *bctest.Sim, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if _, err := sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{
			Number: fmt.Sprintf("C%05d", i), DisplayName: fmt.Sprintf("Customer %d", i),
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// pageAll follows @odata.nextLink from u and returns every entity and the
// number of pages.
func pageAll(t *testing.T, u, token string, headers ...string) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	pages := 0
	for u != "" {
		r := call(t, http.MethodGet, u, token, nil, headers...)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages+1, r.status, r.raw)
		}
		pages++
		all = append(all, r.values()...)
		next, _ := r.body["@odata.nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, "http://") {
			t.Fatalf("nextLink is not absolute: %s", next)
		}
		u = next
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
	}
	return all, pages
}

func numbers(es []map[string]any) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i], _ = e["number"].(string)
	}
	return out
}

func TestPagingThroughAThousandCustomers(t *testing.T) {
	d := startDemo(t, bctest.WithSeed(false), bctest.WithPageSize(300))
	seedMany(t, d.srv.Sim, 1000)

	t.Run("Prefer odata.maxpagesize pages with absolute nextLinks", func(t *testing.T) {
		first := call(t, http.MethodGet, d.customers, d.token, nil, "Prefer: odata.maxpagesize=100")
		if got := first.header.Get("Preference-Applied"); got != "odata.maxpagesize=100" {
			t.Errorf("Preference-Applied = %q", got)
		}
		all, pages := pageAll(t, d.customers, d.token, "Prefer: odata.maxpagesize=100")
		if pages != 10 || len(all) != 1000 {
			t.Fatalf("%d pages, %d customers", pages, len(all))
		}
		nums := numbers(all)
		if !sort.StringsAreSorted(nums) {
			t.Fatal("customers not ordered by number")
		}
		seen := map[string]bool{}
		for _, n := range nums {
			if seen[n] {
				t.Fatalf("duplicate %s", n)
			}
			seen[n] = true
		}
	})
	t.Run("server page size applies without Prefer", func(t *testing.T) {
		all, pages := pageAll(t, d.customers, d.token)
		if pages != 4 || len(all) != 1000 {
			t.Fatalf("%d pages, %d customers", pages, len(all))
		}
	})
	t.Run("paging with a filter returns exactly the matches", func(t *testing.T) {
		want := 0
		for i := 1; i <= 1000; i++ {
			if strings.Contains(fmt.Sprint(i), "7") {
				want++
			}
		}
		all, _ := pageAll(t, d.customers+query("$filter", "contains(displayName, '7')"), d.token, "Prefer: odata.maxpagesize=50")
		if len(all) != want {
			t.Fatalf("%d matches, want %d", len(all), want)
		}
	})
	t.Run("$top limits across pages", func(t *testing.T) {
		all, pages := pageAll(t, d.customers+query("$top", "150"), d.token, "Prefer: odata.maxpagesize=100")
		if len(all) != 150 || pages != 2 {
			t.Fatalf("%d customers in %d pages", len(all), pages)
		}
	})
	t.Run("$count=true gives the total of all pages", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customers+query("$count", "true", "$filter", "startswith(number, 'C009')"), d.token, nil, "Prefer: odata.maxpagesize=10")
		if r.status != 200 || r.body["@odata.count"] != 100.0 || len(r.values()) != 10 {
			t.Fatalf("count %v, %d values", r.body["@odata.count"], len(r.values()))
		}
	})
	t.Run("$orderby desc reverses the order", func(t *testing.T) {
		all, _ := pageAll(t, d.customers+query("$orderby", "number desc"), d.token, "Prefer: odata.maxpagesize=400")
		if len(all) != 1000 || all[0]["number"] != "C01000" || all[999]["number"] != "C00001" {
			t.Fatalf("first %v last %v", all[0]["number"], all[len(all)-1]["number"])
		}
	})
	t.Run("a customer inserted while paging does not shift pages", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customers, d.token, nil, "Prefer: odata.maxpagesize=100")
		if _, err := d.srv.Sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{Number: "C00000", DisplayName: "Early"}); err != nil {
			t.Fatal(err)
		}
		rest, _ := pageAll(t, r.body["@odata.nextLink"].(string), d.token, "Prefer: odata.maxpagesize=100")
		if got := len(r.values()) + len(rest); got != 1000 {
			t.Fatalf("%d customers after the insert, want the 1000 from the first page on", got)
		}
		if rest[0]["number"] != "C00101" {
			t.Fatalf("second page starts at %v", rest[0]["number"])
		}
	})
}

func TestQueryOptions(t *testing.T) {
	d := startDemo(t)
	t.Run("$select returns only the chosen fields and the etag", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customers+query("$select", "number,displayName"), d.token, nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, v := range r.values() {
			if len(v) != 3 || v["@odata.etag"] == nil || v["number"] == nil || v["displayName"] == nil {
				t.Fatalf("selected entity = %v", v)
			}
		}
		if ctx, _ := r.body["@odata.context"].(string); !strings.HasSuffix(ctx, "/customers(number,displayName)") {
			t.Errorf("@odata.context = %q", ctx)
		}
	})
	t.Run("$select on a single entity", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customer(bctest.DemoCustomerFilledAddressID)+query("$select", "email"), d.token, nil)
		if r.status != 200 || r.body["email"] != "ola.nordmann@example.com" || r.body["city"] != nil {
			t.Fatalf("%d %v", r.status, r.body)
		}
	})
	t.Run("phone found with contains", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customers+query("$filter", "contains(phoneNumber, '912 34')"), d.token, nil)
		if vs := r.values(); len(vs) != 1 || vs[0]["number"] != bctest.DemoCustomerEmptyAddress {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("email found case-insensitively with tolower", func(t *testing.T) {
		r := call(t, http.MethodGet, d.customers+query("$filter", "tolower(email) eq 'ola.nordmann@example.com'"), d.token, nil)
		if vs := r.values(); len(vs) != 1 || vs[0]["number"] != bctest.DemoCustomerFilledAddress {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	for _, tc := range []struct{ name, q string }{
		{"unknown property in $filter is refused", query("$filter", "birthday eq '2000-01-01'")},
		{"unknown property in $select is refused", query("$select", "number,birthday")},
		{"unknown property in $orderby is refused", query("$orderby", "birthday")},
		{"syntax error in $filter is refused", query("$filter", "number eq")},
		{"unsupported query option is refused", query("$expand", "picture")},
		{"bad $top is refused", query("$top", "-1")},
		{"bad skip token is refused", query("$skiptoken", "%%%")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodGet, d.customers+tc.q, d.token, nil)
			if r.status != 400 || r.code() != bctest.CodeBadRequest {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
}
