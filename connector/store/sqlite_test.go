package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
	"github.com/jonboulle/clockwork"
)

func openSQLite(t *testing.T, opts ...store.Option) store.Store {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "data", "test.db")
	s, err := store.Open(context.Background(), store.DriverSQLite, dsn, opts...)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, openSQLite)
}

func TestSQLiteMigrations(t *testing.T) {
	testMigrations(t, store.DriverSQLite, "file:"+filepath.Join(t.TempDir(), "m.db"))
}

func TestSQLiteDefaultDSNCreatesDataDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := store.Open(context.Background(), store.DriverSQLite, "file:data/bcvipps.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSQLiteIsInWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := store.Open(context.Background(), store.DriverSQLite, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL file next to the database: %v", err)
	}
}

// A purge leaves no trace of the purged personal data in the database
// file or its WAL (secure_delete, then a WAL checkpoint).
func TestSQLitePurgeLeavesNoPersonalDataInTheFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "purge.db")
	s, err := store.Open(ctx, store.DriverSQLite, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Enough rows, with profiles of a realistic size, that the purge
	// rewrites many pages and frees some.
	const rows = 400
	secret := func(i int) string { return fmt.Sprintf("kari.nordmann.%03d@example.no", i) }
	profile := strings.Repeat("x", 1500)
	for i := range rows {
		j := storetest.NewJob("t1", fmt.Sprintf("j%03d", i))
		j.Input = []byte(`{"email":"` + secret(i) + `"}`)
		j.Private = []byte(`{"token":"tok-` + secret(i) + `","profile":"` + profile + secret(i) + `"}`)
		j.Result = []byte(`{"email":"` + secret(i) + `"}`)
		j, err := s.Create(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		j.Status, j.Final = "completed", true
		if _, err := s.Update(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PurgePersonal(ctx, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
	if err != nil || n != rows {
		t.Fatalf("purged %d, %v", n, err)
	}
	for _, f := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("kari.nordmann.")) {
			t.Errorf("%s still holds purged personal data", filepath.Base(f))
		}
	}
}

// The WAL is copied into the database file by the background checkpointer,
// not by a committing writer: after writes and no tick the rows are only in
// the WAL; after one tick of the checkpointer's clock they are in the
// database.
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	clock := clockwork.NewFakeClock()
	ran := make(chan struct{}, 1)
	s, err := store.Open(ctx, store.DriverSQLite, "file:"+path, store.WithCheckpointClock(clock),
		store.WithCheckpointed(func() {
			select {
			case ran <- struct{}{}:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const marker = "checkpoint-marker-"
	// 600 commits write about 2,000 WAL pages: past SQLite's default
	// auto-checkpoint (1,000), short of the store's (walSafetyNet). The
	// claim is a commit that SQLite follows with its auto-checkpoint
	// check (a statement stepped to its end).
	for i := range 600 {
		j := storetest.NewJob("t1", fmt.Sprintf("j%03d", i))
		j.Input = []byte(`{"note":"` + marker + fmt.Sprint(i) + `"}`)
		if _, err := s.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimDue(ctx, "me", storetest.T0, time.Minute, 10); err != nil {
		t.Fatal(err)
	}
	inFile := func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(b, []byte(marker))
	}
	if inFile() {
		t.Fatal("the rows reached the database file before any checkpoint: a writer checkpointed in its commit")
	}
	clock.Advance(store.CheckpointEvery)
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("no background checkpoint after one interval")
	}
	if !inFile() {
		t.Fatal("after a background checkpoint the rows are still only in the WAL")
	}
}
