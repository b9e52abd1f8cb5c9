package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/bc/bctest"
	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

// sandboxAPIKey is the fixed, documented API key of the sandbox.
const sandboxAPIKey = "sandbox"

// sandboxFlags are the sandbox command's flags.
type sandboxFlags struct {
	listen, adminListen   string
	vippsListen, bcListen string
	authorityListen       string
	vippsBaseURL          string
	dataDir, apiKey       string
	simulatorsOnly        bool
	writeConfig           string
	logLevel, logFormat   string
}

func newSandboxCmd() *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the connector offline with simulated Vipps, Business Central and NP Retail",
		Long: `Run everything in one process on loopback: the simulated Vipps test
environment (--vipps-listen), the simulated Business Central API with its
Entra ID authority and the NP Retail member API (--bc-listen,
--authority-listen), and the connector (--listen, --admin-listen) with SQLite
in --data-dir. All are seeded with a demo tenant, company CRONUS NO, demo
customers and members, and the built-in Vipps personas.

The banner (stdout) shows where each part listens, the API key and
ready-to-paste curl lines: a customer-card request for customer 10000 and a
POS member request for persona +47 912 34 567 (approves after 2 s), a
payment at the till for the same persona (create, wait until authorized,
capture, refund, and BC's vippsPayments page), a line that lists the
customers in the simulated BC (GET /_sim/customers) and one that adds your
own test user to the Vipps simulator (POST /_sim/users).

server.publicBaseURL is the connector API's own loopback address, so the
simulated Vipps delivers signed webhooks to it as Vipps does in production.

The API key is --api-key, by default the fixed key "sandbox", which the
connector accepts only in sandbox mode and only for the test environment.

--simulators-only runs only the simulators (seeded the same way) and writes
the complete configuration for 'bcvipps serve --sandbox-key --config FILE'
to --write-config (default DATA-DIR/serve.yaml), so serve can be run,
stopped, killed and restarted against simulators that keep their state.
Its server.publicBaseURL is the loopback address of --listen, or empty
(no webhooks; payments are polled) when --listen has port 0.

Ctrl-C (SIGINT) or SIGTERM stops everything cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			return runSandbox(ctx, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "connector API address")
	fl.StringVar(&f.adminListen, "admin-listen", "127.0.0.1:0", "connector admin address (/metrics); port 0 picks a free one")
	fl.StringVar(&f.vippsListen, "vipps-listen", "127.0.0.1:8081", "Vipps simulator address")
	fl.StringVar(&f.bcListen, "bc-listen", "127.0.0.1:8082", "Business Central + NP Retail simulator address")
	fl.StringVar(&f.authorityListen, "authority-listen", "127.0.0.1:0", "simulated Entra ID authority address (TLS)")
	fl.StringVar(&f.vippsBaseURL, "vipps-base-url", "", "where the connector sends Vipps calls (default: the Vipps simulator)")
	fl.StringVar(&f.dataDir, "data-dir", filepath.Join("data", "sandbox"), "directory for the SQLite database and the CA certificate")
	fl.StringVar(&f.apiKey, "api-key", sandboxAPIKey, "API key of the demo tenant")
	fl.BoolVar(&f.simulatorsOnly, "simulators-only", false, "run only the simulators and write a configuration for serve")
	fl.StringVar(&f.writeConfig, "write-config", "", "write the configuration for 'bcvipps serve' to this file (default with --simulators-only: DATA-DIR/serve.yaml)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.logFormat, "log-format", "text", "text or json")
	return cmd
}

// runSandbox starts the simulators, then (unless simulators-only) the
// connector in front of them, and runs until ctx ends.
func runSandbox(ctx context.Context, f sandboxFlags, stdout, stderr io.Writer) error {
	if f.apiKey == "" {
		return fmt.Errorf("sandbox: --api-key must not be empty")
	}
	dataDir, err := filepath.Abs(f.dataDir)
	if err != nil {
		return fmt.Errorf("sandbox: data directory: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return fmt.Errorf("sandbox: data directory: %w", err)
	}
	log := connector.NewLogger(stderr, config.Log{Level: f.logLevel, Format: f.logFormat})

	vsim, err := vippstest.NewServer(f.vippsListen)
	if err != nil {
		return fmt.Errorf("sandbox: start the Vipps simulator: %w", err)
	}
	defer closeLogged(log, "vipps simulator", vsim)
	bsim, err := newSandboxBC(f.bcListen, f.authorityListen)
	if err != nil {
		return err
	}
	defer closeLogged(log, "bc simulator", bsim)

	caFile := filepath.Join(dataDir, "authority-ca.pem")
	if err := os.WriteFile(caFile, bsim.AuthorityCAPEM, 0o644); err != nil {
		return fmt.Errorf("sandbox: write the authority's CA certificate: %w", err)
	}
	env := sandboxEnv{
		Listen: f.listen, AdminListen: f.adminListen, DataDir: dataDir, CAFile: caFile,
		BCURL: bsim.BCURL, AuthorityURL: bsim.AuthorityURL, NPRetailURL: bsim.NPRetailURL,
		VippsBaseURL: f.vippsBaseURL, APIKeyHash: connector.HashAPIKey(f.apiKey),
		// Vipps delivers webhooks to the connector's API on loopback, as
		// it does to the public URL in production. With --simulators-only
		// that is where serve will listen, if --listen names a port.
		PublicBaseURL: loopbackURL(f.listen),
		LogLevel:      f.logLevel, LogFormat: f.logFormat,
	}
	if env.VippsBaseURL == "" {
		env.VippsBaseURL = vsim.URL
	}
	data, cfg, err := sandboxConfigYAML(env)
	if err != nil {
		return err
	}
	var apiLn, adminLn net.Listener
	if !f.simulatorsOnly {
		// Bind before the configuration is final, so that its
		// publicBaseURL (the webhook URL) holds the real port even with
		// --listen 127.0.0.1:0.
		if apiLn, adminLn, err = listenPair(cfg.Server.Listen, cfg.Server.AdminListen); err != nil {
			log.Error("start failed", slog.String("error", err.Error()))
			return fmt.Errorf("sandbox: %w", err)
		}
		env.PublicBaseURL = loopbackURL(apiLn.Addr().String())
		data, cfg, err = sandboxConfigYAML(env)
	}
	var configFile string
	if err == nil {
		configFile, err = writeSandboxConfig(f, dataDir, data)
	}
	if err != nil {
		if apiLn != nil {
			_ = apiLn.Close()
			_ = adminLn.Close()
		}
		return err
	}
	banner := bannerInfo{
		VippsURL: vsim.URL, BCURL: bsim.BCURL, AuthorityURL: bsim.AuthorityURL, CAFile: caFile,
		NPRetailBase: cfg.Tenants[0].NPRetail.BaseURL, DataDir: dataDir, ConfigFile: configFile,
		APIKey: f.apiKey, VippsBaseURL: env.VippsBaseURL, SimulatorsOnly: f.simulatorsOnly,
	}
	simAttrs := []any{slog.String("vipps", vsim.URL), slog.String("bc", bsim.BCURL),
		slog.String("authority", bsim.AuthorityURL), slog.String("config", configFile)}

	if f.simulatorsOnly {
		printBanner(stdout, banner)
		log.Info("simulators ready", simAttrs...)
		<-ctx.Done()
		log.Info("stopped")
		return nil
	}
	return serveOn(ctx, cfg, log, apiLn, adminLn, func(api, admin net.Addr) {
		banner.APIURL, banner.AdminURL = addrURL(api), addrURL(admin)
		printBanner(stdout, banner)
		log.Info("sandbox ready", append(simAttrs, slog.String("api", banner.APIURL), slog.String("admin", banner.AdminURL),
			slog.String("publicBaseURL", cfg.Server.PublicBaseURL))...)
	}, connector.WithSandbox())
}

// writeSandboxConfig writes the configuration file for serve where the
// flags ask for it and returns its absolute path ("" for none).
func writeSandboxConfig(f sandboxFlags, dataDir string, data []byte) (string, error) {
	configFile := f.writeConfig
	if configFile == "" && f.simulatorsOnly {
		configFile = filepath.Join(dataDir, "serve.yaml")
	}
	if configFile == "" {
		return "", nil
	}
	configFile, err := filepath.Abs(configFile)
	if err != nil {
		return "", fmt.Errorf("sandbox: config file: %w", err)
	}
	if err := os.WriteFile(configFile, data, 0o600); err != nil {
		return "", fmt.Errorf("sandbox: write the configuration: %w", err)
	}
	return configFile, nil
}

// loopbackURL is the http base URL at which this machine reaches a
// listener on addr (host:port): an unspecified host (":8080", "0.0.0.0",
// "[::]") becomes the loopback address of its family. It is "" when addr
// names no fixed port (port 0 is picked only when binding).
func loopbackURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if n, err := net.LookupPort("tcp", port); err != nil || n == 0 {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}).String()
}

// addrURL is loopbackURL of a bound address.
func addrURL(a net.Addr) string {
	if u := loopbackURL(a.String()); u != "" {
		return u
	}
	return "http://" + a.String()
}

// sandboxEntitySets are the custom API pages of the companion extension
// (DESIGN §8) that the sandbox's BC simulator serves under
// /api/bcvipps/vipps/v1.0/companies({id})/. The simulator supports one key
// field, so vippsSettlements (keyed by ledgerDate + salesUnit in BC) is keyed
// by its id here.
var sandboxEntitySets = []struct{ entitySet, keyField string }{
	{"vippsPayments", "reference"},
	{"vippsSettlements", "id"},
	{"vippsFindings", "findingId"},
}

// Publisher, group and version of the companion extension's API pages.
const (
	sandboxAPIPublisher = "bcvipps"
	sandboxAPIGroup     = "vipps"
	sandboxAPIVersion   = "v1.0"
)

// newSandboxBC starts the BC simulator (BC, NP Retail and the Entra
// authority) seeded with the demo data and serving the companion
// extension's custom API pages.
func newSandboxBC(bcListen, authorityListen string) (*bctest.Servers, error) {
	bsim, err := bctest.NewServers(bcListen, authorityListen)
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the BC simulator: %w", err)
	}
	for _, es := range sandboxEntitySets {
		bsim.Sim.RegisterEntitySet(sandboxAPIPublisher, sandboxAPIGroup, sandboxAPIVersion, es.entitySet, es.keyField)
	}
	return bsim, nil
}

// closeLogged closes c and logs a failure.
func closeLogged(log *slog.Logger, what string, c io.Closer) {
	if err := c.Close(); err != nil {
		log.Warn("close "+what, slog.String("error", err.Error()))
	}
}
