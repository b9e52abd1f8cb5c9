package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/cmd/bcvipps/internal/version"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "bcvipps",
		Short:         "Connector between Business Central / NP Retail and Vipps MobilePay",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.String(),
	}
	root.AddCommand(
		newServeCmd(),
		newReconcileCmd(),
		newSandboxCmd(),
		newMigrateCmd(),
		newAPIKeyCmd(),
		newConfigCmd(),
		newDoctorCmd(),
		newVersionCmd(),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "bcvipps", version.String())
			return err
		},
	}
}
