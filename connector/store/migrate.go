package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies every pending migration to the database of driver/dsn
// (the `bcvipps migrate` command). Open migrates too; running Migrate on an
// up-to-date database changes nothing.
func Migrate(ctx context.Context, driver, dsn string) error {
	d, err := dialectFor(driver)
	if err != nil {
		return err
	}
	db, err := d.open(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, d, db)
}

// migrate runs the dialect's embedded goose migrations on db. On PostgreSQL
// a session advisory lock keeps replicas that start together from migrating
// at the same time.
func migrate(ctx context.Context, d dialect, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations/"+d.name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", d.name, err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if d.name == DriverPostgres {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migrate %s: %w", d.name, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d.goose, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", d.name, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", d.name, err)
	}
	return nil
}

// LatestVersion is the newest migration version (the highest file prefix
// in migrations/<driver>/); a test keeps it true.
const LatestVersion = 4
