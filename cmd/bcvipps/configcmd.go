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

	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and list every problem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := config.Load(path)
			var verr *config.ValidationError
			if errors.As(err, &verr) {
				for _, p := range verr.Problems {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", p.Key, p.Reason)
				}
				return fmt.Errorf("%s: %d problem(s)", path, len(verr.Problems))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK\n", path)
			return nil
		},
	})
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
