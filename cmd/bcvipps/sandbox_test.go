package main

import (
	"encoding/pem"
	"fmt"
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
			"PAY=$(curl -s -X POST " + api + "/v1/payments ", bcURL + "/_sim/entitysets/vippsPayments",
			"ENR=$(curl -s -X POST " + api + "/v1/enrollments ", bcURL + "/_sim/members"} {
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

	t.Run("the printed club lines enrol the own test user and pay for the new member", func(t *testing.T) {
		sandboxBannerClub(t, p.stdoutText(), api, bcURL)
	})

	t.Run("the club at the till: QR lookup, check-in, enrolment, payment for the new member, and NP Retail has the member", func(t *testing.T) {
		sandboxClub(t, api, bcURL, logString(t, ready, "vipps"))
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

// clubPhone is the test user of sandboxClub, not used by other subtests.
const clubPhone = "4799887700"

// sandboxClub runs J3 at the till against a running sandbox with Go's
// HTTP client: a new Vipps test user (not a member) is found by its
// personal QR, checked in as a non-member, enrolled with one consent,
// and paid for with the new memberId; NP Retail then has the member.
func sandboxClub(t *testing.T, api, bcURL, vippsURL string) {
	t.Helper()
	code, body := apiCall(t, http.MethodPost, vippsURL+"/_sim/users", "", map[string]any{
		"phoneNumber": clubPhone, "behaviour": "approve", "delaySeconds": 1,
		"profile": map[string]any{"name": "Siri Berg", "given_name": "Siri", "family_name": "Berg",
			"email": "siri.berg@example.com", "email_verified": true, "phone_number": clubPhone, "phone_number_verified": true},
	})
	if code != http.StatusCreated {
		t.Fatalf("POST /_sim/users: %d %v", code, body)
	}
	qr := personalQR(clubPhone)
	code, body = apiCall(t, http.MethodPost, api+"/v1/phone-lookups", sandboxAPIKey, map[string]string{"qrCode": qr})
	if code != http.StatusOK || body["phoneNumber"] != "+"+clubPhone {
		t.Fatalf("POST /v1/phone-lookups: %d %v, want 200 with phoneNumber +%s", code, body, clubPhone)
	}
	code, body = apiCall(t, http.MethodPost, api+"/v1/check-ins", sandboxAPIKey, map[string]string{"qrCode": qr})
	if _, notified := body["notified"].(bool); code != http.StatusOK || body["isMember"] != false || body["memberId"] != nil ||
		body["phoneNumber"] != "+"+clubPhone || !notified {
		t.Fatalf("POST /v1/check-ins: %d %v, want 200 for a non-member with notified", code, body)
	}

	code, enr := apiCallHeader(t, http.MethodPost, api+"/v1/enrollments", sandboxAPIKey,
		http.Header{"Idempotency-Key": {"sandbox-test-enrol-1"}}, map[string]string{"qrCode": qr})
	id, _ := enr["id"].(string)
	if code != http.StatusAccepted || id == "" || enr["status"] != "pending" {
		t.Fatalf("POST /v1/enrollments: %d %v, want 202 with a pending request", code, enr)
	}
	// The user consents after 1 s on the real clock and the member is
	// then created: a long-poll returns at each change.
	for i := 0; i < 5 && !terminal[fmt.Sprint(enr["status"])]; i++ {
		if code, enr = apiCall(t, http.MethodGet, api+"/v1/enrollments/"+id+"?wait=30", sandboxAPIKey, nil); code != http.StatusOK {
			t.Fatalf("GET enrolment: %d %v", code, enr)
		}
	}
	member, _ := enr["member"].(map[string]any)
	memberID, _ := member["memberId"].(string)
	if enr["status"] != "completed" || memberID == "" {
		t.Fatalf("enrolment %s: status %v, member %v, want completed with a memberId (error %v)", id, enr["status"], member, enr["error"])
	}

	code, body = apiCall(t, http.MethodPost, api+"/v1/check-ins", sandboxAPIKey, map[string]string{"phoneNumber": "+" + clubPhone})
	if code != http.StatusOK || body["isMember"] != true || body["memberId"] != memberID {
		t.Errorf("check-in after the enrolment: %d %v, want isMember with memberId %s", code, body, memberID)
	}

	code, pay := apiCallHeader(t, http.MethodPost, api+"/v1/payments", sandboxAPIKey, http.Header{"Idempotency-Key": {"sandbox-test-club-pay-1"}},
		map[string]any{"amount": 14900, "currency": "NOK", "phoneNumber": "+" + clubPhone, "description": "Kasse 3", "memberId": memberID})
	payID, _ := pay["id"].(string)
	if code != http.StatusCreated || payID == "" || pay["memberId"] != memberID {
		t.Fatalf("POST /v1/payments with memberId: %d %v, want 201 carrying memberId %s", code, pay, memberID)
	}
	for i := 0; i < 5 && pay["status"] == "created"; i++ {
		if code, pay = apiCall(t, http.MethodGet, api+"/v1/payments/"+payID+"?wait=30", sandboxAPIKey, nil); code != http.StatusOK {
			t.Fatalf("GET payment: %d %v", code, pay)
		}
	}
	if pay["status"] != "authorized" || pay["memberId"] != memberID {
		t.Errorf("payment %s: status %v memberId %v, want authorized for %s (error %v)", payID, pay["status"], pay["memberId"], memberID, pay["error"])
	}

	m := simMember(t, bcURL, memberID)
	if m == nil || m["phoneNo"] != "+"+clubPhone || m["firstName"] != "Siri" || m["lastName"] != "Berg" {
		t.Errorf("NP Retail member %s: %v, want Siri Berg with phone +%s", memberID, m, clubPhone)
	}
}

// simMember returns the NP Retail member memberID from GET
// {bc}/_sim/members, or nil.
func simMember(t *testing.T, bcURL, memberID string) map[string]any {
	t.Helper()
	code, body := apiCall(t, http.MethodGet, bcURL+"/_sim/members", "", nil)
	list, ok := body["value"].([]any)
	if code != http.StatusOK || !ok {
		t.Fatalf("GET /_sim/members: %d %v, want 200 with a value array", code, body)
	}
	for _, it := range list {
		if m, _ := it.(map[string]any); m["memberId"] == memberID {
			return m
		}
	}
	return nil
}

// sandboxBannerClub runs the banner's club lines as printed, in sh, against
// a running sandbox: the own test user is added (the own-user line), found
// by its QR and checked in as a non-member, and enrolled; once the
// enrolment is completed (awaited here, where a person repeats the GET),
// $MEMBER is read with sed and the payment carries it; NP Retail's member
// list shows the new member.
func sandboxBannerClub(t *testing.T, banner, api, bcURL string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to check the printed lines: %v", err)
	}
	var add string
	var club []string
	in := false
	for _, l := range strings.Split(banner, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.Contains(l, "/_sim/users"):
			add = l
		case strings.HasPrefix(l, "# Customer club:"):
			in = true
		case in && l == "":
			in = false
		case in && !strings.HasPrefix(l, "#"):
			club = append(club, l)
		}
	}
	if add == "" || len(club) != 9 {
		t.Fatalf("banner: own-user line %q, %d club lines, want 9:\n%s", add, len(club), banner)
	}
	// sh runs lines with the shell variables of env and prints the
	// variables of show on lines of their own at the end.
	sh := func(lines []string, env []string, show ...string) (string, map[string]string) {
		t.Helper()
		script := strings.Join(lines, "\n")
		for _, v := range show {
			script += fmt.Sprintf("\nprintf '\\n%s=%%s\\n' \"$%s\"", v, v)
		}
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sh: %v\n%s\n%s", err, script, out)
		}
		vars := map[string]string{}
		for _, l := range strings.Split(string(out), "\n") {
			for _, v := range show {
				if val, ok := strings.CutPrefix(l, v+"="); ok {
					vars[v] = val
				}
			}
		}
		return string(out), vars
	}
	sh([]string{add}, nil)
	out, vars := sh(club[:4], nil, "QR", "ENR")
	if vars["QR"] != personalQR(ownUserMSISDN) || vars["ENR"] == "" || strings.ContainsAny(vars["ENR"], "{} \"") {
		t.Fatalf("QR %q, ENR %q from the first club lines:\n%s", vars["QR"], vars["ENR"], out)
	}
	for _, w := range []string{`{"phoneNumber":"+` + ownUserMSISDN + `"}`, `"isMember":false`} {
		if !strings.Contains(out, w) {
			t.Errorf("the lookup and check-in lines do not answer %s:\n%s", w, out)
		}
	}
	enr := awaitRequest(t, api+"/v1/enrollments/"+vars["ENR"], sandboxAPIKey, 60*time.Second)
	if enr["status"] != "completed" {
		t.Fatalf("enrolment %s ended %v: %v", vars["ENR"], enr["status"], enr["error"])
	}
	out, vars = sh(club[4:7], []string{"ENR=" + vars["ENR"]}, "MEMBER", "PAY")
	member, _ := enr["member"].(map[string]any)
	if vars["MEMBER"] == "" || vars["MEMBER"] != member["memberId"] || vars["PAY"] == "" || strings.ContainsAny(vars["PAY"], "{} \"") {
		t.Fatalf("MEMBER %q (enrolled %v), PAY %q from the member and payment lines:\n%s", vars["MEMBER"], member["memberId"], vars["PAY"], out)
	}
	var pay map[string]any
	for i := 0; i < 5 && (i == 0 || pay["status"] == "created"); i++ {
		var code int
		if code, pay = apiCall(t, http.MethodGet, api+"/v1/payments/"+vars["PAY"]+"?wait=30", sandboxAPIKey, nil); code != http.StatusOK {
			t.Fatalf("GET payment: %d %v", code, pay)
		}
	}
	if pay["status"] != "authorized" || pay["memberId"] != vars["MEMBER"] {
		t.Errorf("payment %s: status %v memberId %v, want authorized for %s (error %v)", vars["PAY"], pay["status"], pay["memberId"], vars["MEMBER"], pay["error"])
	}
	if out, _ = sh(club[8:], nil); !strings.Contains(out, `"memberId":"`+vars["MEMBER"]+`"`) {
		t.Errorf("the members line does not show %s:\n%s", vars["MEMBER"], out)
	}
}
