// Package connector is the bcvipps service and its composition root: it
// builds the store, the tenants' upstream clients (package tenants), the
// durable engine (package work), the job packages and the two listeners
// (package api holds the HTTP building blocks; the job packages register
// their routes). The engine keeps personal data only as long as needed.
//
// Packages: work (engine: jobs, leases, schedules, inbox), store (jobs in
// SQLite or PostgreSQL), api (problem+json, auth, strict bodies, OpenAPI),
// tenants (each tenant's Vipps, BC and NP Retail clients; one
// classification of upstream failures), login (J1 and J2, and the consent
// step of J3 enrolments), payment (J4: ePayments, operations, webhooks, the
// BC outbox), club (J3 at the till: phone lookups, members, check-ins),
// reconcile (J5: the payment sweep and settlements). Each package's doc
// describes its jobs; the rest of this page describes the login flows, the
// connector's first jobs.
//
// # API
//
// The contract is api/openapi.yaml (served at /openapi.json and checked against
// the routes and real answers by the tests). Each tenant authenticates with
// "Authorization: Bearer <api key>"; only SHA-256 hashes of keys are
// configured, and a key never sees another tenant's requests (404).
//
//	POST   /v1/customer-info-requests   {"customerNo"|"customerId", "phoneNumber", "useCase"?}
//	POST   /v1/member-info-requests     {"phoneNumber"|"qrCode", "useCase"?, "memberId"?}
//	GET    /v1/…-info-requests/{id}?wait=N   long-poll up to 60 s for a status change
//	DELETE /v1/…-info-requests/{id}          cancel a pending request
//
// A POST validates everything it can before anything is stored: the input
// (problem+json naming each bad field), the customer's existence in BC, the
// member's existence in NP Retail, a scanned personal QR code (exchanged for
// the phone number through the Vipps QR API). Only then is the request
// stored and the login started; the answer is 202 with the id.
// Idempotency-Key makes a repeated POST return the first request (200)
// instead of sending the customer a second push; the same key with another
// request is a 409 naming Idempotency-Key. A phone number with a login
// already waiting for the customer is a 409 (login-pending) at once: Vipps
// lets a customer answer one login at a time. Bodies are strict: JSON only
// (415), field names exact and given once.
//
// # The state machine
//
//	        POST
//	          │ login started (push to the phone), stored
//	          ▼
//	      ┌────────┐  DELETE            ┌───────────┐
//	      │pending │───────────────────►│ cancelled │
//	      └────────┘                    └───────────┘
//	token poll│ at the pace Vipps sets      ┌──────────┐
//	          ├─ access_denied ────────────►│ rejected │
//	          ├─ expired_token / expiry ───►│ expired  │
//	          ├─ invalid_user, old_app, … ─►│ failed   │
//	          │ consent: token stored, profile read
//	          ▼
//	      ┌────────┐  BC / NP Retail refused the data, or
//	      │applying│─ the apply deadline passed ──► failed
//	      └────────┘
//	          │ written (BC customer PATCH with If-Match; NP Retail member PATCH)
//	          ▼
//	      ┌─────────┐
//	      │completed│  customer|member, changes, warnings
//	      └─────────┘
//
// Every transition is stored before the work it announces is done, except
// the login start of a POST, which is stored with its answer:
//
//   - A POST starts the login at Vipps first and then stores the request with
//     Vipps' answer in one write, before it answers 202: one row in one
//     commit per request instead of three commits (its id is derived from the
//     auth_req_id, so the ping webhook needs no index row). Requests of one
//     phone number or one Idempotency-Key take turns in the process while
//     they do (the phone's pending login is then found before Vipps is
//     called: 409), so concurrent requests send one push. A start that failed
//     for a while is stored due at its retry (the scheduler starts it); a
//     refused one is stored failed. What remains: CIBA's backchannel request
//     has no idempotency key, so if the process dies after Vipps accepted the
//     start and before the write (the milliseconds of one database write,
//     tried again for up to a second when the database is busy; a store that
//     cannot answer the reads before the call stops the request with 503
//     before any push), nothing is stored and the caller, who got no answer,
//     retries: the customer may get a second push, or Vipps refuses it while
//     the first is open and the retry fails as login-pending. If it dies
//     before Vipps is called, nothing happened and the retry starts the
//     login. Across replicas (PostgreSQL) the turns are per process: two
//     replicas given the same phone at the same moment both ask Vipps, which
//     lets one login per phone be open; the store's unique keys keep one
//     request. The call itself is never cut off by the step's deadline, so a
//     started login is not lost to a timeout.
//   - pending: each token poll happens at the row's due time, which is the
//     time Vipps allows (interval, +5 s after slow_down, Retry-After), so
//     the connector never polls early. The scheduler keeps no timer per
//     login: due times live in the store, and one loop claims the rows that
//     are due (with a lease, so two replicas never poll the same login).
//   - On consent the phone number is free for the next login, of any
//     tenant: Vipps has no login open for it. An enrolment moves its
//     exclusive key from the phone's to its tenant's phone key instead
//     (store.MoveExclusive, one write), which a new enrolment of that
//     tenant checks after the phone's, and one that lost a race between
//     replicas takes before it creates anything (or waits): two enrolments
//     of one phone never both create a member, and another tenant need not
//     wait for this tenant's NP Retail.
//   - On consent the user's token (it lives 300 s, and the token endpoint
//     answers only once) is stored before userinfo is called; then the
//     profile is stored and the request becomes applying.
//   - applying, customer: the PATCH is planned against the customer's ETag
//     and the plan stored before it is sent. After a crash the ETag tells
//     whether the PATCH landed (ETag changed and the planned values are
//     there: complete with the stored changes) or not (send it). Someone
//     else's change in between means a new plan from the new state. So BC
//     is written at most once per consent, and never blindly (no If-Match *).
//   - applying, member: the mapped fields are returned for the POS dialog;
//     with a memberId the member is also updated in NP Retail (setting the
//     same values twice is harmless).
//   - A BC or NP Retail outage, throttling or an authentication problem
//     keeps the request applying and retries it with backoff (capped at
//     worker.retryBackoffMax) until worker.applyDeadline; only a refusal of
//     the data (a 4xx other than 401/403/408/429) fails it at once.
//
// # Personal data
//
// The profile is dropped when the request is finished. The answer (mapped
// fields and changes) is kept until BC has fetched it (GET of a finished
// request) plus retention.profile, or a day when it is never fetched; then
// it is purged. Finished rows are deleted after retention.requests. Logs and
// metrics never carry phone numbers, names, e-mail, NIN, tokens or keys; a
// test scans the captured logs of the end-to-end flows for them.
//
// # Operations
//
// The logins are two job kinds (customer, member) on the durable engine of
// package work; their own state (use case, sales unit, auth_req_id, poll
// interval, expiry, apply deadline) is the job's state document, and the
// engine and store know none of it. A token poll is never cut off by the
// step's deadline (worker.stepTimeout, longer than upstream.timeout): the
// token endpoint hands out a consent once. A BC or NP Retail Retry-After
// defers the write to the time named instead of sleeping in the step.
//
// Run is the scheduler; APIHandler and AdminHandler are the two listeners'
// handlers (metrics only on the admin one). Several replicas may share one
// PostgreSQL database: work is claimed with row leases (FOR UPDATE SKIP
// LOCKED), and long-polls on any replica are woken through the store's
// change feed (LISTEN/NOTIFY).
package connector
