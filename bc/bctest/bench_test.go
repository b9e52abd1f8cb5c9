package bctest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/bc/bctest"
)

func benchDemo(b *testing.B, n int) (*bctest.Servers, string, []string) {
	b.Helper()
	srv := bctest.Start(b, bctest.WithSeed(false))
	ids := make([]string, n)
	for i := range ids {
		c, err := srv.Sim.AddCustomer(bctest.DemoCompanyID, bc.Customer{Number: fmt.Sprintf("B%05d", i), DisplayName: fmt.Sprintf("Bench %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	form := "grant_type=client_credentials&client_id=" + bctest.DemoClientID + "&client_secret=" + bctest.DemoClientSecret +
		"&scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default"
	resp, err := srv.HTTPClient().Post(srv.AuthorityURL+bctest.DemoTenantID+"/oauth2/v2.0/token", "application/x-www-form-urlencoded", bytes.NewBufferString(form))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		b.Fatal(err)
	}
	return srv, tok.AccessToken, ids
}

func benchDo(b *testing.B, req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkBatchUpdate100 sends one $batch of 100 customer PATCHes.
func BenchmarkBatchUpdate100(b *testing.B) {
	srv, token, ids := benchDemo(b, 100)
	ops := make([]map[string]any, len(ids))
	for i, id := range ids {
		ops[i] = map[string]any{"id": fmt.Sprint(i), "method": "PATCH",
			"url":     "companies(" + bctest.DemoCompanyID + ")/customers(" + id + ")",
			"headers": map[string]string{"Content-Type": "application/json", "If-Match": "*"},
			"body":    map[string]any{"city": "Oslo"}}
	}
	body, _ := json.Marshal(map[string]any{"requests": ops})
	u := srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment) + "/$batch"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Isolation", "snapshot")
		benchDo(b, req)
	}
}

// BenchmarkListFiltered1000 filters 1,000 customers and returns one page.
func BenchmarkListFiltered1000(b *testing.B) {
	srv, token, _ := benchDemo(b, 1000)
	u := srv.APIRoot(bctest.DemoTenantID, bctest.DemoEnvironment) + "/companies(" + bctest.DemoCompanyID +
		")/customers?$filter=startswith(tolower(displayName),%20'bench%201')&$select=number"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		benchDo(b, req)
	}
}
