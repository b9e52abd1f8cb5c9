package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jonboulle/clockwork"

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

// TestPostgresWakeHoldsTheWokenRowUntilCommit: a change that wakes a job
// held by its writer locks that job's row until the change commits. The
// holder's release then waits for the commit, so its look at the changed
// row after the release sees the change; without the lock the release
// could come between the wake's check and the commit, and the change would
// reach neither the wake nor the holder. The change is kept from
// committing by another session's uncommitted insert of its record's key.
func TestPostgresWakeHoldsTheWokenRowUntilCommit(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	clk := clockwork.NewFakeClockAt(storetest.T0)
	s := openPostgresDSN(t, dsn, store.WithClock(clk))
	ctx := context.Background()
	pay := storetest.NewJob("t1", "pay")
	pay.DueAt = time.Time{}
	pay, err := s.Create(ctx, pay)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, storetest.NewJob("t1", "box")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ClaimDue(ctx, "writer", storetest.T0, time.Minute, 10); err != nil || len(got) != 1 || got[0].ID != "box" {
		t.Fatalf("claim: %v %v", got, err)
	}

	raw, other := otherSession(t, dsn)
	if _, err := other.ExecContext(ctx, `INSERT INTO jobs (tenant_id, id, kind, status, idempotency_key, created_at, updated_at, version)
VALUES ('t1', 'other', 'kind-b', 'received', 'ev-1', 0, 0, 1)`); err != nil {
		t.Fatal(err)
	}
	rec := storetest.NewJob("t1", "rec")
	rec.Kind, rec.IdempotencyKey = "kind-b", "ev-1"
	change := pay
	change.Attempts = 7
	done := make(chan error, 1)
	go func() {
		_, err := s.Update(ctx, change, store.AlsoWake(store.Wakeup{ID: "box", DueAt: storetest.T0}), store.AlsoCreate(rec))
		done <- err
	}()
	// Until the change has locked the box's row, a NOWAIT lock of it
	// succeeds (and is let go at once: autocommit).
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := raw.ExecContext(ctx, `SELECT 1 FROM jobs WHERE tenant_id = 't1' AND id = 'box' FOR UPDATE NOWAIT`)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the change never held the woken row: a release could come before its commit and miss it")
		}
	}
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("change: %v", err)
	}
	if got, _ := s.Get(ctx, "t1", "pay"); got.Attempts != 7 {
		t.Fatalf("the change was not stored: attempts %d", got.Attempts)
	}
}

// TestPostgresWakeDoesNotWaitForAFinishedRow: a finished job is never
// woken, so a change that names one does not wait for its row's lock
// (housekeeping locks finished rows in bulk; waiting there could
// deadlock with it).
func TestPostgresWakeDoesNotWaitForAFinishedRow(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	s := openPostgresDSN(t, dsn)
	ctx := context.Background()
	pay, err := s.Create(ctx, storetest.NewJob("t1", "pay"))
	if err != nil {
		t.Fatal(err)
	}
	box := storetest.NewJob("t1", "box")
	box.Status, box.Final = "done", true
	if _, err := s.Create(ctx, box); err != nil {
		t.Fatal(err)
	}
	_, holder := otherSession(t, dsn)
	if _, err := holder.ExecContext(ctx, `SELECT 1 FROM jobs WHERE tenant_id = 't1' AND id = 'box' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		pay.Attempts++
		_, err := s.Update(ctx, pay, store.AlsoWake(store.Wakeup{ID: "box", DueAt: storetest.T0}))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the change waited for a finished row's lock")
	}
}

// otherSession is another client of the database at dsn (not the
// store's), with a transaction open on it until the test ends.
func otherSession(t *testing.T, dsn string) (*sql.DB, *sql.Tx) {
	t.Helper()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := raw.BeginTx(context.Background(), nil)
	if err != nil {
		raw.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tx.Rollback()
		raw.Close()
	})
	return raw, tx
}
