package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// seedWorkers is how many control-API calls run at once while seeding.
const seedWorkers = 16

// phones hands out distinct Norwegian mobile numbers (MSISDN digits,
// 4741000000 upwards), one per simulated user: the Vipps simulator allows
// one login in progress per user.
type phones struct{ next int }

// take returns n fresh numbers.
func (p *phones) take(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("4741%06d", p.next)
		p.next++
	}
	return out
}

// simUser is a user in the Vipps simulator's control API (POST /_sim/users).
type simUser struct {
	PhoneNumber  string      `json:"phoneNumber"`
	Behaviour    string      `json:"behaviour"` // approve, reject, ignore
	DelaySeconds float64     `json:"delaySeconds"`
	Profile      userProfile `json:"profile"`
}

// userProfile is the part of a Vipps userinfo profile the benchmark sets.
type userProfile struct {
	Name                string       `json:"name"`
	GivenName           string       `json:"given_name"`
	FamilyName          string       `json:"family_name"`
	Email               string       `json:"email"`
	EmailVerified       bool         `json:"email_verified"`
	PhoneNumber         string       `json:"phone_number"`
	PhoneNumberVerified bool         `json:"phone_number_verified"`
	Address             *userAddress `json:"address,omitempty"`
}

type userAddress struct {
	StreetAddress string `json:"street_address"`
	PostalCode    string `json:"postal_code"`
	Region        string `json:"region"`
	Country       string `json:"country"`
}

// seedUsers adds one simulated user per phone with behaviour, answering
// after delay (approve and reject; ignore never answers).
func seedUsers(ctx context.Context, c *http.Client, vippsURL, behaviour string, delay time.Duration, numbers []string) error {
	err := forEach(ctx, len(numbers), seedWorkers, func(ctx context.Context, i int) error {
		n := numbers[i]
		u := simUser{PhoneNumber: n, Behaviour: behaviour, DelaySeconds: delay.Seconds(), Profile: userProfile{
			Name: "Last Test " + n, GivenName: "Last", FamilyName: "Test " + n,
			Email: "load" + n + "@example.com", EmailVerified: true, PhoneNumber: n, PhoneNumberVerified: true,
			Address: &userAddress{StreetAddress: "Lastgata " + n[6:], PostalCode: "0155", Region: "Oslo", Country: "NO"},
		}}
		return doJSON(ctx, c, http.MethodPost, vippsURL+"/_sim/users", nil, u, nil)
	})
	if err != nil {
		return fmt.Errorf("seed %d %s users: %w", len(numbers), behaviour, err)
	}
	return nil
}

// seedCustomers creates one BC customer per number, without address,
// e-mail or phone, so the consented profile has something to write.
func seedCustomers(ctx context.Context, c *http.Client, bcURL string, numbers []string) error {
	err := forEach(ctx, len(numbers), seedWorkers, func(ctx context.Context, i int) error {
		body := map[string]any{"number": numbers[i], "displayName": "Lastkunde " + numbers[i]}
		return doJSON(ctx, c, http.MethodPost, bcURL+"/_sim/customers", nil, body, nil)
	})
	if err != nil {
		return fmt.Errorf("seed %d customers: %w", len(numbers), err)
	}
	return nil
}

// vippsStats are the Vipps simulator's counters the benchmark reads.
type vippsStats struct {
	TokenPolls          int
	EarlyPolls          int
	BackchannelRequests int
}

func readVippsStats(ctx context.Context, c *http.Client, vippsURL string) (vippsStats, error) {
	var st vippsStats
	err := doJSON(ctx, c, http.MethodGet, vippsURL+"/_sim/stats", nil, nil, &st)
	return st, err
}

// bcCustomer is a customer as GET /_sim/customers lists it.
type bcCustomer struct {
	Number               string `json:"number"`
	AddressLine1         string `json:"addressLine1"`
	LastModifiedDateTime string `json:"lastModifiedDateTime"`
}

// bcWriteTimes returns, for each wanted customer number, the customer's
// lastModifiedDateTime in the BC simulator (millisecond precision) if its
// address was written.
func bcWriteTimes(ctx context.Context, c *http.Client, bcURL string, wanted map[string]bool) (map[string]time.Time, error) {
	var list struct {
		Value []bcCustomer `json:"value"`
	}
	if err := doJSON(ctx, c, http.MethodGet, bcURL+"/_sim/customers", nil, nil, &list); err != nil {
		return nil, fmt.Errorf("list BC customers: %w", err)
	}
	out := map[string]time.Time{}
	for _, cu := range list.Value {
		if !wanted[cu.Number] || cu.AddressLine1 == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, cu.LastModifiedDateTime)
		if err != nil {
			return nil, fmt.Errorf("customer %s: lastModifiedDateTime: %w", cu.Number, err)
		}
		out[cu.Number] = t
	}
	return out, nil
}
