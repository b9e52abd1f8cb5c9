package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiCall sends a JSON request with the API key and decodes the answer.
func apiCall(t *testing.T, method, url, key string, body any) (int, map[string]any) {
	t.Helper()
	return apiCallHeader(t, method, url, key, nil, body)
}

// apiCallHeader is apiCall with more request headers (e.g.
// Idempotency-Key).
func apiCallHeader(t *testing.T, method, url, key string, hdr http.Header, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// terminal request states.
var terminal = map[string]bool{"completed": true, "rejected": true, "expired": true, "failed": true, "cancelled": true}

// awaitRequest long-polls url until the request reaches a terminal state
// or d passes, and returns the last answer.
func awaitRequest(t *testing.T, url, key string, d time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, body := apiCall(t, http.MethodGet, url+"?wait=10", key, nil)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", url, code, body)
		}
		if s, _ := body["status"].(string); terminal[s] {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("request %s still %v after %s", url, body["status"], d)
		}
	}
}

// bcCustomer returns customer number from GET {bc}/_sim/customers.
func bcCustomer(t *testing.T, bcURL, number string) map[string]any {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, bcURL+"/_sim/customers", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET _sim/customers: %d", code)
	}
	list, _ := body["value"].([]any)
	for _, c := range list {
		if m, ok := c.(map[string]any); ok && m["number"] == number {
			return m
		}
	}
	t.Fatalf("customer %s not in the BC simulator (%d customers)", number, len(list))
	return nil
}

// postCustomerRequest posts a customer-card request and returns its id.
func postCustomerRequest(t *testing.T, api, key, customerNo, phone string) string {
	t.Helper()
	code, body := apiCall(t, http.MethodPost, api+"/v1/customer-info-requests", key,
		map[string]string{"customerNo": customerNo, "phoneNumber": phone})
	if code != http.StatusAccepted {
		t.Fatalf("POST customer-info-requests: %d %v", code, body)
	}
	id, _ := body["id"].(string)
	if id == "" || body["status"] != "pending" {
		t.Fatalf("POST customer-info-requests: want a pending request with an id, got %v", body)
	}
	return id
}

// logString returns a string attribute of a log line.
func logString(t *testing.T, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok || s == "" {
		t.Fatalf("log line %v has no %q", m, key)
	}
	return strings.TrimSuffix(s, "/")
}

func customerURL(api, id string) string {
	return fmt.Sprintf("%s/v1/customer-info-requests/%s", api, id)
}
