package store

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"

	// Database drivers: pure-Go SQLite and pgx's database/sql adapter.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Drivers accepted by Open and Migrate.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// dialect is what differs between the two databases. The SQL itself is
// shared: both speak ON CONFLICT, RETURNING and partial indexes.
type dialect struct {
	name  string
	goose goose.Dialect
	// lockRows is appended to the claim's inner SELECT.
	lockRows string
	// greatest is the two-argument maximum function.
	greatest string
	// numbered placeholders ($1) instead of ?.
	numbered bool
	open     func(dsn string) (*sql.DB, error)
}

func dialectFor(driver string) (dialect, error) {
	switch driver {
	case DriverSQLite:
		return dialect{name: DriverSQLite, goose: goose.DialectSQLite3, greatest: "max", open: openSQLite}, nil
	case DriverPostgres:
		return dialect{
			name: DriverPostgres, goose: goose.DialectPostgres, greatest: "GREATEST", numbered: true,
			lockRows: "FOR UPDATE SKIP LOCKED", open: openPostgres,
		}, nil
	}
	return dialect{}, fmt.Errorf("open store: %w %q (want sqlite or postgres)", ErrUnknownDriver, driver)
}

// rebind turns ? placeholders into $1, $2, … for PostgreSQL.
func (d dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// sqliteParams are added to every SQLite DSN: WAL so readers never block
// the writer, a busy timeout instead of immediate SQLITE_BUSY, and
// IMMEDIATE transactions so a claim takes the write lock before it reads,
// and secure_delete(FAST): freed bytes inside a page are zeroed as the page
// is written anyway (a job's row is far below a page, so its payloads never
// spill to overflow pages); with the WAL checkpoint after a purge that
// leaves no purged data in the files (a test greps them). Mode ON zeroes
// more than that on every write for no gain here (with FAST, and updates
// that leave the exclusive key's index alone, the load generator's POST p50
// at 500/s went from 40 ms to 9 ms). The WAL is copied into the database
// by the background checkpointer (checkpoint.go); a writer checkpoints
// itself only past walSafetyNet pages.
var sqliteParams = []string{"_pragma=journal_mode(WAL)", "_pragma=busy_timeout(10000)", "_pragma=synchronous(NORMAL)", "_pragma=secure_delete(FAST)", "_pragma=wal_autocheckpoint(" + strconv.Itoa(walSafetyNet) + ")", "_txlock=immediate"}

// withParams appends the query parameters params to dsn.
func withParams(dsn, params string) string {
	if strings.Contains(dsn, "?") {
		return dsn + "&" + params
	}
	return dsn + "?" + params
}

func openSQLite(dsn string) (*sql.DB, error) {
	if err := makeDataDir(dsn); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", withParams(dsn, strings.Join(sqliteParams, "&")))
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One connection: SQLite has a single writer anyway, and serialising
	// here avoids SQLITE_BUSY under load and keeps :memory: databases whole.
	db.SetMaxOpenConns(1)
	return db, nil
}

// makeDataDir creates the directory of a file DSN such as
// "file:data/bcvipps.db", so the default works on a fresh install.
func makeDataDir(dsn string) error {
	path := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(dsn, "file::") {
		return nil
	}
	if u, err := url.PathUnescape(path); err == nil {
		path = u
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("open sqlite: create data directory: %w", err)
		}
	}
	return nil
}

// openSQLiteReader opens a small pool of read-only connections beside the
// single writer. In WAL mode readers never wait for the writer, so reads
// (GET of a request, the scheduler's NextDueAt) do not queue behind writes.
// It returns nil for in-memory databases, which one pool must hold whole.
func openSQLiteReader(dsn string) (*sql.DB, error) {
	if strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
		return nil, nil
	}
	db, err := sql.Open("sqlite", withParams(dsn, "_pragma=busy_timeout(10000)&_pragma=query_only(1)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return db, nil
}

func openPostgres(dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		// pgx errors may quote the DSN; never pass it on.
		return nil, fmt.Errorf("open postgres: invalid DSN")
	}
	return db, nil
}
