package bc_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func TestCustomerLookups(t *testing.T) {
	e := startEnv(t)
	c := e.client(t, nil)
	ctx := t.Context()

	phones := []string{"91234567", "+47 912 34 567", "+4791234567", "0047 91234567", "912 34 567"}
	for _, p := range phones {
		t.Run("phone matches whatever the formatting: "+p, func(t *testing.T) {
			got, err := c.Customers.FindByPhone(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].Number != bctest.DemoCustomerEmptyAddress {
				t.Fatalf("found %d customers, want customer %s", len(got), bctest.DemoCustomerEmptyAddress)
			}
		})
	}
	t.Run("phone of nobody finds nothing", func(t *testing.T) {
		got, err := c.Customers.FindByPhone(ctx, "+47 400 00 000")
		if err != nil || len(got) != 0 {
			t.Fatalf("got %d, %v; want none", len(got), err)
		}
	})
	t.Run("a stored number in another format is found", func(t *testing.T) {
		added, err := e.srv.Sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{DisplayName: "Spaced Number", PhoneNumber: "48 12 34 56"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Customers.FindByPhone(ctx, "+4748123456")
		if err != nil || len(got) != 1 || got[0].ID != added.ID {
			t.Fatalf("got %d, %v; want the customer stored as 48 12 34 56", len(got), err)
		}
	})
	t.Run("e-mail matches ignoring case", func(t *testing.T) {
		want, err := c.Customers.GetByNumber(ctx, bctest.DemoCustomerFilledAddress)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Customers.FindByEmail(ctx, strings.ToUpper(want.Email))
		if err != nil || len(got) != 1 || got[0].ID != want.ID {
			t.Fatalf("got %d, %v; want customer %s", len(got), err, want.Number)
		}
	})
	t.Run("unknown number is not found", func(t *testing.T) {
		_, err := c.Customers.GetByNumber(ctx, "NOPE")
		if !bc.IsNotFound(err) {
			t.Fatalf("err = %v, want not found", err)
		}
	})
	t.Run("unknown id is BC's not found", func(t *testing.T) {
		_, err := c.Customers.Get(ctx, "00000000-0000-0000-0000-0000000000ff")
		if !bc.IsNotFound(err) {
			t.Fatalf("err = %v, want not found", err)
		}
	})
}

func TestCustomerWrites(t *testing.T) {
	e := startEnv(t)
	c := e.client(t, nil)
	ctx := t.Context()

	t.Run("create returns the customer with id and etag", func(t *testing.T) {
		got, err := c.Customers.Create(ctx, bc.Customer{DisplayName: "Nina Berg", City: "Oslo", Country: "NO"})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == "" || got.ODataETag == "" || got.Number == "" {
			t.Fatalf("created customer lacks id/etag/number: %+v", got)
		}
	})
	t.Run("a value longer than the field is BC's StringExceededLength with a correlation id", func(t *testing.T) {
		_, err := c.Customers.Create(ctx, bc.Customer{DisplayName: "Long City", City: strings.Repeat("x", bc.MaxCustomerCity+1)})
		if !bc.IsStringExceededLength(err) {
			t.Fatalf("err = %v, want StringExceededLength", err)
		}
		if be, _ := bc.AsError(err); be.CorrelationID == "" {
			t.Fatal("no correlation id on the error")
		}
	})
	t.Run("an empty change sends no PATCH", func(t *testing.T) {
		before := e.srv.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerFilledAddressID]
		if _, err := c.Customers.Update(ctx, bctest.DemoCustomerFilledAddressID, func(*bc.Customer) (map[string]any, error) {
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if after := e.srv.Sim.Stats().PatchesByCustomer[bctest.DemoCustomerFilledAddressID]; after != before {
			t.Fatalf("PATCHes %d → %d, want none", before, after)
		}
	})
	t.Run("an error from the change function stops the update", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := c.Customers.Update(ctx, bctest.DemoCustomerFilledAddressID, func(*bc.Customer) (map[string]any, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	t.Run("the loser of two concurrent writers re-reads and re-applies its change", func(t *testing.T) {
		e := startEnv(t)
		alice, bob := e.client(t, nil), e.client(t, nil)
		ctx := t.Context()
		id := bctest.DemoCustomerEmptyAddressID

		bobDone := make(chan error)
		var aliceSaw []string
		var mu sync.Mutex
		_, err := alice.Customers.Update(ctx, id, func(cur *bc.Customer) (map[string]any, error) {
			mu.Lock()
			first := len(aliceSaw) == 0
			aliceSaw = append(aliceSaw, cur.City)
			mu.Unlock()
			if first {
				// Bob writes between Alice's read and her PATCH.
				go func() {
					_, err := bob.Customers.Update(ctx, id, func(*bc.Customer) (map[string]any, error) {
						return map[string]any{"city": "Bergen"}, nil
					})
					bobDone <- err
				}()
				if err := <-bobDone; err != nil {
					return nil, err
				}
			}
			return map[string]any{"email": "kari@example.com"}, nil
		})
		if err != nil {
			t.Fatalf("alice: %v", err)
		}
		if len(aliceSaw) != 2 || aliceSaw[1] != "Bergen" {
			t.Fatalf("alice's change ran on %q, want a second run that sees Bob's city", aliceSaw)
		}
		final, ok := e.srv.Sim.Customer(bctest.DemoCompanyID, id)
		if !ok || final.City != "Bergen" || final.Email != "kari@example.com" {
			t.Fatalf("final customer city %q email %q, want both writes kept", final.City, final.Email)
		}
	})

	t.Run("conflicts are retried a bounded number of times, never with If-Match *", func(t *testing.T) {
		e := startEnv(t)
		c := e.client(t, func(c *bc.Config) { c.MaxConflictRetries = 2 })
		id := bctest.DemoCustomerEmptyAddressID
		calls := 0
		_, err := c.Customers.Update(t.Context(), id, func(*bc.Customer) (map[string]any, error) {
			calls++
			if err := e.srv.Sim.TouchCustomer(bctest.DemoCompanyID, id); err != nil {
				return nil, err
			}
			return map[string]any{"city": "Tromsø"}, nil
		})
		if !bc.IsConflict(err) {
			t.Fatalf("err = %v, want a conflict", err)
		}
		if calls != 3 {
			t.Fatalf("change ran %d times, want 3 (1 + 2 retries)", calls)
		}
		if got, _ := e.srv.Sim.Customer(bctest.DemoCompanyID, id); got.City == "Tromsø" {
			t.Fatal("the change was written despite every conflict")
		}
	})
}
