// Package config loads, defaults, validates and prints the connector's
// configuration. It is the only package of the module that imports viper,
// and it imports no other package of ours: the connector turns these plain
// structs into the option types of vipps, bc and mapping.
//
// # Flow
//
// [Load] (or [LoadFromBytes] / [FromReader] in tests) does, in order:
//
//  1. decode the YAML file strictly into [Config]: unknown keys and wrong
//     types are a [*SyntaxError] (typos are caught before anything starts);
//  2. let viper merge the file, the defaults and BCVIPPS_* environment
//     variables for the scalar sections server, store, log, worker,
//     retention and login;
//  3. fill tenant defaults (BC base URL and limits, Vipps environment,
//     the two well-known use cases, openid in every scope list, mapping
//     options);
//  4. expand ${NAME} references from the environment in every string;
//  5. [Config.Validate], which returns a [*ValidationError] listing every
//     [Problem] with its key path (e.g. "tenants[0].vipps.salesUnits[1].msn")
//     and a reason that never quotes the value. On a validation failure
//     Load still returns the *Config, so `config check` can print it.
//
// # Environment
//
// A scalar key is overridden by BCVIPPS_ followed by its path upper-cased
// with "_" between the parts; camelCase keys are simply upper-cased:
//
//	server.listen          BCVIPPS_SERVER_LISTEN
//	server.adminListen     BCVIPPS_SERVER_ADMINLISTEN
//	store.dsn              BCVIPPS_STORE_DSN
//	worker.leaseDuration   BCVIPPS_WORKER_LEASEDURATION=45s
//	worker.stepTimeout     BCVIPPS_WORKER_STEPTIMEOUT=20s
//
// Tenants are a list, and list items cannot be addressed by variable
// names. Their values (typically secrets) come from the environment through
// references inside the file, as a whole value or embedded:
//
//	clientSecret: "${BC_CLIENT_SECRET}"
//	dsn: "postgres://bcvipps:${DB_PASSWORD}@db:5432/bcvipps"
//
// A reference to an unset variable is a validation problem naming the key
// and the variable. "$${" writes a literal "${".
//
// # Defaults
//
//	server.listen ":8080", server.adminListen "127.0.0.1:9090",
//	server.shutdownTimeout 30s, server.pprof false, store.driver "sqlite",
//	store.dsn "file:data/bcvipps.db", log.level "info", log.format "json",
//	worker.pollBatch 100, worker.concurrency 64, worker.leaseDuration 60s,
//	worker.stepTimeout 25s, worker.applyDeadline 24h,
//	worker.retryBackoffMax 5m, retention.profile 10m, retention.requests
//	720h, login.defaultExpiry 5m (Vipps accepts 60–900 s),
//	upstream.timeout 10s.
//	Per tenant: businessCentral.baseURL
//	https://api.businesscentral.dynamics.com/v2.0, auth.method clientSecret,
//	limits 6000 requests / 5m, 5 in flight; vipps.environment test;
//	salesUnits[].loginAuthMethod client_secret_basic; use cases
//	customer-card {kind customer, scopes openid name email address
//	phoneNumber} and pos-member-registration {kind member, scopes openid
//	name email address birthDate phoneNumber delegatedConsents} when absent;
//	a use case's salesUnit defaults to the first sales unit and its
//	requestedExpiry to login.defaultExpiry; mapping.implicitPhonePrefix
//	"+47", nameFormat firstLast, requireVerifiedEmail true, onNameMismatch
//	warn.
//
// # Timeouts
//
// The timeouts must work together, and Validate names the key that breaks
// a rule:
//
//	server.shutdownTimeout >= worker.stepTimeout >= upstream.timeout
//	worker.leaseDuration   >  worker.stepTimeout
//
// upstream.timeout bounds one outbound HTTP attempt; worker.stepTimeout
// bounds one scheduler step (a poll of Vipps or a write to BC / NP Retail),
// so it must leave room for at least one attempt; a step must end inside
// the lease of its request, or another replica could take the request while
// this one still works on it; and a graceful shutdown waits for the step in
// progress. The defaults (10s, 25s, 60s, 30s) follow these rules.
//
// retention.profile is how long a delivered answer, with the consented
// profile, can be fetched again after it was delivered: a response lost on
// the way to BC can be fetched again for this long. It must be greater than
// zero (default 10m); the personal data is purged after it.
//
// mapping.onNameMismatch (warn or skip) says what happens when the name in
// the Vipps profile differs clearly from the existing customer's or
// member's name: warn writes and adds a warning with code "name-mismatch",
// skip writes nothing and returns only that warning.
//
// # Secrets
//
// [Config.Redacted] returns a copy with every secret replaced by [Mask]
// (client secrets, subscription keys, API keys and their hashes, access
// keys, certificate passwords, the DSN password); [Config.Print] writes
// that copy as YAML for `config print`.
package config
