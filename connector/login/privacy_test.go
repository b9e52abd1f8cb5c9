package login_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// TestLogsHoldNoPersonalDataOrSecrets runs the main flows with debug logs
// captured and scans them for every personal value and secret involved.
func TestLogsHoldNoPersonalDataOrSecrets(t *testing.T) {
	e := newEnv(t)
	id := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+47 912 34 567"))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, id, "completed")

	mid := e.create(login.MemberRoute, keyAcme, map[string]any{"qrCode": e.Vipps.PersonalQR(vippstest.PersonaDanish)})
	e.Advance(5 * time.Second)
	e.await(login.MemberRoute, keyAcme, mid, "completed")

	e.BC.Sim.InjectFault(bctest.Fault{Method: http.MethodPatch, Status: http.StatusServiceUnavailable, Times: 1})
	id2 := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmailOnly, "+"+vippstest.PersonaApprove))
	e.Advance(5 * time.Second)
	e.drive("acme", id2)
	e.Do(http.MethodPost, login.CustomerRoute, keyAcme, customerBody("10000", "12ab34"))
	rej := e.create(login.CustomerRoute, keyAcme, customerBody(bctest.DemoCustomerEmptyAddress, "+"+vippstest.PersonaReject))
	e.Advance(5 * time.Second)
	e.await(login.CustomerRoute, keyAcme, rej, "rejected")

	logs := e.Logs.String()
	if !strings.Contains(logs, "request completed") {
		t.Fatalf("the flows logged nothing useful; captured:\n%s", logs)
	}
	for _, secret := range []string{
		"91234567", "912 34 567", "4791234567", "12345678", "4512345678", "12ab34",
		"Åse", "Østby", "Ærlig", "Søren", "Kierkegård", "ase.ostby@example.com", "soren@example.dk",
		"Storgata", "H0301", "Nørregade", "17048512345", "1985-04-17",
		keyAcme, connector.HashAPIKey(keyAcme), vippstest.DefaultClientSecret, vippstest.DefaultSubscriptionKey,
		bctest.DemoClientSecret, bctest.DemoNPRetailAPIKey, "Bearer ey", "eyJ",
	} {
		if strings.Contains(logs, secret) {
			i := strings.Index(logs, secret)
			lo, hi := max(0, i-200), min(len(logs), i+100)
			t.Errorf("logs contain %q: …%s…", secret, logs[lo:hi])
		}
	}
}
