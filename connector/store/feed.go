package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// feedBuffer is the per-subscriber buffer; a subscriber that falls further
// behind loses changes (they are hints, see Store.Subscribe).
const feedBuffer = 256

// feed delivers Changes to subscribers.
type feed interface {
	publish(ctx context.Context, c Change)
	subscribe(ctx context.Context) (<-chan Change, error)
	close()
}

// localFeed is an in-process broadcast (SQLite: one process owns the file).
type localFeed struct {
	mu     sync.Mutex
	subs   map[chan Change]struct{}
	closed bool
}

func newLocalFeed() *localFeed { return &localFeed{subs: map[chan Change]struct{}{}} }

func (f *localFeed) publish(_ context.Context, c Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

func (f *localFeed) subscribe(ctx context.Context) (<-chan Change, error) {
	ch := make(chan Change, feedBuffer)
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, errors.New("subscribe: store is closed")
	}
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		<-ctx.Done()
		f.remove(ch)
	}()
	return ch, nil
}

func (f *localFeed) remove(ch chan Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.subs[ch]; ok {
		delete(f.subs, ch)
		close(ch)
	}
}

func (f *localFeed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for ch := range f.subs {
		delete(f.subs, ch)
		close(ch)
	}
}

// pgFeed uses LISTEN/NOTIFY: every write notifies "tenant/id" on a channel
// named after the schema, so replicas sharing a database see each other's
// changes and test schemas stay apart.
type pgFeed struct {
	db      *sql.DB
	channel string
}

// notifyChannel derives the channel name from the current schema.
func notifyChannel(ctx context.Context, db *sql.DB) (string, error) {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", fmt.Errorf("open postgres: current schema: %w", err)
	}
	ch := "bcvipps_requests_" + schema
	if len(ch) > 63 {
		ch = ch[:63]
	}
	return ch, nil
}

func (f *pgFeed) publish(ctx context.Context, c Change) {
	// Best effort: the row is already committed; a lost notification only
	// delays a long-poll until its own timer fires.
	_, _ = f.db.ExecContext(context.WithoutCancel(ctx), `SELECT pg_notify($1, $2)`, f.channel, c.TenantID+"/"+c.ID)
}

func (f *pgFeed) subscribe(ctx context.Context) (<-chan Change, error) {
	conn, err := f.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	listen := "LISTEN " + pgx.Identifier{f.channel}.Sanitize()
	if _, err := conn.ExecContext(ctx, listen); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	ch := make(chan Change, feedBuffer)
	go func() {
		defer close(ch)
		defer conn.Close()
		_ = conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			defer pc.Exec(context.Background(), "UNLISTEN *") //nolint:errcheck // the connection is reused or closed
			for {
				n, err := pc.WaitForNotification(ctx)
				if err != nil {
					return err
				}
				tenant, id, ok := strings.Cut(n.Payload, "/")
				if !ok {
					continue
				}
				select {
				case ch <- Change{TenantID: tenant, ID: id}:
				default:
				}
			}
		})
	}()
	return ch, nil
}

func (f *pgFeed) close() {}
