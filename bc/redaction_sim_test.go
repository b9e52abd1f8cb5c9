package bc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

// TestNoPersonalDataInLogsOrErrors runs lookups, writes and failures with
// personal data and checks that neither the debug log nor any error string
// carries a phone number, e-mail, name, secret, API key or token.
func TestNoPersonalDataInLogsOrErrors(t *testing.T) {
	e := startEnv(t)
	c := e.client(t, nil)
	np := e.npretail(t, bctest.DemoNPRetailAPIKey)
	ctx := t.Context()
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	e.srv.Sim.InjectFault(bctest.Fault{Method: "GET", Status: 429, RetryAfter: time.Second, Times: 2})
	stop := driveClock(t, e.clock, time.Second)
	_, err := c.Customers.FindByPhone(ctx, "+47 912 34 567")
	keep(err)
	stop()
	_, err = c.Customers.FindByEmail(ctx, "ola.nordmann@example.com")
	keep(err)
	_, err = c.Customers.Create(ctx, bc.Customer{DisplayName: "Astrid Secretname", City: strings.Repeat("Drammen", 10)})
	keep(err)
	_, err = c.Customers.Create(ctx, bc.Customer{DisplayName: "Astrid Secretname", Email: "not an e-mail astrid@"})
	keep(err)
	_, err = np.Members.Search(ctx, bc.MemberQuery{Phone: "+4791234567", Email: "kari@example.com", FirstName: "Kari"})
	keep(err)
	_, err = np.Members.Update(ctx, bctest.DemoMemberWithPhoneID, map[string]any{"lastName": strings.Repeat("Nordmann", 10)})
	keep(err)
	bad := e.npretail(t, "np-wrong-key-xyz")
	_, err = bad.Members.Search(ctx, bc.MemberQuery{Phone: "+4791234567"})
	keep(err)
	wrong := e.client(t, func(c *bc.Config) { c.Auth.ClientSecret = "wrong-secret-value" })
	_, err = wrong.Customers.FindByPhone(ctx, "91234567")
	keep(err)
	if len(errs) < 5 {
		t.Fatalf("only %d operations failed; the failure paths were not exercised", len(errs))
	}

	text := e.logs.String()
	for _, err := range errs {
		text += "\n" + err.Error()
	}
	if !strings.Contains(text, "bc request") {
		t.Fatal("nothing was logged; the scan proves nothing")
	}
	forbidden := []string{
		"912 34 567", "91234567", "4791234567", "%2B47", "ola.nordmann", "kari@", "example.com", "Astrid", "Secretname",
		"Drammen", "Nordmann", "Kari", bctest.DemoClientSecret, "wrong-secret-value", bctest.DemoNPRetailAPIKey,
		"np-wrong-key-xyz", "eyJ", "Bearer", "Basic ",
	}
	for _, f := range forbidden {
		if strings.Contains(text, f) {
			t.Errorf("logs or errors contain %q", f)
		}
	}
}
