package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check or print a configuration"}
	var path string
	cmd.PersistentFlags().StringVarP(&path, "config", "c", "config.yaml", "configuration file")

	var sandbox bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration, including the go-live rules, and list every problem",
		Long: `Validate the configuration and list every problem in one run: unknown keys,
missing or malformed values, and the go-live rules (server.publicBaseURL is a
public HTTPS URL that Business Central online and Vipps can call; Business
Central tenant and company ids are GUIDs, the tenant id may be a domain).
--sandbox skips the go-live rules, for configurations that point at the
simulators on http://127.0.0.1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path)
			var verr *config.ValidationError
			if err != nil && !errors.As(err, &verr) {
				return err
			}
			var problems []config.Problem
			if verr != nil {
				problems = append(problems, verr.Problems...)
			}
			if cfg != nil && !sandbox {
				var gerr *config.ValidationError
				if errors.As(cfg.CheckGoLive(), &gerr) {
					problems = append(problems, gerr.Problems...)
				}
			}
			for _, p := range problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", p.Key, p.Reason)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%s: %d problem(s)", path, len(problems))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", path)
			return nil
		},
	}
	check.Flags().BoolVar(&sandbox, "sandbox", false, "skip the go-live rules (https, public address, GUID ids): for a configuration against the simulators")
	cmd.AddCommand(check)
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the effective configuration (defaults and environment applied, secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path)
			var verr *config.ValidationError
			if err != nil && !errors.As(err, &verr) {
				return err
			}
			if perr := cfg.Print(cmd.OutOrStdout()); perr != nil {
				return perr
			}
			if verr != nil {
				return fmt.Errorf("%s: %d problem(s); run 'bcvipps config check'", path, len(verr.Problems))
			}
			return nil
		},
	})
	return cmd
}
