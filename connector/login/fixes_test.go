package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/internal/testenv"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// problemNames reports whether a problem answer names field in errors.
func problemNames(res testenv.Response, field string) bool {
	errs, _ := res.Body["errors"].([]any)
	for _, x := range errs {
		if m, ok := x.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}

// Every way an Idempotency-Key can be reused for another request is a 409
// naming Idempotency-Key; only a true retry gets the first answer.
func TestIdempotencyKeyReusedForAnotherRequestIsAConflict(t *testing.T) {
	e := newEnv(t)
	first := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaIgnore), "Idempotency-Key", "till-1")
	if first.Status != http.StatusAccepted {
		t.Fatalf("first POST: %d %s", first.Status, first.Raw)
	}
	for _, tc := range []struct {
		name, route string
		body        map[string]any
	}{
		{"another customer", login.CustomerRoute, customerBody(bctest.DemoCustomerFilledAddress, "+"+vippstest.PersonaIgnore)},
		{"another phone", login.CustomerRoute, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaReject)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(http.MethodPost, tc.route, keyAcme, tc.body, "Idempotency-Key", "till-1")
			if res.Status != http.StatusConflict || res.Body["type"] != api.ProblemIdempotencyReused || !problemNames(res, "Idempotency-Key") {
				t.Fatalf("status %d, want 409 naming Idempotency-Key: %s", res.Status, res.Raw)
			}
			if res.Body["id"] != nil {
				t.Errorf("the conflict carries the first request: %s", res.Raw)
			}
		})
	}
	// Keys are per endpoint: the member endpoint's own key, reused there
	// with another member body.
	m1 := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "+" + vippstest.PersonaReject}, "Idempotency-Key", "till-1")
	if m1.Status != http.StatusAccepted {
		t.Fatalf("member POST: %d %s", m1.Status, m1.Raw)
	}
	m2 := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "+" + vippstest.PersonaReject, "memberId": bctest.DemoMemberWithPhoneID}, "Idempotency-Key", "till-1")
	if m2.Status != http.StatusConflict || !problemNames(m2, "Idempotency-Key") {
		t.Fatalf("member key reused: %d %s", m2.Status, m2.Raw)
	}
	// A true retry (same body, keys in another order, spaces trimmed) is the
	// first answer.
	retry := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, `{"phoneNumber":" +`+vippstest.PersonaIgnore+`","customerNo":"`+bctest.DemoCustomerEmptyAddress+`"}`, "Idempotency-Key", "till-1")
	if retry.Status != http.StatusOK || retry.Body["id"] != first.Body["id"] {
		t.Fatalf("retry: %d %s", retry.Status, retry.Raw)
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 2 {
		t.Errorf("pushes = %d, want 2", n)
	}
}

// The other 409 answers: cancelling a finished request.
func TestCancelAFinishedRequestIsAConflict(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaReject))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "rejected")
	res := e.Do(http.MethodDelete, login.CustomerRoute+"/"+id, keyAcme, nil)
	if res.Status != http.StatusConflict || res.Body["type"] != api.ProblemConflict {
		t.Fatalf("DELETE of a rejected request: %d %s", res.Status, res.Raw)
	}
}

// A second login for a phone that already has one waiting is refused at
// once with a clear problem (and the pending id for the same tenant), not
// left to expire later.
func TestSecondLoginForAPendingPhoneIsRefusedAtOnce(t *testing.T) {
	e := newEnv(t)
	phone := "+" + vippstest.PersonaIgnore
	first := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, phone))
	pushes := e.Vipps.Stats().BackchannelRequests

	for _, tc := range []struct {
		name, route, key string
		body             map[string]any
		wantID           bool
	}{
		{"same tenant, customer", login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerFilledAddress, "0047 934 56 789"), true},
		{"same tenant, member", login.MemberRoute, keyAcme, map[string]any{"phoneNumber": phone}, true},
		{"other tenant", login.CustomerRoute, keyOther, customerBody(bctest.DemoCustomerEmptyAddress, phone), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(http.MethodPost, tc.route, tc.key, tc.body)
			if res.Status != http.StatusConflict || res.Body["type"] != api.ProblemLoginPending {
				t.Fatalf("status %d: %s", res.Status, res.Raw)
			}
			if !strings.Contains(res.Body["title"].(string), "already waiting for the customer") {
				t.Errorf("title %q", res.Body["title"])
			}
			if got, _ := res.Body["pendingRequestId"].(string); (got == first) != tc.wantID || (!tc.wantID && got != "") {
				t.Errorf("pendingRequestId = %q (first %s, want shown: %v)", got, first, tc.wantID)
			}
			if strings.Contains(string(res.Raw), vippstest.PersonaIgnore[2:]) {
				t.Errorf("the problem echoes the phone number")
			}
		})
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != pushes {
		t.Errorf("pushes sent for refused logins: %d", n-pushes)
	}
	// Cancelled here, the first login stays open at Vipps until it expires:
	// a new request says so at once instead of expiring later.
	if res := e.Do(http.MethodDelete, login.CustomerRoute+"/"+first, keyAcme, nil); res.Status != http.StatusOK {
		t.Fatalf("DELETE: %d", res.Status)
	}
	res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, phone))
	errObj, _ := res.Body["error"].(map[string]any)
	if res.Status != http.StatusAccepted || res.Body["status"] != "failed" || errObj["type"] != api.ProblemLoginPending ||
		strings.Contains(errObj["detail"].(string), "slow down") {
		t.Fatalf("login after a cancel: %d %s", res.Status, res.Raw)
	}
	// Once Vipps' login has expired the phone is free again.
	e.Advance(5*time.Minute + time.Second)
	again := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, phone))
	// Also when the cancelled login has been open a while, so that Vipps'
	// wait ends before the new request would: no push minutes later.
	e.Advance(time.Minute)
	if res := e.Do(http.MethodDelete, login.CustomerRoute+"/"+again, keyAcme, nil); res.Status != http.StatusOK {
		t.Fatalf("DELETE: %d", res.Status)
	}
	res = e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, phone))
	if errObj, _ := res.Body["error"].(map[string]any); res.Status != http.StatusAccepted || res.Body["status"] != "failed" || errObj["type"] != api.ProblemLoginPending {
		t.Fatalf("login a minute after a cancel: %d %s", res.Status, res.Raw)
	}
}

// A finished answer that was delivered can be fetched again for
// retention.profile (a response lost on the way back to BC), and not after.
func TestDeliveredAnswerCanBeFetchedAgainForAWhile(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaApprove))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "completed")
	e.Advance(0)
	if r := e.row("acme", id); r.DeliveredAt.IsZero() {
		t.Fatal("delivery not recorded after the answer was written")
	}
	e.Advance(2 * time.Minute)
	e.First().Svc.Engine().Housekeep(context.Background())
	again := e.Do(http.MethodGet, login.CustomerRoute+"/"+id, keyAcme, nil)
	cust, _ := again.Body["customer"].(map[string]any)
	if again.Status != http.StatusOK || cust["number"] != bctest.DemoCustomerEmptyAddress {
		t.Fatalf("answer gone 2 minutes after delivery: %s", again.Raw)
	}
	e.Advance(e.Cfg.Retention.Profile)
	e.First().Svc.Engine().Housekeep(context.Background())
	if r := e.row("acme", id); r.Result != nil || r.PurgedAt.IsZero() {
		t.Fatalf("answer kept past retention.profile")
	}
}

// NP Retail failures are reported as NP Retail's, not Business Central's.
func TestNPRetailFailuresNameNPRetail(t *testing.T) {
	e := newEnv(t)
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusInternalServerError})
	id := e.create(login.MemberRoute, keyAcme, map[string]any{"phoneNumber": "+" + vippstest.PersonaApprove, "memberId": bctest.DemoMemberWithPhoneID})
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
	last := login.LastError(r)
	if !strings.Contains(last, "NP Retail answered HTTP 500") || strings.Contains(last, "Business Central") {
		t.Fatalf("deferred NP Retail write says %q", last)
	}
}

// warningCodes lists the codes of an answer's warnings.
func warningCodes(res testenv.Response) []string {
	var out []string
	ws, _ := res.Body["warnings"].([]any)
	for _, w := range ws {
		if m, ok := w.(map[string]any); ok {
			code, _ := m["code"].(string)
			out = append(out, code)
		}
	}
	return out
}

// The person who consents may not be the person on the card: a clearly
// different name is a name-mismatch warning (warn: written anyway; skip:
// nothing written).
func TestNameMismatch(t *testing.T) {
	for _, policy := range []string{"warn", "skip"} {
		t.Run(policy, func(t *testing.T) {
			e := newEnv(t, testenv.NotStarted())
			for i := range e.Cfg.Tenants {
				e.Cfg.Tenants[i].Mapping.OnNameMismatch = policy
			}
			e.Start("a")
			before := e.customer(bctest.DemoCustomerEmptyAddressID) // "Kari Nordmann"; the persona is Åse Østby
			id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaApprove))
			e.Advance(5 * time.Second)
			res := e.await(login.CustomerRoute, keyAcme, id, "completed")
			codes := warningCodes(res)
			if len(codes) == 0 || codes[0] != "name-mismatch" {
				t.Fatalf("warnings %v: %s", codes, res.Raw)
			}
			changes, _ := res.Body["changes"].([]any)
			patches := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]
			switch policy {
			case "warn":
				if len(changes) == 0 || patches != 1 {
					t.Errorf("warn: %d changes, %d PATCHes", len(changes), patches)
				}
			case "skip":
				if len(changes) != 0 || patches != 0 || len(codes) != 1 {
					t.Errorf("skip: %d changes, %d PATCHes, warnings %v", len(changes), patches, codes)
				}
				if after := e.customer(bctest.DemoCustomerEmptyAddressID); after["@odata.etag"] != before["@odata.etag"] {
					t.Errorf("skip: the customer changed")
				}
			}
			for _, w := range res.Body["warnings"].([]any) {
				if f, _ := w.(map[string]any)["field"].(string); f != "" && !changedField(changes, f) {
					t.Errorf("a warning names %s, which was not written", f)
				}
			}
		})
	}
}

func changedField(changes []any, field string) bool {
	for _, c := range changes {
		if m, ok := c.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}

// BC's Retry-After defers the write to the time BC named instead of a
// backoff of its own (or a call sleeping past its lease).
func TestBusinessCentralRetryAfterDefersTheWrite(t *testing.T) {
	e := newEnv(t)
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Minute, Times: 1})
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaApprove))
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
	if wait := r.DueAt.Sub(e.Clock.Now()); wait < 2*time.Minute-time.Second || wait > 2*time.Minute {
		t.Fatalf("write deferred by %v, want BC's Retry-After of 2m", wait)
	}
	e.Advance(2 * time.Minute)
	if r := e.drive("acme", id); r.Status != login.StatusCompleted {
		t.Fatalf("after the wait: %s", r.Status)
	}
	if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != 1 {
		t.Errorf("PATCHes that landed = %d, want 1", n)
	}
}

// Strict bodies: JSON only (415 otherwise), one object, exact field names
// given once, problems that name no Go type.
func TestStrictRequestBodies(t *testing.T) {
	e := newEnv(t)
	res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, `customerNo=10000&phoneNumber=91234567`, "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusUnsupportedMediaType || !problemNames(res, "Content-Type") {
		t.Fatalf("form body: %d %s", res.Status, res.Raw)
	}
	for _, tc := range []struct{ name, body, field string }{
		{"array", `[{"customerNo":"10000","phoneNumber":"91234567"}]`, "body"},
		{"string", `"10000"`, "body"},
		{"differently cased key", `{"customerNo":"10000","PHONENUMBER":"91234567"}`, "PHONENUMBER"},
		{"duplicate key", `{"customerNo":"10000","phoneNumber":"91234567","phoneNumber":"92345678"}`, "phoneNumber"},
		{"duplicate cased key", `{"customerNo":"10000","phoneNumber":"91234567","PHONENUMBER":"92345678"}`, "phoneNumber"},
		{"wrong type", `{"customerNo":10000,"phoneNumber":"91234567"}`, "customerNo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, tc.body)
			if res.Status != http.StatusBadRequest || !problemNames(res, tc.field) {
				t.Fatalf("status %d, want 400 naming %s: %s", res.Status, tc.field, res.Raw)
			}
			if strings.Contains(string(res.Raw), "connector.") || strings.Contains(string(res.Raw), "Go ") || strings.Contains(string(res.Raw), "map[") {
				t.Errorf("the problem names a Go type: %s", res.Raw)
			}
		})
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 0 {
		t.Errorf("pushes sent for refused bodies: %d", n)
	}
}

// Numbers that cannot be real are refused before anything is stored or
// pushed; the Nordic forms a cashier types are accepted.
func TestPhoneNumbersAreRealNumbers(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{"12345", "+4712345", "0047 123"} {
		res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": bad})
		if res.Status != http.StatusBadRequest || !problemNames(res, "phoneNumber") {
			t.Errorf("%q: %d %s", bad, res.Status, res.Raw)
		}
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 0 {
		t.Fatalf("pushes sent for impossible numbers: %d", n)
	}
	for _, good := range []string{"4512345678", "+45 12 34 56 78", "0045 12 34 56 78", "+46 70 123 45 67", "0046701234567", "+358 40 1234567", "912 34 567"} {
		res := e.Do(http.MethodPost, login.MemberRoute, keyAcme, map[string]any{"phoneNumber": good})
		if res.Status != http.StatusAccepted {
			t.Errorf("%q: %d %s", good, res.Status, res.Raw)
			continue
		}
		// Free the phone for the next form of the same number.
		e.Do(http.MethodDelete, login.MemberRoute+"/"+res.Body["id"].(string), keyAcme, nil)
	}
}

// A retried POST is recognised by its Idempotency-Key before any lookup:
// no second BC call, no second push, and the first answer even when the
// customer is no longer found.
func TestIdempotentRetryIsAnsweredBeforeAnyLookup(t *testing.T) {
	e := newEnv(t)
	body := customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaIgnore)
	first := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, body, "Idempotency-Key", "till-9")
	if first.Status != http.StatusAccepted {
		t.Fatalf("first POST: %d %s", first.Status, first.Raw)
	}
	bcCalls := e.BC.Sim.Stats().Requests
	e.BC.Sim.InjectFault(bctest.Fault{Status: http.StatusServiceUnavailable})
	retry := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, body, "Idempotency-Key", "till-9")
	if retry.Status != http.StatusOK || retry.Body["id"] != first.Body["id"] {
		t.Fatalf("retry while BC is down: %d %s", retry.Status, retry.Raw)
	}
	if n := e.BC.Sim.Stats().Requests; n != bcCalls {
		t.Errorf("the retry called BC %d times", n-bcCalls)
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 1 {
		t.Errorf("pushes = %d, want 1", n)
	}
}
