package bctest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func npBase(srv *bctest.Servers) string {
	return srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + url.PathEscape(bctest.DemoCompanyName)
}

func npCall(t *testing.T, method, u string, body any, key string) result {
	t.Helper()
	return call(t, method, u, "", body, "x-np-api-key: "+key)
}

func TestNPRetailMembers(t *testing.T) {
	srv := bctest.Start(t)
	base := npBase(srv)
	key := bctest.DemoNPRetailAPIKey

	t.Run("missing or wrong API key is 401", func(t *testing.T) {
		for _, k := range []string{"", "wrong"} {
			if r := npCall(t, http.MethodGet, base+"/membership/member?phone=1", nil, k); r.status != 401 {
				t.Fatalf("key %q: %d", k, r.status)
			}
		}
	})
	t.Run("unknown company is 404", func(t *testing.T) {
		u := srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/NOPE/membership/member"
		if r := npCall(t, http.MethodGet, u, nil, key); r.status != 404 {
			t.Fatalf("%d", r.status)
		}
	})
	t.Run("company id works as the company segment", func(t *testing.T) {
		u := srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyID + "/membership/member/" + bctest.DemoMemberWithPhoneID
		if r := npCall(t, http.MethodGet, u, nil, key); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("search by phone finds the seeded member", func(t *testing.T) {
		r := npCall(t, http.MethodGet, base+"/membership/member?phone="+url.QueryEscape("+4791234567"), nil, key)
		if r.status != 200 || len(r.list) != 1 || r.list[0].(map[string]any)["memberId"] != bctest.DemoMemberWithPhoneID {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("search combines parameters", func(t *testing.T) {
		r := npCall(t, http.MethodGet, base+"/membership/member?lastName=nordmann&firstName=Ola", nil, key)
		if r.status != 200 || len(r.list) != 1 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = npCall(t, http.MethodGet, base+"/membership/member?email=nobody@example.com", nil, key)
		if r.status != 200 || len(r.list) != 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH updates the given fields only", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
			map[string]any{"member": map[string]any{"city": "Oslo", "birthday": "1990-02-03"}}, key)
		if r.status != 200 || r.body["city"] != "Oslo" || r.body["firstName"] != "Kari" || r.body["birthday"] != "1990-02-03" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	lengths := map[string]int{
		"firstName": bc.MaxMemberFirstName, "middleName": bc.MaxMemberMiddleName, "lastName": bc.MaxMemberLastName,
		"phoneNo": bc.MaxMemberPhoneNo, "address": bc.MaxMemberAddress, "postCode": bc.MaxMemberPostCode,
		"city": bc.MaxMemberCity, "country": bc.MaxMemberCountry,
	}
	for field, max := range lengths {
		t.Run(field+" longer than NP Retail's length is refused", func(t *testing.T) {
			r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
				map[string]any{"member": map[string]any{field: strings.Repeat("a", max+1)}}, key)
			if r.status != 400 || !strings.Contains(r.message(), field) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	for _, tc := range []struct{ name, field, value string }{
		{"invalid email is refused", "email", "no-at-sign"},
		{"birthday must be an ISO date", "birthday", "03.02.1990"},
		{"gender must be a known value", "gender", "UNKNOWN"},
		{"unknown field is refused", "shoeSize", "44"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
				map[string]any{"member": map[string]any{tc.field: tc.value}}, key)
			if r.status != 400 || !strings.Contains(r.message(), tc.field) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("unknown member is 404", func(t *testing.T) {
		if r := npCall(t, http.MethodGet, base+"/membership/member/00000000-0000-0000-0000-000000000001", nil, key); r.status != 404 {
			t.Fatalf("%d", r.status)
		}
	})
	t.Run("create a membership and add a member", func(t *testing.T) {
		// As NP Retail: the sales item is required, its setup names the
		// membership, and a membership code in the body is ignored.
		if no := npCall(t, http.MethodPost, base+"/membership", map[string]any{"membershipCode": "GOLD"}, key); no.status != http.StatusBadRequest {
			t.Fatalf("without itemNumber: %d %s", no.status, no.raw)
		}
		if no := npCall(t, http.MethodPost, base+"/membership", map[string]any{"itemNumber": "99999"}, key); no.status != http.StatusBadRequest {
			t.Fatalf("unknown itemNumber: %d %s", no.status, no.raw)
		}
		ms := npCall(t, http.MethodPost, base+"/membership", map[string]any{"itemNumber": bctest.DemoMembershipItemSilver, "membershipCode": "GOLD"}, key)
		got, _ := ms.body["membership"].(map[string]any)
		id, _ := got["membershipId"].(string)
		if ms.status != 201 || id == "" || got["membershipCode"] != "SILVER" {
			t.Fatalf("%d %s", ms.status, ms.raw)
		}
		m := npCall(t, http.MethodPost, base+"/membership/"+id+"/addMember",
			map[string]any{"member": map[string]any{"firstName": "Nina", "lastName": "Berg", "phoneNo": "+4740000000"}}, key)
		if m.status != 201 || m.body["memberId"] == "" || m.body["membershipId"] != id || m.body["gender"] != "NOT_SPECIFIED" {
			t.Fatalf("%d %s", m.status, m.raw)
		}
		found := false
		for _, mem := range srv.Sim.Members() {
			found = found || mem.FirstName == "Nina" && mem.PhoneNo == "+4740000000"
		}
		if !found {
			t.Fatal("added member not in Members()")
		}
		if r := npCall(t, http.MethodPost, base+"/membership/nope/addMember", map[string]any{"member": map[string]any{"firstName": "X"}}, key); r.status != 404 {
			t.Fatalf("unknown membership: %d", r.status)
		}
	})
}
