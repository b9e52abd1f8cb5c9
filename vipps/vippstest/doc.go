// Package vippstest is a simulator of the Vipps MobilePay test environment
// (apitest.vipps.no) for the connector's tests and the offline sandbox.
//
// A *Sim is an http.Handler; Start runs one on a loopback port for a test
// (closed in t.Cleanup), NewServer on any address for the sandbox. It
// serves the official paths, methods, headers, field names, status codes
// and error bodies, including the refusals:
//
//   - Access tokens: POST /accesstoken/get (headers client_id,
//     client_secret, Ocp-Apim-Subscription-Key, optional
//     Merchant-Serial-Number; all answer values are strings; tokens live one
//     hour of simulator time) and POST /miami/v1/token (Basic auth, 15
//     minutes). Sales units (AddSalesUnit, DefaultMSN and friends always
//     present) and partner keys (AddPartner: every call must name one of the
//     partner's MSNs). Merchant calls are refused with 401 without the word
//     "Bearer", with an unknown or expired token, without or with another
//     unit's subscription key, and with 403 for a foreign MSN.
//   - Login (CIBA): discovery (absolute URLs on the server's own base URL,
//     Cache-Control max-age=3600), JWKS with the RS256 key that signs the
//     id_tokens, backchannel authentication (client_secret_basic or
//     client_secret_post as configured per sales unit, or partner Bearer +
//     MSN), user-exists, and the token endpoint: authorization_pending
//     (HTTP 400) until the user answers, slow_down when polled sooner than
//     the interval since the previous poll (the interval then grows by 5 s),
//     access_denied, expired_token, invalid_grant (unknown, another client's
//     or already redeemed), 429 + Retry-After for a second login of a user
//     whose first is pending, error_code old_app / invalid_user on the
//     backchannel call. Userinfo returns only the claims of the consented
//     scopes; userinfo/{sub} serves profiles shared through payments with
//     profile.scope (168 h, then "[Expired]").
//   - QR exchange: the clear-text Vipps format (PersonalQR, version 1.0) and
//     a tokenized format the simulator issues (TokenizedPersonalQR, version
//     2.0 with timestamp). Check-in: accepted and recorded (CheckIns),
//     unlike the real test environment which always answers 500.
//   - ePayment: CREATED → AUTHORIZED | ABORTED | EXPIRED | TERMINATED;
//     AUTHORIZED stays after capture, refund and cancel, with the aggregate
//     telling the money. Events carry their own pspReference, the
//     idempotencyKey and success. PUSH_MESSAGE payments are answered by the
//     user's behaviour after its delay (or force-approve); payments expire
//     after 10 minutes or at expiresAt (≤ 60 days). Same Idempotency-Key and
//     body replays the stored answer (4xx included); the same key with
//     another body is 409. Amount, reference (8–64), customer (exactly one
//     of phoneNumber, personalQr, customerToken) and flow rules answer
//     problem+json with Vipps error codes in extraDetails (4040, 4060, 4070,
//     4150, 6080, 6090, 7010). Rate limits per reference: 5/min for create,
//     capture, cancel and refund; 120/min for get and events.
//   - Webhooks: register (25 per event type and MSN, 1 for
//     user.checked-in.v1), list, delete. Every payment event and the login
//     ping (login.merchant-initiated.ping.v1 {"auth_req_id"} when a user
//     answers) is delivered to the registered URLs, signed with the
//     documented HMAC-SHA256 scheme (SignWebhook), in order per
//     registration; a failing delivery is retried after 1 s, 2 s, 4 s, …
//     (at most 1 h apart, dropped after 7 days) and blocks later events.
//     Plain http URLs are accepted so tests can listen on loopback.
//   - Report API: one ledger per MSN (ledgerId "1"+MSN). Captures book
//     funds "capture" and "fees-retained" and fees "capture-fee" (same
//     pspReference as the capture, 1.75 %) and "fees-retained"; refunds book
//     funds "refund". Ledger dates close at midnight in the merchant's time
//     zone (WithMerchantTimezone, default Europe/Oslo): the open day answers
//     tryLater. Dates page with cursor/hasMore, the feed with a cursor that
//     is never empty and tryLater at the end (page size WithReportPageSize,
//     lowered per request by the Vipps-Feed-Page-Size header). GenerateDay
//     adds a closed date whose entries are computed when a page is asked
//     for (a million entries for load tests, without holding them).
//
// # Personas
//
// Built-in users (constants hold their MSISDN): PersonaApprove (Norwegian,
// approves after 2 s, full profile with æøå, an address whose second line
// follows "\n", verified e-mail, birthdate, marketing consents),
// PersonaReject (declines after 2 s), PersonaIgnore (never answers),
// PersonaDanish (approves after 2 s, Danish address), PersonaOldApp and
// PersonaInvalidUser (logins refused). AddUser adds or replaces users.
//
// # Control API
//
// On the same port, without authentication (bad input → 400
// problem+json):
//
//	POST   /_sim/users        {"phoneNumber","behaviour","delaySeconds","profile":{…userinfo claims…}}
//	GET    /_sim/users
//	POST   /_sim/sales-units  {"msn","clientId","clientSecret","subscriptionKey","loginAuthMethod"}
//	POST   /_sim/faults       {"method","pathPrefix","status","retryAfterSeconds","latencyMillis","drop","times"}
//	DELETE /_sim/faults
//	GET    /_sim/stats
//
// # Fault injection and time
//
// InjectFault makes matching requests (method, path prefix) wait (Latency,
// on the simulator clock), drop the connection (Drop) or answer a status
// such as 500, 503 or 429 with Retry-After — Times times or until
// ClearFaults. WithClock injects the clock used by everything time-based:
// token and login expiry, approval delays, poll intervals, rate-limit
// windows, payment expiry, webhook retry backoff and ledger dates. With a
// clockwork.FakeClock nothing needs real sleeping: advance the clock, and
// use BlockUntilContext to wait for a webhook retry or an injected latency.
// Stats counts token requests, backchannel calls, token polls, early polls
// (slow_down), webhook deliveries and failures, faults, and requests per
// route.
//
// # Spec validation
//
// WithSpecValidation(dir) loads every *.yaml of the official specs with
// kin-openapi (the remote Receipt $ref of the ePayment spec is resolved to
// the local order-management-api.yaml, never the network), routes by path
// (each spec's server path prefix is folded into its paths), and validates
// each request and response with openapi3filter. Endpoints absent from the
// specs (CIBA backchannel, user-exists, the CIBA grant of the token
// endpoint, the control API) are not validated. Where a spec copy is older
// than the documented behaviour or contradicts itself, the loaded document
// is adjusted in memory (see adjustForDrift). Violations are recorded
// (SpecViolations); Start fails the test on any. SpecValidationIfPresent(dir)
// is the option for tests that look for the folder relative to the
// repository: without the folder, validation is off and one line on
// standard error (once per process) names the folder looked for.
//
// WithRequestObserver lets a test see every request (headers, arrival
// time) before it is served.
//
// # Performance
//
// go test -run XXX -bench . -benchmem ./vipps/vippstest/ on 2 cores
// (Intel Xeon @ 2.80GHz), in-process without network:
//
//	BenchmarkAccessToken                  20.8 µs/op   8.7 KB/op    53 allocs/op
//	BenchmarkCreatePayment                40.3 µs/op  15.4 KB/op   105 allocs/op
//	BenchmarkCreatePaymentSpecValidated  116.1 µs/op  34.7 KB/op   364 allocs/op
package vippstest
