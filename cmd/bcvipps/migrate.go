package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bcvipps/bcvipps/connector/store"
)

func newMigrateCmd() *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Long: `Apply every pending schema migration to the store configured in --config
(default $BCVIPPS_CONFIG, else config.yaml). serve migrates at start too; run
migrate on its own before rolling out replicas on PostgreSQL. Running it on an
up-to-date database changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(path, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if err := store.Migrate(ctx, cfg.Store.Driver, cfg.Store.DSN); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s store is up to date\n", cfg.Store.Driver)
			return nil
		},
	}
	cmd.Flags().StringVarP(&path, "config", "c", defaultConfigPath(), "configuration file (env "+configEnv+")")
	return cmd
}
