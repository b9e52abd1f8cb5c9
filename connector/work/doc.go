// Package work is the connector's durable engine: every job of every kind
// (a login, a payment and its operations, a webhook event, a scheduled run)
// is a row of the store, and a handler registered for its kind moves it one
// stored step at a time. The engine knows nothing of Vipps, BC or logins.
//
// # Jobs and handlers
//
// A job (store.Job) has a tenant, a kind, an id, a status (a string the
// kind defines, with its own final set), a due time, a lease, attempts, an
// idempotency key and payloads: Input, Private and Result hold personal
// data and are purged after delivery; State and Error hold none. A
// [Handler] says which of its statuses are final and does one step of a
// claimed job: it calls upstreams and stores the outcome with
// [Engine.Save], which writes as the lease holder and releases the lease
// (or keeps it, [Engine.KeepLease], for a transition written before the
// work it announces). A step never sleeps: a failed upstream call is
// classified ([Failure]: refused, retry after, back off, outcome unknown)
// and the job is stored due again at the time that follows.
//
// # Claiming
//
// [Engine.Run] claims due jobs (store.Store.ClaimDue: FOR UPDATE SKIP
// LOCKED on PostgreSQL, so replicas never share a job within a lease) for
// as many workers as are free, runs each step with a deadline on the
// engine's clock (Config.StepTimeout, shorter than the lease), and sleeps
// until the next due time, a wake-up ([Engine.Wake]) or a second at most.
// A crashed replica's leases expire and another replica takes the jobs
// over; a write of the old holder is then refused (TakenOver).
//
// # Schedules
//
// [Engine.AddSchedule] registers a cron expression of robfig/cron v3 that
// starts a job of a kind at every tick. Each schedule is itself a job row
// due at its next tick, so one replica claims each tick; the run is
// created with an idempotency key of the tick, so a crash between the two
// never starts a tick twice; and a tick whose previous run is still open is
// skipped rather than started twice.
//
// # Inbox
//
// [Engine.Receive] stores an inbound event (a webhook delivery) once under
// its unique key before it is acknowledged; the kind's handler applies it
// as a job. A duplicate delivery returns the first.
//
// An event whose effect is one write can skip the inbox's three (stored,
// applied, finished): the write that applies it also stores the event's
// record as already applied ([store.AlsoCreate], through [Engine.Record] or
// [Engine.Take]), so the delivery is acknowledged once both are durable,
// and a duplicate finds the record taken and changes nothing
// ([store.ErrDuplicate]). [Engine.Take] also leases the written job to this
// process and steps it at once, as a claim would.
//
// # Shutdown and housekeeping
//
// When Run's context ends it stops claiming, lets the running steps finish
// for Config.ShutdownGrace, then cancels them (each still stores its
// state) and returns. Housekeeping runs every minute: personal data of
// final jobs is purged after delivery plus DeliveredKeep (or UndeliveredKeep
// when never delivered), final rows are deleted after FinishedKeep, and the
// bcvipps_jobs{kind,status} gauges are refreshed.
package work
