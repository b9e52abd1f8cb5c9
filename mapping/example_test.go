package mapping_test

import (
	"fmt"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/mapping"
	"github.com/bcvipps/bcvipps/vipps"
)

func ExampleCustomer() {
	verified := true
	profile := &vipps.UserInfo{
		Sub: "c06c4afe-d9e1-4c5d-939a-177d752a0944", GivenName: "Kari", FamilyName: "Nordmann",
		Email: "kari@example.no", EmailVerified: &verified, PhoneNumber: "4791234567",
		Address: &vipps.Address{StreetAddress: "Storgata 1\nH0302", PostalCode: "0155", Region: "Oslo", Country: "NO"},
	}
	o := mapping.DefaultOptions()
	o.UpdatePolicy = map[string]mapping.Policy{"displayName": mapping.PolicyAlways}
	if err := o.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	stored := bc.Customer{DisplayName: "K Nordmann", Email: "kari.old@example.no"}
	r := mapping.Customer(profile, stored, o)
	for _, c := range r.Changes {
		fmt.Printf("%s: %q -> %q\n", c.Field, c.From, c.To)
	}
	// Output:
	// displayName: "K Nordmann" -> "Kari Nordmann"
	// addressLine1: "" -> "Storgata 1"
	// addressLine2: "" -> "H0302"
	// city: "" -> "Oslo"
	// postalCode: "" -> "0155"
	// country: "" -> "NO"
	// phoneNumber: "" -> "+4791234567"
}

func ExampleParsePhone() {
	p, err := mapping.ParsePhone("912 34 567", "+47")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MSISDN, p.BCFormat())
	_, err = mapping.ParsePhone("912 34 ABC", "+47")
	fmt.Println(err)
	// Output:
	// 4791234567 +4791234567
	// parse phone number: contains letters
}

func ExampleMember() {
	profile := &vipps.UserInfo{
		GivenName: "Søren", FamilyName: "Kierkegård",
		Address:           &vipps.Address{StreetAddress: "Nørregade 12\n2. th.", PostalCode: "1165", Region: "København K", Country: "DK"},
		DelegatedConsents: &vipps.DelegatedConsents{Consents: []vipps.Consent{{ID: "email", Accepted: true}}},
	}
	m := mapping.Member(profile, mapping.DefaultOptions()).Member
	fmt.Println(m.FirstName, "|", m.LastName, "|", m.Address, "|", m.City, "|", m.Newsletter)
	// Output:
	// Søren | Kierkegård | Nørregade 12, 2. th. | København K | YES
}

func ExampleMatchCustomer() {
	verified := true
	profile := &vipps.UserInfo{Sub: "sub-1", PhoneNumber: "4791234567", Email: "kari@example.no", EmailVerified: &verified}
	m := mapping.MatchCustomer(profile, []mapping.Candidate{
		{ID: "C0001", Email: "kari@example.no"},
		{ID: "C0002", Phone: "912 34 567"},
	})
	c, ok := m.Unique()
	fmt.Println(m.By, c.ID, ok)
	// Output:
	// phone C0002 true
}
