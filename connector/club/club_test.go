package club_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

const apiKey = "acme-test-key-1"

// Phones of the tests: the demo member (also the approving persona) and a
// Vipps user who is not a member yet.
const (
	memberPhone = vippstest.PersonaApprove // bctest.DemoMemberPhone
	newPhone    = "4790011223"
)

type env struct{ *testenv.Env }

func newEnv(t *testing.T, opts ...testenv.Option) *env {
	t.Helper()
	return newEnvFor(t, []testenv.Tenant{{ID: "acme", APIKey: apiKey}}, opts...)
}

// newEnvFor is newEnv with the tenants given (the first is acme).
func newEnvFor(t *testing.T, tenants []testenv.Tenant, opts ...testenv.Option) *env {
	t.Helper()
	o := testenv.Options{
		Tenants: tenants,
		Login:   "{defaultExpiry: 5m}",
		Front:   true,
		Public:  true,
		Prepare: func(vs *vippstest.Server, bcs *bctest.Servers) {
			bcs.Sim.RegisterEntitySet(payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity, "reference")
			consents := &vipps.DelegatedConsents{Language: "NO", Heading: "Bli medlem", TimeOfConsent: "2026-11-21T10:00:00Z",
				Consents: []vipps.Consent{{ID: "email", Accepted: true}, {ID: "sms", Accepted: false}}}
			vs.AddUser(vippstest.User{PhoneNumber: newPhone, Behaviour: vippstest.BehaviourApprove, Delay: 2 * time.Second,
				Profile: vipps.UserInfo{Name: "Kari Nordmann", GivenName: "Kari", FamilyName: "Nordmann", BirthDate: "1990-02-03",
					Email: "kari@example.com", EmailVerified: new(true), PhoneNumber: newPhone, DelegatedConsents: consents}})
		},
	}
	e := &env{testenv.New(t, o, append(opts, testenv.NotStarted())...)}
	for i := range e.Cfg.Tenants {
		uc := e.Cfg.Tenants[i].UseCases["club-enrollment"]
		uc.MembershipCode, uc.MembershipItem = bctest.DemoMembershipCode, bctest.DemoMembershipItem
		e.Cfg.Tenants[i].UseCases["club-enrollment"] = uc
	}
	e.Start("a")
	// Deliveries before the webhook secret is stored are refused (Vipps
	// retries them later): wait for the registration.
	e.WaitFor("acme", "whr_"+vippstest.DefaultMSN, func(j store.Job) bool { return j.Status == "registered" })
	return e
}

func (e *env) do(method, path string, body any, headers ...string) testenv.Response {
	e.T.Helper()
	return e.Do(method, path, apiKey, body, headers...)
}

func membersWithPhone(e *env, phone string) []bc.Member {
	var out []bc.Member
	for _, m := range e.BC.Sim.Members() {
		if strings.TrimLeft(strings.ReplaceAll(m.PhoneNo, " ", ""), "+") == phone {
			out = append(out, m)
		}
	}
	return out
}

// TestWhoIsThisCustomer: the member is found by a typed phone number and
// by both personal QR formats; a non-member is not; a bad QR is a 400.
func TestWhoIsThisCustomer(t *testing.T) {
	e := newEnv(t)
	for _, qr := range []string{e.Vipps.PersonalQR(memberPhone), e.Vipps.TokenizedPersonalQR(memberPhone)} {
		res := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": qr})
		if res.Status != http.StatusOK || res.Body["phoneNumber"] != "+"+memberPhone {
			t.Fatalf("lookup %q: %d %s", qr, res.Status, res.Raw)
		}
		res = e.do(http.MethodPost, "/v1/check-ins", map[string]any{"qrCode": qr})
		if res.Status != http.StatusOK || res.Body["isMember"] != true || res.Body["memberId"] != bctest.DemoMemberWithPhoneID || res.Body["notified"] != true {
			t.Fatalf("check-in by QR: %d %s", res.Status, res.Raw)
		}
	}
	for _, typed := range []string{"+47 912 34 567", "91234567", "0047 91234567"} {
		res := e.do(http.MethodGet, "/v1/members?phoneNumber="+strings.ReplaceAll(strings.ReplaceAll(typed, "+", "%2B"), " ", "%20"), nil)
		items, _ := res.Body["items"].([]any)
		if res.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["memberId"] != bctest.DemoMemberWithPhoneID {
			t.Fatalf("members by %q: %d %s", typed, res.Status, res.Raw)
		}
	}
	res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + newPhone})
	// Vipps shows a non-member nothing: not notified, and the answer says so.
	if res.Status != http.StatusOK || res.Body["isMember"] != false || res.Body["notified"] != false || res.Body["detail"] == nil || res.Body["memberId"] != nil {
		t.Fatalf("non-member check-in: %d %s", res.Status, res.Raw)
	}
	checkIns := e.Vipps.CheckIns()
	if len(checkIns) != 3 || checkIns[2].IsMember {
		t.Fatalf("check-ins at Vipps: %+v", checkIns)
	}
	for _, bad := range []string{"https://qr.example.com/not-vipps", "not-a-qr-code"} {
		res := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": bad})
		if res.Status != http.StatusBadRequest || !hasField(res, "qrCode") {
			t.Fatalf("bad QR %q: %d %s", bad, res.Status, res.Raw)
		}
	}
	if res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{}); res.Status != http.StatusBadRequest || !hasField(res, "phoneNumber") {
		t.Fatalf("empty check-in: %d %s", res.Status, res.Raw)
	}
}

// TestBlockedMemberCheckIn: NP Retail's search answers a blocked member
// too; the check-in does not greet them as a member.
func TestBlockedMemberCheckIn(t *testing.T) {
	e := newEnv(t)
	if !e.BC.Sim.BlockMember(bctest.DemoMemberWithPhoneID) {
		t.Fatal("no demo member")
	}
	res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + memberPhone})
	detail, _ := res.Body["detail"].(string)
	if res.Status != http.StatusOK || res.Body["isMember"] != false || res.Body["memberId"] != nil || res.Body["notified"] != false || !strings.Contains(detail, "blocked") {
		t.Fatalf("blocked member's check-in: %d %s", res.Status, res.Raw)
	}
	if cs := e.Vipps.CheckIns(); len(cs) != 1 || cs[0].IsMember {
		t.Fatalf("check-ins at Vipps: %+v", cs)
	}
}

// TestCheckInNotAvailable: the Check-in API is Vipps-only and may be
// unavailable: the answer says not notified, the call succeeds.
func TestCheckInNotAvailable(t *testing.T) {
	e := newEnv(t)
	e.Vipps.InjectFault(vippstest.Fault{Method: http.MethodPost, PathPrefix: "/point-of-sale/", Status: http.StatusNotFound})
	res := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + memberPhone})
	if res.Status != http.StatusOK || res.Body["isMember"] != true || res.Body["notified"] != false || res.Body["detail"] == nil {
		t.Fatalf("check-in without the API: %d %s", res.Status, res.Raw)
	}
	// A Danish number cannot be checked in at all.
	e.Vipps.ClearFaults()
	res = e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + vippstest.PersonaDanish})
	if res.Status != http.StatusOK || res.Body["notified"] != false || !strings.Contains(res.Body["detail"].(string), "Norwegian") {
		t.Fatalf("Danish check-in: %d %s", res.Status, res.Raw)
	}
}

// enroll starts an enrolment and expects 202.
func (e *env) enroll(key string, body map[string]any) string {
	e.T.Helper()
	res := e.do(http.MethodPost, "/v1/enrollments", body, "Idempotency-Key", key)
	if res.Status != http.StatusAccepted || res.Body["status"] != "pending" {
		e.T.Fatalf("enroll: %d %s", res.Status, res.Raw)
	}
	return res.Body["id"].(string)
}

func (e *env) await(id, want string) testenv.Response {
	e.T.Helper()
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == want })
	res := e.do(http.MethodGet, "/v1/enrollments/"+id, nil)
	if res.Status != http.StatusOK || res.Body["status"] != want {
		e.T.Fatalf("enrolment %s: %d %s", id, res.Status, res.Raw)
	}
	return res
}

// TestEnrollment: a non-member consents and is created in NP Retail once,
// with the consents mapped; a retry of the POST answers the same request.
func TestEnrollment(t *testing.T) {
	e := newEnv(t)
	id := e.enroll("enr-1", map[string]any{"phoneNumber": "+" + newPhone})
	if again := e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "enr-1"); again.Status != http.StatusOK || again.Body["id"] != id {
		t.Fatalf("retry: %d %s", again.Status, again.Raw)
	}
	e.Advance(2 * time.Second) // the customer consents; the ping tells at once
	res := e.await(id, "completed")
	member, _ := res.Body["member"].(map[string]any)
	got := membersWithPhone(e, newPhone)
	if len(got) != 1 || member["memberId"] != got[0].ID {
		t.Fatalf("members with the phone: %+v; answer %s", got, res.Raw)
	}
	m := got[0]
	if m.FirstName != "Kari" || m.LastName != "Nordmann" || m.Email != "kari@example.com" || m.Birthday != "1990-02-03" || m.Newsletter != "YES" {
		t.Fatalf("member: %+v", m)
	}
	// The same phone again is the member, at once and without a push.
	res = e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "enr-2")
	if res.Status != http.StatusAccepted || res.Body["status"] != "completed" || res.Body["member"].(map[string]any)["memberId"] != m.ID {
		t.Fatalf("already a member: %d %s", res.Status, res.Raw)
	}
	if again := e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "enr-2"); again.Status != http.StatusOK || again.Body["id"] != res.Body["id"] {
		t.Fatalf("retry of the already-member answer: %d %s", again.Status, again.Raw)
	}
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members with the phone", n)
	}
}

// TestAlreadyMemberAnswerIsPurged: an enrolment of a phone that belongs to
// a member is answered final (completed, the member's id and name) by the
// POST itself. That answer is its delivery, so the name is purged after
// retention.profile, as a fetched login's is; so is a retry's answer.
func TestAlreadyMemberAnswerIsPurged(t *testing.T) {
	e := newEnv(t)
	res := e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + memberPhone}, "Idempotency-Key", "am-1")
	if res.Status != http.StatusAccepted || res.Body["status"] != "completed" {
		t.Fatalf("already a member: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	e.Advance(e.Cfg.Retention.Profile + time.Minute)
	e.First().Svc.Engine().Housekeep(context.Background())
	if j := e.Job("acme", id); len(j.Result) != 0 || j.DeliveredAt.IsZero() {
		t.Fatalf("the POST's final answer still holds personal data after retention.profile (deliveredAt %v): %s", j.DeliveredAt, j.Result)
	}
}

// TestEnrollmentMembershipItem: NP Retail creates a membership from its
// sales item, so a membership code without a configured item is refused
// before anyone is asked (400 naming membershipCode), and one with an item
// is created from that item.
func TestEnrollmentMembershipItem(t *testing.T) {
	e := newEnv(t)
	before := e.Vipps.Stats().BackchannelRequests
	res := e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + newPhone, "membershipCode": "SILVER"}, "Idempotency-Key", "silver-1")
	if res.Status != http.StatusBadRequest || !strings.Contains(string(res.Raw), `"field":"membershipCode"`) {
		t.Fatalf("a membership code without a sales item: %d %s", res.Status, res.Raw)
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != before {
		t.Fatalf("the customer was asked: %d logins started", n-before)
	}
	id := e.enroll("gold-1", map[string]any{"phoneNumber": "+" + newPhone})
	e.Advance(2 * time.Second)
	// NP Retail refuses a membership without its item: completed means
	// the configured item was sent.
	e.await(id, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members with the phone", n)
	}
}

// TestEnrollmentWithoutMember: declined, expired and cancelled enrolments
// create no member.
func TestEnrollmentWithoutMember(t *testing.T) {
	e := newEnv(t)
	before := len(e.BC.Sim.Members())
	declined := e.enroll("d", map[string]any{"phoneNumber": "+" + vippstest.PersonaReject})
	ignored := e.enroll("i", map[string]any{"phoneNumber": "+" + vippstest.PersonaIgnore})
	cancelled := e.enroll("c", map[string]any{"phoneNumber": "+" + newPhone})
	if res := e.do(http.MethodDelete, "/v1/enrollments/"+cancelled, nil); res.Status != http.StatusOK || res.Body["status"] != "cancelled" {
		t.Fatalf("cancel: %d %s", res.Status, res.Raw)
	}
	e.Advance(2 * time.Second)
	e.Advance(5 * time.Second)
	e.await(declined, "rejected")
	for range 70 {
		if e.Job("acme", ignored).Final {
			break
		}
		e.Advance(5 * time.Second)
	}
	e.await(ignored, "expired")
	if n := len(e.BC.Sim.Members()); n != before {
		t.Fatalf("members: %d → %d", before, n)
	}
}

// TestEnrollmentNPRetailDown: NP Retail is down after the consent, then
// the process dies; after the restart and NP Retail's recovery the member
// is created once.
func TestEnrollmentNPRetailDown(t *testing.T) {
	e := newEnv(t)
	id := e.enroll("k", map[string]any{"phoneNumber": "+" + newPhone})
	e.BC.Sim.InjectFault(bctest.Fault{PathPrefix: "/npretail/", Status: http.StatusServiceUnavailable})
	e.Advance(2 * time.Second)
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "applying" && j.Attempts > 0 })
	e.Stop(e.First())
	e.BC.Sim.ClearFaults()
	e.Start("b")
	e.Drive("acme", id, 20)
	e.await(id, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members with the phone", n)
	}
}

// TestEnrollmentFreesThePhoneAtConsent: once the customer has consented
// to tenant acme's enrolment, Vipps has no login open for the phone, so
// tenant beta's login for it starts even while acme's NP Retail is down;
// acme's own second enrolment of the phone waits for the first (409 naming
// it), so the member is created once.
func TestEnrollmentFreesThePhoneAtConsent(t *testing.T) {
	const betaKey = "beta-test-key-1"
	e := newEnvFor(t, []testenv.Tenant{{ID: "acme", APIKey: apiKey}, {ID: "beta", APIKey: betaKey}})
	id := e.enroll("acme-enr", map[string]any{"phoneNumber": "+" + newPhone})
	// NP Retail refuses writes for now (its member search still answers).
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPost, PathPrefix: "/npretail/", Status: http.StatusServiceUnavailable})
	e.Advance(2 * time.Second) // the customer consents in the app
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "applying" && j.Attempts > 0 })

	again := e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "acme-enr-2")
	if again.Status != http.StatusConflict || again.Body["pendingRequestId"] != id {
		t.Fatalf("acme's second enrolment of the phone while the first creates the member: %d %s", again.Status, again.Raw)
	}
	res := e.Do(http.MethodPost, "/v1/customer-info-requests", betaKey,
		map[string]any{"customerNo": bctest.DemoCustomerEmptyAddress, "phoneNumber": "+" + newPhone}, "Idempotency-Key", "beta-1")
	if res.Status != http.StatusAccepted {
		t.Fatalf("tenant beta's login for a phone whose customer already answered tenant acme: %d %s", res.Status, res.Raw)
	}
	e.BC.Sim.ClearFaults()
	e.Drive("acme", id, 20)
	e.await(id, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members with the phone", n)
	}
}

// TestEnrollmentRaceCreatesOneMember: two enrolments of one phone past
// their consent at once (a race between replicas: the second stored while
// the first took its tenant lock) create one member. The second, still
// holding the phone's key, waits for the first to end before it creates
// anything, and then finds the member.
func TestEnrollmentRaceCreatesOneMember(t *testing.T) {
	e := newEnv(t)
	id := e.enroll("race-a", map[string]any{"phoneNumber": "+" + newPhone})
	// NP Retail refuses writes for now (its member search still answers).
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPost, PathPrefix: "/npretail/", Status: http.StatusServiceUnavailable})
	e.Advance(2 * time.Second) // the customer consents
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "applying" && j.Attempts > 0 })
	// The second enrolment, as the race leaves it: consented, applying,
	// holding the phone's key rather than the tenant's.
	b := e.Job("acme", id)
	b.ID, b.IdempotencyKey, b.RequestHash, b.ExclusiveKey = "enr_racesecond", "", "", "login-phone:race"
	b.Version, b.Attempts, b.LeaseOwner, b.LeaseUntil, b.DueAt = 0, 0, "", time.Time{}, e.Clock.Now()
	faults := e.BC.Sim.Stats().FaultsInjected
	if _, err := e.First().Svc.Engine().Create(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	e.WaitFor("acme", b.ID, func(j store.Job) bool {
		return j.Attempts > 0 && strings.Contains(string(j.State), "Another enrolment of this phone number")
	})
	// It waited without trying to create anything in NP Retail (whose
	// writes would have met the fault).
	if n := e.BC.Sim.Stats().FaultsInjected; n != faults {
		t.Fatalf("the second enrolment wrote to NP Retail while the first held the lock (%d refused writes)", n-faults)
	}
	e.BC.Sim.ClearFaults()
	e.Drive("acme", id, 20)
	e.await(id, "completed")
	e.Drive("acme", b.ID, 20)
	e.await(b.ID, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members with the phone, want 1", n)
	}
}

// TestPaymentMembers: a payment for an unknown member is refused; one for
// a member carries it to BC's vippsPayments.
func TestPaymentMembers(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"amount": 10000, "currency": "NOK", "phoneNumber": "+" + memberPhone, "description": "Kasse 1",
		"memberId": "00000000-0000-4000-8000-000000000001"}
	if res := e.do(http.MethodPost, "/v1/payments", body, "Idempotency-Key", "p1"); res.Status != http.StatusUnprocessableEntity || !hasField(res, "memberId") {
		t.Fatalf("unknown member: %d %s", res.Status, res.Raw)
	}
	body["memberId"] = bctest.DemoMemberWithPhoneID
	res := e.do(http.MethodPost, "/v1/payments", body, "Idempotency-Key", "p2")
	if res.Status != http.StatusCreated {
		t.Fatalf("member payment: %d %s", res.Status, res.Raw)
	}
	ref := res.Body["reference"].(string)
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(res.Body["id"].(string), "pay_"), func(j store.Job) bool { return j.Status == "synced" })
	if rec := bcPayment(e, ref); rec == nil || rec["memberId"] != bctest.DemoMemberWithPhoneID {
		t.Fatalf("BC record: %v", rec)
	}
}

func bcPayment(e *env, ref string) map[string]any {
	for _, r := range e.BC.Sim.Entities(bctest.DemoCompanyID, payment.APIPublisher, payment.APIGroup, payment.APIVersion, payment.PaymentsEntity) {
		if r["reference"] == ref {
			return r
		}
	}
	return nil
}

// TestSeedFlow is the seed flow "in-store payment with customer club" as
// one run through the HTTP API: the customer shows a personal QR, is not
// a member, joins with one push, pays with a push (the till learns it from
// the webhook), the till captures, and the captured amount is what the
// till asked for — at Vipps, at the connector and in BC.
func TestSeedFlow(t *testing.T) {
	e := newEnv(t)
	qr := e.Vipps.TokenizedPersonalQR(newPhone)
	res := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": qr})
	if res.Status != http.StatusOK {
		t.Fatalf("lookup: %d %s", res.Status, res.Raw)
	}
	phone := res.Body["phoneNumber"].(string)
	res = e.do(http.MethodPost, "/v1/check-ins", map[string]any{"qrCode": qr})
	if res.Status != http.StatusOK || res.Body["isMember"] != false {
		t.Fatalf("check-in: %d %s", res.Status, res.Raw)
	}
	enr := e.enroll("seed-enr", map[string]any{"qrCode": qr})
	e.Advance(2 * time.Second)
	done := e.await(enr, "completed")
	memberID := done.Body["member"].(map[string]any)["memberId"].(string)

	const amount = 34900
	res = e.do(http.MethodPost, "/v1/payments", map[string]any{"amount": amount, "currency": "NOK", "phoneNumber": phone,
		"description": "Kasse 2", "memberId": memberID, "posId": "kasse-2", "receiptNumber": "R-1",
		"orderLines": []map[string]any{{"name": "Jakke", "id": "J1", "totalAmount": amount, "totalAmountExcludingTax": 27920, "totalTaxAmount": 6980, "taxRate": 2500}}},
		"Idempotency-Key", "seed-pay")
	if res.Status != http.StatusCreated {
		t.Fatalf("payment: %d %s", res.Status, res.Raw)
	}
	id := res.Body["id"].(string)
	e.Advance(2 * time.Second) // the customer approves; the webhook tells the till
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == payment.StatusAuthorized })
	res = e.do(http.MethodPost, "/v1/payments/"+id+"/capture", map[string]any{}, "Idempotency-Key", "seed-cap")
	if res.Status != http.StatusOK || res.Body["status"] != payment.StatusCaptured {
		t.Fatalf("capture: %d %s", res.Status, res.Raw)
	}
	var v payment.View
	_ = json.Unmarshal(res.Raw, &v)
	if v.CapturedAmount != amount || v.MemberID != memberID {
		t.Fatalf("till's view: %+v", v)
	}
	// Vipps' own view agrees (the till shows what Vipps did).
	c, err := vipps.New(vipps.Config{Environment: vipps.EnvironmentTest, BaseURL: e.Vipps.URL, MSN: vippstest.DefaultMSN,
		ClientID: vippstest.DefaultClientID, ClientSecret: vippstest.DefaultClientSecret, SubscriptionKey: vippstest.DefaultSubscriptionKey},
		vipps.WithClock(e.Clock))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := c.EPayment.Get(t.Context(), v.Reference)
	if err != nil || vp.Aggregate.CapturedAmount.Value != amount {
		t.Fatalf("Vipps: %+v %v", vp, err)
	}
	e.WaitFor("acme", "bcp_"+strings.TrimPrefix(id, "pay_"), func(j store.Job) bool {
		rec := bcPayment(e, v.Reference)
		return rec != nil && rec["status"] == payment.StatusCaptured
	})
	rec := bcPayment(e, v.Reference)
	if rec["capturedAmount"] != float64(amount) || rec["memberId"] != memberID || rec["posId"] != "kasse-2" {
		t.Fatalf("BC: %v", rec)
	}
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members", n)
	}
}

func hasField(r testenv.Response, field string) bool {
	errs, _ := r.Body["errors"].([]any)
	for _, x := range errs {
		if m, _ := x.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

// TestMemberSearchStaysInItsCountry: a member stored with a national
// number ("91234567") is found by the Norwegian number in any form, not by
// the Danish number with the same digits.
func TestMemberSearchStaysInItsCountry(t *testing.T) {
	e := newEnv(t)
	m, err := e.BC.Sim.AddMember(bc.Member{FirstName: "Ola", LastName: "Nordmann", PhoneNo: "93334444", Email: "ola@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{"+4793334444", "93334444", "+47 933 34 444"} {
		res := e.do(http.MethodGet, "/v1/members?phoneNumber="+strings.ReplaceAll(strings.ReplaceAll(typed, "+", "%2B"), " ", "%20"), nil)
		items, _ := res.Body["items"].([]any)
		if res.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["memberId"] != m.ID {
			t.Fatalf("%q: %d %s", typed, res.Status, res.Raw)
		}
	}
	res := e.do(http.MethodGet, "/v1/members?phoneNumber=%2B4593334444", nil)
	if items, _ := res.Body["items"].([]any); res.Status != http.StatusOK || len(items) != 0 {
		t.Fatalf("Danish number: %d %s", res.Status, res.Raw)
	}
	// An enrolment for the member's phone shows the member's id and name
	// only: the till typed a number, the member did not consent to more.
	res = e.do(http.MethodPost, "/v1/enrollments", map[string]any{"phoneNumber": "93334444"}, "Idempotency-Key", "x")
	member, _ := res.Body["member"].(map[string]any)
	if res.Status != http.StatusAccepted || member["memberId"] != m.ID || member["email"] != "" || member["firstName"] != "Ola" {
		t.Fatalf("already a member: %d %s", res.Status, res.Raw)
	}
}

// TestEnrollmentAddOutcomeUnknown: NP Retail answers the member's add with
// 504 (it may still process it): the member is looked for, not sent again,
// for 10 minutes; then it is sent again and created once.
func TestEnrollmentAddOutcomeUnknown(t *testing.T) {
	e := newEnv(t)
	id := e.enroll("k", map[string]any{"phoneNumber": "+" + newPhone})
	addMember := "/npretail/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName + "/membership/"
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPost, PathPrefix: addMember, Status: http.StatusGatewayTimeout, Times: 1})
	e.Advance(2 * time.Second) // consent: the add gets 504
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "applying" && j.Attempts > 0 })
	// Five minutes of retries look for the member and send nothing.
	for range 10 {
		e.Advance(30 * time.Second)
		v := e.Job("acme", id).Version
		e.WaitFor("acme", id, func(j store.Job) bool { return j.Version > v || j.Final || j.DueAt.After(e.Clock.Now()) })
	}
	if j := e.Job("acme", id); j.Status != "applying" || len(membersWithPhone(e, newPhone)) != 0 {
		t.Fatalf("sent again within the settle window: %s, %d members", j.Status, len(membersWithPhone(e, newPhone)))
	}
	e.Drive("acme", id, 30)
	e.await(id, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members", n)
	}
}

// TestEnrollmentMembershipOutcomeUnknown: NP Retail answers the
// membership's create with 504 (it may have created it). The connector
// cannot look a membership up by a key of its own, so it creates one
// again and says in the log that the first may stay empty; the customer
// becomes a member once.
func TestEnrollmentMembershipOutcomeUnknown(t *testing.T) {
	e := newEnv(t)
	if got := e.Metric(`bcvipps_npretail_memberships_unconfirmed_total{tenant="acme"}`); got != "0" {
		t.Fatalf("unconfirmed memberships before any: %q, want 0 (the series is there from the start)", got)
	}
	id := e.enroll("k", map[string]any{"phoneNumber": "+" + newPhone})
	create := "/npretail/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyName + "/membership"
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPost, PathPrefix: create, Status: http.StatusGatewayTimeout, Times: 1})
	e.Advance(2 * time.Second) // consent: the membership's create gets 504
	e.WaitFor("acme", id, func(j store.Job) bool { return j.Status == "applying" && j.Attempts > 0 })
	if !strings.Contains(e.Logs.String(), "stays without members") {
		t.Fatalf("no warning of a possibly empty membership in the log:\n%s", e.Logs.String())
	}
	if got := e.Metric(`bcvipps_npretail_memberships_unconfirmed_total{tenant="acme"}`); got != "1" {
		t.Fatalf("unconfirmed memberships counted: %q, want 1", got)
	}
	e.Drive("acme", id, 30)
	e.await(id, "completed")
	if n := len(membersWithPhone(e, newPhone)); n != 1 {
		t.Fatalf("%d members", n)
	}
}

// TestClubIdempotencyKey: a check-in and a phone lookup sent with an
// Idempotency-Key are done once; a retry gets the first answer (the
// customer's app is notified once), the key with another body is 409
// naming the header. An answer that says to try again (NP Retail down) is
// not kept: the retry under the key does the work.
func TestClubIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	checkIns := func() int { return e.Vipps.Stats().Requests["POST /point-of-sale/v1/loyalty-check-in"] }
	body := map[string]any{"phoneNumber": "+" + memberPhone}
	first := e.do(http.MethodPost, "/v1/check-ins", body, "Idempotency-Key", "ci-1")
	if first.Status != http.StatusOK || first.Body["notified"] != true {
		t.Fatalf("check-in: %d %s", first.Status, first.Raw)
	}
	again := e.do(http.MethodPost, "/v1/check-ins", body, "Idempotency-Key", "ci-1")
	if again.Status != http.StatusOK || string(again.Raw) != string(first.Raw) || checkIns() != 1 {
		t.Fatalf("retry: %d %s (first %s), %d check-ins sent", again.Status, again.Raw, first.Raw, checkIns())
	}
	other := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "ci-1")
	if other.Status != http.StatusConflict || !strings.Contains(string(other.Raw), `"field":"Idempotency-Key"`) || checkIns() != 1 {
		t.Fatalf("another body under the key: %d %s, %d check-ins sent", other.Status, other.Raw, checkIns())
	}
	// The same key on the other endpoint is another request too.
	qr := e.Vipps.PersonalQR(memberPhone)
	if res := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": qr}, "Idempotency-Key", "ci-1"); res.Status != http.StatusConflict {
		t.Fatalf("the check-in's key on a lookup: %d %s", res.Status, res.Raw)
	}
	lookup := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": qr}, "Idempotency-Key", "pl-1")
	if lookup.Status != http.StatusOK || lookup.Body["phoneNumber"] != "+"+memberPhone {
		t.Fatalf("lookup: %d %s", lookup.Status, lookup.Raw)
	}
	if res := e.do(http.MethodPost, "/v1/phone-lookups", map[string]any{"qrCode": e.Vipps.PersonalQR(newPhone)}, "Idempotency-Key", "pl-1"); res.Status != http.StatusConflict {
		t.Fatalf("another QR under the lookup's key: %d %s", res.Status, res.Raw)
	}

	// NP Retail down: 5xx, not kept; after it heals the retry checks in.
	e.BC.Sim.InjectFault(bctest.Fault{PathPrefix: "/npretail/", Status: http.StatusServiceUnavailable})
	down := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "ci-2")
	if down.Status < 500 {
		t.Fatalf("check-in with NP Retail down: %d %s", down.Status, down.Raw)
	}
	e.BC.Sim.ClearFaults()
	healed := e.do(http.MethodPost, "/v1/check-ins", map[string]any{"phoneNumber": "+" + newPhone}, "Idempotency-Key", "ci-2")
	if healed.Status != http.StatusOK || healed.Body["isMember"] != false || checkIns() != 2 {
		t.Fatalf("retry after NP Retail healed: %d %s, %d check-ins sent", healed.Status, healed.Raw, checkIns())
	}
}
