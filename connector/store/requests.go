package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// normalise enforces the row invariants: a final job has no DueAt and no
// ExclusiveKey and has a FinishedAt; an open one has no FinishedAt.
func normalise(j *Job, now time.Time) {
	if j.Final {
		j.DueAt = time.Time{}
		j.ExclusiveKey = ""
		if j.FinishedAt.IsZero() {
			j.FinishedAt = now
		}
		return
	}
	j.FinishedAt = time.Time{}
}

const insertJob = `INSERT INTO jobs (` + columns + `)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING
RETURNING ` + columns

// prepareInsert checks j and fills what the store manages; it returns the
// insert's arguments.
func (s *sqlStore) prepareInsert(j *Job, now time.Time) ([]any, error) {
	if j.ID == "" || j.TenantID == "" || j.Kind == "" || j.Status == "" {
		return nil, fmt.Errorf("create job: %w: id, tenant, kind and status are required", ErrInvalid)
	}
	j.CreatedAt, j.UpdatedAt, j.Version = now, now, 1
	j.LeaseOwner, j.LeaseUntil = "", time.Time{}
	j.DeliveredAt, j.PurgedAt = time.Time{}, time.Time{}
	normalise(j, now)
	return []any{j.TenantID, j.ID, j.Kind, j.Status, nullString(j.IdempotencyKey), j.RequestHash, nullString(j.ExclusiveKey),
		nullBytes(j.Input), nullBytes(j.State), nullBytes(j.Private), nullBytes(j.Result), nullBytes(j.Error),
		micros(j.DueAt), j.Attempts, micros(j.CreatedAt), micros(j.UpdatedAt), micros(j.FinishedAt), nil, nil, j.Version, nil, nil}, nil
}

// CreateEach inserts jobs in one transaction (one commit for all of them).
// Each is inserted as by Create: errs[i] is nil and out[i] the stored row,
// or errs[i] is ErrDuplicate / ErrExclusive / ErrConflict with the
// existing row; a duplicate does not stop the others. err is a failure of
// the transaction itself (then nothing is stored).
func (s *sqlStore) CreateEach(ctx context.Context, jobs []Job) (out []Job, errs []error, err error) {
	now := s.clock.Now()
	args := make([][]any, len(jobs))
	for i := range jobs {
		if args[i], err = s.prepareInsert(&jobs[i], now); err != nil {
			return nil, nil, err
		}
	}
	st, err := s.q.prepare(ctx, insertJob)
	if err != nil {
		return nil, nil, fmt.Errorf("create jobs: %w", err)
	}
	out, errs = make([]Job, len(jobs)), make([]error, len(jobs))
	dup := make([]bool, len(jobs))
	insert := func(tx *sql.Tx, ctx context.Context) error {
		ins := tx.StmtContext(ctx, st)
		for i := range jobs {
			var ierr error
			out[i], ierr = scanJob(ins.QueryRowContext(ctx, args[i]...))
			if errors.Is(ierr, sql.ErrNoRows) {
				dup[i] = true
				continue
			}
			if ierr != nil {
				return ierr
			}
		}
		return nil
	}
	if s.group != nil {
		// On SQLite the inserts join the next shared commit, in one
		// savepoint: all of them or none.
		var ierr error
		wctx := context.WithoutCancel(ctx)
		if err := s.group.do(ctx, func(tx *sql.Tx) error { ierr = insert(tx, wctx); return ierr }); err != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", err)
		}
		if ierr != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", ierr)
		}
	} else {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		if err := insert(tx, ctx); err != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", err)
		}
	}
	for i, j := range jobs {
		if !dup[i] {
			s.feed.publish(ctx, Change{TenantID: j.TenantID, ID: j.ID})
			continue
		}
		existing, dupErr, err := s.existing(ctx, j)
		if err != nil {
			return nil, nil, fmt.Errorf("create jobs: %w", err)
		}
		out[i], errs[i] = existing, fmt.Errorf("create job: %w", dupErr)
	}
	return out, errs, nil
}

func (s *sqlStore) Create(ctx context.Context, j Job) (Job, error) {
	return s.create(ctx, j, "", time.Time{})
}

func (s *sqlStore) CreateLeased(ctx context.Context, j Job, owner string, until time.Time) (Job, error) {
	if owner == "" || until.IsZero() {
		return Job{}, fmt.Errorf("create job: %w: a lease needs an owner and an end", ErrInvalid)
	}
	return s.create(ctx, j, owner, until)
}

func (s *sqlStore) create(ctx context.Context, j Job, owner string, until time.Time) (Job, error) {
	args, err := s.prepareInsert(&j, s.clock.Now())
	if err != nil {
		return Job{}, err
	}
	if owner != "" && !j.Final {
		args[20], args[21] = owner, until.UnixMicro()
	}
	stored, err := s.writeRow(ctx, insertJob, args...)
	if errors.Is(err, sql.ErrNoRows) {
		// ON CONFLICT DO NOTHING returned nothing: a duplicate.
		existing, dupErr, err := s.existing(ctx, j)
		if err != nil {
			return Job{}, fmt.Errorf("create job: %w", err)
		}
		return existing, fmt.Errorf("create job: %w", dupErr)
	}
	if err != nil {
		return Job{}, fmt.Errorf("create job: %w", err)
	}
	s.feed.publish(ctx, Change{TenantID: j.TenantID, ID: j.ID})
	return stored, nil
}

// existing finds the row a conflicting insert collided with: the same
// idempotency key first (the caller's retry), then the same id, then an
// open job holding the same exclusive key (possibly another tenant's).
func (s *sqlStore) existing(ctx context.Context, j Job) (Job, error, error) {
	try := func(q string, args ...any) (Job, bool, error) {
		got, err := scanJob(s.q.queryRow(ctx, `SELECT `+columns+` FROM jobs WHERE `+q, args...))
		if errors.Is(err, sql.ErrNoRows) {
			return Job{}, false, nil
		}
		return got, err == nil, err
	}
	if j.IdempotencyKey != "" {
		if got, ok, err := try(`tenant_id = ? AND kind = ? AND idempotency_key = ?`, j.TenantID, j.Kind, j.IdempotencyKey); err != nil || ok {
			return got, ErrDuplicate, err
		}
	}
	if got, ok, err := try(`tenant_id = ? AND id = ?`, j.TenantID, j.ID); err != nil || ok {
		return got, ErrDuplicate, err
	}
	if j.ExclusiveKey != "" {
		if got, ok, err := try(`exclusive_key = ?`, j.ExclusiveKey); err != nil || ok {
			return got, ErrExclusive, err
		}
	}
	// The conflicting row finished (or went) in between: let the caller
	// try again.
	return Job{}, ErrConflict, nil
}

func (s *sqlStore) Get(ctx context.Context, tenantID, id string) (Job, error) {
	return s.getOne(ctx, "get job", `tenant_id = ? AND id = ?`, tenantID, id)
}

func (s *sqlStore) GetByExclusive(ctx context.Context, key string) (Job, error) {
	return s.getOne(ctx, "get job by exclusive key", `exclusive_key = ?`, key)
}

// getOne reads the one row matching where from the reader pool;
// ErrNotFound when there is none. op names the read in errors.
func (s *sqlStore) getOne(ctx context.Context, op, where string, args ...any) (Job, error) {
	j, err := scanJob(s.r.queryRow(ctx, `SELECT `+columns+` FROM jobs WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("%s: %w", op, ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("%s: %w", op, err)
	}
	return j, nil
}

func (s *sqlStore) GetByKey(ctx context.Context, tenantID, kind, key string) (Job, error) {
	return s.getOne(ctx, "get job by key", `tenant_id = ? AND kind = ? AND idempotency_key = ?`, tenantID, kind, key)
}

func (s *sqlStore) List(ctx context.Context, q ListQuery) ([]Job, error) {
	if q.TenantID == "" || q.Kind == "" {
		return nil, fmt.Errorf("list jobs: %w: tenant and kind are required", ErrInvalid)
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	query := `SELECT ` + columns + ` FROM jobs WHERE tenant_id = ? AND kind = ? AND id > ? ORDER BY id LIMIT ?`
	if q.OpenOnly {
		query = `SELECT ` + columns + ` FROM jobs WHERE tenant_id = ? AND kind = ? AND id > ? AND finished_at IS NULL ORDER BY id LIMIT ?`
	}
	rows, err := s.r.query(ctx, query, q.TenantID, q.Kind, q.AfterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}
