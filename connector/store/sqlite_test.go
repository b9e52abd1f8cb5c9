package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bcvipps/bcvipps/connector/store"
	"github.com/bcvipps/bcvipps/connector/store/storetest"
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
