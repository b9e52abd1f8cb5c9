package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
)

func newServeCmd() *cobra.Command {
	var path string
	var sandboxKey bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the connector: API, admin listener and workers",
		Long: `Run the connector with the configuration file given by --config (default
$BCVIPPS_CONFIG, else config.yaml). Every configuration problem is listed and
the command exits non-zero before anything starts.

The API listens on server.listen (/v1, /healthz, /readyz, /openapi.json), the
admin listener on server.adminListen (/metrics, /healthz, /readyz, and
/debug/pprof/ with server.pprof); both log a
"listening" line with their address. Logs are JSON (or text) on stderr.

SIGINT or SIGTERM stops the connector cleanly: the listeners stop accepting,
in-flight requests (long-polls are woken) get server.shutdownTimeout to finish,
the workers stop at a safe point, and "stopped" is logged; the exit code is 0.

--sandbox-key accepts the fixed sandbox API key "sandbox" for tenants in the
Vipps test environment, as in a configuration written by
'bcvipps sandbox --simulators-only --write-config FILE'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			log := connector.NewLogger(cmd.ErrOrStderr(), cfg.Log)
			var opts []connector.Option
			if sandboxKey {
				opts = append(opts, connector.WithSandbox())
			}
			return serve(ctx, cfg, log, nil, opts...)
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", defaultConfigPath(), "configuration file (env "+configEnv+")")
	cmd.Flags().BoolVar(&sandboxKey, "sandbox-key", false, `accept the sandbox API key "sandbox" (Vipps test-environment tenants only)`)
	return cmd
}

// serve builds the connector from cfg and runs it until ctx ends. onListening,
// when set, is called with the bound API and admin addresses before the
// listeners start serving.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, onListening func(api, admin net.Addr), opts ...connector.Option) error {
	svc, err := newService(cfg, log, opts)
	if err != nil {
		return err
	}
	apiLn, adminLn, err := listenPair(cfg.Server.Listen, cfg.Server.AdminListen)
	if err != nil {
		_ = svc.Close()
		log.Error("start failed", slog.String("error", err.Error()))
		return err
	}
	return runService(ctx, cfg, log, svc, apiLn, adminLn, onListening)
}

// serveOn is serve on listeners the caller has already bound (the sandbox
// binds first so that its configuration can name the API's real address);
// it closes them in any case.
func serveOn(ctx context.Context, cfg *config.Config, log *slog.Logger, apiLn, adminLn net.Listener, onListening func(api, admin net.Addr), opts ...connector.Option) error {
	svc, err := newService(cfg, log, opts)
	if err != nil {
		_ = apiLn.Close()
		_ = adminLn.Close()
		return err
	}
	return runService(ctx, cfg, log, svc, apiLn, adminLn, onListening)
}

// newService builds the connector, logging a failure.
func newService(cfg *config.Config, log *slog.Logger, opts []connector.Option) (*connector.Service, error) {
	svc, err := connector.New(cfg, append([]connector.Option{connector.WithLogger(log)}, opts...)...)
	if err != nil {
		log.Error("start failed", slog.String("error", err.Error()))
		return nil, fmt.Errorf("start connector: %w", err)
	}
	return svc, nil
}

// runService serves svc on the bound listeners until ctx ends, then closes
// it.
func runService(ctx context.Context, cfg *config.Config, log *slog.Logger, svc *connector.Service, apiLn, adminLn net.Listener, onListening func(api, admin net.Addr)) error {
	if onListening != nil {
		onListening(apiLn.Addr(), adminLn.Addr())
	}
	err := serveAndRun(ctx, svc, apiLn, adminLn, cfg.Server.ShutdownTimeout, log)
	if cerr := svc.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close connector: %w", cerr))
	}
	if err != nil {
		log.Error("stopped with errors", slog.String("error", err.Error()))
		return err
	}
	log.Info("stopped")
	return nil
}
