package store

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
)

// Store persists the engine's jobs. Both implementations (SQLite and
// PostgreSQL) pass the same suite, storetest.Run. All methods are safe for
// concurrent use, also from several processes sharing one PostgreSQL
// database. The store knows no kind of job and no kind's statuses: a job is
// final when its writer says so (Job.Final).
type Store interface {
	// Create inserts j with Version 1 and CreatedAt/UpdatedAt from the
	// store's clock, and returns the stored row. If a row with the same
	// tenant and id, or the same tenant, kind and idempotency key exists,
	// it returns that row and an error matching ErrDuplicate; if an open job
	// holds j's ExclusiveKey, that job (of any tenant) and ErrExclusive.
	Create(ctx context.Context, j Job) (Job, error)
	// CreateEach creates jobs as Create does, all in one transaction (one
	// commit): errs[i] reports each job's duplicate (with the existing row
	// in out[i]) without stopping the others; err is a failure of the
	// whole (nothing stored).
	CreateEach(ctx context.Context, jobs []Job) (out []Job, errs []error, err error)
	// CreateLeased creates j as Create does, leased to owner until until
	// (a final job is stored without a lease): its creator steps it at once
	// instead of claiming it; should the creator die, the job is claimed
	// when the lease ends.
	CreateLeased(ctx context.Context, j Job, owner string, until time.Time) (Job, error)
	// Get returns the tenant's job id, or ErrNotFound. It never returns
	// another tenant's row.
	Get(ctx context.Context, tenantID, id string) (Job, error)
	// GetEach returns the tenant's jobs with these ids, in no particular
	// order; ids with no row are left out. It reads in one query per
	// 500 ids, for work that looks up a page of rows at once.
	GetEach(ctx context.Context, tenantID string, ids []string) ([]Job, error)
	// List returns one page of the tenant's jobs of a kind in id order
	// (see ListQuery).
	List(ctx context.Context, q ListQuery) ([]Job, error)
	// GetByKey returns the tenant's job of kind with idempotency key key, or
	// ErrNotFound.
	GetByKey(ctx context.Context, tenantID, kind, key string) (Job, error)
	// GetByExclusive returns the open job (of any tenant) that holds the
	// exclusive key key, or ErrNotFound.
	GetByExclusive(ctx context.Context, key string) (Job, error)
	// ClaimDue leases up to limit jobs whose DueAt <= now and whose lease
	// is free or expired to owner until now+leaseFor, ordered by DueAt;
	// with kinds, only jobs of those kinds (a replica claims only what it
	// has handlers for). Each claim bumps Version. A row is claimed by at
	// most one owner per lease period, also across processes.
	ClaimDue(ctx context.Context, owner string, now time.Time, leaseFor time.Duration, limit int, kinds ...string) ([]Job, error)
	// Update writes j's state (everything except ids, kind, idempotency
	// key, request hash, timestamps managed by the store and the lease) if
	// the stored Version equals j.Version, and returns the row with
	// Version+1. A final job clears DueAt and ExclusiveKey and sets
	// FinishedAt; a final job is never reopened (ErrConflict). The
	// exclusive key is cleared by an empty ExclusiveKey and otherwise left
	// as it is, unless MoveExclusive says to change it.
	//
	// A lease holder passes Holding(owner): it must still hold an
	// unexpired lease (else ErrLeaseLost), and Update then releases the
	// lease, or extends it with KeepLease. Without Holding the row must not
	// be leased by anyone (else ErrLeased), whatever j.LeaseOwner says. A
	// version mismatch is ErrConflict, a missing row ErrNotFound.
	Update(ctx context.Context, j Job, opts ...UpdateOption) (Job, error)
	// UpdateEach writes jobs as Update does without Holding (none may be
	// leased), all in one transaction (one commit), each to Version+1:
	// errs[i] reports row i's ErrConflict, ErrLeased or ErrNotFound
	// without stopping the others. err is a failure of the whole (nothing
	// written). It returns no rows: it is for writing many at once.
	UpdateEach(ctx context.Context, jobs []Job) (errs []error, err error)
	// Release gives up owner's lease without changing the state, so the row
	// can be claimed again at its DueAt. ErrLeaseLost if owner does not
	// hold it.
	Release(ctx context.Context, tenantID, id, owner string) error
	// NextDueAt returns the earliest time at which ClaimDue can return a
	// row (DueAt, or the end of a lease that outlives it), of kinds when
	// given; ok is false when nothing is due ever.
	NextDueAt(ctx context.Context, kinds ...string) (at time.Time, ok bool, err error)
	// MarkDelivered records that the final result was delivered to the
	// caller at at. It keeps the first delivery time and ignores jobs that
	// are not final yet; ErrNotFound if the row does not exist.
	MarkDelivered(ctx context.Context, tenantID, id string, at time.Time) error
	// PurgePersonal clears Input, Private, Result and RequestHash of final jobs
	// delivered at or before deliveredBefore, or finished at or before
	// finishedBefore (delivered or not), sets PurgedAt, and returns how
	// many rows it purged. The cleared bytes do not stay in the database
	// files (SQLite: secure_delete and a WAL checkpoint).
	PurgePersonal(ctx context.Context, deliveredBefore, finishedBefore time.Time) (int, error)
	// DeleteFinished deletes final jobs finished before before and returns
	// how many.
	DeleteFinished(ctx context.Context, before time.Time) (int, error)
	// Counts returns the number of jobs per tenant, kind and status.
	Counts(ctx context.Context) ([]Count, error)
	// Subscribe returns a feed of Changes (creates and updates) until ctx
	// ends, when the channel is closed. On PostgreSQL the feed carries
	// changes made by every process (LISTEN/NOTIFY); on SQLite those of this
	// process. Changes are hints: a slow reader loses some, so readers
	// re-read the store after waking up and also wake up on their own.
	Subscribe(ctx context.Context) (<-chan Change, error)
	// Ping checks the database (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Option configures Open.
type Option func(*options)

type options struct {
	clock clockwork.Clock
	// checkpointClock ticks the background WAL checkpointer. It is the
	// real clock even when the store's clock is a test's fake one: a
	// checkpoint is housekeeping no test steps through, and a ticker on a
	// fake clock would count among the waiters a test waits for.
	checkpointClock clockwork.Clock
	// checkpointed is called after each background WAL checkpoint (tests).
	checkpointed func()
}

// WithClock sets the clock for CreatedAt, UpdatedAt and lease checks in
// Update and Release (default: the real clock).
func WithClock(c clockwork.Clock) Option { return func(o *options) { o.clock = c } }

// UpdateOption configures one Update.
type UpdateOption func(*updateOptions)

type updateOptions struct {
	holder    string
	keepUntil time.Time
	wake      *Wakeup
	// acquire leases the row to acquireOwner until acquireUntil.
	acquireOwner string
	acquireUntil time.Time
	creates      []Job
	// moveExclusive sets the exclusive key to the job's (MoveExclusive).
	moveExclusive bool
}

// MoveExclusive makes the Update set the row's exclusive key to
// j.ExclusiveKey, replacing the one it held, in the same write: the job
// goes on excluding others under the new key with no moment in which it
// holds none. If another open job holds the new key, nothing is written
// and the Update fails with ErrExclusive. Without it Update never sets or
// changes the key (it only clears it).
func MoveExclusive() UpdateOption {
	return func(o *updateOptions) { o.moveExclusive = true }
}

// Holding says the caller writes as the lease holder owner (the owner it
// passed to ClaimDue). The caller's identity is explicit rather than taken
// from Job.LeaseOwner, because a row read with Get carries another
// owner's lease too.
func Holding(owner string) UpdateOption {
	return func(o *updateOptions) { o.holder = owner }
}

// KeepLease (with Holding) keeps the caller's lease after the update and
// extends it until until, for a transition written before the work it announces (e.g.
// pending → applying, then the BC write).
func KeepLease(until time.Time) UpdateOption {
	return func(o *updateOptions) { o.keepUntil = until }
}

// Wakeup names another job of the same tenant that an Update makes due
// (see AlsoWake).
type Wakeup struct {
	ID string
	// Status is the woken job's new status ("" keeps it).
	Status string
	// DueAt is when the woken job is due at the latest.
	DueAt time.Time
}

// AlsoWake makes the tenant's job w.ID due at w.DueAt in the same
// transaction as the Update, if the Update writes its row and the other
// job is open, not leased (an expired lease counts as free) and not due at
// or before w.DueAt already; it then gets w.Status (when set) and
// Version+1. Otherwise the other job is left as it is and the Update's
// outcome is the same: a job due sooner needs no wake, and a lease holder
// is expected to look again after its own write. A change and the job
// that carries it elsewhere (a payment and its BC outbox) are thus
// stored together, with no window in which a crash loses the second.
func AlsoWake(w Wakeup) UpdateOption {
	return func(o *updateOptions) { o.wake = &w }
}

// Acquire (without Holding) leases the row to owner until until with the
// update: the caller has claimed that one row by writing it, and steps it
// at once. Like any update without Holding, it is refused (ErrLeased)
// while someone else holds an unexpired lease.
func Acquire(owner string, until time.Time) UpdateOption {
	return func(o *updateOptions) { o.acquireOwner, o.acquireUntil = owner, until }
}

// AlsoCreate inserts j, as Create would, in the same transaction as the
// Update, if the Update writes its row: the record of what the Update
// does (an inbox event applied with its effect). If j's id or idempotency
// key is taken, nothing is written and the Update fails with ErrDuplicate:
// what the record stands for has been done, or is being done, already.
func AlsoCreate(j Job) UpdateOption {
	return func(o *updateOptions) { o.creates = append(o.creates, j) }
}

// ListQuery selects a page of one tenant's jobs of one kind, in id order.
type ListQuery struct {
	TenantID, Kind string
	// OpenOnly leaves out final jobs.
	OpenOnly bool
	// AfterID starts the page after this id ("" from the first).
	AfterID string
	// Limit is the page size: 100 when 0, at most 1000.
	Limit int
}
