package login_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func TestPOSPersonalQRFillsTheDialog(t *testing.T) {
	e := newEnv(t)
	qr := e.Vipps.PersonalQR(vippstest.PersonaApprove)
	id := e.create(login.MemberRoute, keyAcme, map[string]any{"qrCode": qr})
	e.Advance(5 * time.Second)
	res := e.await(login.MemberRoute, keyAcme, id, "completed")
	m, _ := res.Body["member"].(map[string]any)
	want := map[string]string{
		"firstName": "Åse Ærlig", "lastName": "Østby", "email": "ase.ostby@example.com", "phoneNo": "+4791234567",
		"birthday": "1985-04-17", "address": "Storgata 1, H0301", "postCode": "0155", "city": "Oslo", "country": "NO",
		"newsletter": "YES",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("member.%s = %v, want %v", k, m[k], v)
		}
	}
	if res.Body["customer"] != nil {
		t.Errorf("member request answered with a customer")
	}
}

func TestPOSTokenizedQRAndBadQR(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.MemberRoute, keyAcme, map[string]any{"qrCode": e.Vipps.TokenizedPersonalQR(vippstest.PersonaApprove)})
	e.Advance(5 * time.Second)
	e.await(login.MemberRoute, keyAcme, id, "completed")

	res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"qrCode": "https://example.com/not-a-vipps-code"})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("bad QR: %d %s", res.Status, res.Raw)
	}
	if errs, _ := res.Body["errors"].([]any); len(errs) == 0 || errs[0].(map[string]any)["field"] != "qrCode" {
		t.Errorf("problem does not name qrCode: %s", res.Raw)
	}
}

func TestPOSExistingMemberIsUpdatedInNPRetail(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "912 34 567", "memberId": bctest.DemoMemberWithPhoneID})
	e.Advance(5 * time.Second)
	res := e.await(login.MemberRoute, keyAcme, id, "completed")
	var stored map[string]any
	for _, m := range e.BC.Sim.Members() {
		if m.ID == bctest.DemoMemberWithPhoneID {
			stored = map[string]any{"address": m.Address, "city": m.City, "postCode": m.PostCode}
		}
	}
	if stored["address"] != "Storgata 1, H0301" || stored["city"] != "Oslo" {
		t.Errorf("member not updated in NP Retail: %v (%s)", stored, res.Raw)
	}
	if ch, _ := res.Body["changes"].([]any); len(ch) == 0 {
		t.Errorf("no changes reported: %s", res.Raw)
	}
	m, _ := res.Body["member"].(map[string]any)
	if m["memberId"] != bctest.DemoMemberWithPhoneID {
		t.Errorf("memberId in answer: %v", m["memberId"])
	}
}

func TestPOSUnknownMember(t *testing.T) {
	e := newEnv(t)
	res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "91234567", "memberId": "7c2b9e4a-1d3f-4a6b-8e5c-0000000fffff"})
	if res.Status != http.StatusUnprocessableEntity || res.Body["type"] != api.ProblemUnknownMember {
		t.Fatalf("%d %s", res.Status, res.Raw)
	}
}

func TestPOSMemberUpdateNeedsTheUseCaseToAllowIt(t *testing.T) {
	e := newEnv(t, testenv.NotStarted())
	uc := e.Cfg.Tenants[0].UseCases["pos-member-registration"]
	if !uc.UpdateExisting {
		t.Fatalf("the default POS use case of a tenant with NP Retail should update existing members")
	}
	uc.UpdateExisting = false
	e.Cfg.Tenants[0].UseCases["pos-member-registration"] = uc
	e.Start("a")
	res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "91234567", "memberId": bctest.DemoMemberWithPhoneID})
	if res.Status != http.StatusBadRequest {
		t.Fatalf("%d %s", res.Status, res.Raw)
	}
	if errs, _ := res.Body["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "memberId" {
		t.Errorf("problem does not name memberId: %s", res.Raw)
	}
}
