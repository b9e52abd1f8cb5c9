package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
)

// A login request stored before the engine's table existed (version 2)
// moves into jobs with its login columns in the state document.
func TestMigrationMovesLoginRequestsIntoJobs(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testMoveRequests(t, DriverSQLite, "file:"+filepath.Join(t.TempDir(), "m.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv("BCVIPPS_TEST_POSTGRES_DSN")
		if base == "" {
			t.Skip("PostgreSQL tests skipped: set BCVIPPS_TEST_POSTGRES_DSN")
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		schema := "migtest_" + strings.ReplaceAll(uuid.NewString(), "-", "")
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatal(err)
		}
		defer admin.Exec("DROP SCHEMA " + schema + " CASCADE") //nolint:errcheck
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		testMoveRequests(t, DriverPostgres, u.String())
	})
}

func testMoveRequests(t *testing.T, driver, dsn string) {
	ctx := context.Background()
	d, err := dialectFor(driver)
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sub, _ := fs.Sub(migrations, "migrations/"+d.name)
	p, err := goose.NewProvider(d.goose, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, d.rebind(`INSERT INTO requests (tenant_id, id, kind, use_case, status, idempotency_key, input, meta,
msn, auth_req_id, poll_interval_ms, due_at, expires_at, deadline, attempts, profile, result, error, created_at, updated_at, version)
VALUES ('t1', 'cir_1', 'customer', 'customer-card', 'pending', 'k1', ?, ?, '123456', 'auth-1', 5000, 100, 300, NULL, 2, ?, NULL, NULL, 1, 2, 7)`),
		[]byte(`{"msisdn":"4791234567"}`), []byte(`{"customerNo":"C1","bindingMessage":"ABC-DEF"}`), []byte(`{"token":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, d, db); err != nil {
		t.Fatal(err)
	}
	s := &sqlStore{d: d, db: db, q: newStmtCache(db, d)}
	s.r = s.q
	j, err := s.Get(ctx, "t1", "cir_1")
	if err != nil {
		t.Fatal(err)
	}
	if j.Kind != "customer" || j.Status != "pending" || j.IdempotencyKey != "k1" || j.Attempts != 2 || j.Version != 7 ||
		string(j.Input) != `{"msisdn":"4791234567"}` || string(j.Private) != `{"token":{}}` || j.DueAt.UnixMicro() != 100 || j.Final {
		t.Fatalf("moved row: %+v", j)
	}
	var st struct {
		UseCase        string          `json:"useCase"`
		MSN            string          `json:"msn"`
		AuthReqID      string          `json:"authReqId"`
		PollIntervalMS int64           `json:"pollIntervalMs"`
		ExpiresAt      int64           `json:"expiresAt"`
		Deadline       *int64          `json:"deadline"`
		Meta           json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(j.State, &st); err != nil {
		t.Fatalf("state %s: %v", j.State, err)
	}
	var meta map[string]string
	if err := json.Unmarshal(st.Meta, &meta); err != nil {
		t.Fatalf("meta %s: %v", st.Meta, err)
	}
	if st.UseCase != "customer-card" || st.MSN != "123456" || st.AuthReqID != "auth-1" || st.PollIntervalMS != 5000 ||
		st.ExpiresAt != 300 || st.Deadline != nil || meta["customerNo"] != "C1" || meta["bindingMessage"] != "ABC-DEF" {
		t.Fatalf("state = %s", j.State)
	}
}
