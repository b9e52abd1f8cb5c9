// Package vipps is the client for the Vipps MobilePay merchant APIs the
// connector uses: access tokens, merchant-initiated Login (CIBA) and
// userinfo, personal-QR exchange, loyalty check-in, ePayment, the Webhooks
// API with signature verification, and the Report API.
//
// # Parts
//
// A Client serves one sales unit (MSN) with one key set, in the test or
// production environment (or at a BaseURL such as the simulator in
// vipps/vippstest). Each API area is a service field: Login, UserInfo, QR,
// CheckIn, EPayment, Webhooks, Report. Every method takes ctx first and
// names the endpoint it calls in its comment.
//
//   - Access tokens (POST /accesstoken/get) live in a TokenCache keyed by
//     host, credential set and MSN; a cache may be shared by many clients.
//     A token is refreshed ahead of expiry, one fetch per key at a time
//     however many goroutines ask. Callers never see it.
//   - Headers: Ocp-Apim-Subscription-Key, Merchant-Serial-Number and the
//     four Vipps-System-* headers are set in one place (setCommonHeaders).
//     All four Vipps-System-* headers go on every call: empty System
//     fields default to DefaultPluginName and DefaultPluginVersion (which
//     the binary sets from its build version at start-up).
//   - Errors: non-2xx answers become *Error (problem+json: status, type,
//     title, detail, traceId, Vipps error codes) or *RateLimitError (429,
//     with RetryAfter). Login answers become *LoginError, matched with
//     errors.Is against ErrAccessDenied, ErrExpiredToken, ErrInvalidGrant,
//     ErrOldApp, ErrInvalidUser, ErrInvalidClient, ErrInvalidScope.
//   - Retries: RetryPolicy.Decide is the only retry decision. Network
//     errors, 5xx and 429 are retried with jittered, bounded backoff on the
//     injected clock; other 4xx never; a POST only with its Idempotency-Key
//     or where the API defines it as safe (token endpoints, lookups), with
//     a byte-identical body. The exception is the CIBA token poll: one
//     Poll is one request, never retried within the call (see below).
//     resty is the HTTP layer, with its own retries and logging switched
//     off.
//   - Secrets, tokens, auth_req_ids and phone numbers never appear in log
//     lines or error strings; server-provided text is scrubbed of digit
//     runs; LoginToken and RegisteredWebhook redact themselves when printed.
//
// # CIBA login flow
//
//	start, err := c.Login.Start(ctx, vipps.LoginRequest{PhoneNumber: "4791234567", Scopes: []string{"name", "email"}})
//	tok, err := c.Login.Wait(ctx, start)            // or Poll step by step
//	profile, err := c.Login.UserInfo(ctx, tok)
//
// Poll sends exactly one request to the token endpoint, whatever the
// RetryPolicy says, and returns when to ask next (interval, +5 s after
// slow_down, Retry-After after 429), so a scheduler can drive thousands of
// logins without a goroutine each and never polls faster than Vipps
// allows. A network failure or 5xx is a *PollRetryError (IsRetryable) with
// the earliest next poll; the login stays open. Wait is the blocking helper
// built on it: at least one interval between polls, doubling after each
// failed poll (at most a minute).
//
// # Webhooks
//
// VerifyWebhook and SignWebhook are pure functions implementing the
// documented HMAC-SHA256 scheme over the registered URL's host and path.
//
// # Tests
//
// Flow tests run against the simulator (vipps/vippstest) with OpenAPI
// validation of every request and response whenever ../../shared/specs/vipps
// exists (the conformance test); when it does not, one line on stderr
// says so (vippstest.SpecValidationIfPresent; go test shows it with -v, or
// when run in the package directory). Edge cases the simulator cannot
// produce (echoed personal data, gated token fetches, scripted 5xx
// sequences) run against small httptest servers speaking the same wire
// format.
//
// # Performance
//
// go test -run XXX -bench . -benchmem ./vipps/ on 2 cores
// (Intel Xeon @ 2.80GHz):
//
//	BenchmarkTokenCacheHit-2    147 ns/op      0 B/op    0 allocs/op
//	BenchmarkVerifyWebhook-2   4582 ns/op   1176 B/op   16 allocs/op
package vipps
