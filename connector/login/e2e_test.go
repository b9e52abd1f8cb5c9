package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/work"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func customerBody(no, phone string) map[string]any {
	return map[string]any{"customerNo": no, "phoneNumber": phone}
}

func TestCustomerApprovedIsWrittenWithOnlyTheChangedFields(t *testing.T) {
	e := newEnv(t)
	before := e.customer(bctest.DemoCustomerEmptyAddressID)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+47 912 34 567"))

	// The persona approves after 2 s; Vipps asks for polls every 5 s.
	e.Advance(5 * time.Second)
	res := e.await(login.CustomerRoute, keyAcme, id, "completed")

	after := e.customer(bctest.DemoCustomerEmptyAddressID)
	changes, _ := res.Body["changes"].([]any)
	if len(changes) == 0 {
		t.Fatalf("no changes reported: %s", res.Raw)
	}
	changed := map[string]bool{}
	for _, c := range changes {
		m := c.(map[string]any)
		f := m["field"].(string)
		changed[f] = true
		if got := after[f]; got != m["to"] {
			t.Errorf("change %s: BC has %v, reported to %v", f, got, m["to"])
		}
		if before[f] != m["from"] {
			t.Errorf("change %s: BC had %v, reported from %v", f, before[f], m["from"])
		}
	}
	for f, v := range before {
		if f == "@odata.etag" || f == "lastModifiedDateTime" {
			continue
		}
		if !changed[f] && after[f] != v {
			t.Errorf("field %s changed from %v to %v but is not in changes", f, v, after[f])
		}
	}
	for _, f := range []string{"addressLine1", "addressLine2", "city", "postalCode"} {
		if !changed[f] {
			t.Errorf("empty %s was not filled: %s", f, res.Raw)
		}
	}
	if after["addressLine1"] != "Storgata 1" || after["addressLine2"] != "H0301" || after["city"] != "Oslo" {
		t.Errorf("address not split as documented: %v / %v / %v", after["addressLine1"], after["addressLine2"], after["city"])
	}
	if changed["displayName"] {
		t.Errorf("displayName was overwritten although the default policy is ifEmpty")
	}
	cust, _ := res.Body["customer"].(map[string]any)
	if cust["number"] != bctest.DemoCustomerEmptyAddress || cust["addressLine1"] != "Storgata 1" {
		t.Errorf("customer in the answer: %v", cust)
	}
	if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != 1 {
		t.Errorf("PATCHes to the customer = %d, want 1", n)
	}
	if s := e.Vipps.Stats(); s.EarlyPolls != 0 {
		t.Errorf("early polls = %d, want 0", s.EarlyPolls)
	}
	// The consented profile is gone once the request is completed.
	if r := e.row("acme", id); len(r.Private) != 0 {
		t.Errorf("profile kept after completion")
	}
}

func TestCustomerAlreadyUpToDateWritesNothing(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "completed")

	id2 := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	e.Advance(5 * time.Second)
	res := e.await(login.CustomerRoute, keyAcme, id2, "completed")
	if ch, _ := res.Body["changes"].([]any); len(ch) != 0 {
		t.Errorf("second request changed %v", ch)
	}
	if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != 1 {
		t.Errorf("PATCHes = %d, want 1 (nothing to write the second time)", n)
	}
}

func TestLoginOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		phone   string
		advance []time.Duration
		want    string
	}{
		{name: "declined", phone: vippstest.PersonaReject, advance: []time.Duration{5 * time.Second}, want: "rejected"},
		{name: "no answer until expiry", phone: vippstest.PersonaIgnore, advance: []time.Duration{5 * time.Minute, 5 * time.Second}, want: "expired"},
		{name: "no Vipps user", phone: vippstest.PersonaInvalidUser, want: "failed"},
		{name: "app too old", phone: vippstest.PersonaOldApp, want: "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.customer(bctest.DemoCustomerEmptyAddressID)
			res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+tc.phone))
			if res.Status != http.StatusAccepted {
				t.Fatalf("POST: %d %s", res.Status, res.Raw)
			}
			id := res.Body["id"].(string)
			for _, d := range tc.advance {
				e.Advance(d)
			}
			got := e.await(login.CustomerRoute, keyAcme, id, tc.want)
			// Every outcome's problem has a detail for BC to show.
			if errObj, _ := got.Body["error"].(map[string]any); errObj == nil || errObj["title"] == "" || errObj["detail"] == nil || errObj["detail"] == "" {
				t.Errorf("error = %v, want a title and a detail", got.Body["error"])
			}
			if tc.want == "failed" {
				errObj, _ := got.Body["error"].(map[string]any)
				if errObj["type"] != api.ProblemVippsUser {
					t.Errorf("error = %v, want type %s", errObj, api.ProblemVippsUser)
				}
			}
			after := e.customer(bctest.DemoCustomerEmptyAddressID)
			if after["@odata.etag"] != before["@odata.etag"] {
				t.Errorf("customer changed although the login did not succeed")
			}
		})
	}
}

func TestCancelPendingRequest(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaIgnore))
	res := e.Do(http.MethodDelete, login.CustomerRoute+"/"+id, keyAcme, nil)
	if res.Status != http.StatusOK || res.Body["status"] != "cancelled" {
		t.Fatalf("DELETE: %d %s", res.Status, res.Raw)
	}
	// A cancelled request is never polled again. The synchronisation point:
	// a second request, due when the cancelled one would have been, is
	// claimed and polled; a claimable cancelled row would have been claimed
	// in the same batch (its version bumped) and polled too.
	cancelled := e.row("acme", id)
	polls := e.Vipps.Stats().TokenPolls
	other := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerFilledAddress, "+"+vippstest.PersonaReject))
	if r := e.drive("acme", other); r.Status != login.StatusRejected {
		t.Fatalf("second request ended %s", r.Status)
	}
	if r := e.row("acme", id); r.Version != cancelled.Version || r.Status != login.StatusCancelled {
		t.Errorf("cancelled request touched again: version %d → %d, status %s", cancelled.Version, r.Version, r.Status)
	}
	if n := e.Vipps.Stats().TokenPolls; n != polls+1 {
		t.Errorf("token polls after cancel: %d, want %d (the second request's only)", n, polls+1)
	}
	// Cancelling a finished request is a conflict.
	if again := e.Do(http.MethodDelete, login.CustomerRoute+"/"+id, keyAcme, nil); again.Status != http.StatusOK {
		t.Errorf("second DELETE of a cancelled request: %d", again.Status)
	}
}

func TestInvalidInputIsRefusedAndNothingStored(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, body, field string
	}{
		{"letters in phone", `{"customerNo":"10000","phoneNumber":"12ab34"}`, "phoneNumber"},
		{"phone too short", `{"customerNo":"10000","phoneNumber":"123"}`, "phoneNumber"},
		{"phone missing", `{"customerNo":"10000"}`, "phoneNumber"},
		{"no customer", `{"phoneNumber":"91234567"}`, "customerNo"},
		{"both customer keys", `{"customerNo":"10000","customerId":"0f1e2d3c-4b5a-4968-8776-000000010000","phoneNumber":"91234567"}`, "customerId"},
		{"customer id not a guid", `{"customerId":"abc","phoneNumber":"91234567"}`, "customerId"},
		{"unknown field", `{"customerNo":"10000","phoneNumber":"91234567","colour":"red"}`, "colour"},
		{"wrong type", `{"customerNo":10000,"phoneNumber":"91234567"}`, "customerNo"},
		{"unknown use case", `{"customerNo":"10000","phoneNumber":"91234567","useCase":"nope"}`, "useCase"},
		{"member use case on customer endpoint", `{"customerNo":"10000","phoneNumber":"91234567","useCase":"pos-member-registration"}`, "useCase"},
		{"not json", `{"customerNo":`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, tc.body)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", res.Status, res.Raw)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("content type %q", ct)
			}
			errs, _ := res.Body["errors"].([]any)
			found := false
			for _, x := range errs {
				if x.(map[string]any)["field"] == tc.field {
					found = true
				}
			}
			if !found {
				t.Errorf("problem does not name %s: %s", tc.field, res.Raw)
			}
			if strings.Contains(string(res.Raw), "12ab34") {
				t.Errorf("problem echoes the input")
			}
		})
	}
	counts, err := e.First().Store.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.TenantID != work.EngineTenant { // the engine's own schedule rows
			t.Errorf("requests stored after invalid input: %v", counts)
		}
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 0 {
		t.Errorf("logins started after invalid input: %d", n)
	}
}

func TestUnknownCustomer(t *testing.T) {
	e := newEnv(t)
	res := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody("99999", "91234567"))
	if res.Status != http.StatusUnprocessableEntity || res.Body["type"] != api.ProblemUnknownCustomer {
		t.Fatalf("status %d: %s", res.Status, res.Raw)
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 0 {
		t.Errorf("a login was started for an unknown customer")
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		res := e.Do(m, login.CustomerRoute+"/"+id, keyOther, nil)
		if res.Status != http.StatusNotFound {
			t.Errorf("%s with another tenant's key: %d, want 404", m, res.Status)
		}
	}
	if res := e.Do(http.MethodGet, login.MemberRoute+"/"+id, keyAcme, nil); res.Status != http.StatusNotFound {
		t.Errorf("customer request read as a member request: %d", res.Status)
	}
	for _, key := range []string{"", "wrong-key"} {
		if res := e.Do(http.MethodGet, login.CustomerRoute+"/"+id, key, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("key %q: %d, want 401", key, res.Status)
		}
	}
	if res := e.Do(http.MethodGet, login.CustomerRoute+"/"+id, keyAcme, nil); res.Status != http.StatusOK {
		t.Errorf("own key: %d", res.Status)
	}
}

func TestIdempotencyKeyReturnsTheFirstRequest(t *testing.T) {
	e := newEnv(t)
	body := customerBody(bctest.DemoCustomerEmptyAddress, "91234567")
	first := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, body, "Idempotency-Key", "till-7-42")
	second := e.Do(http.MethodPost, login.CustomerRoute, keyAcme, body, "Idempotency-Key", "till-7-42")
	if first.Status != http.StatusAccepted || second.Status != http.StatusOK {
		t.Fatalf("statuses %d, %d", first.Status, second.Status)
	}
	if first.Body["id"] != second.Body["id"] {
		t.Errorf("ids differ: %v %v", first.Body["id"], second.Body["id"])
	}
	if n := e.Vipps.Stats().BackchannelRequests; n != 1 {
		t.Errorf("pushes sent = %d, want 1", n)
	}
}

func TestBusinessCentralDownThenBack(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	e.BC.Sim.InjectFault(bctest.Fault{PathPrefix: "/v2.0/", Status: http.StatusServiceUnavailable})
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
	// Still down on the next attempts: the request stays applying.
	for i := 0; i < 3; i++ {
		e.Advance(r.DueAt.Sub(e.Clock.Now()) + time.Millisecond)
		attempts := r.Attempts
		r = e.waitRow("acme", id, func(r login.Request) bool { return r.Attempts > attempts })
		if r.Status != login.StatusApplying {
			t.Fatalf("status %s during the outage", r.Status)
		}
	}
	e.BC.Sim.ClearFaults()
	e.Advance(r.DueAt.Sub(e.Clock.Now()) + time.Millisecond)
	res := e.await(login.CustomerRoute, keyAcme, id, "completed")
	if e.customer(bctest.DemoCustomerEmptyAddressID)["addressLine1"] != "Storgata 1" {
		t.Errorf("customer not written after the outage: %s", res.Raw)
	}
	if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != 1 {
		t.Errorf("PATCHes = %d, want 1", n)
	}
}

func TestBusinessCentralOutageLongerThanTheDeadlineFails(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	e.BC.Sim.InjectFault(bctest.Fault{PathPrefix: "/v2.0/", Status: http.StatusServiceUnavailable})
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
	for r.Status == login.StatusApplying {
		e.Advance(r.DueAt.Sub(e.Clock.Now()) + time.Millisecond)
		v := r.Version
		r = e.waitRow("acme", id, func(x login.Request) bool { return x.Version > v })
	}
	res := e.await(login.CustomerRoute, keyAcme, id, "failed")
	errObj, _ := res.Body["error"].(map[string]any)
	if errObj["type"] != api.ProblemDeadlinePassed {
		t.Errorf("error %v", errObj)
	}
}

func TestConcurrentChangeInBusinessCentralIsReapplied(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	// The PATCH fails once, so the plan (made against the current ETag) is
	// stored but not sent; then another user changes the customer.
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusServiceUnavailable, Times: 1})
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
	if err := e.BC.Sim.TouchCustomer(bctest.DemoCompanyID, bctest.DemoCustomerEmptyAddressID); err != nil {
		t.Fatal(err)
	}
	touched := e.customer(bctest.DemoCustomerEmptyAddressID)
	e.Advance(r.DueAt.Sub(e.Clock.Now()) + time.Millisecond)
	res := e.await(login.CustomerRoute, keyAcme, id, "completed")
	after := e.customer(bctest.DemoCustomerEmptyAddressID)
	if after["addressLine1"] != "Storgata 1" {
		t.Errorf("change not re-applied: %s", res.Raw)
	}
	if after["@odata.etag"] == touched["@odata.etag"] {
		t.Errorf("customer not written after the other user's change")
	}
}

func TestRepeatedBCConflictsDeferInsteadOfFailing(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
	// Every PATCH of the first attempt meets a concurrency conflict.
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusPreconditionFailed, Times: login.MaxReplans + 1})
	e.Advance(5 * time.Second)
	r := e.waitRow("acme", id, func(r login.Request) bool { return r.Final || r.Attempts >= 1 })
	if r.Status != login.StatusApplying {
		t.Fatalf("after %d conflicts the request is %s, want applying (deferred)", login.MaxReplans+1, r.Status)
	}
	if r := e.drive("acme", id); r.Status != login.StatusCompleted {
		t.Fatalf("status %s: %s", r.Status, r.Error)
	}
	if got := e.customer(bctest.DemoCustomerEmptyAddressID)["addressLine1"]; got != "Storgata 1" {
		t.Errorf("customer not written: %v", got)
	}
}
