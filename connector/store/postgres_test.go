package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
)

// postgresDSN returns a DSN whose search_path is a fresh schema that is
// dropped when the test ends, so parallel test packages sharing the
// database never see each other's tables.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("BCVIPPS_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set BCVIPPS_TEST_POSTGRES_DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "storetest_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("BCVIPPS_TEST_POSTGRES_DSN must be a URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

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
		return openPostgresDSN(t, postgresDSN(t), opts...)
	})
}

// Two Stores opened separately on one database stand for two connector
// processes: each row is claimed by exactly one of them per lease period.
func TestPostgresTwoProcessesNeverClaimTheSameRow(t *testing.T) {
	dsn := postgresDSN(t)
	a, b := openPostgresDSN(t, dsn), openPostgresDSN(t, dsn)
	storetest.ClaimRace(t, 4, a, b)
}

// A change written through one process wakes a subscriber of the other.
func TestPostgresChangeFeedCrossesProcesses(t *testing.T) {
	dsn := postgresDSN(t)
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
	testMigrations(t, store.DriverPostgres, postgresDSN(t))
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
