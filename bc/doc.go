// Package bc is the connector's client of Microsoft Dynamics 365 Business
// Central (API v2.0 and custom API pages, OData v4) and of NaviPartner's NP
// Retail member API.
//
// # Clients
//
// A Client serves one BC environment and company. Online, the API root is
// https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0
// (Config.BaseURL, TenantID, Environment); on-premises, Config.APIRoot is the
// server's root, e.g. https://bc.example.com:7048/BC/api/v2.0.
//
//	c, err := bc.New(bc.Config{TenantID: t, Environment: "production", CompanyID: id,
//		Auth: bc.AuthConfig{Method: bc.AuthClientSecret, TenantID: t, ClientID: app, ClientSecret: s}})
//	cust, err := c.Customers.GetByNumber(ctx, "10000")
//	cust, err = c.Customers.Update(ctx, cust.ID, func(cur *bc.Customer) (map[string]any, error) {
//		if cur.Email != "" {
//			return nil, nil // nothing to write
//		}
//		return map[string]any{"email": email}, nil
//	})
//
// Customers offers Get, GetByNumber, FindByPhone, FindByEmail, List (an
// iterator over server-driven pages), Create and Update; EntitySet gives the
// same for custom API pages (/api/{publisher}/{group}/{version}/…); Batch sends
// JSON $batch requests. NPRetail (NewNPRetail) searches, reads and updates
// members and creates memberships through https://api.npretail.app/{tenant}/
// {environment}/{company} with the x-np-api-key header.
//
// # Authentication
//
// Online BC accepts Entra ID tokens for the scope
// https://api.businesscentral.dynamics.com/.default. AuthConfig.Method picks
// an azidentity credential (NewCredential):
//
//   - clientSecret / clientCertificate: an Entra app registration (service to
//     service). Use these for a customer's BC tenant; the app may be
//     multi-tenant.
//   - managedIdentity / workloadIdentity: the connector's own Azure identity
//     (Azure hosting, Kubernetes workload identity); only for a BC tenant in
//     the same Entra tenant.
//   - default: azidentity's DefaultAzureCredential chain (development).
//   - basic: on-premises only, a BC user name and its web service access key
//     over TLS. Access keys are not accepted online (since 2022).
//
// AuthorityHost overrides the Entra authority (sovereign clouds, the
// simulator in bctest); DisableInstanceDiscovery is needed for an authority
// Entra does not know. Tokens are cached by the client and reused until five
// minutes before they expire (by the injected clock); a 401 drops the cached
// token and the request is sent once more with a fresh one.
//
// Setting up BC for a client-secret or certificate app:
//
//  1. In Entra ID, register an app, give it a secret or certificate, and add
//     the API permission Dynamics 365 Business Central → Application
//     permissions → API.ReadWrite.All; grant admin consent.
//  2. In each BC environment, open the page "Microsoft Entra Applications",
//     add the app's Client ID, set State to Enabled and assign least-privilege
//     permission sets (SUPER is not allowed), e.g. the customer and NP Retail
//     member permission sets.
//  3. Configure TenantID, Environment, CompanyID (Client.Companies lists them)
//     and the app's ClientID and secret.
//
// # Concurrency
//
// Every BC entity carries a weak ETag (@odata.etag). Writes send it as
// If-Match; the client refuses to write without one and never sends
// If-Match: *, which would overwrite changes made by users in between.
// CustomerService.Update and EntitySet.Modify take a change function instead of
// a finished body: they read the entity, let the function compute the fields
// from the current state, PATCH them, and on a conflict (409
// Request_EntityChanged, or 412) read again and call the function again — at
// most Config.MaxConflictRetries (5) times. A function returning an empty map
// writes nothing. A batch operation's conflict is reported in its
// BatchResult.Err (IsConflict) for the caller to re-read and re-apply.
//
// # Limits
//
// BC online counts per principal (user or service principal) 6,000 requests
// per sliding 5 minutes and processes 5 at a time, queueing more and answering
// 429 beyond. A Governor keeps the client inside both (Config.Limits;
// configurable) and is shared by all clients of one principal through
// WithGovernor. Requests answered 429 are retried; 503 too, except that a
// request that is not idempotent (a POST that creates something) is retried
// after a 503 only with Retry-After, which says it was not processed. 504
// and network errors are retried only when the request is idempotent (GET,
// DELETE, PATCH with If-Match, batches without POST); a non-idempotent request is retried after a network error only
// when the connection was never made (refused, DNS), so nothing was sent.
// At most Config.MaxRetries (NPRetailConfig.MaxRetries) retries (default 6;
// negative: none), waiting Retry-After when the server sends it (capped at 5
// minutes) and otherwise an exponential backoff with jitter (0.5 s doubling
// to 30 s). A 429 also pauses the governor, so every worker of the
// principal slows down. WithMaxWait bounds all waiting inside one request
// (backoff, Retry-After, the governor): a longer wait is not started and the
// call returns at once, so a durable scheduler can defer the step by
// RetryAfter(err) instead. $batch sends at most 100 operations per request
// and splits larger sets; one $batch request counts once against the
// governor. All waiting uses the injected clock.
//
// # Performance
//
// Measured with
//
//	go test -run '^$' -bench 'Governor|BatchUpdate' -benchmem ./bc/
//
// on 2 cores (Intel Xeon @ 2.80GHz), Go 1.26:
//
//	BenchmarkGovernor/serial-2      435 ns/op    40 B/op      2 allocs/op
//	BenchmarkGovernor/parallel-2    581 ns/op    40 B/op      2 allocs/op
//	BenchmarkBatchUpdate-2          11.5 ms/op   2.26 MB/op   20,155 allocs/op
//
// The governor costs well under a microsecond per request. BatchUpdate is one
// $batch of 100 customer PATCHes against the bctest simulator on loopback
// (client and simulator together), i.e. about 0.12 ms per customer update.
//
// # Errors and personal data
//
// BC's and NP Retail's {"error":{"code","message"}} becomes an *Error with
// Service (ServiceBC or ServiceNPRetail), Status, Code, the CorrelationId,
// the server's RetryAfter and OutcomeUnknown; its text names the service
// ("NP Retail answered 500 …"). A failure without an answer (network,
// timeout) is a transport error whose text starts with the service's name
// and which unwraps to its cause. IsNotFound, IsConflict,
// IsStringExceededLength, IsUnauthorized and IsThrottled classify errors;
// RetryAfter(err) says how long to wait before trying again when the server
// (or the governor, *LimitError) said so; OutcomeUnknown(err) says a write
// may have been carried out despite the error (a 5xx other than 503 with
// Retry-After, or a timeout or dropped connection after sending) and must
// not be sent again without reading back first. Error strings and log lines
// never contain tokens, keys, query strings, bodies or BC's message (which
// can quote a value): only method, path, status, code and correlation id.
// Token failures are an *AuthError that prints only the authority's status.
package bc
