package main

import (
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
)

// TestSandboxProcess runs `bcvipps sandbox` as a process, as `make run`
// does, and drives it only through HTTP: the printed curl lines, the API,
// and the BC simulator's control API; then stops it with SIGTERM.
func TestSandboxProcess(t *testing.T) {
	dataDir := t.TempDir()
	started := time.Now()
	p := startProc(t, "sandbox", "--data-dir", dataDir, "--log-format", "json",
		"--listen", "127.0.0.1:0", "--vipps-listen", "127.0.0.1:0", "--bc-listen", "127.0.0.1:0")
	ready := p.waitLog("sandbox ready", 30*time.Second)
	api, bcURL := logString(t, ready, "api"), logString(t, ready, "bc")
	waitReady(t, api, 30*time.Second)
	t.Logf("sandbox ready after %s (wall clock, informational)", time.Since(started).Round(time.Millisecond))

	t.Run("the BC simulator serves the companion extension's API pages, empty", func(t *testing.T) {
		if got := simEntitySetItems(t, bcURL, "vippsPayments"); len(got) != 0 {
			t.Fatalf("vippsPayments after start: %v", got)
		}
	})

	t.Run("the CA certificate is written to the data directory", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(dataDir, "authority-ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := pem.Decode(raw); b == nil || b.Type != "CERTIFICATE" {
			t.Fatalf("authority-ca.pem is not a PEM certificate")
		}
	})

	t.Run("the banner names every listener and the API key", func(t *testing.T) {
		out := p.stdoutText()
		for _, want := range []string{api, bcURL, logString(t, ready, "vipps"), "API key: sandbox", "/_sim/users", "/_sim/customers",
			"PAY=$(curl -s -X POST " + api + "/v1/payments ", bcURL + "/_sim/entitysets/vippsPayments"} {
			if !strings.Contains(out, want) {
				t.Errorf("banner lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("the printed customer-card curl lines complete a request and BC gets the address", func(t *testing.T) {
		before := bcCustomer(t, bcURL, bctest.DemoCustomerEmptyAddress)
		if before["addressLine1"] != "" {
			t.Fatalf("demo customer already has an address: %v", before["addressLine1"])
		}
		id := runBannerPost(t, p.stdoutText(), "/v1/customer-info-requests", bctest.DemoCustomerEmptyAddress)
		got := awaitRequest(t, customerURL(api, id), sandboxAPIKey, 60*time.Second)
		if got["status"] != "completed" {
			t.Fatalf("request ended %v: %v", got["status"], got["error"])
		}
		after := bcCustomer(t, bcURL, bctest.DemoCustomerEmptyAddress)
		if after["addressLine1"] == "" || after["city"] != "Oslo" || after["postalCode"] != "0155" {
			t.Errorf("BC customer not updated from the persona's profile: addressLine1=%q city=%q postalCode=%q",
				after["addressLine1"], after["city"], after["postalCode"])
		}
	})

	t.Run("the own-user walk-through lands the new user's profile in BC", func(t *testing.T) {
		var add string
		for _, l := range strings.Split(p.stdoutText(), "\n") {
			if l = strings.TrimSpace(l); strings.Contains(l, "/_sim/users") {
				add = l
			}
		}
		if out, err := exec.Command("sh", "-c", add).CombinedOutput(); err != nil {
			t.Fatalf("add user: %v %s", err, out)
		}
		before := bcCustomer(t, bcURL, bctest.DemoCustomerEmailOnly)
		id := runBannerPost(t, p.stdoutText(), "/v1/customer-info-requests", ownUserMSISDN)
		got := awaitRequest(t, customerURL(api, id), sandboxAPIKey, 60*time.Second)
		if got["status"] != "completed" {
			t.Fatalf("request ended %v: %v", got["status"], got["error"])
		}
		if ch, _ := got["changes"].([]any); len(ch) == 0 {
			t.Errorf("the walk-through shows no change: %v", got)
		}
		if b, _ := got["bindingMessage"].(string); b == "" {
			t.Errorf("no bindingMessage, which the README promises")
		}
		after := bcCustomer(t, bcURL, bctest.DemoCustomerEmailOnly)
		if after["addressLine1"] != "Testveien 1" || before["addressLine1"] == after["addressLine1"] {
			t.Errorf("BC customer %s: addressLine1 %q → %q", bctest.DemoCustomerEmailOnly, before["addressLine1"], after["addressLine1"])
		}
	})

	t.Run("the printed member curl lines complete a POS member request", func(t *testing.T) {
		id := runBannerPost(t, p.stdoutText(), "/v1/member-info-requests", "")
		got := awaitRequest(t, api+"/v1/member-info-requests/"+id, sandboxAPIKey, 60*time.Second)
		if got["status"] != "completed" {
			t.Fatalf("request ended %v: %v", got["status"], got["error"])
		}
		if m, _ := got["member"].(map[string]any); m == nil || m["lastName"] == "" {
			t.Errorf("member fields missing: %v", got["member"])
		}
	})

	t.Run("a payment at the till is authorized, captured and shown captured in BC's vippsPayments; Vipps delivers webhooks", func(t *testing.T) {
		if got := logString(t, ready, "publicBaseURL"); got != api {
			t.Errorf("server.publicBaseURL %q, want the connector API %q", got, api)
		}
		pay := sandboxPayment(t, api, bcURL, logString(t, ready, "vipps"))
		t.Logf("payment %v captured and in BC", pay["id"])
	})

	t.Run("a wrong API key is refused", func(t *testing.T) {
		code, _ := apiCall(t, http.MethodGet, customerURL(api, "00000000-0000-0000-0000-000000000000"), "not-the-key", nil)
		if code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", code)
		}
	})

	if code := p.stop(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	p.waitLog("stopped", time.Second)
}

// TestSandboxBCServesCustomAPIPages checks that the sandbox's BC simulator
// serves the three custom API pages of DESIGN §8, empty after start.
func TestSandboxBCServesCustomAPIPages(t *testing.T) {
	bsim, err := newSandboxBC("127.0.0.1:0", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bsim.Close() })
	for _, set := range []string{"vippsPayments", "vippsSettlements", "vippsFindings"} {
		if got := simEntitySetItems(t, bsim.BCURL, set); len(got) != 0 {
			t.Errorf("%s after start: %v", set, got)
		}
	}
	if code, _ := apiCall(t, http.MethodGet, bsim.BCURL+"/_sim/entitysets/vippsOther", "", nil); code != http.StatusNotFound {
		t.Errorf("unregistered entity set: status %d, want 404", code)
	}
}

// simEntitySetItems returns the items of GET /_sim/entitysets/{set} on the
// BC simulator, failing unless the answer is 200 with an items array.
func simEntitySetItems(t *testing.T, bcURL, set string) []any {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, bcURL+"/_sim/entitysets/"+set, "", nil)
	items, ok := body["items"].([]any)
	if code != http.StatusOK || !ok {
		t.Fatalf("GET /_sim/entitysets/%s: %d %v, want 200 with an items array", set, code, body)
	}
	return items
}

// runBannerPost runs, in sh, the banner's POST line for path exactly as
// printed, and returns the id it echoes.
func runBannerPost(t *testing.T, banner, path, must string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to check the printed lines: %v", err)
	}
	var line string
	for _, l := range strings.Split(banner, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "ID=$(curl") && strings.Contains(l, path+" ") && strings.Contains(l, must) {
			line = l
			break
		}
	}
	if line == "" {
		t.Fatalf("no POST line for %s in the banner:\n%s", path, banner)
	}
	out, err := exec.Command("sh", "-c", line).CombinedOutput()
	if err != nil {
		t.Fatalf("sh -c %q: %v\n%s", line, err, out)
	}
	id := strings.TrimSpace(string(out))
	if id == "" || strings.ContainsAny(id, "{} \"") {
		t.Fatalf("the printed line did not yield an id: %q", out)
	}
	return id
}

// sandboxPayment runs the till's payment flow against a running sandbox
// with Go's HTTP client: create for the approving persona, long-poll until
// authorized, capture all, then wait for BC's vippsPayments row to show it
// captured. It checks that the Vipps simulator delivered webhooks to the
// connector, and returns the captured payment.
func sandboxPayment(t *testing.T, api, bcURL, vippsURL string) map[string]any {
	t.Helper()
	const amount = 29900
	idem := func(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }
	code, pay := apiCallHeader(t, http.MethodPost, api+"/v1/payments", sandboxAPIKey, idem("sandbox-test-pay-1"),
		map[string]any{"amount": amount, "currency": "NOK", "phoneNumber": personaPhone, "description": "Kasse 3"})
	id, _ := pay["id"].(string)
	if code != http.StatusCreated || id == "" || pay["status"] != "created" {
		t.Fatalf("POST /v1/payments: %d %v, want 201 with an id and status created", code, pay)
	}
	ref, _ := pay["reference"].(string)

	// The persona approves after 2 s on the real clock: one long-poll
	// usually returns exactly then; a few more are the margin.
	for i := 0; i < 5 && pay["status"] == "created"; i++ {
		if code, pay = apiCall(t, http.MethodGet, api+"/v1/payments/"+id+"?wait=30", sandboxAPIKey, nil); code != http.StatusOK {
			t.Fatalf("GET payment: %d %v", code, pay)
		}
	}
	if pay["status"] != "authorized" || pay["authorizedAmount"] != float64(amount) {
		t.Fatalf("payment %s: status %v authorizedAmount %v, want authorized %d (error %v)",
			id, pay["status"], pay["authorizedAmount"], amount, pay["error"])
	}

	// The CREATED event was queued 2 s before the authorization; a
	// delivery counts only when the connector answered 2xx, i.e. the
	// signature matched the URL registered at server.publicBaseURL.
	code, stats := apiCall(t, http.MethodGet, vippsURL+"/_sim/stats", "", nil)
	if n, _ := stats["WebhookDeliveries"].(float64); code != http.StatusOK || n < 1 {
		t.Errorf("Vipps simulator stats: %d WebhookDeliveries=%v WebhookFailures=%v, want at least one delivery",
			code, stats["WebhookDeliveries"], stats["WebhookFailures"])
	}

	code, pay = apiCallHeader(t, http.MethodPost, api+"/v1/payments/"+id+"/capture", sandboxAPIKey, idem("sandbox-test-capture-1"), map[string]any{})
	if code != http.StatusOK || pay["capturedAmount"] != float64(amount) {
		t.Fatalf("capture: %d capturedAmount %v, want 200 and %d: %v", code, pay["capturedAmount"], amount, pay)
	}

	// BC gets the change from the connector's outbox, asynchronously. The
	// sandbox is a separate process on the real clock, so this polls with
	// a short pause, bounded.
	var row map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		row = nil
		for _, it := range simEntitySetItems(t, bcURL, "vippsPayments") {
			if m, _ := it.(map[string]any); m["reference"] == ref {
				row = m
			}
		}
		if row != nil && row["status"] == "captured" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("BC's vippsPayments row for %s is %v, want status captured", ref, row)
		}
	}
	if row["paymentId"] != id || row["capturedAmount"] != float64(amount) {
		t.Errorf("BC's vippsPayments row: paymentId %v capturedAmount %v, want %s and %d", row["paymentId"], row["capturedAmount"], id, amount)
	}
	return pay
}
