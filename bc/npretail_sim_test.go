package bc_test

import (
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func (e *env) npretail(t *testing.T, key string) *bc.NPRetail {
	t.Helper()
	base := e.srv.NPRetailURL + "/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName
	np, err := bc.NewNPRetail(bc.NPRetailConfig{BaseURL: base, APIKey: key}, e.options()...)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

func TestNPRetailMembers(t *testing.T) {
	e := startEnv(t)
	np := e.npretail(t, bctest.DemoNPRetailAPIKey)
	ctx := t.Context()

	t.Run("search by phone finds the seeded member", func(t *testing.T) {
		got, err := np.Members.Search(ctx, bc.MemberQuery{Phone: bctest.DemoMemberPhone})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != bctest.DemoMemberWithPhoneID {
			t.Fatalf("found %d members, want %s", len(got), bctest.DemoMemberWithPhoneID)
		}
	})
	t.Run("an unknown member is not found, with NP Retail's code and message", func(t *testing.T) {
		// NP Retail answers 400 "Invalid member ID" with a flat
		// {"code","message"} body.
		for _, call := range []func() error{
			func() error { _, err := np.Members.Get(ctx, "00000000-0000-0000-0000-000000000001"); return err },
			func() error {
				_, err := np.Members.Update(ctx, "00000000-0000-0000-0000-000000000001", map[string]any{"city": "Oslo"})
				return err
			},
		} {
			err := call()
			e, ok := bc.AsError(err)
			if !bc.IsNotFound(err) || !ok || e.Message != "Invalid member ID" || e.Status != 400 {
				t.Fatalf("err = %v (%+v)", err, e)
			}
		}
	})
	t.Run("a refused write keeps NP Retail's code and message", func(t *testing.T) {
		_, err := np.Members.CreateMembership(ctx, bc.Membership{ItemNumber: "99999"})
		e, ok := bc.AsError(err)
		if !ok || e.Status != 400 || e.Code != "generic_error" || e.Message == "" || bc.IsNotFound(err) {
			t.Fatalf("err = %v (%+v)", err, e)
		}
	})
	t.Run("options read as NP Retail's option names", func(t *testing.T) {
		m, err := np.Members.Get(ctx, bctest.DemoMemberWithAddressID)
		if err != nil || m.Newsletter != "YES" || m.Gender != "MALE" {
			t.Fatalf("member %+v, %v", m, err)
		}
	})
	t.Run("get and update a member", func(t *testing.T) {
		m, err := np.Members.Get(ctx, bctest.DemoMemberWithPhoneID)
		if err != nil || m.FirstName == "" {
			t.Fatalf("get: %v", err)
		}
		up, err := np.Members.Update(ctx, m.ID, map[string]any{"city": "Oslo", "postCode": "0150"})
		if err != nil {
			t.Fatal(err)
		}
		if up.City != "Oslo" || up.PostCode != "0150" || up.FirstName != m.FirstName {
			t.Fatalf("updated member city %q post code %q", up.City, up.PostCode)
		}
	})
	t.Run("create a membership and add a member", func(t *testing.T) {
		ms, err := np.Members.CreateMembership(ctx, bc.Membership{ItemNumber: bctest.DemoMembershipItem})
		if err != nil {
			t.Fatal(err)
		}
		if ms.ID == "" {
			t.Fatal("membership without id")
		}
		m, err := np.Members.AddMember(ctx, ms.ID, bc.Member{FirstName: "Siri", LastName: "Dahl", PhoneNo: "+4740000001"})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "" || m.FirstName != "Siri" {
			t.Fatalf("added member %+v", m)
		}
	})
	t.Run("a too-long field is refused", func(t *testing.T) {
		_, err := np.Members.Update(ctx, bctest.DemoMemberWithPhoneID, map[string]any{"city": string(make([]byte, bc.MaxMemberCity+1))})
		be, ok := bc.AsError(err)
		if !ok || be.Status != 400 {
			t.Fatalf("err = %v, want a 400 *bc.Error", err)
		}
	})
	t.Run("a wrong API key is unauthorized", func(t *testing.T) {
		bad := e.npretail(t, "wrong-key")
		_, err := bad.Members.Get(ctx, bctest.DemoMemberWithPhoneID)
		if !bc.IsUnauthorized(err) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
	})
}
