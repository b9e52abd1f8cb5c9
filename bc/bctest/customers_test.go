package bctest_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

var correlationRe = regexp.MustCompile(`CorrelationId:\s+[0-9a-f-]{36}\.$`)

func TestCustomerCreateRules(t *testing.T) {
	d := startDemo(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		field  string
	}{
		{"valid customer is created", map[string]any{"displayName": "Nina Berg", "country": "no", "phoneNumber": "+47 400 00 000", "email": "nina@example.no"}, 201, "", ""},
		{"blank displayName is refused", map[string]any{"displayName": "  "}, 400, bctest.CodeDialogException, "displayName"},
		{"missing displayName is refused", map[string]any{"city": "Oslo"}, 400, bctest.CodeDialogException, "displayName"},
		{"unknown country is refused", map[string]any{"displayName": "A", "country": "XX"}, 400, bctest.CodeDialogException, "country"},
		{"invalid email is refused", map[string]any{"displayName": "A", "email": "not-an-email"}, 400, bctest.CodeDialogException, "email"},
		{"phone with letters is refused", map[string]any{"displayName": "A", "phoneNumber": "call me"}, 400, bctest.CodeDialogException, "phoneNumber"},
		{"unknown property is refused", map[string]any{"displayName": "A", "birthday": "2000-01-01"}, 400, bctest.CodeBadRequest, "birthday"},
		{"wrong type is refused", map[string]any{"displayName": "A", "creditLimit": "lots"}, 400, bctest.CodeBadRequest, ""},
		{"duplicate number is refused", map[string]any{"displayName": "A", "number": bctest.DemoCustomerFilledAddress}, 400, bctest.CodeEntityWithSameKey, ""},
		{"displayName at max length is accepted", map[string]any{"displayName": long(bc.MaxCustomerDisplayName)}, 201, "", ""},
	}
	lengths := map[string]int{
		"number": bc.MaxCustomerNumber, "displayName": bc.MaxCustomerDisplayName, "addressLine1": bc.MaxCustomerAddressLine1,
		"addressLine2": bc.MaxCustomerAddressLine2, "city": bc.MaxCustomerCity, "state": bc.MaxCustomerState,
		"postalCode": bc.MaxCustomerPostalCode, "phoneNumber": bc.MaxCustomerPhoneNumber, "website": bc.MaxCustomerWebsite,
	}
	for field, max := range lengths {
		body := map[string]any{"displayName": "Long " + field, field: strings.Repeat("1", max+1)}
		tests = append(tests, struct {
			name   string
			body   map[string]any
			status int
			code   string
			field  string
		}{field + " longer than BaseApp length is refused", body, 400, bctest.CodeStringExceededLength, field})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, http.MethodPost, d.customers, d.token, tc.body)
			if r.status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status >= 400 {
				if r.code() != tc.code {
					t.Errorf("code = %q, want %q", r.code(), tc.code)
				}
				if !strings.Contains(r.message(), tc.field) {
					t.Errorf("message %q does not name %q", r.message(), tc.field)
				}
				if !correlationRe.MatchString(r.message()) {
					t.Errorf("message %q has no CorrelationId suffix", r.message())
				}
				if r.header.Get("ms-correlation-x") == "" {
					t.Error("no correlation header")
				}
				return
			}
			if etag, _ := r.body["@odata.etag"].(string); !strings.HasPrefix(etag, `W/"`) || r.header.Get("ETag") != etag {
				t.Errorf("etag %q / header %q", etag, r.header.Get("ETag"))
			}
			if r.header.Get("Location") == "" || r.body["number"] == "" || r.body["id"] == "" {
				t.Errorf("created customer incomplete: %v", r.body)
			}
		})
	}
	t.Run("code fields are uppercased", func(t *testing.T) {
		r := call(t, http.MethodPost, d.customers, d.token, map[string]any{"displayName": "Lower", "country": "se", "postalCode": "ab 12"})
		if r.status != 201 || r.body["country"] != "SE" || r.body["postalCode"] != "AB 12" {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
}

func TestCustomerConcurrencyRules(t *testing.T) {
	d := startDemo(t)
	get := func(t *testing.T) (string, map[string]any) {
		r := call(t, http.MethodGet, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, nil)
		if r.status != 200 {
			t.Fatalf("get: %d %s", r.status, r.raw)
		}
		return r.body["@odata.etag"].(string), r.body
	}
	t.Run("PATCH without If-Match is BadRequest_InvalidToken", func(t *testing.T) {
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "Oslo"})
		if r.status != 400 || r.code() != bctest.CodeInvalidToken {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH with a malformed If-Match is BadRequest_InvalidToken", func(t *testing.T) {
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "Oslo"}, "If-Match: garbage")
		if r.status != 400 || r.code() != bctest.CodeInvalidToken {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH with the current ETag succeeds and changes the ETag", func(t *testing.T) {
		etag, _ := get(t)
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "Oslo"}, "If-Match: "+etag)
		if r.status != 200 || r.body["city"] != "Oslo" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if r.body["@odata.etag"] == etag {
			t.Fatal("ETag did not change on write")
		}
		if r.body["displayName"] != "Kari Nordmann" {
			t.Fatalf("PATCH is not a merge: %v", r.body)
		}
	})
	t.Run("stale ETag is 409 Request_EntityChanged", func(t *testing.T) {
		etag, _ := get(t)
		if err := d.srv.Sim.TouchCustomer(bctest.DemoCompanyID, bctest.DemoCustomerEmptyAddressID); err != nil {
			t.Fatal(err)
		}
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "Bergen"}, "If-Match: "+etag)
		if r.status != 409 || r.code() != bctest.CodeEntityChanged {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if c, _ := d.srv.Sim.Customer(bctest.DemoCompanyID, bctest.DemoCustomerEmptyAddressID); c.City != "Oslo" {
			t.Fatalf("stale write was applied: city %q", c.City)
		}
	})
	t.Run("If-Match star overwrites", func(t *testing.T) {
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token, map[string]any{"city": "Bergen"}, "If-Match: *")
		if r.status != 200 || r.body["city"] != "Bergen" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("invalid PATCH writes nothing", func(t *testing.T) {
		etag, before := get(t)
		r := call(t, http.MethodPatch, d.customer(bctest.DemoCustomerEmptyAddressID), d.token,
			map[string]any{"city": "Trondheim", "addressLine2": strings.Repeat("a", bc.MaxCustomerAddressLine2+1)}, "If-Match: "+etag)
		if r.status != 400 || r.code() != bctest.CodeStringExceededLength {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		if etag2, after := get(t); etag2 != etag || after["city"] != before["city"] {
			t.Fatal("a refused PATCH changed the customer")
		}
	})
	t.Run("DELETE without If-Match is refused, with it succeeds", func(t *testing.T) {
		created := call(t, http.MethodPost, d.customers, d.token, map[string]any{"displayName": "Temp"})
		u := d.customer(created.body["id"].(string))
		if r := call(t, http.MethodDelete, u, d.token, nil); r.status != 400 || r.code() != bctest.CodeInvalidToken {
			t.Fatalf("delete without If-Match: %d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodDelete, u, d.token, nil, "If-Match: "+created.body["@odata.etag"].(string)); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		if r := call(t, http.MethodGet, u, d.token, nil); r.status != 404 || r.code() != bctest.CodeNotFound {
			t.Fatalf("get after delete: %d %s", r.status, r.raw)
		}
	})
	t.Run("unknown id is 404 BadRequest_NotFound", func(t *testing.T) {
		r := call(t, http.MethodPatch, d.customer("11111111-2222-3333-4444-555555555555"), d.token, map[string]any{"city": "x"}, "If-Match: *")
		if r.status != 404 || r.code() != bctest.CodeNotFound {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH count is in Stats", func(t *testing.T) {
		if n := d.srv.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n < 5 {
			t.Fatalf("PatchesByCustomer = %d", n)
		}
	})
}

func TestSeededDemoData(t *testing.T) {
	d := startDemo(t)
	cs := d.srv.Sim.Customers(bctest.DemoCompanyID)
	byNo := map[string]bc.Customer{}
	for _, c := range cs {
		byNo[c.Number] = c
	}
	empty, filled := byNo[bctest.DemoCustomerEmptyAddress], byNo[bctest.DemoCustomerFilledAddress]
	if empty.PhoneNumber != "+47 912 34 567" || empty.AddressLine1 != "" || empty.City != "" || empty.ODataETag == "" {
		t.Errorf("empty-address customer = %+v", empty)
	}
	if filled.AddressLine1 == "" || filled.City == "" || filled.PostalCode == "" || filled.Country != "NO" || filled.Email == "" {
		t.Errorf("filled-address customer = %+v", filled)
	}
	var withPhone bool
	for _, m := range d.srv.Sim.Members() {
		withPhone = withPhone || m.PhoneNo == "+4791234567"
	}
	if !withPhone {
		t.Error("no seeded member with phone +4791234567")
	}
	t.Run("WithSeed false leaves the company empty", func(t *testing.T) {
		srv := bctest.Start(t, bctest.WithSeed(false))
		if n := len(srv.Sim.Customers(bctest.DemoCompanyID)); n != 0 {
			t.Fatalf("%d customers", n)
		}
		if n := len(srv.Sim.Members()); n != 0 {
			t.Fatalf("%d members", n)
		}
	})
}

func TestCountriesRegionsIsReadOnly(t *testing.T) {
	d := startDemo(t)
	u := d.root + "/companies(" + bctest.DemoCompanyID + ")/countriesRegions"
	r := call(t, http.MethodGet, u+query("$filter", "code eq 'NO'"), d.token, nil)
	if vs := r.values(); r.status != 200 || len(vs) != 1 || vs[0]["displayName"] != "Norway" {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	if r := call(t, http.MethodPost, u, d.token, map[string]any{"code": "XX"}); r.status != 405 {
		t.Fatalf("POST: %d", r.status)
	}
}
