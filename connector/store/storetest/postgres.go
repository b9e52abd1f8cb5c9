package storetest

import (
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	// The pgx database/sql driver, for the schema set-up.
	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresDSN returns a DSN of the PostgreSQL server named by
// BCVIPPS_TEST_POSTGRES_DSN whose search_path is a fresh schema, dropped
// when the test ends, so tests sharing the database never see each other's
// tables. It skips the test when the variable is not set (.ci/run sets it
// when a server answers on 127.0.0.1:5432).
func PostgresDSN(t testing.TB) string {
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
	schema := "test_" + strings.ReplaceAll(uuid.NewString(), "-", "")
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
