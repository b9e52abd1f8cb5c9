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
	members := func(r result) []any { l, _ := r.body["members"].([]any); return l }
	member := func(r result) map[string]any { m, _ := r.body["member"].(map[string]any); return m }
	t.Run("search by phone finds the seeded member", func(t *testing.T) {
		r := npCall(t, http.MethodGet, base+"/membership/member?phone="+url.QueryEscape("+4791234567"), nil, key)
		if r.status != 200 || len(members(r)) != 1 || members(r)[0].(map[string]any)["memberId"] != bctest.DemoMemberWithPhoneID {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		// The phone as given, exactly (NP Retail's SetFilter '%1').
		if r := npCall(t, http.MethodGet, base+"/membership/member?phone=91234567", nil, key); r.status != 200 || len(members(r)) != 0 {
			t.Fatalf("another spelling: %d %s", r.status, r.raw)
		}
	})
	t.Run("search combines parameters", func(t *testing.T) {
		r := npCall(t, http.MethodGet, base+"/membership/member?lastName=nordmann&firstName=Ola", nil, key)
		if r.status != 200 || len(members(r)) != 1 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		r = npCall(t, http.MethodGet, base+"/membership/member?email=nobody@example.com", nil, key)
		if r.status != 200 || len(members(r)) != 0 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("search needs a parameter and a valid birthday", func(t *testing.T) {
		for _, q := range []string{"", "?birthday=03.02.1990"} {
			if r := npCall(t, http.MethodGet, base+"/membership/member"+q, nil, key); r.status != 400 || r.body["code"] != "generic_error" {
				t.Fatalf("%q: %d %s", q, r.status, r.raw)
			}
		}
	})
	t.Run("PATCH updates the given fields only", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
			map[string]any{"member": map[string]any{"city": "Oslo", "birthday": "1990-02-03"}}, key)
		m := member(r)
		if r.status != 200 || m["city"] != "Oslo" || m["firstName"] != "Kari" || m["birthday"] != "1990-02-03" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("PATCH needs the member property", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID, map[string]any{"city": "Oslo"}, key)
		if r.status != 400 || !strings.Contains(string(r.raw), "Missing member property") {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	lengths := map[string]int{
		"firstName": bc.MaxMemberFirstName, "middleName": bc.MaxMemberMiddleName, "lastName": bc.MaxMemberLastName,
		"phoneNo": bc.MaxMemberPhoneNo, "address": bc.MaxMemberAddress, "postCode": bc.MaxMemberPostCode,
		"city": bc.MaxMemberCity,
	}
	for field, max := range lengths {
		t.Run(field+" longer than NP Retail's length is refused", func(t *testing.T) {
			r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
				map[string]any{"member": map[string]any{field: strings.Repeat("a", max+1)}}, key)
			if r.status != 400 || r.body["code"] != "generic_error" || !strings.Contains(r.body["message"].(string), "The length of the string") {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("a birthday that is not a date is refused", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
			map[string]any{"member": map[string]any{"birthday": "03.02.1990"}}, key)
		if r.status != 400 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("lenient as NP Retail: unknown keys ignored, options decoded, null keeps", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithPhoneID,
			map[string]any{"member": map[string]any{"shoeSize": "44", "gender": "1", "newsletter": "bogus", "email": "Kari@Example.COM", "city": nil}}, key)
		m := member(r)
		if r.status != 200 || m["gender"] != "male" || m["newsletter"] != "unknown" || m["email"] != "kari@example.com" || m["city"] != "Oslo" || m["shoeSize"] != nil {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if _, ok := m["gdprConsent"]; ok || m["blocked"] != false {
			t.Fatalf("member view: %s", r.raw)
		}
	})
	t.Run("the country is answered by name, and an update keeps it", func(t *testing.T) {
		r := npCall(t, http.MethodPatch, base+"/membership/member/"+bctest.DemoMemberWithAddressID,
			map[string]any{"member": map[string]any{"country": "SE"}}, key)
		if r.status != 200 || member(r)["country"] != "Norway" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("unknown member is a bad request", func(t *testing.T) {
		r := npCall(t, http.MethodGet, base+"/membership/member/00000000-0000-0000-0000-000000000001", nil, key)
		if r.status != 400 || r.body["message"] != "Invalid member ID" {
			t.Fatalf("%d %s", r.status, r.raw)
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
		if mv := member(m); m.status != 201 || mv["memberId"] == "" || mv["membershipId"] != id || mv["gender"] != "notSpecified" {
			t.Fatalf("%d %s", m.status, m.raw)
		}
		found := false
		for _, mem := range srv.Sim.Members() {
			found = found || mem.FirstName == "Nina" && mem.PhoneNo == "+4740000000"
		}
		if !found {
			t.Fatal("added member not in Members()")
		}
		if r := npCall(t, http.MethodPost, base+"/membership/nope/addMember", map[string]any{"member": map[string]any{"firstName": "X"}}, key); r.status != 400 {
			t.Fatalf("unknown membership: %d", r.status)
		}
	})
}
