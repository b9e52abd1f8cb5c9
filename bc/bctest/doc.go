// Package bctest simulates the three services the bc clients talk to, for
// tests and for the offline sandbox (`bcvipps sandbox`). One Sim holds the
// shared state; its handlers are:
//
//   - BCHandler: Business Central's API v2.0 under
//     /v2.0/{tenant}/{environment}/api/v2.0 (the tenant segment is optional,
//     as online), custom API pages under /v2.0/{tenant}/{environment}/api/
//     {publisher}/{group}/{version}, NP Retail's member API under /npretail/
//     and the control API under /_sim/.
//   - AuthorityHandler: an Entra ID token authority, served over TLS.
//
// # Starting it
//
// A test calls Start(t, opts...) and gets *Servers with BCURL, AuthorityURL,
// AuthorityCACertPool / HTTPClient() and NPRetailURL; everything is closed
// on t.Cleanup. The sandbox calls NewServers(bcAddr, authorityAddr) and
// Close. The authority's certificate is generated at start (self-signed,
// for 127.0.0.1, ::1 and localhost); point azcore at it with
//
//	azidentity.NewClientSecretCredential(bctest.DemoTenantID, bctest.DemoClientID, bctest.DemoClientSecret,
//		&azidentity.ClientSecretCredentialOptions{
//			ClientOptions: azcore.ClientOptions{
//				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: srv.AuthorityURL},
//				Transport: srv.HTTPClient(),
//			},
//			DisableInstanceDiscovery: true,
//		})
//
// Options: WithClock (everything time-based: token lifetimes, throttle
// windows, queue timeouts, fault latency, lastModifiedDateTime),
// WithSeed(false) (empty company, no members), WithThrottle(n, per),
// WithMaxConcurrent(n), WithPageSize(n), WithBasicAuth(user, key).
//
// # Entra ID
//
// MSAL for Go (under azidentity v1.15) with instance discovery disabled
// fetches GET {authority}/{tenant}/v2.0/.well-known/openid-configuration,
// checks that the issuer's host is the authority's host, then POSTs to the
// token_endpoint it names, {authority}/{tenant}/oauth2/v2.0/token. Both are
// served, plus the JWKS and /common/discovery/instance. The token endpoint
// takes grant_type=client_credentials with client_secret (RegisterApp) or a
// client_assertion signed by a registered certificate
// (RegisterAppCertificate), and scope https://api.businesscentral.dynamics.com/.default;
// errors use Entra's shape and AADSTS codes (invalid_client 7000215,
// unauthorized_client 700016, invalid_tenant 90002, invalid_scope). Tokens
// are RS256 JWTs (v1.0 app tokens: aud https://api.businesscentral.dynamics.com,
// iss https://sts.windows.net/{tid}/, tid, appid, azp, roles, exp = now+3599s
// on the sim clock) signed by a key generated per Sim.
//
// The BC API accepts a bearer token only when this Sim signed it, its aud is
// BC's, it has not expired on the sim clock, its app is registered, and its
// tid equals the tenant in the URL; otherwise 401
// Authentication_InvalidCredentials with WWW-Authenticate. With
// WithBasicAuth, basic auth with that user and web service access key is
// accepted too (on-premises style; no tenant check).
//
// # Business Central
//
// Companies belong to a tenant and environment (the demo company to
// DemoTenantID/"sandbox"; AddCompany adds more). Customers have the APIV2
// field names and defaults; writes are checked like BC's page: BaseApp
// lengths (400 Application_StringExceededLength naming the field, never
// silently cut), Code fields uppercased, country against a Country/Region
// table (also served as countriesRegions), e-mail syntax, no letters in
// phoneNumber, displayName required, unknown properties and wrong JSON types
// refused (BadRequest), unique number (Internal_EntityWithSameKeyExists).
// A refused write changes nothing.
//
// ETags are weak (W/"…") and change on every write, including TouchCustomer
// ("another user"). PATCH and DELETE need If-Match: none or malformed → 400
// BadRequest_InvalidToken; stale → 409 Request_EntityChanged; * matches.
// PATCH merges and answers 200 with the entity; POST answers 201 with
// Location and ETag. Unknown ids are 404 BadRequest_NotFound. Every error
// body is {"error":{"code","message"}} whose message ends in
// "CorrelationId:  <guid>.", with the same id in the request-id and
// ms-correlation-x headers.
//
// Collections support $filter (a recursive-descent parser for eq ne gt ge
// lt le, in (…), and or not, parentheses, contains startswith endswith
// tolower toupper trim, quoted strings with ” escapes, numbers, booleans,
// null, GUIDs), $select, $orderby, $top, $skip, $count=true and
// server-driven paging:
// Prefer: odata.maxpagesize=N (capped at 20,000; else WithPageSize) answers
// Preference-Applied and an absolute @odata.nextLink whose $skiptoken holds
// the last row's sort key, so inserts and deletes between pages neither
// skip nor repeat rows. Unknown properties or options are 400 BadRequest.
//
// JSON $batch (POST {root}/$batch, Content-Type application/json) runs at
// most 100 operations (more: 400) whose URLs are relative to the API root
// (absolute URLs under the root also work) and answers each by id with
// status, headers and body. With Isolation: snapshot the batch is one
// transaction: when an operation fails the state is restored, that
// operation keeps its error and the others are answered 424.
//
// Custom API pages registered with RegisterEntitySet hold open JSON
// entities (key field chosen at registration, id generated) with the same
// ETag, paging, filter, select and batch behaviour.
//
// Limits are per principal (tenant + app id, or basic user), like BC
// online: WithThrottle answers 429 Application_TooManyRequests with
// Retry-After (seconds until the oldest request leaves the sliding window);
// at most WithMaxConcurrent (default 5) requests are processed at once, the
// rest wait in a queue (95 places, then 429; 8 minutes on the sim clock,
// then 503). A $batch counts as one request.
//
// # NP Retail
//
// Under NPRetailURL + "/{tenant}/{environment}/{company}" (company name or
// id): GET /membership/member?firstName&lastName&email&phone&birthday
// answers a JSON array of members (names and e-mail compared
// case-insensitively, phone by its digits); GET and PATCH
// /membership/member/{memberId} (body {"member":{…}} or a bare member)
// answer the member; POST /membership answers 201 with the membership
// (membershipId); POST /membership/{membershipId}/addMember answers 201 with
// the member. Members use bc.Member's JSON names; NP Retail's lengths
// (bc.MaxMember*), gender/newsletter values, ISO birthdays and e-mail syntax
// are checked (400 naming the field). x-np-api-key must be registered
// (DemoNPRetailAPIKey, RegisterNPRetailAPIKey), else 401. Errors use the BC
// error body. The real gateway's answer envelope is unverified; the bc
// client accepts both bare and wrapped answers.
//
// # Tests and sandbox users
//
// Go helpers: Customers, Customer, AddCustomer, TouchCustomer, Members,
// AddMember, AddCompany, RegisterApp, RegisterAppCertificate,
// RegisterNPRetailAPIKey, RegisterEntitySet, Entities, AddEntity, InjectFault,
// ClearFaults, Stats, ResetStats. A Fault matches by method and path prefix,
// waits Latency on the sim clock inside the principal's concurrency slot
// (so it also exercises the queue), then answers Status with Retry-After,
// Times times (0: until cleared). The control API on the BC listener needs
// no token: GET /_sim/companies, GET and POST /_sim/customers ("companyId"
// optional), POST /_sim/apps, POST /_sim/entitysets, GET
// /_sim/entitysets/{entitySet} ({"items":[…]} in creation order;
// publisher, group, version default to bcvipps, vipps, v1.0 and companyId
// to the demo company; unregistered sets are 404), GET and POST
// /_sim/members, POST and DELETE /_sim/faults (durations as "2s"), GET
// /_sim/stats.
//
// # Performance
//
// Measured with `go test -run XXX -bench . -benchtime 2s ./bc/bctest/` on 2
// cores (Intel Xeon 2.80GHz), over loopback HTTP including JSON encoding:
//
//	BenchmarkBatchUpdate100     8.4 ms/op  (one snapshot $batch of 100 customer PATCHes)
//	BenchmarkListFiltered1000   1.5 ms/op  ($filter over 1,000 customers, one page)
package bctest
