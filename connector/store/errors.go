package store

import "errors"

// Errors callers branch on with errors.Is.
var (
	// ErrNotFound: no such request for this tenant.
	ErrNotFound = errors.New("store: request not found")
	// ErrDuplicate: Create found a row with the same id or idempotency key;
	// the existing row is returned with it.
	ErrDuplicate = errors.New("store: duplicate request")
	// ErrConflict: the row changed since it was read (version mismatch).
	ErrConflict = errors.New("store: version conflict")
	// ErrLeaseLost: the caller's lease expired or was taken by another owner.
	ErrLeaseLost = errors.New("store: lease lost")
	// ErrLeased: a caller without a lease tried to write a row that another
	// owner currently holds.
	ErrLeased = errors.New("store: request is leased by another owner")
	// ErrInvalid: the request or an argument is malformed.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrUnknownDriver: Open or Migrate got a driver other than sqlite or
	// postgres.
	ErrUnknownDriver = errors.New("store: unknown driver")
)
