// Command bcvipps runs the Business Central ↔ Vipps MobilePay connector.
//
//	bcvipps serve --config config.yaml   run the connector
//	bcvipps sandbox                      run everything offline with simulators
//	bcvipps migrate --config config.yaml bring the database schema up to date
//	bcvipps apikey new                   make an API key and its hash for the config
//	bcvipps config check|print           validate or show (secrets masked) a configuration
//	bcvipps version                      print the version
//
// # serve
//
// serve loads the configuration (--config, or BCVIPPS_CONFIG; every
// problem is printed and the command exits non-zero), builds the
// connector, and runs three things side by side: the API listener
// (server.listen: /v1, /healthz, /readyz, /openapi.json), the admin
// listener (server.adminListen: /metrics, /healthz, /readyz, and
// /debug/pprof/ with server.pprof) and the
// workers (connector.Service.Run). Both listeners log a "listening" line
// with their address.
//
// On SIGINT or SIGTERM the shutdown runs in this order: both listeners stop
// accepting and http.Server.Shutdown waits, at most server.shutdownTimeout,
// for in-flight requests; at the same moment the workers' context is
// cancelled, which also wakes long-polls (GET …?wait=N) so that they answer
// with the current state instead of holding the shutdown for up to 60 s.
// Then serve waits for Run to return (workers stop at a safe point: every
// state transition is already in the store), closes the service and logs
// "stopped". The exit code is 0 after a clean shutdown and 1 when anything
// failed or the shutdown timeout cut requests off.
//
// # sandbox
//
// sandbox runs everything on loopback in one process: the Vipps simulator
// (vipps/vippstest, --vipps-listen), the Business Central + NP Retail
// simulator (bc/bctest, --bc-listen) with its Entra ID authority over TLS
// (--authority-listen), and the connector (--listen, --admin-listen) with
// SQLite in --data-dir. The authority's CA certificate is written to
// DATA-DIR/authority-ca.pem and used as upstream.caFile. The connector's
// configuration for the demo tenant "demo" is built in memory, marshalled
// to YAML and read back through config.LoadFromBytes, so it passes the
// same defaults and validation as a file given to serve. The API key is
// --api-key (default "sandbox", accepted only because the tenant uses the
// Vipps test environment and the connector runs with WithSandbox).
//
// With --simulators-only only the simulators run, and --write-config FILE
// writes the complete configuration for `bcvipps serve --sandbox-key
// --config FILE`, so serve can be stopped, killed and restarted against
// simulators that keep their state.
//
// # Timings
//
// `bcvipps sandbox` answers 200 on /readyz about 0.17 s after the process
// starts (binary already built; 2 cores), as logged by
//
//	go test -count=1 -v -run TestSandboxProcess ./cmd/bcvipps
//
// The whole package test (-race, including the go build of the binary and
// three bcvipps processes) takes about 25-30 s; most of it is the
// simulated customers' 2 s answer and the connector's poll interval.
package main
