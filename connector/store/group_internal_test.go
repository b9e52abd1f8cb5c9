package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// Writes queued behind a commit in progress go in one transaction: each
// keeps its own outcome (a stale version fails alone, a duplicate insert
// is a duplicate), and the others are stored.
func TestGroupCommitSharesOneTransaction(t *testing.T) {
	ctx := context.Background()
	// A round is in progress: what arrives now queues for the next one.
	s, rows, queued := heldRound(t, "a", "b", "c")

	stale := rows[1]
	stale.Version--
	writes := []func() error{
		func() error { j := rows[0]; j.Status = "next"; _, err := s.Update(ctx, j); return err },
		func() error { j := stale; j.Status = "next"; _, err := s.Update(ctx, j); return err },
		func() error { j := rows[2]; j.Status = "next"; _, err := s.Update(ctx, j); return err },
		func() error {
			_, err := s.Create(ctx, Job{TenantID: "t1", ID: "d", Kind: "k", Status: "open"})
			return err
		},
		func() error {
			_, err := s.Create(ctx, Job{TenantID: "t1", ID: "d", Kind: "k", Status: "open"})
			return err
		},
	}
	errs := make(chan error, len(writes))
	for _, w := range writes {
		go func() { errs <- w() }()
	}
	for n := 0; n < len(writes); {
		n = <-queued
	}
	s.group.mu.Lock()
	s.group.queued = nil
	s.group.mu.Unlock()
	s.group.commitRounds(ctx) // the one round carrying all five

	var conflicts, duplicates int
	for range writes {
		switch err := <-errs; {
		case err == nil:
		case errors.Is(err, ErrConflict):
			conflicts++
		case errors.Is(err, ErrDuplicate):
			duplicates++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if conflicts != 1 || duplicates != 1 {
		t.Fatalf("%d conflicts and %d duplicates, want 1 and 1", conflicts, duplicates)
	}
	for id, want := range map[string]string{"a": "next", "b": "open", "c": "next", "d": "open"} {
		j, err := s.Get(ctx, "t1", id)
		if err != nil || j.Status != want {
			t.Fatalf("%s: status %q (%v), want %q", id, j.Status, err, want)
		}
	}
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	if s.group.running || len(s.group.queue) != 0 {
		t.Fatalf("after the round: running %v, %d queued", s.group.running, len(s.group.queue))
	}
}

// When SQLite rolls back the whole transaction in the middle of a round
// (here a trigger's RAISE(ROLLBACK), as an I/O error would), no write of
// the round is stored and every one of them reports an error: none is
// reported failed while stored, or stored in autocommit after the loss.
func TestGroupCommitLostTransactionFailsTheRound(t *testing.T) {
	ctx := context.Background()
	s, rows, queued := heldRound(t, "a", "c")
	if _, err := s.db.ExecContext(ctx, `CREATE TRIGGER boom BEFORE UPDATE ON jobs WHEN NEW.id = 'c' BEGIN SELECT RAISE(ROLLBACK, 'boom'); END`); err != nil {
		t.Fatal(err)
	}
	// The writes queue in this order: a, then c (rolls everything back),
	// then d.
	update := func(j Job) error { j.Status = "next"; _, err := s.Update(ctx, j); return err }
	errs := make([]chan error, 3)
	for i, w := range []func() error{
		func() error { return update(rows[0]) },
		func() error { return update(rows[1]) },
		func() error {
			_, err := s.Create(ctx, Job{TenantID: "t1", ID: "d", Kind: "k", Status: "open"})
			return err
		},
	} {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- w() }()
		if n := <-queued; n != i+1 {
			t.Fatalf("queue length %d, want %d", n, i+1)
		}
	}
	s.group.mu.Lock()
	s.group.queued = nil
	s.group.mu.Unlock()
	s.group.commitRounds(ctx)
	for i, ch := range errs {
		if err := <-ch; err == nil {
			t.Errorf("write %d reported stored", i)
		}
	}
	if j, err := s.Get(ctx, "t1", "a"); err != nil || j.Status != "open" {
		t.Errorf("a: %q %v, want unchanged", j.Status, err)
	}
	if _, err := s.Get(ctx, "t1", "d"); !errors.Is(err, ErrNotFound) {
		t.Errorf("d: %v, want not stored", err)
	}
}

// heldRound opens a file SQLite store with a job per id and marks a
// round of its group commit as in progress, so the writes that follow
// queue; queued gets the queue's length after each joins it. The test
// then runs the next round with s.group.commitRounds.
func heldRound(t *testing.T, ids ...string) (*sqlStore, []Job, <-chan int) {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, DriverSQLite, "file:"+filepath.Join(t.TempDir(), "group.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := st.(*sqlStore)
	var rows []Job
	for _, id := range ids {
		j, err := s.Create(ctx, Job{TenantID: "t1", ID: id, Kind: "k", Status: "open"})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, j)
	}
	queued := make(chan int, 8)
	s.group.mu.Lock()
	s.group.running, s.group.queued = true, queued
	s.group.mu.Unlock()
	return s, rows, queued
}
