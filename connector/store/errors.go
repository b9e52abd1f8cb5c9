package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: no such job for this tenant.
	ErrNotFound = errors.New("store: job not found")
	// ErrDuplicate: Create found a row with the same id or idempotency key;
	// the existing row is returned with it.
	ErrDuplicate = errors.New("store: duplicate job")
	// ErrExclusive: Create found an open job holding the same exclusive
	// key (that job is returned with it), or an Update with MoveExclusive
	// found one holding the new key.
	ErrExclusive = errors.New("store: exclusive key held by an open job")
	// ErrConflict: the row changed since it was read (version mismatch).
	ErrConflict = errors.New("store: version conflict")
	// ErrLeaseLost: the caller's lease expired or was taken by another owner.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrLeased: a caller without a lease tried to write a row that another
	// owner currently holds.
	ErrLeased = errors.New("store: job is leased by another owner")
	// ErrInvalid: the job or an argument is malformed.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrUnknownDriver: Open or Migrate got a driver other than sqlite or
	// postgres.
	ErrUnknownDriver = errors.New("store: unknown driver")
)

// isUniqueViolation reports a PostgreSQL unique_violation (23505).
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
