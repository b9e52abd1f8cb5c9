package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// bannerInfo is what the sandbox banner shows.
type bannerInfo struct {
	APIURL, AdminURL     string // empty with --simulators-only
	VippsURL, BCURL      string
	AuthorityURL, CAFile string
	NPRetailBase         string
	DataDir, ConfigFile  string
	APIKey               string
	VippsBaseURL         string // where the connector sends Vipps calls
	SimulatorsOnly       bool
}

// personaPhone is vippstest.PersonaApprove as a cashier would type it.
const personaPhone = "+47 912 34 567"

// ownUserMSISDN is the test user added by the banner's _sim/users line.
const ownUserMSISDN = "4799887766"

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// idFromJSON extracts "id" from a compact JSON answer with sed only, so the
// lines work on a machine without jq.
const idFromJSON = `sed -E 's/.*"id" *: *"([^"]+)".*/\1/'`

// memberIDFromJSON extracts "memberId" from a compact JSON answer with sed
// only; it prints nothing while the answer holds none (not yet completed).
const memberIDFromJSON = `sed -nE 's/.*"memberId" *: *"([^"]+)".*/\1/p'`

// personalQRPrefix starts the clear-text Vipps personal QR content, as
// the Vipps simulator makes it (vippstest.Sim.PersonalQR).
const personalQRPrefix = "https://qr.vipps.no/28/2/01/031/"

// personalQR is the content of the personal QR code of msisdn in the
// clear-text Vipps format, which the till scans from the customer's app.
func personalQR(msisdn string) string {
	return personalQRPrefix + msisdn + "?v=1"
}

// clubPaymentAmount is the banner's payment for the new member: 149,00 NOK.
const clubPaymentAmount = 14900

// clubPaymentBody returns the JSON of the payment for the new member as
// shell words: the member id comes from the shell variable MEMBER, spliced
// in double quotes between the single-quoted parts.
func clubPaymentBody() string {
	return shellQuote(fmt.Sprintf(`{"amount":%d,"currency":"NOK","phoneNumber":"+%s","description":"Kasse 3","memberId":"`, clubPaymentAmount, ownUserMSISDN)) +
		`"$MEMBER"` + shellQuote(`"}`)
}

// qrBody is the JSON {"qrCode": $QR} as shell words.
const qrBody = `'{"qrCode":"'"$QR"'"}'`

// paymentBody is the banner's payment: 299,00 NOK for the approving
// persona.
const paymentBody = `{"amount":29900,"currency":"NOK","phoneNumber":"` + personaPhone + `","description":"Kasse 3"}`

// settlementRunBody is the JSON of a settlement run for today's ledger
// date as shell words: the date comes from date +%F, spliced in double
// quotes between the single-quoted parts.
const settlementRunBody = `'{"job":"settlement","ledgerDate":"'"$(date +%F)"'"}'`

// bannerLines are the ready-to-paste shell lines of the banner, by section.
type bannerLines struct {
	customer, member, bcCustomers, ownUser, payment []string
	// settlement closes the day at the simulated Vipps, reconciles it
	// ($RUN) and shows the settlement, the open findings and BC's
	// vippsSettlements.
	settlement []string
	// club is J3 for the own test user, who must exist: QR, phone
	// lookup, check-in, enrolment, payment for the new member, NP
	// Retail's members.
	club []string
}

// tryLines returns the ready-to-paste shell lines of the banner. Each line
// works as printed in a POSIX shell with curl.
func tryLines(b bannerInfo) bannerLines {
	auth := "-H " + shellQuote("Authorization: Bearer "+b.APIKey)
	const jsonType = `-H 'Content-Type: application/json'`
	// postWords posts body (shell words) to path and keeps the answer's
	// id in the shell variable name; extra are more curl arguments, as
	// shell words.
	postWords := func(name, path, body, extra string) string {
		return fmt.Sprintf(`%s=$(curl -s -X POST %s %s %s%s -d %s | %s); echo "$%s"`,
			name, b.APIURL+path, auth, jsonType, extra, body, idFromJSON, name)
	}
	// post is postWords with a literal JSON body.
	post := func(name, path, body, extra string) string {
		return postWords(name, path, shellQuote(body), extra)
	}
	get := func(path string) string {
		return fmt.Sprintf(`curl -s "%s/$ID?wait=30" %s`, b.APIURL+path, auth)
	}
	var l bannerLines
	l.customer = []string{
		post("ID", "/v1/customer-info-requests", fmt.Sprintf(`{"customerNo":"%s","phoneNumber":"%s"}`, bctest.DemoCustomerEmptyAddress, personaPhone), ""),
		get("/v1/customer-info-requests"),
	}
	l.member = []string{
		post("ID", "/v1/member-info-requests", fmt.Sprintf(`{"phoneNumber":"%s"}`, personaPhone), ""),
		get("/v1/member-info-requests"),
	}
	l.bcCustomers = []string{fmt.Sprintf("curl -s %s/_sim/customers", b.BCURL)}
	user := fmt.Sprintf(`{"phoneNumber":"%s","behaviour":"approve","delaySeconds":3,"profile":{"name":"Per Hansen","given_name":"Per","family_name":"Hansen","email":"per.hansen@example.com","email_verified":true,"phone_number":"%s","phone_number_verified":true,"address":{"street_address":"Testveien 1","postal_code":"0150","region":"Oslo","country":"NO"}}}`,
		ownUserMSISDN, ownUserMSISDN)
	// The walk-through writes to a customer the first lines leave alone
	// (30000 has only an e-mail), so the new user's address shows as a
	// change in BC.
	l.ownUser = []string{
		fmt.Sprintf("curl -s -X POST %s/_sim/users %s -d %s", b.VippsURL, jsonType, shellQuote(user)),
		post("ID", "/v1/customer-info-requests", fmt.Sprintf(`{"customerNo":"%s","phoneNumber":"+%s"}`, bctest.DemoCustomerEmailOnly, ownUserMSISDN), ""),
		get("/v1/customer-info-requests"),
	}
	// The payment's id goes to $PAY, so it does not clash with the
	// login lines' $ID. The create key is new on every paste (a new
	// payment); capture and refund are keyed by the payment, so pasting
	// them twice does the operation once.
	op := func(name, body string) string {
		return fmt.Sprintf(`curl -s -X POST "%s/v1/payments/$PAY/%s" %s %s -H "Idempotency-Key: %s-$PAY" -d %s`,
			b.APIURL, name, auth, jsonType, name, shellQuote(body))
	}
	l.payment = []string{
		post("PAY", "/v1/payments", paymentBody, ` -H "Idempotency-Key: pay-$(date +%s)"`),
		fmt.Sprintf(`curl -s "%s/v1/payments/$PAY?wait=30" %s`, b.APIURL, auth),
		op("capture", `{}`),
		op("refund", `{"amount":10000}`),
		fmt.Sprintf("curl -s %s/_sim/entitysets/vippsPayments", b.BCURL),
	}
	// The settlement run's id goes to $RUN. close-day closes today's
	// ledger date at the simulated Vipps, and the run names it: the
	// connector's default ledgerDate is yesterday. date +%F is the
	// shell's local date, which is good enough for the sandbox.
	l.settlement = []string{
		fmt.Sprintf("curl -s -X POST %s/_sim/report/close-day", b.VippsURL),
		postWords("RUN", "/v1/reconciliation/runs", settlementRunBody, ""),
		fmt.Sprintf(`curl -s "%s/v1/reconciliation/runs/$RUN?wait=30" %s`, b.APIURL, auth),
		fmt.Sprintf("curl -s %s/v1/settlements %s", b.APIURL, auth),
		fmt.Sprintf(`curl -s "%s/v1/reconciliation/findings?status=open" %s`, b.APIURL, auth),
		fmt.Sprintf("curl -s %s/_sim/entitysets/vippsSettlements", b.BCURL),
	}
	// The club walk-through scans the own user's personal QR ($QR), who
	// is not a member yet. The enrolment's id goes to $ENR and the new
	// member's id to $MEMBER (read from the completed enrolment); the
	// payment for the member goes to $PAY, so the payment lines above
	// capture and refund it too.
	l.club = []string{
		fmt.Sprintf(`QR=%s; echo "$QR"`, shellQuote(personalQR(ownUserMSISDN))),
		fmt.Sprintf(`curl -s -X POST %s/v1/phone-lookups %s %s -d %s`, b.APIURL, auth, jsonType, qrBody),
		fmt.Sprintf(`curl -s -X POST %s/v1/check-ins %s %s -d %s`, b.APIURL, auth, jsonType, qrBody),
		postWords("ENR", "/v1/enrollments", qrBody, ` -H "Idempotency-Key: enr-$(date +%s)"`),
		fmt.Sprintf(`curl -s "%s/v1/enrollments/$ENR?wait=30" %s`, b.APIURL, auth),
		fmt.Sprintf(`MEMBER=$(curl -s "%s/v1/enrollments/$ENR" %s | %s); echo "$MEMBER"`, b.APIURL, auth, memberIDFromJSON),
		postWords("PAY", "/v1/payments", clubPaymentBody(), ` -H "Idempotency-Key: pay-member-$(date +%s)"`),
		fmt.Sprintf(`curl -s "%s/v1/payments/$PAY?wait=30" %s`, b.APIURL, auth),
		fmt.Sprintf("curl -s %s/_sim/members", b.BCURL),
	}
	return l
}

// printBanner writes where everything listens and what to try.
func printBanner(w io.Writer, b bannerInfo) {
	var s strings.Builder
	if b.SimulatorsOnly {
		s.WriteString("bcvipps sandbox: simulators only, on loopback\n\n")
	} else {
		s.WriteString("bcvipps sandbox: connector and simulators, offline on loopback\n\n")
		fmt.Fprintf(&s, "  Connector API    %s   (API key: %s)\n", b.APIURL, b.APIKey)
		fmt.Fprintf(&s, "  Admin listener   %s/metrics\n", b.AdminURL)
	}
	fmt.Fprintf(&s, "  Vipps simulator  %s   (MSN %s; personas %s approves and %s declines after 2 s, %s never answers)\n",
		b.VippsURL, vippstest.DefaultMSN, vippstest.PersonaApprove, vippstest.PersonaReject, vippstest.PersonaIgnore)
	if b.VippsBaseURL != "" && b.VippsBaseURL != b.VippsURL {
		fmt.Fprintf(&s, "  Vipps calls go   %s   (--vipps-base-url)\n", b.VippsBaseURL)
	}
	fmt.Fprintf(&s, "  BC simulator     %s   (company %s, control API under /_sim/)\n", b.BCURL, bctest.DemoCompanyName)
	fmt.Fprintf(&s, "  NP Retail        %s\n", b.NPRetailBase)
	fmt.Fprintf(&s, "  Entra ID         %s   (CA certificate %s)\n", b.AuthorityURL, b.CAFile)
	fmt.Fprintf(&s, "  Data directory   %s\n", b.DataDir)
	if b.ConfigFile != "" {
		fmt.Fprintf(&s, "  Configuration    %s\n", b.ConfigFile)
	}
	l := tryLines(b)
	if b.SimulatorsOnly {
		fmt.Fprintf(&s, "\nRun the connector against them (stop, kill and restart it as you like):\n\n  bcvipps serve --sandbox-key --config %s\n", shellQuote(b.ConfigFile))
		s.WriteString("\nThen use the lines that 'bcvipps sandbox' prints, with the connector's address and API key.\n")
	} else {
		s.WriteString("\nTry it (POSIX shell; the simulated customer answers the push after 2 s;\nrepeat a GET until \"status\" is \"completed\"):\n")
		section(&s, "Customer card: fill customer "+bctest.DemoCustomerEmptyAddress+" (no address yet) from Vipps", l.customer)
		section(&s, "POS member registration: the member fields for the dialog", l.member)
		section(&s, `Payment at the till: push to the customer's phone (repeat the GET until "status" is "authorized"), capture, refund; then BC's vippsPayments`, l.payment)
		// After the payment section: the settlement shows numbers once
		// a payment is captured.
		section(&s, "Settlement: close the day at the simulated Vipps, reconcile it, see the settlement and any finding", l.settlement,
			"(close-day closes today's ledger date, so paste it once; the run names that date, as the connector's default is",
			" yesterday; date +%F is your shell's local date)")
	}
	section(&s, "The customers in the simulated BC", l.bcCustomers)
	section(&s, "Add your own test user (edit its profile as you like) and fill customer "+bctest.DemoCustomerEmailOnly+" (only an e-mail yet) from it", l.ownUser)
	if !b.SimulatorsOnly {
		// After the own user's section: it adds the user the club
		// lines enrol.
		section(&s, `Customer club: QR → check-in → join the club → payment for the new member; then NP Retail's members`, l.club,
			`(the user approves after 3 s: repeat the enrolment GET until "status" is "completed", then read MEMBER;`,
			` repeat the payment GET until "status" is "authorized")`)
	}
	s.WriteString("\nStop with Ctrl-C.\n")
	_, _ = io.WriteString(w, s.String())
}

// section writes a titled section of shell lines; notes are more comment
// lines under the title.
func section(s *strings.Builder, title string, lines []string, notes ...string) {
	fmt.Fprintf(s, "\n  # %s\n", title)
	for _, n := range notes {
		fmt.Fprintf(s, "  # %s\n", n)
	}
	for _, l := range lines {
		fmt.Fprintf(s, "  %s\n", l)
	}
}
