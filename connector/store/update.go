package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

func (s *sqlStore) Update(ctx context.Context, r Job, opts ...UpdateOption) (Job, error) {
	var o updateOptions
	for _, opt := range opts {
		opt(&o)
	}
	if !o.keepUntil.IsZero() && o.holder == "" {
		return Job{}, fmt.Errorf("update job: %w: KeepLease needs Holding", ErrInvalid)
	}
	if o.acquireOwner != "" && o.holder != "" {
		return Job{}, fmt.Errorf("update job: %w: Acquire is for a row nobody holds, not with Holding", ErrInvalid)
	}
	if r.Status == "" {
		return Job{}, fmt.Errorf("update job: %w: status is required", ErrInvalid)
	}
	if o.moveExclusive && (r.ExclusiveKey == "" || r.Final) {
		return Job{}, fmt.Errorf("update job: %w: MoveExclusive needs an open job and a key", ErrInvalid)
	}
	now := s.clock.Now()
	normalise(&r, now)
	nowUS := now.UnixMicro()
	q, args := updateStatement(r, o, nowUS)
	var then []*followUp
	if o.wake != nil {
		if s.d.name == DriverPostgres {
			// The wake's conditions (open, not leased) are read before
			// this transaction commits, and a conditional UPDATE that
			// matches nothing takes no lock: a holder could release the
			// other job and read this change's row, still the old one, in
			// between, and the wake would be lost. Locking the other row
			// first makes such a release wait for the commit. Only an open
			// row is locked: a finished one is never woken, and waiting on
			// it (housekeeping deletes finished rows in bulk) could
			// deadlock. SQLite has one writer: nothing comes in between.
			then = append(then, &followUp{q: `SELECT 1 FROM jobs WHERE tenant_id = ? AND id = ? AND finished_at IS NULL FOR UPDATE`, args: []any{r.TenantID, o.wake.ID}})
		}
		then = append(then, wakeStatement(r.TenantID, *o.wake, nowUS))
	}
	for _, c := range o.creates {
		if c.TenantID != r.TenantID {
			return Job{}, fmt.Errorf("update job: %w: AlsoCreate of another tenant's job", ErrInvalid)
		}
		cargs, err := s.prepareInsert(&c, now)
		if err != nil {
			return Job{}, err
		}
		then = append(then, &followUp{q: insertJob, args: cargs, id: c.ID, mustAffect: ErrDuplicate})
	}
	// RETURNING gives the stored row in the same statement.
	stored, err := s.writeRowThen(ctx, then, q+"\nRETURNING "+columns, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("update job: %w", s.whyNot(ctx, r, o, nowUS))
	}
	if o.moveExclusive && isUniqueViolation(err) {
		// PostgreSQL: another transaction took the key after this one's
		// NOT EXISTS looked.
		return Job{}, fmt.Errorf("update job: %w", ErrExclusive)
	}
	if err != nil {
		return Job{}, fmt.Errorf("update job: %w", err)
	}
	s.feed.publish(ctx, Change{TenantID: r.TenantID, ID: r.ID})
	for _, f := range then {
		if f.affected && f.id != "" {
			s.feed.publish(ctx, Change{TenantID: r.TenantID, ID: f.id})
		}
	}
	return stored, nil
}

// writeRow runs the one-row write q (with RETURNING) and scans the row:
// on SQLite in the next shared transaction of the group commit, on
// PostgreSQL (many writers) on its own.
func (s *sqlStore) writeRow(ctx context.Context, q string, args ...any) (Job, error) {
	return s.writeRowThen(ctx, nil, q, args...)
}

// followUp is a statement run in the same transaction right after a write
// that matched its row; affected reports whether it changed the row id
// (none: a statement that changes no row of its own, like a lock).
type followUp struct {
	q        string
	args     []any
	id       string
	affected bool
	// mustAffect, when set, is the error of a follow-up that changed no
	// row: the whole write is then undone.
	mustAffect error
}

// writeRowThen is writeRow, followed in the same transaction by the
// statements then if q matched its row.
func (s *sqlStore) writeRowThen(ctx context.Context, then []*followUp, q string, args ...any) (Job, error) {
	st, err := s.q.prepare(ctx, q)
	if err != nil {
		return Job{}, err
	}
	thenSt := make([]*sql.Stmt, len(then))
	for i, f := range then {
		if thenSt[i], err = s.q.prepare(ctx, f.q); err != nil {
			return Job{}, err
		}
	}
	run := func(ctx context.Context, tx *sql.Tx) (Job, error) {
		stored, err := scanJob(tx.StmtContext(ctx, st).QueryRowContext(ctx, args...))
		if err != nil {
			return stored, err
		}
		for i, f := range then {
			res, err := tx.StmtContext(ctx, thenSt[i]).ExecContext(ctx, f.args...)
			if err != nil {
				return Job{}, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return Job{}, err
			}
			f.affected = n > 0
			if !f.affected && f.mustAffect != nil {
				return Job{}, f.mustAffect
			}
		}
		return stored, nil
	}
	if s.group == nil {
		if len(then) == 0 {
			return scanJob(st.QueryRowContext(ctx, args...))
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return Job{}, err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		stored, err := run(ctx, tx)
		if err != nil {
			return Job{}, err
		}
		return stored, tx.Commit()
	}
	var stored Job
	var serr error
	// The statements run without the caller's cancellation: an interrupted
	// statement would roll back the whole shared transaction.
	wctx := context.WithoutCancel(ctx)
	if err := s.group.do(ctx, func(tx *sql.Tx) error {
		stored, serr = run(wctx, tx)
		if errors.Is(serr, sql.ErrNoRows) {
			return nil // matched no row: nothing to undo
		}
		return serr
	}); err != nil {
		return Job{}, err
	}
	return stored, serr
}

// wakeStatement is AlsoWake's conditional UPDATE of the tenant's job w.ID.
func wakeStatement(tenantID string, w Wakeup, nowUS int64) *followUp {
	due := w.DueAt.UnixMicro()
	set, args := "", []any{}
	if w.Status != "" {
		set, args = "status = ?, ", append(args, w.Status)
	}
	args = append(args, due, nowUS, tenantID, w.ID, nowUS, due)
	return &followUp{id: w.ID, q: `UPDATE jobs SET ` + set + `due_at = ?, updated_at = ?, version = version + 1
WHERE tenant_id = ? AND id = ? AND finished_at IS NULL
AND (lease_owner IS NULL OR lease_until <= ?) AND (due_at IS NULL OR due_at > ?)`, args: args}
}

// whyNot explains a conditional write that matched no row.
func (s *sqlStore) whyNot(ctx context.Context, r Job, o updateOptions, nowUS int64) error {
	holder := o.holder
	cur, err := s.Get(ctx, r.TenantID, r.ID)
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	leased := cur.LeaseOwner != "" && cur.LeaseUntil.UnixMicro() > nowUS
	switch {
	case holder != "" && (cur.LeaseOwner != holder || !leased):
		return ErrLeaseLost
	case holder == "" && leased:
		return ErrLeased
	}
	if o.moveExclusive && cur.Version == r.Version {
		if other, err := s.GetByExclusive(ctx, r.ExclusiveKey); err == nil && (other.TenantID != r.TenantID || other.ID != r.ID) {
			return ErrExclusive
		}
	}
	return ErrConflict
}

func (s *sqlStore) Release(ctx context.Context, tenantID, id, owner string) error {
	if owner == "" {
		return fmt.Errorf("release lease: %w: owner is required", ErrInvalid)
	}
	nowUS := s.clock.Now().UnixMicro()
	res, err := s.q.exec(ctx, `UPDATE jobs SET lease_owner = NULL, lease_until = NULL
WHERE tenant_id = ? AND id = ? AND lease_owner = ? AND lease_until > ?`, tenantID, id, owner, nowUS)
	if err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("release lease: %w", err)
	} else if n == 0 {
		if _, err := s.Get(ctx, tenantID, id); err != nil {
			return fmt.Errorf("release lease: %w", err)
		}
		return fmt.Errorf("release lease: %w", ErrLeaseLost)
	}
	return nil
}

// updateStatement is the conditional UPDATE of r and its
// arguments: r's version must still be stored, the lease must be o's
// holder's (or nobody's without Holding), and a final row is never
// reopened.
func updateStatement(r Job, o updateOptions, nowUS int64) (string, []any) {
	// The lease columns after the write and the lease condition before it.
	var newOwner, newUntil any
	var leaseCond string
	var leaseArgs []any
	if o.holder != "" {
		leaseCond = `lease_owner = ? AND lease_until > ?`
		leaseArgs = []any{o.holder, nowUS}
		if !o.keepUntil.IsZero() {
			newOwner, newUntil = o.holder, o.keepUntil.UnixMicro()
		}
	} else {
		if o.acquireOwner != "" && !r.Final {
			newOwner, newUntil = o.acquireOwner, o.acquireUntil.UnixMicro()
		}
		leaseCond = `(lease_owner IS NULL OR lease_until <= ?)`
		leaseArgs = []any{nowUS}
	}
	// The exclusive key is set by Create and cleared, or moved with
	// MoveExclusive: a write that keeps it leaves the column (and its
	// index) alone.
	exclusive, exclArgs := "", []any(nil)
	switch {
	case r.ExclusiveKey == "":
		exclusive = "exclusive_key = NULL, "
	case o.moveExclusive:
		exclusive, exclArgs = "exclusive_key = ?, ", []any{r.ExclusiveKey}
	}
	args := append([]any{r.Status}, exclArgs...)
	args = append(args, nullBytes(r.Input), nullBytes(r.State), nullBytes(r.Private),
		nullBytes(r.Result), nullBytes(r.Error), micros(r.DueAt), r.Attempts, nowUS, micros(r.FinishedAt), newOwner, newUntil,
		r.TenantID, r.ID, r.Version)
	args = append(args, leaseArgs...)
	// A final job stays final: a write that would reopen one matches no row
	// and is reported as a conflict.
	reopen := ""
	if !r.Final {
		reopen = " AND finished_at IS NULL"
	}
	if o.moveExclusive {
		// Another open job holding the key: no row matches (whyNot tells).
		reopen += " AND NOT EXISTS (SELECT 1 FROM jobs x WHERE x.exclusive_key = ? AND NOT (x.tenant_id = ? AND x.id = ?))"
		args = append(args, r.ExclusiveKey, r.TenantID, r.ID)
	}
	return `UPDATE jobs SET
status = ?, ` + exclusive + `input = ?, state = ?, private = ?, result = ?, error = ?, due_at = ?, attempts = ?,
updated_at = ?, finished_at = COALESCE(finished_at, ?), lease_owner = ?, lease_until = ?, version = version + 1
WHERE tenant_id = ? AND id = ? AND version = ? AND ` + leaseCond + reopen, args
}
