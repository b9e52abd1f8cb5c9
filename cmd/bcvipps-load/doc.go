// Command bcvipps-load is the end-to-end benchmark behind `make bench`: it
// drives the connector through its HTTP API against the simulators and
// prints a table of figures, each compared with its target (PASS/MISS).
//
// Run it from the repository root (it builds ./cmd/bcvipps):
//
//	go run ./cmd/bcvipps-load                 # the defaults, about 3 minutes
//	go run ./cmd/bcvipps-load -h              # every flag
//	go run ./cmd/bcvipps-load -rate 200 -duration 5s -pending 2000 -window 10s -keep
//	go run ./cmd/bcvipps-load -only payments  # one phase alone, for A/B runs
//
// What it does, all on 127.0.0.1:
//
//  1. go build ./cmd/bcvipps into a temporary directory;
//  2. start `bcvipps sandbox --simulators-only --write-config FILE` (the
//     Vipps, BC/Entra ID and NP Retail simulators) and, as a separate
//     process, `bcvipps serve --sandbox-key --config FILE` with its own
//     SQLite file (BCVIPPS_STORE_DSN), so the connector's memory is its own.
//     Every serve run listens on one port chosen before the simulators
//     start, so the configuration's server.publicBaseURL is the
//     connector's: it registers its webhooks and the simulator delivers
//     them (the login ping, the ePayment events), as in production;
//  3. seed users (POST {vipps}/_sim/users) and customers
//     (POST {bc}/_sim/customers) through the simulators' control APIs —
//     every login gets its own user, as the simulator allows one login in
//     progress per user;
//  4. run the phases below and print the table; stop both processes with
//     SIGTERM (also on error, Ctrl-C or -timeout).
//
// Phases and figures:
//
//   - Added latency. Three open-loop runs at -rate per second (fixed
//     schedule; latency from the scheduled send time; the first -warmup is
//     discarded): (a) direct: the Vipps CIBA backchannel request, sent
//     straight to the Vipps simulator with the configuration's credentials,
//     headers and form fields; (b) the connector's POST
//     /v1/member-info-requests, which makes exactly that upstream call and
//     stores the request with its answer; (c) GET
//     /v1/member-info-requests/{id} without wait, which makes no upstream
//     call. Added latency = percentile of (b) minus the same percentile of
//     (a). The users decline after a second: the login ping webhook arrives, the
//     connector stores and applies it and polls at once, so each request
//     ends rejected within the run and nothing is written to BC; the CPU
//     per POST includes all of that. The member
//     endpoint is used because the customer endpoint also looks the
//     customer up in BC, and BC allows 6,000 requests per 5 minutes per
//     principal, which the connector's governor enforces.
//   - Completed requests per second: -throughput-rate × -throughput-duration
//     customer-info requests (3 BC calls each; keep both customer runs
//     under BC's 6,000 calls per 5 minutes), each for a fresh BC customer and a user who approves at
//     once; every request is long-polled until final; the rate is (k-1)
//     divided by the span of the completed requests' updatedAt.
//   - Approval → BC write: the same at -approval-rate; per request, the BC
//     customer's lastModifiedDateTime minus the POST's send time. The user
//     approves when the simulator receives the backchannel request, which
//     happens inside the POST, so this over-states the delay by at most the
//     POST's latency.
//   - Payment create's added latency. Two open-loop runs at
//     -payment-rate per second for -payment-duration (plus -warmup):
//     (a) direct: the ePayment create (POST /epayment/v1/payments) sent
//     straight to the Vipps simulator with the configuration's first sales
//     unit; (b) the connector's POST /v1/payments with an Idempotency-Key,
//     which stores the payment, its follower and its BC outbox in one
//     commit, makes that same create and stores its answer. Added latency
//     as above. The users decline; the ePayment webhooks arrive and each
//     payment ends aborted; its BC writes go through the outbox meanwhile.
//   - Pending logins: a fresh serve process (new store); -pending
//     member-info requests (no BC call) for users who never answer; after one interval plus a second, a
//     -window during which the connector's VmRSS (/proc/PID/status) is
//     sampled every 250 ms and the Vipps simulator's TokenPolls and
//     EarlyPolls (polls answered slow_down) are counted. The interval
//     allows each login at most ⌊W/5 s⌋+1 polls in a window W.
//
// With -cpuprofile DIR the connector runs with server.pprof, and a CPU
// profile of each measured POST run (latency-post.pprof,
// payments-post.pprof, at most 80 s each) is written to DIR; requests are
// labelled with their route, so `go tool pprof -tags FILE` splits the
// profile by endpoint. Profiling costs the connector some CPU: compare
// figures of runs with and without it only with that in mind.
//
// The exit code is 1 when a phase fails (the table shows what was measured
// until then), and with -fail-on-miss also when a figure misses its target.
// Figures are never asserted in tests; the latest ones are in
// docs/benchmarks.md.
package main
