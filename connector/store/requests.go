package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// normalise enforces the row invariants: a final request has no DueAt and
// has a FinishedAt; an open one has no FinishedAt.
func normalise(r *Request, now time.Time) {
	if r.Status.Final() {
		r.DueAt = time.Time{}
		if r.FinishedAt.IsZero() {
			r.FinishedAt = now
		}
		return
	}
	r.FinishedAt = time.Time{}
}

func (s *sqlStore) Create(ctx context.Context, r Request) (Request, error) {
	if r.ID == "" || r.TenantID == "" || r.Kind == "" || !r.Status.Valid() {
		return Request{}, fmt.Errorf("create request: %w: id, tenant, kind and a known status are required", ErrInvalid)
	}
	now := s.clock.Now()
	r.CreatedAt, r.UpdatedAt, r.Version = now, now, 1
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	r.DeliveredAt, r.PurgedAt = time.Time{}, time.Time{}
	normalise(&r, now)
	stored, err := scanRequest(s.q.queryRow(ctx, `INSERT INTO requests (`+columns+`)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING
RETURNING `+columns,
		r.TenantID, r.ID, r.Kind, r.UseCase, string(r.Status), nullString(r.IdempotencyKey), nullBytes(r.Input), nullBytes(r.Meta),
		r.MSN, r.AuthReqID, r.PollInterval.Milliseconds(), micros(r.DueAt), micros(r.ExpiresAt), micros(r.Deadline),
		r.Attempts, nullBytes(r.Profile), nullBytes(r.Result), nullBytes(r.Error),
		micros(r.CreatedAt), micros(r.UpdatedAt), micros(r.FinishedAt), nil, nil, r.Version, nil, nil))
	if errors.Is(err, sql.ErrNoRows) {
		// ON CONFLICT DO NOTHING returned nothing: a duplicate.
		existing, err := s.existing(ctx, r)
		if err != nil {
			return Request{}, fmt.Errorf("create request: %w", err)
		}
		return existing, fmt.Errorf("create request: %w", ErrDuplicate)
	}
	if err != nil {
		return Request{}, fmt.Errorf("create request: %w", err)
	}
	s.feed.publish(ctx, Change{TenantID: r.TenantID, ID: r.ID})
	return stored, nil
}

// existing finds the row a conflicting insert collided with: the same
// idempotency key first (the caller's retry), else the same id.
func (s *sqlStore) existing(ctx context.Context, r Request) (Request, error) {
	if r.IdempotencyKey != "" {
		row := s.r.queryRow(ctx, `SELECT `+columns+` FROM requests
WHERE tenant_id = ? AND kind = ? AND idempotency_key = ?`, r.TenantID, r.Kind, r.IdempotencyKey)
		got, err := scanRequest(row)
		if err == nil {
			return got, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Request{}, err
		}
	}
	return s.Get(ctx, r.TenantID, r.ID)
}

func (s *sqlStore) Get(ctx context.Context, tenantID, id string) (Request, error) {
	row := s.r.queryRow(ctx, `SELECT `+columns+` FROM requests WHERE tenant_id = ? AND id = ?`, tenantID, id)
	r, err := scanRequest(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Request{}, fmt.Errorf("get request: %w", ErrNotFound)
	}
	if err != nil {
		return Request{}, fmt.Errorf("get request: %w", err)
	}
	return r, nil
}
