package bc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestAuthenticationAgainstSimulator(t *testing.T) {
	t.Run("the real ClientSecretCredential gets a token from the simulated authority and BC accepts it", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil)
		cust, err := c.Customers.GetByNumber(t.Context(), bctest.DemoCustomerEmptyAddress)
		if err != nil {
			t.Fatalf("GetByNumber: %v", err)
		}
		if cust.ID != bctest.DemoCustomerEmptyAddressID {
			t.Fatalf("id = %s, want %s", cust.ID, bctest.DemoCustomerEmptyAddressID)
		}
		if _, err := c.Customers.Get(t.Context(), cust.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.Sim.Stats().TokensIssued; got != 1 {
			t.Fatalf("tokens issued = %d, want 1 (the token is reused)", got)
		}
	})

	t.Run("a wrong secret fails with an AuthError that names no secret", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, func(c *bc.Config) { c.Auth.ClientSecret = "wrong-secret-value" })
		_, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID)
		var ae *bc.AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("err = %v, want *bc.AuthError", err)
		}
		if strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), bctest.DemoClientID) {
			t.Fatalf("error %q leaks credentials", err)
		}
	})

	t.Run("BC refuses a request without a valid token", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, nil, bc.WithCredential(staticCredential("not-a-jwt")))
		_, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID)
		if !bc.IsUnauthorized(err) {
			t.Fatalf("err = %v, want unauthorized", err)
		}
	})

	t.Run("on-premises basic auth sends user and web service access key", func(t *testing.T) {
		e := startEnv(t, bctest.WithBasicAuth("CONNECTOR", "ws-access-key-123"))
		c := e.client(t, func(c *bc.Config) {
			c.APIRoot = e.srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)
			c.Auth = bc.AuthConfig{Method: bc.AuthBasic, Username: "CONNECTOR", AccessKey: "ws-access-key-123"}
		})
		if _, err := c.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID); err != nil {
			t.Fatalf("basic auth: %v", err)
		}
		bad := e.client(t, func(c *bc.Config) {
			c.APIRoot = e.srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment)
			c.Auth = bc.AuthConfig{Method: bc.AuthBasic, Username: "CONNECTOR", AccessKey: "wrong"}
		})
		if _, err := bad.Customers.Get(t.Context(), bctest.DemoCustomerEmptyAddressID); !bc.IsUnauthorized(err) {
			t.Fatalf("wrong key: err = %v, want unauthorized", err)
		}
	})
}
