package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/config"
	"github.com/bcvipps/bcvipps/connector"
	"github.com/bcvipps/bcvipps/connector/reconcile"
	"github.com/bcvipps/bcvipps/connector/work"
)

// reconcileProgressEvery is how often reconcile prints a progress line
// while the run is going.
var reconcileProgressEvery = 2 * time.Second

// reconcileFlags are the options of one reconcile command.
type reconcileFlags struct {
	config     string
	job        string
	date       string
	tenant     string
	sandboxKey bool
}

func newReconcileCmd() *cobra.Command {
	var f reconcileFlags
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Run one reconciliation run (payment sweep or settlement) and print its summary",
		Long: `Run one reconciliation run with the configuration given by --config (default
$BCVIPPS_CONFIG, else config.yaml), as POST /v1/reconciliation/runs would,
and wait for it to end. The workers run in this process meanwhile (scheduled
work that is due runs too); no listener is opened.

--job is payment-sweep or settlement; --date is the settlement's ledger date
(YYYY-MM-DD). --tenant is needed when the configuration has several tenants.

A progress line is printed to stderr every 2 seconds, the run's summary to
stdout at the end. The exit code is non-zero if the run failed. SIGINT or
SIGTERM stops waiting; the run stays in the store and resumes with the next
serve (or reconcile) on the same store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			cfg, err := loadConfig(f.config, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			tenantID, err := reconcileTenant(cfg, f.tenant)
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			log := connector.NewLogger(cmd.ErrOrStderr(), cfg.Log)
			var opts []connector.Option
			if f.sandboxKey {
				opts = append(opts, connector.WithSandbox())
			}
			svc, err := newService(cfg, log, opts)
			if err != nil {
				return err
			}
			return reconcileOnce(ctx, cfg, svc, tenantID, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVarP(&f.config, "config", "c", defaultConfigPath(), "configuration file (env "+configEnv+")")
	cmd.Flags().StringVar(&f.job, "job", "", "the reconciliation to run: payment-sweep or settlement")
	cmd.Flags().StringVar(&f.date, "date", "", "ledger date of a settlement run (YYYY-MM-DD)")
	cmd.Flags().StringVar(&f.tenant, "tenant", "", "tenant id (default: the only tenant)")
	cmd.Flags().BoolVar(&f.sandboxKey, "sandbox-key", false, `accept the sandbox API key "sandbox" in the configuration (Vipps test-environment tenants only)`)
	return cmd
}

// check validates --job and --date before anything is opened.
func (f reconcileFlags) check() error {
	switch f.job {
	case reconcile.JobPaymentSweep, reconcile.JobSettlement:
	case "":
		return fmt.Errorf("reconcile: --job is required: %s or %s", reconcile.JobPaymentSweep, reconcile.JobSettlement)
	default:
		return fmt.Errorf("reconcile: --job %q is not a reconciliation job: use %s or %s", f.job, reconcile.JobPaymentSweep, reconcile.JobSettlement)
	}
	if f.date != "" {
		if _, err := time.Parse(time.DateOnly, f.date); err != nil {
			return fmt.Errorf("reconcile: --date %q must be a date such as 2026-11-30", f.date)
		}
	}
	return nil
}

// reconcileTenant is the tenant a run is for: --tenant, or the only one.
func reconcileTenant(cfg *config.Config, want string) (string, error) {
	ids := make([]string, 0, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		ids = append(ids, t.ID)
	}
	switch {
	case want != "":
		if !slices.Contains(ids, want) {
			return "", fmt.Errorf("reconcile: --tenant %q is not configured (tenants: %s)", want, strings.Join(ids, ", "))
		}
		return want, nil
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) == 0:
		return "", errors.New("reconcile: the configuration has no tenants")
	default:
		return "", fmt.Errorf("reconcile: the configuration has %d tenants; choose one with --tenant (%s)", len(ids), strings.Join(ids, ", "))
	}
}

// reconcileOnce runs svc's workers, starts the run, waits for it to end and
// prints its summary; then it stops the workers and closes svc.
func reconcileOnce(ctx context.Context, cfg *config.Config, svc *connector.Service, tenantID string, f reconcileFlags, stdout, stderr io.Writer) (err error) {
	runCtx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	engineDone := make(chan struct{})
	var engineErr error
	go func() {
		defer close(engineDone)
		engineErr = svc.Run(runCtx)
	}()
	defer func() {
		stopWorkers()
		timeout := cfg.Server.ShutdownTimeout
		if timeout <= 0 {
			timeout = fallbackShutdownTimeout
		}
		select {
		case <-engineDone:
			if engineErr != nil {
				err = errors.Join(err, fmt.Errorf("workers: %w", engineErr))
			}
		case <-time.After(timeout):
			err = errors.Join(err, fmt.Errorf("workers did not stop within %s", timeout))
		}
		if cerr := svc.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close connector: %w", cerr))
		}
	}()

	started, err := svc.Reconciler().StartRun(ctx, tenantID, f.job, f.date, "")
	if err != nil {
		return fmt.Errorf("reconcile: start the run: %w", err)
	}
	fmt.Fprintf(stderr, "run %s started: %s for tenant %s\n", started.ID, started.Job, tenantID)
	run, err := waitRun(ctx, svc.Engine(), tenantID, started.ID, engineDone, stderr)
	if err != nil {
		return err
	}
	printRunSummary(stdout, tenantID, run)
	if run.Status == reconcile.RunFailed {
		msg := run.Error
		if msg == "" {
			msg = "no error recorded"
		}
		return fmt.Errorf("reconcile: run %s failed: %s", run.ID, msg)
	}
	return nil
}

// waitRun waits for run id to reach a final status, printing a progress
// line to stderr every reconcileProgressEvery. It gives up when ctx ends or
// the workers stop.
func waitRun(ctx context.Context, eng *work.Engine, tenantID, id string, engineDone <-chan struct{}, stderr io.Writer) (reconcile.Run, error) {
	tick := time.NewTicker(reconcileProgressEvery)
	defer tick.Stop()
	for {
		// Wait before Get, so that a change between the two is not missed.
		changed, forget := eng.Wait(id)
		j, err := eng.Store().Get(context.WithoutCancel(ctx), tenantID, id)
		if err != nil {
			forget()
			return reconcile.Run{}, fmt.Errorf("reconcile: read run %s: %w", id, err)
		}
		run := reconcile.RunOf(j)
		if j.Final || run.Status == reconcile.RunCompleted || run.Status == reconcile.RunFailed {
			forget()
			return run, nil
		}
		select {
		case <-changed:
		case <-tick.C:
			fmt.Fprintf(stderr, "run %s %s: looked %d, matched %d, corrected %d, findings %d\n",
				run.ID, run.Status, run.Counts.Looked, run.Counts.Matched, run.Counts.Corrected, run.Findings)
		case <-engineDone:
			forget()
			return run, fmt.Errorf("reconcile: the workers stopped before run %s ended (it stays %s)", id, run.Status)
		case <-ctx.Done():
			forget()
			return run, fmt.Errorf("reconcile: interrupted; run %s stays %s and resumes with the next serve or reconcile: %w",
				id, run.Status, context.Cause(ctx))
		}
		forget()
	}
}

// printRunSummary writes the ended run's summary.
func printRunSummary(w io.Writer, tenantID string, r reconcile.Run) {
	line := func(k string, v any) { fmt.Fprintf(w, "  %-12s %v\n", k+":", v) }
	fmt.Fprintf(w, "run %s %s\n", r.ID, r.Status)
	line("job", r.Job)
	line("tenant", tenantID)
	line("status", r.Status)
	if r.LedgerDate != "" {
		line("ledger date", r.LedgerDate)
	}
	if r.SalesUnit != "" {
		line("sales unit", r.SalesUnit)
	}
	line("started", r.StartedAt.Format(time.RFC3339))
	if r.FinishedAt != nil {
		line("finished", r.FinishedAt.Format(time.RFC3339))
	}
	line("looked", r.Counts.Looked)
	line("matched", r.Counts.Matched)
	line("corrected", r.Counts.Corrected)
	line("findings", r.Findings)
	if r.Error != "" {
		line("error", r.Error)
	}
}
