package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
)

func openPostgresDSN(t *testing.T, dsn string, opts ...store.Option) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), store.DriverPostgres, dsn, opts...)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store {
		return openPostgresDSN(t, storetest.PostgresDSN(t), opts...)
	})
}

// Two Stores opened separately on one database stand for two connector
// processes: each row is claimed by exactly one of them per lease period.
func TestPostgresTwoProcessesNeverClaimTheSameRow(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a, b := openPostgresDSN(t, dsn), openPostgresDSN(t, dsn)
	storetest.ClaimRace(t, 4, a, b)
}

// A change written through one process wakes a subscriber of the other.
func TestPostgresChangeFeedCrossesProcesses(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a, b := openPostgresDSN(t, dsn), openPostgresDSN(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed, err := b.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, storetest.NewJob("t1", "r1")); err != nil {
		t.Fatal(err)
	}
	for c := range feed {
		if c == (store.Change{TenantID: "t1", ID: "r1"}) {
			return
		}
	}
	t.Fatal("feed closed without the change")
}

func TestPostgresMigrations(t *testing.T) {
	testMigrations(t, store.DriverPostgres, storetest.PostgresDSN(t))
}

func gooseVersion(t *testing.T, driver, dsn string) int64 {
	t.Helper()
	name := map[string]string{store.DriverSQLite: "sqlite", store.DriverPostgres: "pgx"}[driver]
	db, err := sql.Open(name, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int64
	if err := db.QueryRow(`SELECT MAX(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		t.Fatalf("read migration version: %v", err)
	}
	return v
}

func testMigrations(t *testing.T, driver, dsn string) {
	ctx := context.Background()
	t.Run("a fresh database migrates to the latest version", func(t *testing.T) {
		if err := store.Migrate(ctx, driver, dsn); err != nil {
			t.Fatal(err)
		}
		if v := gooseVersion(t, driver, dsn); v != store.LatestVersion {
			t.Fatalf("version %d, want %d", v, store.LatestVersion)
		}
	})
	t.Run("migrating again and re-opening change nothing", func(t *testing.T) {
		s, err := store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Create(ctx, storetest.NewJob("t1", "kept")); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := store.Migrate(ctx, driver, dsn); err != nil {
			t.Fatal(err)
		}
		s, err = store.Open(ctx, driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Get(ctx, "t1", "kept"); err != nil {
			t.Fatalf("row lost across re-open: %v", err)
		}
		if v := gooseVersion(t, driver, dsn); v != store.LatestVersion {
			t.Fatalf("version %d, want %d", v, store.LatestVersion)
		}
	})
	t.Run("an unknown driver is refused", func(t *testing.T) {
		err := store.Migrate(ctx, "mysql", dsn)
		if err == nil || !strings.Contains(err.Error(), "unknown driver") {
			t.Fatalf("got %v", err)
		}
	})
}
