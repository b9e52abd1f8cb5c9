package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func testSandboxEnv(dir string) sandboxEnv {
	return sandboxEnv{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", DataDir: dir, CAFile: dir + "/ca.pem",
		BCURL: "http://127.0.0.1:8082", AuthorityURL: "https://127.0.0.1:8443/", NPRetailURL: "http://127.0.0.1:8082/npretail",
		VippsBaseURL: "http://127.0.0.1:8081", PublicBaseURL: "http://127.0.0.1:8080", APIKeyHash: connector.HashAPIKey("sandbox"), LogLevel: "info", LogFormat: "json"}
}

func TestSandboxConfig(t *testing.T) {
	dir := t.TempDir()
	data, cfg, err := sandboxConfigYAML(testSandboxEnv(dir))
	if err != nil {
		t.Fatalf("the sandbox configuration does not pass serve's loading: %v", err)
	}
	reloaded, err := config.LoadFromBytes(data)
	if err != nil {
		t.Fatalf("the written YAML does not load: %v", err)
	}
	tn := reloaded.Tenants[0]
	checks := []struct {
		rule      string
		got, want any
	}{
		{"the API key hash is the configured one", tn.APIKeys[0].SHA256, connector.HashAPIKey("sandbox")},
		{"BC points at the simulator's v2.0 root", tn.BusinessCentral.BaseURL, "http://127.0.0.1:8082/v2.0"},
		{"BC authenticates with the demo app", tn.BusinessCentral.Auth.ClientID, bctest.DemoClientID},
		{"BC uses the simulated authority", tn.BusinessCentral.Auth.AuthorityHost, "https://127.0.0.1:8443/"},
		{"BC company is the demo company", tn.BusinessCentral.CompanyID, bctest.DemoCompanyID},
		{"NP Retail base includes tenant, environment and company", tn.NPRetail.BaseURL,
			"http://127.0.0.1:8082/npretail/" + bctest.DemoTenantID + "/" + bctest.DemoEnvironment + "/" + bctest.DemoCompanyID},
		{"Vipps is the test environment", tn.Vipps.Environment, config.VippsTest},
		{"Vipps calls go to the base URL", tn.Vipps.BaseURL, "http://127.0.0.1:8081"},
		{"the default sales unit is used", tn.Vipps.SalesUnits[0].MSN, vippstest.DefaultMSN},
		{"use cases get their defaults", len(tn.UseCases), 3},
		{"enrolment joins the simulator's seeded membership", tn.UseCases[config.UseCaseClubEnrollment].MembershipCode, "GOLD"},
		{"the enrolment use case is of the enrollment kind", tn.UseCases[config.UseCaseClubEnrollment].Kind, config.KindEnrollment},
		{"the enrolment use case keeps the default scopes", strings.Join(tn.UseCases[config.UseCaseClubEnrollment].Scopes, " "),
			"openid name email birthDate phoneNumber delegatedConsents"},
		{"the enrolment use case runs on the default sales unit", tn.UseCases[config.UseCaseClubEnrollment].SalesUnit, vippstest.DefaultMSN},
		{"the enrolment use case gets the default expiry", tn.UseCases[config.UseCaseClubEnrollment].RequestedExpiry, reloaded.Login.DefaultExpiry},
		{"the sandbox runs enrolments with what it wrote", cfg.Tenants[0].UseCases[config.UseCaseClubEnrollment].MembershipCode, "GOLD"},
		{"the store is SQLite in the data dir", reloaded.Store.DSN, "file:" + dir + "/bcvipps.db"},
		{"the CA file is trusted for upstream calls", reloaded.Upstream.CAFile, dir + "/ca.pem"},
		{"durations survive the YAML round trip", reloaded.Worker.LeaseDuration, 20 * time.Second},
		{"the sandbox runs on what it wrote", cfg.Worker.RetryBackoffMax, reloaded.Worker.RetryBackoffMax},
		{"webhooks go to the connector's loopback API (plain http passes validation)", reloaded.Server.PublicBaseURL, "http://127.0.0.1:8080"},
	}
	for _, c := range checks {
		t.Run(c.rule, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	t.Run("an invalid flag value is reported as a config problem", func(t *testing.T) {
		e := testSandboxEnv(dir)
		e.Listen = "no-port"
		if _, _, err := sandboxConfigYAML(e); err == nil || !strings.Contains(err.Error(), "server.listen") {
			t.Errorf("err = %v, want a problem naming server.listen", err)
		}
	})
}

func TestBannerLines(t *testing.T) {
	b := bannerInfo{APIURL: "http://127.0.0.1:8080", VippsURL: "http://127.0.0.1:8081", BCURL: "http://127.0.0.1:8082",
		APIKey: "it's a key"}
	l := tryLines(b)
	customer, member, bcLines, own, pay := l.customer, l.member, l.bcCustomers, l.ownUser, l.payment
	t.Run("the API key is quoted for the shell", func(t *testing.T) {
		out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(b.APIKey)).Output()
		if err != nil || string(out) != b.APIKey {
			t.Fatalf("shell quoting: %q, %v", out, err)
		}
		if !strings.Contains(customer[0], shellQuote("Authorization: Bearer "+b.APIKey)) {
			t.Errorf("customer line does not carry the quoted key: %s", customer[0])
		}
	})
	t.Run("the customer line asks for the empty-address customer with the approving persona", func(t *testing.T) {
		if !strings.Contains(customer[0], `"customerNo":"`+bctest.DemoCustomerEmptyAddress+`"`) ||
			!strings.Contains(customer[0], personaPhone) {
			t.Errorf("customer line: %s", customer[0])
		}
		if !strings.Contains(customer[1], "?wait=30") {
			t.Errorf("GET line lacks the long-poll: %s", customer[1])
		}
	})
	t.Run("the member line posts to the member endpoint", func(t *testing.T) {
		if !strings.Contains(member[0], b.APIURL+"/v1/member-info-requests ") {
			t.Errorf("member line: %s", member[0])
		}
	})
	t.Run("the simulator lines use the control API", func(t *testing.T) {
		if bcLines[0] != "curl -s http://127.0.0.1:8082/_sim/customers" || !strings.Contains(own[0], "http://127.0.0.1:8081/_sim/users") {
			t.Errorf("lines: %v %v", bcLines, own)
		}
	})
	t.Run("the payment lines create, long-poll, capture and refund $PAY, then show BC's vippsPayments", func(t *testing.T) {
		if len(pay) != 5 {
			t.Fatalf("%d payment lines, want 5: %v", len(pay), pay)
		}
		checks := []struct {
			line int
			want []string
		}{
			{0, []string{"PAY=$(curl ", b.APIURL + "/v1/payments ", `"Idempotency-Key: pay-$(date +%s)"`, shellQuote(paymentBody), idFromJSON, `echo "$PAY"`}},
			{1, []string{b.APIURL + "/v1/payments/$PAY?wait=30"}},
			{2, []string{b.APIURL + "/v1/payments/$PAY/capture", `"Idempotency-Key: capture-$PAY"`, "-d '{}'"}},
			{3, []string{b.APIURL + "/v1/payments/$PAY/refund", `"Idempotency-Key: refund-$PAY"`, `-d '{"amount":10000}'`}},
		}
		for _, c := range checks {
			for _, w := range append(c.want, shellQuote("Authorization: Bearer "+b.APIKey)) {
				if !strings.Contains(pay[c.line], w) {
					t.Errorf("payment line %d lacks %s: %s", c.line, w, pay[c.line])
				}
			}
		}
		if pay[4] != "curl -s http://127.0.0.1:8082/_sim/entitysets/vippsPayments" {
			t.Errorf("BC line: %s", pay[4])
		}
		for _, l := range pay {
			if strings.Contains(l, "$ID") || strings.HasPrefix(l, "ID=") {
				t.Errorf("a payment line uses the login lines' $ID: %s", l)
			}
		}
	})
	t.Run("the banner prints the payment section only with the connector", func(t *testing.T) {
		var full, sims strings.Builder
		printBanner(&full, b)
		printBanner(&sims, bannerInfo{VippsURL: b.VippsURL, BCURL: b.BCURL, SimulatorsOnly: true, ConfigFile: "/x/serve.yaml"})
		for _, l := range pay {
			if !strings.Contains(full.String(), "  "+l+"\n") {
				t.Errorf("banner lacks %s", l)
			}
		}
		if !strings.Contains(full.String(), "# Payment at the till") || strings.Contains(sims.String(), "/v1/payments") {
			t.Errorf("payment section: with connector %v, simulators only %v",
				strings.Contains(full.String(), "# Payment at the till"), strings.Contains(sims.String(), "/v1/payments"))
		}
	})
	t.Run("the settlement lines close the day, run a settlement for today into $RUN, then show settlements, open findings and BC's vippsSettlements", func(t *testing.T) {
		st := l.settlement
		if len(st) != 6 {
			t.Fatalf("%d settlement lines, want 6: %v", len(st), st)
		}
		if st[0] != "curl -s -X POST http://127.0.0.1:8081/_sim/report/close-day" {
			t.Errorf("close-day line: %s", st[0])
		}
		jsonType := "-H 'Content-Type: application/json'"
		checks := []struct {
			line int
			want []string
		}{
			{1, []string{"RUN=$(curl -s -X POST " + b.APIURL + "/v1/reconciliation/runs ", jsonType,
				`-d '{"job":"settlement","ledgerDate":"'"$(date +%F)"'"}'`, idFromJSON, `echo "$RUN"`}},
			{2, []string{`curl -s "` + b.APIURL + `/v1/reconciliation/runs/$RUN?wait=30"`}},
			{3, []string{"curl -s " + b.APIURL + "/v1/settlements "}},
			{4, []string{`curl -s "` + b.APIURL + `/v1/reconciliation/findings?status=open"`}},
		}
		for _, c := range checks {
			for _, w := range append(c.want, shellQuote("Authorization: Bearer "+b.APIKey)) {
				if !strings.Contains(st[c.line], w) {
					t.Errorf("settlement line %d lacks %s: %s", c.line, w, st[c.line])
				}
			}
		}
		if st[5] != "curl -s http://127.0.0.1:8082/_sim/entitysets/vippsSettlements" {
			t.Errorf("BC line: %s", st[5])
		}
		for _, l := range st {
			if strings.Contains(l, "$ID") || strings.Contains(l, "$PAY") || strings.Contains(l, "jq") {
				t.Errorf("a settlement line uses $ID, $PAY or jq: %s", l)
			}
		}
	})
	t.Run("the settlement section follows the payment section, only with the connector", func(t *testing.T) {
		var full, sims strings.Builder
		printBanner(&full, b)
		printBanner(&sims, bannerInfo{VippsURL: b.VippsURL, BCURL: b.BCURL, SimulatorsOnly: true, ConfigFile: "/x/serve.yaml"})
		const title = "  # Settlement: close the day at the simulated Vipps, reconcile it, see the settlement and any finding\n"
		lastPay, at := strings.Index(full.String(), "\n  "+pay[len(pay)-1]+"\n"), strings.Index(full.String(), title)
		if lastPay < 0 || at < lastPay {
			t.Fatalf("settlement section at %d, last payment line at %d: the settlement section must come after it:\n%s", at, lastPay, full.String())
		}
		for _, l := range l.settlement {
			if !strings.Contains(full.String()[at:], "\n  "+l+"\n") {
				t.Errorf("banner lacks %s after the settlement title", l)
			}
		}
		if strings.Contains(sims.String(), "# Settlement") || strings.Contains(sims.String(), "close-day") {
			t.Errorf("the simulators-only banner prints the settlement section:\n%s", sims.String())
		}
	})
	t.Run("the club lines scan the own user's QR, check in, enrol to $ENR, read $MEMBER with sed and pay for the member", func(t *testing.T) {
		club := l.club
		if len(club) != 9 {
			t.Fatalf("%d club lines, want 9: %v", len(club), club)
		}
		sim := vippstest.New()
		t.Cleanup(sim.Close)
		qr := sim.PersonalQR(ownUserMSISDN)
		if club[0] != "QR="+shellQuote(qr)+`; echo "$QR"` {
			t.Errorf("QR line %s, want the simulator's personal QR %s", club[0], qr)
		}
		jsonType := "-H 'Content-Type: application/json'"
		checks := []struct {
			line int
			want []string
		}{
			{1, []string{"curl -s -X POST " + b.APIURL + "/v1/phone-lookups ", jsonType, "-d " + qrBody}},
			{2, []string{"curl -s -X POST " + b.APIURL + "/v1/check-ins ", jsonType, "-d " + qrBody}},
			{3, []string{"ENR=$(curl -s -X POST " + b.APIURL + "/v1/enrollments ", jsonType, `"Idempotency-Key: enr-$(date +%s)"`,
				"-d " + qrBody, idFromJSON, `echo "$ENR"`}},
			{4, []string{`curl -s "` + b.APIURL + `/v1/enrollments/$ENR?wait=30"`}},
			{5, []string{`MEMBER=$(curl -s "` + b.APIURL + `/v1/enrollments/$ENR"`, "| " + memberIDFromJSON + ")", `echo "$MEMBER"`}},
			{6, []string{"PAY=$(curl -s -X POST " + b.APIURL + "/v1/payments ", jsonType, `"Idempotency-Key: pay-member-$(date +%s)"`,
				`,"memberId":"'"$MEMBER"'"}'`, `"phoneNumber":"+` + ownUserMSISDN + `"`, idFromJSON, `echo "$PAY"`}},
			{7, []string{`curl -s "` + b.APIURL + `/v1/payments/$PAY?wait=30"`}},
		}
		for _, c := range checks {
			for _, w := range append(c.want, shellQuote("Authorization: Bearer "+b.APIKey)) {
				if !strings.Contains(club[c.line], w) {
					t.Errorf("club line %d lacks %s: %s", c.line, w, club[c.line])
				}
			}
		}
		if club[8] != "curl -s http://127.0.0.1:8082/_sim/members" {
			t.Errorf("members line: %s", club[8])
		}
		for _, l := range club {
			if strings.Contains(l, "$ID") || strings.HasPrefix(l, "ID=") || strings.Contains(l, "jq") {
				t.Errorf("a club line uses the login lines' $ID or jq: %s", l)
			}
		}
	})
	t.Run("the club section follows the own-user section, only with the connector", func(t *testing.T) {
		var full, sims strings.Builder
		printBanner(&full, b)
		printBanner(&sims, bannerInfo{VippsURL: b.VippsURL, BCURL: b.BCURL, SimulatorsOnly: true, ConfigFile: "/x/serve.yaml"})
		const title = "  # Customer club: QR → check-in → join the club → payment for the new member; then NP Retail's members\n"
		own, club := strings.Index(full.String(), own[0]), strings.Index(full.String(), title)
		if own < 0 || club < own {
			t.Errorf("club section at %d, own-user line at %d: the club section must come after it:\n%s", club, own, full.String())
		}
		for _, l := range l.club {
			if !strings.Contains(full.String()[club:], "\n  "+l+"\n") {
				t.Errorf("banner lacks %s after the club title", l)
			}
		}
		if strings.Contains(sims.String(), "Customer club") || strings.Contains(sims.String(), "/v1/enrollments") {
			t.Errorf("the simulators-only banner prints the club section:\n%s", sims.String())
		}
	})
	t.Run("the member id is empty while the enrolment is not completed", func(t *testing.T) {
		for answer, want := range map[string]string{
			`{"id":"enr_x","status":"pending","useCase":"club-enrollment"}`:                                           "",
			`{"id":"enr_x","status":"completed","member":{"memberId":"0b7a3f52-6d1e-4c89-9a43-5e2f1d8c7b60","x":""}}`: "0b7a3f52-6d1e-4c89-9a43-5e2f1d8c7b60",
		} {
			out, err := exec.Command("sh", "-c", "printf %s "+shellQuote(answer)+" | "+memberIDFromJSON).Output()
			if err != nil || strings.TrimSuffix(string(out), "\n") != want {
				t.Errorf("sed on %s: %q %v, want %q", answer, out, err, want)
			}
		}
	})
	t.Run("the persona phone is the approving persona", func(t *testing.T) {
		if digits := strings.NewReplacer("+", "", " ", "").Replace(personaPhone); digits != vippstest.PersonaApprove {
			t.Errorf("%s is not %s", personaPhone, vippstest.PersonaApprove)
		}
	})
}

// seenRequest is one request a stand-in API received from printed lines.
type seenRequest struct{ method, path, auth, key, body string }

// runLinesInShell runs the lines that pick takes from the banner of a
// stand-in API (every URL of the banner points at it) in sh with curl, and
// returns the banner, what sh printed and the requests in order. answer
// gives the body for a request ("" answers 404).
func runLinesInShell(t *testing.T, pick func(bannerInfo) []string, answer func(r *http.Request) string) (bannerInfo, string, []seenRequest) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to check the printed lines: %v", err)
	}
	var mu sync.Mutex
	var got []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seenRequest{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("Idempotency-Key"), string(body)})
		mu.Unlock()
		a := answer(r)
		if a == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, a)
	}))
	t.Cleanup(srv.Close)
	b := bannerInfo{APIURL: srv.URL, BCURL: srv.URL, VippsURL: srv.URL, APIKey: "it's a key"}
	out, err := exec.Command("sh", "-c", strings.Join(pick(b), "\n")).CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	return b, string(out), got
}

// TestBannerPaymentLinesInShell runs the printed payment lines in sh with
// curl against a stand-in API and checks what arrives: the headers
// (quoting of the key and of the generated Idempotency-Key), the bodies,
// and that the create line leaves the id in $PAY for the lines after it.
func TestBannerPaymentLinesInShell(t *testing.T) {
	b, out, got := runLinesInShell(t, func(b bannerInfo) []string { return tryLines(b).payment[:4] },
		func(*http.Request) string {
			return `{"id":"pay_abc123","reference":"bcv-x","status":"created","amount":29900}`
		})
	if first, _, _ := strings.Cut(out, "\n"); first != "pay_abc123" {
		t.Errorf("the create line echoes %q, want the id pay_abc123", first)
	}
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4: %+v", len(got), got)
	}
	want := []seenRequest{
		{method: "POST", path: "/v1/payments", body: paymentBody},
		{method: "GET", path: "/v1/payments/pay_abc123?wait=30"},
		{method: "POST", path: "/v1/payments/pay_abc123/capture", key: "capture-pay_abc123", body: "{}"},
		{method: "POST", path: "/v1/payments/pay_abc123/refund", key: "refund-pay_abc123", body: `{"amount":10000}`},
	}
	for i, w := range want {
		g := got[i]
		if g.method != w.method || g.path != w.path || g.body != w.body || g.auth != "Bearer "+b.APIKey {
			t.Errorf("request %d: %+v, want %+v with the API key", i, g, w)
		}
		if i == 0 {
			if !regexp.MustCompile(`^pay-[0-9]+$`).MatchString(g.key) {
				t.Errorf("create Idempotency-Key %q, want pay-<unix time>", g.key)
			}
		} else if g.key != w.key {
			t.Errorf("request %d: Idempotency-Key %q, want %q", i, g.key, w.key)
		}
	}
}

// TestBannerSettlementLinesInShell runs the printed settlement lines in sh
// with curl against a stand-in API and checks what arrives: close-day at
// the simulator, the run for the shell's date with the quoted key, and the
// run's id carried in $RUN to the long-poll.
func TestBannerSettlementLinesInShell(t *testing.T) {
	b, out, got := runLinesInShell(t, func(b bannerInfo) []string { return tryLines(b).settlement },
		func(*http.Request) string {
			return `{"id":"run_abc123","job":"settlement","status":"queued","counts":{},"findings":0}`
		})
	if !strings.Contains(out, "run_abc123\n") {
		t.Errorf("the run line does not echo the id run_abc123:\n%s", out)
	}
	today, err := exec.Command("date", "+%F").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := []seenRequest{
		{method: "POST", path: "/_sim/report/close-day"},
		{method: "POST", path: "/v1/reconciliation/runs", body: `{"job":"settlement","ledgerDate":"` + strings.TrimSpace(string(today)) + `"}`},
		{method: "GET", path: "/v1/reconciliation/runs/run_abc123?wait=30"},
		{method: "GET", path: "/v1/settlements"},
		{method: "GET", path: "/v1/reconciliation/findings?status=open"},
		{method: "GET", path: "/_sim/entitysets/vippsSettlements"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		auth := "Bearer " + b.APIKey
		if w.path == "/_sim/report/close-day" || w.path == "/_sim/entitysets/vippsSettlements" {
			auth = ""
		}
		if g.method != w.method || g.path != w.path || g.body != w.body || g.auth != auth {
			t.Errorf("request %d: %+v, want %+v with Authorization %q", i, g, w, auth)
		}
	}
}

// TestBannerClubLinesInShell runs the printed club lines in sh with curl
// against a stand-in API and checks what arrives: the scanned QR in the
// bodies, the enrolment's Idempotency-Key, the ids carried in $ENR and
// $PAY, and the member id read with sed into $MEMBER and spliced into the
// payment body.
func TestBannerClubLinesInShell(t *testing.T) {
	const memberID = "0b7a3f52-6d1e-4c89-9a43-5e2f1d8c7b60"
	answers := map[string]string{
		"POST /v1/phone-lookups":                 `{"phoneNumber":"+4799887766"}`,
		"POST /v1/check-ins":                     `{"phoneNumber":"+4799887766","isMember":false,"notified":true}`,
		"POST /v1/enrollments":                   `{"id":"enr_abc123","status":"pending","expiresAt":"2026-12-02T16:17:06Z","bindingMessage":"YYX-87U","pollAfterSeconds":1}`,
		"GET /v1/enrollments/enr_abc123?wait=30": `{"id":"enr_abc123","status":"completed","useCase":"club-enrollment","member":{"memberId":"` + memberID + `","firstName":"Per","lastName":"Hansen","phoneNo":"+4799887766"},"changes":[],"warnings":[]}`,
		"GET /v1/enrollments/enr_abc123":         `{"id":"enr_abc123","status":"completed","useCase":"club-enrollment","member":{"memberId":"` + memberID + `","firstName":"Per","lastName":"Hansen","phoneNo":"+4799887766"},"changes":[],"warnings":[]}`,
		"POST /v1/payments":                      `{"id":"pay_abc123","reference":"bcv-x","status":"created","amount":14900,"memberId":"` + memberID + `"}`,
		"GET /v1/payments/pay_abc123?wait=30":    `{"id":"pay_abc123","reference":"bcv-x","status":"authorized","amount":14900,"memberId":"` + memberID + `"}`,
		"GET /_sim/members":                      `{"value":[{"memberId":"` + memberID + `","memberNumber":"MM-000003","firstName":"Per"}]}`,
	}
	b, out, got := runLinesInShell(t, func(b bannerInfo) []string { return tryLines(b).club },
		func(r *http.Request) string { return answers[r.Method+" "+r.URL.RequestURI()] })
	qr := personalQR(ownUserMSISDN)
	for _, w := range []string{qr + "\n", "enr_abc123\n", memberID + "\n", "pay_abc123\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("the lines do not echo %q:\n%s", strings.TrimSpace(w), out)
		}
	}
	qrJSON := `{"qrCode":"` + qr + `"}`
	want := []seenRequest{
		{method: "POST", path: "/v1/phone-lookups", body: qrJSON},
		{method: "POST", path: "/v1/check-ins", body: qrJSON},
		{method: "POST", path: "/v1/enrollments", body: qrJSON},
		{method: "GET", path: "/v1/enrollments/enr_abc123?wait=30"},
		{method: "GET", path: "/v1/enrollments/enr_abc123"},
		{method: "POST", path: "/v1/payments",
			body: `{"amount":14900,"currency":"NOK","phoneNumber":"+4799887766","description":"Kasse 3","memberId":"` + memberID + `"}`},
		{method: "GET", path: "/v1/payments/pay_abc123?wait=30"},
		{method: "GET", path: "/_sim/members"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d: %+v", len(got), len(want), got)
	}
	keys := map[int]*regexp.Regexp{2: regexp.MustCompile(`^enr-[0-9]+$`), 5: regexp.MustCompile(`^pay-member-[0-9]+$`)}
	for i, w := range want {
		g := got[i]
		wantAuth := "Bearer " + b.APIKey
		if w.path == "/_sim/members" {
			wantAuth = ""
		}
		if g.method != w.method || g.path != w.path || g.body != w.body || g.auth != wantAuth {
			t.Errorf("request %d: %+v, want %+v with auth %q", i, g, w, wantAuth)
		}
		if re := keys[i]; re != nil && !re.MatchString(g.key) {
			t.Errorf("request %d: Idempotency-Key %q, want %s", i, g.key, re)
		} else if re == nil && g.key != "" {
			t.Errorf("request %d: Idempotency-Key %q, want none", i, g.key)
		}
	}
}

func TestLoopbackURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{":8080", "http://127.0.0.1:8080"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080"},
		{"[::]:8080", "http://[::1]:8080"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"localhost:8080", "http://localhost:8080"},
		{"127.0.0.1:0", ""},
		{"no-port", ""},
	}
	for _, tc := range tests {
		if got := loopbackURL(tc.addr); got != tc.want {
			t.Errorf("loopbackURL(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
