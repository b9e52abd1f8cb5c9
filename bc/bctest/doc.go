// Package bctest simulates the three services the bc clients talk to, for
// tests and for the offline sandbox (`bcvipps sandbox`):
//
//   - Business Central's API v2.0 (companies, customers, countriesRegions)
//     and custom API pages registered by a test, with BC's wire format:
//     APIV2 field names and BaseApp field lengths, weak ETags that change on
//     every write, If-Match rules, BC error bodies, $filter/$select/$orderby/
//     $top, server-driven paging, JSON $batch, throttling and BC's
//     per-principal concurrency queue.
//   - An Entra ID token authority over TLS that the real azidentity
//     ClientSecretCredential obtains tokens from.
//   - NaviPartner NP Retail's member API.
//
// See the package documentation sections below (doc.go) for the details.
package bctest
