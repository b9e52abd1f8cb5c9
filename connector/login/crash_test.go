package login_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestCrashInEachStateThenRestart stops the connector with a request in
// each durable state, starts a new instance on the same database, and checks
// that the request completes with exactly one write to BC.
func TestCrashInEachStateThenRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		// crash brings the request into the state and returns when it is there.
		crash func(e *env, id string) login.Request
		// between runs after the crash, before the restart.
		between       func(e *env, r login.Request)
		wantPatches   int
		wantBackchans int
		// downFor keeps the crashed process down that much longer.
		downFor time.Duration
	}{
		{
			name: "pending before the login was started",
			crash: func(e *env, id string) login.Request {
				return e.row("acme", id)
			},
			wantPatches: 1, wantBackchans: 1,
		},
		{
			name: "pending, polling",
			crash: func(e *env, id string) login.Request {
				return e.waitRow("acme", id, func(r login.Request) bool { return r.AuthReqID != "" })
			},
			wantPatches: 1, wantBackchans: 1,
		},
		{
			name: "consented, profile not read yet",
			crash: func(e *env, id string) login.Request {
				e.Vipps.InjectFault(vippstest.Fault{PathPrefix: "/vipps-userinfo-api/", Status: http.StatusBadGateway})
				e.Advance(5 * time.Second)
				return e.waitRow("acme", id, func(r login.Request) bool { return r.Attempts >= 1 && len(r.Private) > 0 })
			},
			between:     func(e *env, _ login.Request) { e.Vipps.ClearFaults() },
			wantPatches: 1, wantBackchans: 1,
		},
		{
			name:        "applying, BC write planned but not sent",
			crash:       crashWhileApplying,
			between:     func(e *env, _ login.Request) { e.BC.Sim.ClearFaults() },
			wantPatches: 1, wantBackchans: 1,
		},
		{
			name:        "applying, BC write sent but not recorded",
			crash:       crashWhileApplying,
			between:     replayPlannedPatch,
			wantPatches: 1, wantBackchans: 1,
		},
		{
			name:        "applying, BC write sent but not recorded, back after the apply deadline",
			crash:       crashWhileApplying,
			between:     replayPlannedPatch,
			wantPatches: 1, wantBackchans: 1, downFor: time.Hour,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var id string
			if tc.name == "pending before the login was started" {
				// Vipps is unreachable when the request arrives, so the login
				// start is left to the scheduler.
				e.Vipps.InjectFault(vippstest.Fault{PathPrefix: "/vipps-login-ciba/", Status: http.StatusServiceUnavailable})
				id = e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
			} else {
				id = e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "91234567"))
			}
			r := tc.crash(e, id)
			e.Stop(e.First())
			e.Vipps.ClearFaults()
			if tc.between != nil {
				tc.between(e, r)
			}
			e.Start("b")
			// Past any lease the dead instance held and any backoff (and, when
			// the case says so, past worker.applyDeadline: a write that had
			// landed still completes).
			e.Advance(e.Cfg.Worker.LeaseDuration + time.Minute + tc.downFor)
			if r := e.drive("acme", id); r.Status != login.StatusCompleted {
				t.Fatalf("status %s after restart: %s", r.Status, r.Error)
			}
			res := e.await(login.CustomerRoute, keyAcme, id, "completed")
			if got := e.customer(bctest.DemoCustomerEmptyAddressID)["addressLine1"]; got != "Storgata 1" {
				t.Errorf("customer not written: %v (%s)", got, res.Raw)
			}
			if ch, _ := res.Body["changes"].([]any); len(ch) == 0 {
				t.Errorf("changes lost across the restart: %s", res.Raw)
			}
			if n := e.BC.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerEmptyAddressID]; n != tc.wantPatches {
				t.Errorf("PATCHes = %d, want %d", n, tc.wantPatches)
			}
			if n := e.Vipps.Stats().BackchannelRequests; n != tc.wantBackchans {
				t.Errorf("logins started = %d, want %d", n, tc.wantBackchans)
			}
		})
	}
}

// crashWhileApplying brings a consented request to applying with its BC
// write refused (503), so the PATCH is planned and stored.
func crashWhileApplying(e *env, id string) login.Request {
	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusServiceUnavailable})
	e.Advance(5 * time.Second)
	return e.waitRow("acme", id, func(r login.Request) bool { return r.Status == login.StatusApplying && r.Attempts >= 1 })
}

// replayPlannedPatch stands for a crashed process that had sent its planned
// PATCH: it sends it the same way, so BC has it but the store does not know.
func replayPlannedPatch(e *env, r login.Request) {
	e.BC.Sim.ClearFaults()
	etag, patch, ok := login.StoredPlan(r)
	if !ok {
		e.T.Fatalf("no stored plan")
	}
	c, err := bc.New(bc.Config{BaseURL: e.BC.BCURL + "/v2.0", TenantID: bctest.DemoTenantID, Environment: bctest.DemoEnvironment,
		CompanyID: bctest.DemoCompanyID, Auth: bc.AuthConfig{Method: bc.AuthClientSecret, TenantID: bctest.DemoTenantID,
			ClientID: bctest.DemoClientID, ClientSecret: bctest.DemoClientSecret, AuthorityHost: e.BC.AuthorityURL, DisableInstanceDiscovery: true}},
		bc.WithHTTPClient(e.BC.HTTPClient()), bc.WithClock(e.Clock))
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := c.Customers.Patch(context.Background(), bctest.DemoCustomerEmptyAddressID, etag, patch); err != nil {
		e.T.Fatalf("replay planned patch: %v", err)
	}
}
