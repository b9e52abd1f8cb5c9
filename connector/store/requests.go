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

func (s *sqlStore) Create(ctx context.Context, j Job) (Job, error) {
	if j.ID == "" || j.TenantID == "" || j.Kind == "" || j.Status == "" {
		return Job{}, fmt.Errorf("create job: %w: id, tenant, kind and status are required", ErrInvalid)
	}
	now := s.clock.Now()
	j.CreatedAt, j.UpdatedAt, j.Version = now, now, 1
	j.LeaseOwner, j.LeaseUntil = "", time.Time{}
	j.DeliveredAt, j.PurgedAt = time.Time{}, time.Time{}
	normalise(&j, now)
	stored, err := scanJob(s.q.queryRow(ctx, `INSERT INTO jobs (`+columns+`)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING
RETURNING `+columns,
		j.TenantID, j.ID, j.Kind, j.Status, nullString(j.IdempotencyKey), j.RequestHash, nullString(j.ExclusiveKey),
		nullBytes(j.Input), nullBytes(j.State), nullBytes(j.Private), nullBytes(j.Result), nullBytes(j.Error),
		micros(j.DueAt), j.Attempts, micros(j.CreatedAt), micros(j.UpdatedAt), micros(j.FinishedAt), nil, nil, j.Version, nil, nil))
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
	row := s.r.queryRow(ctx, `SELECT `+columns+` FROM jobs WHERE tenant_id = ? AND id = ?`, tenantID, id)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("get job: %w", ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

func (s *sqlStore) GetByKey(ctx context.Context, tenantID, kind, key string) (Job, error) {
	row := s.r.queryRow(ctx, `SELECT `+columns+` FROM jobs WHERE tenant_id = ? AND kind = ? AND idempotency_key = ?`, tenantID, kind, key)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Job{}, fmt.Errorf("get job by key: %w", ErrNotFound)
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job by key: %w", err)
	}
	return j, nil
}
