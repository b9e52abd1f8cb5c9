package vippstest

import (
	"strconv"
	"testing"
	"time"
)

func TestAccessToken(t *testing.T) {
	e := start(t)
	a := e.do("POST", "/accesstoken/get", "", "client_id", DefaultClientID, "client_secret", DefaultClientSecret,
		"Ocp-Apim-Subscription-Key", DefaultSubscriptionKey)
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	m := a.json(t)
	for _, k := range []string{"token_type", "expires_in", "ext_expires_in", "expires_on", "not_before", "resource", "access_token"} {
		if _, ok := m[k].(string); !ok {
			t.Errorf("%s is not a string: %v", k, m[k])
		}
	}
	if m["expires_in"] != "3599" || m["token_type"] != "Bearer" {
		t.Errorf("got %s", a.body)
	}
	if on, _ := strconv.ParseInt(m["expires_on"].(string), 10, 64); on != epoch.Add(time.Hour).Unix() {
		t.Errorf("expires_on %v, want an hour of sim time", m["expires_on"])
	}
	if got := e.srv.Stats().TokenRequests; got != 1 {
		t.Errorf("TokenRequests = %d", got)
	}
}

func TestMerchantAuthRefusals(t *testing.T) {
	e := startRefusals(t)
	e.srv.AddSalesUnit(SalesUnit{MSN: "654321", ClientID: "other-id", ClientSecret: "other-secret", SubscriptionKey: "other-key"})
	e.srv.AddPartner(Partner{ClientID: "partner-id", ClientSecret: "partner-secret", SubscriptionKey: "partner-key", MSNs: []string{DefaultMSN}})
	tok := e.token()
	partner := e.do("POST", "/accesstoken/get", "", "client_id", "partner-id", "client_secret", "partner-secret", "Ocp-Apim-Subscription-Key", "partner-key").json(t)["access_token"].(string)

	tokenTests := []struct {
		name               string
		id, secret, subKey string
		want               int
	}{
		{"wrong client secret is refused", DefaultClientID, "nope", DefaultSubscriptionKey, 401},
		{"unknown client id is refused", "nobody", DefaultClientSecret, DefaultSubscriptionKey, 401},
		{"subscription key of another unit is refused", DefaultClientID, DefaultClientSecret, "other-key", 401},
		{"missing subscription key is refused", DefaultClientID, DefaultClientSecret, "", 401},
	}
	for _, tc := range tokenTests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("POST", "/accesstoken/get", "", "client_id", tc.id, "client_secret", tc.secret, "Ocp-Apim-Subscription-Key", tc.subKey)
			if a.status != tc.want {
				t.Fatalf("status %d, want %d: %s", a.status, tc.want, a.body)
			}
		})
	}

	callTests := []struct {
		name    string
		headers []string
		want    int
	}{
		{"valid merchant call passes", []string{"Authorization", "Bearer " + tok, "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey, "Merchant-Serial-Number", DefaultMSN}, 200},
		{"token without the Bearer word is refused", []string{"Authorization", tok, "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey, "Merchant-Serial-Number", DefaultMSN}, 401},
		{"missing subscription key is refused", []string{"Authorization", "Bearer " + tok, "Merchant-Serial-Number", DefaultMSN}, 401},
		{"subscription key of another unit is refused", []string{"Authorization", "Bearer " + tok, "Ocp-Apim-Subscription-Key", "other-key", "Merchant-Serial-Number", DefaultMSN}, 401},
		{"unknown token is refused", []string{"Authorization", "Bearer sim-at-forged", "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey}, 401},
		{"MSN of another unit is refused", []string{"Authorization", "Bearer " + tok, "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey, "Merchant-Serial-Number", "654321"}, 403},
		{"partner keys with their merchant's MSN pass", []string{"Authorization", "Bearer " + partner, "Ocp-Apim-Subscription-Key", "partner-key", "Merchant-Serial-Number", DefaultMSN}, 200},
		{"partner keys without MSN are refused", []string{"Authorization", "Bearer " + partner, "Ocp-Apim-Subscription-Key", "partner-key"}, 403},
		{"partner keys with a foreign MSN are refused", []string{"Authorization", "Bearer " + partner, "Ocp-Apim-Subscription-Key", "partner-key", "Merchant-Serial-Number", "654321"}, 403},
	}
	for _, tc := range callTests {
		t.Run(tc.name, func(t *testing.T) {
			if a := e.do("GET", "/webhooks/v1/webhooks", "", tc.headers...); a.status != tc.want {
				t.Fatalf("status %d, want %d: %s", a.status, tc.want, a.body)
			}
		})
	}

	t.Run("token expires after an hour of sim time", func(t *testing.T) {
		h := []string{"Authorization", "Bearer " + tok, "Ocp-Apim-Subscription-Key", DefaultSubscriptionKey, "Merchant-Serial-Number", DefaultMSN}
		e.clock.Advance(59 * time.Minute)
		if a := e.do("GET", "/webhooks/v1/webhooks", "", h...); a.status != 200 {
			t.Fatalf("before expiry: %d", a.status)
		}
		e.clock.Advance(time.Minute)
		if a := e.do("GET", "/webhooks/v1/webhooks", "", h...); a.status != 401 {
			t.Fatalf("after expiry: %d %s", a.status, a.body)
		}
	})
}

func TestMiamiToken(t *testing.T) {
	e := start(t)
	a := e.do("POST", "/miami/v1/token", form("grant_type", "client_credentials"), basic()...)
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	m := a.json(t)
	if m["expires_in"] != float64(900) || m["token_type"] != "Bearer" {
		t.Fatalf("got %s", a.body)
	}
	// Accounting tokens read reports without a subscription key.
	if r := e.do("GET", "/settlement/v1/ledgers", "", "Authorization", "Bearer "+m["access_token"].(string)); r.status != 200 {
		t.Fatalf("ledgers with miami token: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/miami/v1/token", form("grant_type", "client_credentials")); r.status != 401 {
		t.Fatalf("without Basic auth: %d", r.status)
	}
}
