package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jonboulle/clockwork"
)

// Open opens the database of driver ("sqlite" or "postgres") at dsn, runs
// the migrations and returns the Store.
//
// SQLite DSNs look like "file:data/bcvipps.db" (the directory is created);
// WAL mode, a busy timeout and IMMEDIATE transactions are added. PostgreSQL
// DSNs are anything pgx accepts, e.g.
// "postgres://user:pw@host:5432/db?sslmode=require&search_path=bcvipps".
func Open(ctx context.Context, driver, dsn string, opts ...Option) (Store, error) {
	o := options{clock: clockwork.NewRealClock(), checkpointClock: clockwork.NewRealClock()}
	for _, opt := range opts {
		opt(&o)
	}
	d, err := dialectFor(driver)
	if err != nil {
		return nil, err
	}
	db, err := d.open(dsn)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", d.name, err)
	}
	if err := migrate(ctx, d, db); err != nil {
		db.Close()
		return nil, err
	}
	s := &sqlStore{d: d, db: db, clock: o.clock, q: newStmtCache(db, d)}
	s.r = s.q
	if d.name == DriverSQLite {
		s.group = &groupCommit{db: db, q: s.q}
	}
	if d.name == DriverSQLite {
		rdb, err := openSQLiteReader(dsn)
		if err != nil {
			db.Close()
			return nil, err
		}
		if rdb != nil {
			s.rdb, s.r = rdb, newStmtCache(rdb, d)
			if s.ckpt, err = startCheckpointer(dsn, o.checkpointClock, o.checkpointed); err != nil {
				rdb.Close()
				db.Close()
				return nil, err
			}
		}
	}
	if d.name == DriverPostgres {
		ch, err := notifyChannel(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		s.feed = &pgFeed{db: db, channel: ch}
	} else {
		s.feed = newLocalFeed()
	}
	return s, nil
}

// sqlStore implements Store on database/sql for both dialects.
type sqlStore struct {
	d     dialect
	db    *sql.DB
	clock clockwork.Clock
	feed  feed
	// q runs statements on db; r runs reads, on a read-only pool (rdb) for
	// file SQLite databases and on db otherwise.
	q   *stmtCache
	r   *stmtCache
	rdb *sql.DB
	// ckpt copies the WAL into file SQLite databases in the background.
	ckpt *checkpointer
	// group shares SQLite's write transactions among concurrent updates.
	group *groupCommit
}

func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.d.name, err)
	}
	return nil
}

func (s *sqlStore) Close() error {
	s.feed.close()
	if s.ckpt != nil {
		s.ckpt.close()
	}
	s.q.close()
	if s.rdb != nil {
		s.r.close()
		_ = s.rdb.Close()
	}
	return s.db.Close()
}

func (s *sqlStore) Subscribe(ctx context.Context) (<-chan Change, error) {
	return s.feed.subscribe(ctx)
}
