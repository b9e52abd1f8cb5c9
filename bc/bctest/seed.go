package bctest

import (
	"fmt"

	"github.com/bcvipps/bcvipps/bc"
)

// The demo setup. It exists with and without WithSeed(false); only the
// customers and members depend on the seed option.
const (
	DemoTenantID       = "3f6c2a1e-8b4d-4c7a-9e2f-5a1b7c9d0e42"
	DemoEnvironment    = "sandbox"
	DemoCompanyID      = "b7e4d2c1-5a3f-4e8b-9c6d-1f2a3b4c5d6e"
	DemoCompanyName    = "CRONUS NO"
	DemoClientID       = "6a1f3c9e-2b7d-4e5a-8c0f-9d3e1b2a4c6f"
	DemoClientSecret   = "demo-client-secret-for-the-simulator"
	DemoNPRetailAPIKey = "np-demo-api-key-for-the-simulator"
)

// Numbers and ids of the seeded demo customers.
const (
	// DemoCustomerEmptyAddress has phone "+47 912 34 567" and no address.
	DemoCustomerEmptyAddress   = "10000"
	DemoCustomerEmptyAddressID = "0f1e2d3c-4b5a-4968-8776-000000010000"
	// DemoCustomerFilledAddress has a full Norwegian address and an e-mail.
	DemoCustomerFilledAddress   = "20000"
	DemoCustomerFilledAddressID = "0f1e2d3c-4b5a-4968-8776-000000020000"
	// DemoCustomerEmailOnly has an e-mail and neither phone nor address.
	DemoCustomerEmailOnly   = "30000"
	DemoCustomerEmailOnlyID = "0f1e2d3c-4b5a-4968-8776-000000030000"
	// DemoCustomerCompany is a company customer with a Bergen address.
	DemoCustomerCompany   = "40000"
	DemoCustomerCompanyID = "0f1e2d3c-4b5a-4968-8776-000000040000"
)

// Ids of the seeded NP Retail membership and members, and the membership
// sales items ("NPR MM Members. Sales Setup") the simulator knows: NP
// Retail's POST /membership creates the membership of an item.
const (
	DemoMembershipCode       = "GOLD"
	DemoMembershipItem       = "31001" // GOLD
	DemoMembershipItemSilver = "31002" // SILVER
	DemoMembershipID         = "7c2b9e4a-1d3f-4a6b-8e5c-00000000a001"
	// DemoMemberWithPhoneID has phone "+4791234567" (the same person as
	// customer DemoCustomerEmptyAddress) and no address.
	DemoMemberWithPhoneID = "7c2b9e4a-1d3f-4a6b-8e5c-00000000b001"
	DemoMemberPhone       = "+4791234567"
	// DemoMemberWithAddressID has e-mail, birthday and a full address.
	DemoMemberWithAddressID = "7c2b9e4a-1d3f-4a6b-8e5c-00000000b002"
)

func demoCustomers() []bc.Customer {
	return []bc.Customer{
		{ID: DemoCustomerEmptyAddressID, Number: DemoCustomerEmptyAddress, DisplayName: "Kari Nordmann",
			Type: "Person", PhoneNumber: "+47 912 34 567"},
		{ID: DemoCustomerFilledAddressID, Number: DemoCustomerFilledAddress, DisplayName: "Ola Nordmann",
			Type: "Person", AddressLine1: "Storgata 1", AddressLine2: "Leilighet H0201", City: "Oslo",
			PostalCode: "0155", Country: "NO", PhoneNumber: "+47 987 65 432", Email: "ola.nordmann@example.com"},
		{ID: DemoCustomerEmailOnlyID, Number: DemoCustomerEmailOnly, DisplayName: "Per Hansen",
			Type: "Person", Email: "per.hansen@example.no"},
		{ID: DemoCustomerCompanyID, Number: DemoCustomerCompany, DisplayName: "Fjordkafé AS",
			Type: "Company", AddressLine1: "Bryggen 5", City: "Bergen", PostalCode: "5003", Country: "NO",
			PhoneNumber: "55 12 34 56", Email: "post@fjordkafe.example.no", Website: "fjordkafe.example.no"},
	}
}

func demoMembers() []bc.Member {
	return []bc.Member{
		{ID: DemoMemberWithPhoneID, MemberNumber: "MM-000001", FirstName: "Kari", LastName: "Nordmann",
			PhoneNo: DemoMemberPhone, Gender: "FEMALE", Newsletter: "NOT_SPECIFIED"},
		{ID: DemoMemberWithAddressID, MemberNumber: "MM-000002", FirstName: "Ola", LastName: "Nordmann",
			Email: "ola.nordmann@example.com", PhoneNo: "+4798765432", Birthday: "1985-04-17", Gender: "MALE",
			Address: "Storgata 1", PostCode: "0155", City: "Oslo", Country: "NO", Newsletter: "YES"},
	}
}

// seedDemo creates the demo tenant setup and, unless WithSeed(false), the
// demo customers and members.
func (s *Sim) seedDemo() error {
	s.mu.Lock()
	s.addCompanyLocked(DemoCompanyID, DemoTenantID, DemoEnvironment, DemoCompanyName)
	s.npKeys[DemoNPRetailAPIKey] = true
	s.mu.Unlock()
	s.RegisterApp(DemoTenantID, DemoClientID, DemoClientSecret)
	if !s.seed {
		return nil
	}
	for _, c := range demoCustomers() {
		if _, err := s.AddCustomer(DemoCompanyID, c); err != nil {
			return fmt.Errorf("customer %s: %w", c.Number, err)
		}
	}
	for _, m := range demoMembers() {
		if _, err := s.AddMember(m); err != nil {
			return fmt.Errorf("member %s: %w", m.MemberNumber, err)
		}
	}
	return nil
}
