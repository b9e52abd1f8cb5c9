// Package storetest is the behaviour suite every store.Store implementation
// must pass. The SQLite and PostgreSQL tests of package store run it:
//
//	storetest.Run(t, func(t *testing.T, opts ...store.Option) store.Store { … })
//
// open must return a fresh, empty, migrated store that is closed when the
// test ends, and must pass opts (the suite injects a fake clock) to
// store.Open.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/bcvipps/bcvipps/connector/store"
)

// Opener opens a fresh store for one test.
type Opener func(t *testing.T, opts ...store.Option) store.Store

// T0 is the fake clock's start time in every suite test.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, clk *clockwork.FakeClock)
	}{
		{"create then get returns every field", testCreateGet},
		{"create rejects incomplete rows", testCreateInvalid},
		{"a tenant never sees another tenant's row", testTenantIsolation},
		{"an idempotency key is unique per tenant and kind", testIdempotency},
		{"create each stores several rows in one go, duplicates reported per row", testCreateEach},
		{"a job created leased is its creator's until the lease ends", testCreateLeased},
		{"list pages through a tenant's jobs of a kind in id order", testList},
		{"update needs the version that was read", testVersionConflict},
		{"an update wakes another job in the same transaction", testAlsoWake},
		{"an update may lease its row and create a record with it", testAcquireAndAlsoCreate},
		{"get each and update each work on many rows at once", testEach},
		{"a final status clears due and sets finished", testFinal},
		{"only the lease holder writes a leased row", testLeases},
		{"claim takes due rows in due order up to the limit", testClaimOrder},
		{"a claimed row is not claimed again until its lease expires", testClaimLease},
		{"next due is the earliest claimable time", testNextDueAt},
		{"purge clears personal data of delivered or old rows only", testPurge},
		{"delete removes old finished rows only", testDeleteFinished},
		{"counts group by tenant kind and status", testCounts},
		{"an exclusive key is held by one open job at a time", testExclusive},
		{"an update moves an exclusive key only when asked and only to a free key", testMoveExclusive},
		{"get by key finds the job of a tenant, kind and key", testGetByKey},
		{"claim and next due can be limited to kinds", testClaimKinds},
		{"subscribers hear creates and updates", testSubscribe},
		{"concurrent claimers never share a row", func(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
			ClaimRace(t, 8, s)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clockwork.NewFakeClockAt(T0)
			tc.fn(t, open(t, store.WithClock(clk)), clk)
		})
	}
}

// The suite's statuses: the store knows none, the suite picks a few.
const (
	statusPending   = "pending"
	statusApplying  = "applying"
	statusCompleted = "completed"
	statusCancelled = "cancelled"
	statusFailed    = "failed"
	kindA           = "kind-a"
	kindB           = "kind-b"
)

// NewJob returns a valid open job of kind "kind-a" due at T0.
func NewJob(tenant, id string) store.Job {
	return store.Job{
		ID: id, TenantID: tenant, Kind: kindA, Status: statusPending,
		Input: []byte(`{"phoneNumber":"+4791234567"}`), State: []byte(`{"step":1}`),
		DueAt: T0,
	}
}

// finalise marks j final with status.
func finalise(j *store.Job, status string) { j.Status, j.Final = status, true }

func mustCreate(t *testing.T, s store.Store, r store.Job) store.Job {
	t.Helper()
	got, err := s.Create(context.Background(), r)
	if err != nil {
		t.Fatalf("Create %s/%s: %v", r.TenantID, r.ID, err)
	}
	return got
}

func mustGet(t *testing.T, s store.Store, tenant, id string) store.Job {
	t.Helper()
	got, err := s.Get(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("Get %s/%s: %v", tenant, id, err)
	}
	return got
}

func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", op, err, want)
	}
}

func testCreateGet(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	in := NewJob("t1", "r1")
	in.IdempotencyKey = "idem-1"
	in.RequestHash = "hash-1"
	in.ExclusiveKey = "phone-1"
	in.State = []byte(`{"customerNo":"C1"}`)
	in.Attempts = 2
	in.Private = []byte(`{"sub":"x"}`)
	in.Result = []byte(`{"customer":{}}`)
	in.Error = []byte(`{"title":"t"}`)
	created := mustCreate(t, s, in)
	got := mustGet(t, s, "t1", "r1")
	want := in
	want.Version, want.CreatedAt, want.UpdatedAt = 1, T0, T0
	if diff := compare(got, want); diff != "" {
		t.Fatalf("Get: %s", diff)
	}
	if diff := compare(created, want); diff != "" {
		t.Fatalf("Create result: %s", diff)
	}
}

func testCreateInvalid(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	for name, edit := range map[string]func(*store.Job){
		"no id":     func(r *store.Job) { r.ID = "" },
		"no tenant": func(r *store.Job) { r.TenantID = "" },
		"no kind":   func(r *store.Job) { r.Kind = "" },
		"no status": func(r *store.Job) { r.Status = "" },
	} {
		r := NewJob("t1", "r1")
		edit(&r)
		_, err := s.Create(context.Background(), r)
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
}

func testTenantIsolation(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	a := mustCreate(t, s, NewJob("tenant-a", "same-id"))
	b := NewJob("tenant-b", "same-id")
	b.Input = json.RawMessage(`{"phoneNumber":"+4799999999"}`)
	mustCreate(t, s, b)
	if got := mustGet(t, s, "tenant-b", "same-id"); string(got.Input) != string(b.Input) {
		t.Fatal("tenant-b got tenant-a's row")
	}
	_, err := s.Get(ctx, "tenant-c", "same-id")
	wantErr(t, "Get other tenant", err, store.ErrNotFound)
	other := a
	other.TenantID = "tenant-c"
	finalise(&other, statusCancelled)
	_, err = s.Update(ctx, other)
	wantErr(t, "Update other tenant", err, store.ErrNotFound)
	wantErr(t, "MarkDelivered other tenant", s.MarkDelivered(ctx, "tenant-c", "same-id", T0), store.ErrNotFound)
	if got := mustGet(t, s, "tenant-a", "same-id"); got.Status != statusPending {
		t.Fatalf("tenant-a row changed to %s", got.Status)
	}
}

func testIdempotency(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	first := NewJob("t1", "r1")
	first.IdempotencyKey = "k"
	mustCreate(t, s, first)

	retry := NewJob("t1", "r2")
	retry.IdempotencyKey = "k"
	got, err := s.Create(ctx, retry)
	wantErr(t, "same key", err, store.ErrDuplicate)
	if got.ID != "r1" {
		t.Fatalf("duplicate returned %q, want the existing r1", got.ID)
	}
	sameID := NewJob("t1", "r1")
	got, err = s.Create(ctx, sameID)
	wantErr(t, "same id", err, store.ErrDuplicate)
	if got.ID != "r1" {
		t.Fatalf("duplicate id returned %q", got.ID)
	}

	member := NewJob("t1", "r3")
	member.Kind, member.IdempotencyKey = kindB, "k"
	mustCreate(t, s, member)
	otherTenant := NewJob("t2", "r4")
	otherTenant.IdempotencyKey = "k"
	mustCreate(t, s, otherTenant)
	mustCreate(t, s, NewJob("t1", "no-key-1"))
	mustCreate(t, s, NewJob("t1", "no-key-2"))
}

func testCreateEach(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	first := NewJob("t1", "e1")
	first.IdempotencyKey = "k1"
	mustCreate(t, s, first)
	keyed := NewJob("t1", "e3")
	keyed.IdempotencyKey = "k1" // the key of e1
	out, errs, err := s.CreateEach(ctx, []store.Job{NewJob("t1", "e1"), NewJob("t1", "e2"), keyed, NewJob("t2", "e1")})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "same id", errs[0], store.ErrDuplicate)
	if errs[1] != nil || out[1].ID != "e2" || out[1].Version != 1 {
		t.Fatalf("new row: %v %+v", errs[1], out[1])
	}
	wantErr(t, "same key", errs[2], store.ErrDuplicate)
	if out[2].ID != "e1" || out[0].ID != "e1" {
		t.Fatalf("duplicates returned %q and %q, want the existing e1", out[0].ID, out[2].ID)
	}
	if errs[3] != nil {
		t.Fatalf("another tenant's id: %v", errs[3])
	}
	if diff := compare(mustGet(t, s, "t1", "e2"), out[1]); diff != "" {
		t.Fatalf("stored row differs from the returned one: %s", diff)
	}
	mustGet(t, s, "t2", "e1")
	if _, err := s.Get(ctx, "t1", "e3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a duplicate was stored: %v", err)
	}
	if _, _, err := s.CreateEach(ctx, []store.Job{NewJob("t1", "e4"), {ID: "e5"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("invalid row: %v", err)
	}
	if _, err := s.Get(ctx, "t1", "e4"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a batch with an invalid row stored part of it: %v", err)
	}
}

func testList(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	for _, id := range []string{"l3", "l1", "l5", "l2", "l4"} {
		j := NewJob("t1", id)
		if id == "l2" {
			finalise(&j, statusCompleted)
		}
		mustCreate(t, s, j)
	}
	other := NewJob("t1", "l0")
	other.Kind = kindB
	mustCreate(t, s, other)
	mustCreate(t, s, NewJob("t2", "l9"))
	page := func(q store.ListQuery) []string {
		t.Helper()
		q.TenantID, q.Kind = "t1", kindA
		got, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return ids(got)
	}
	if got := strings.Join(page(store.ListQuery{Limit: 2}), ","); got != "l1,l2" {
		t.Fatalf("first page: %s", got)
	}
	if got := strings.Join(page(store.ListQuery{AfterID: "l2", Limit: 2}), ","); got != "l3,l4" {
		t.Fatalf("second page: %s", got)
	}
	if got := strings.Join(page(store.ListQuery{AfterID: "l4"}), ","); got != "l5" {
		t.Fatalf("last page: %s", got)
	}
	if got := strings.Join(page(store.ListQuery{OpenOnly: true}), ","); got != "l1,l3,l4,l5" {
		t.Fatalf("open only: %s", got)
	}
	if _, err := s.List(ctx, store.ListQuery{TenantID: "t1"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no kind: %v", err)
	}
}

func testVersionConflict(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	mustCreate(t, s, NewJob("t1", "r1"))
	a := mustGet(t, s, "t1", "r1")
	b := mustGet(t, s, "t1", "r1")
	clk.Advance(time.Second)
	a.Status, a.Attempts = statusApplying, 1
	updated, err := s.Update(ctx, a)
	if err != nil {
		t.Fatalf("first update: %v", err)
	}
	if updated.Version != 2 || !updated.UpdatedAt.Equal(T0.Add(time.Second)) || updated.Status != statusApplying {
		t.Fatalf("after update: version %d updated %v status %s", updated.Version, updated.UpdatedAt, updated.Status)
	}
	finalise(&b, statusCancelled)
	_, err = s.Update(ctx, b)
	wantErr(t, "stale update", err, store.ErrConflict)
	if got := mustGet(t, s, "t1", "r1"); got.Status != statusApplying {
		t.Fatalf("stale update was written: %s", got.Status)
	}
	_, err = s.Update(ctx, store.Job{TenantID: "t1", ID: "missing", Status: statusFailed, Final: true, Version: 1})
	wantErr(t, "missing row", err, store.ErrNotFound)
}

func testAlsoWake(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	later := T0.Add(time.Hour)
	// open creates the other job: not due, or due at due.
	open := func(id string, due time.Time) store.Job {
		j := NewJob("t1", id)
		j.Kind, j.DueAt = kindB, due
		return mustCreate(t, s, j)
	}
	// touch updates the main job r1 with a wake of id due at T0+1s.
	wakeAt := T0.Add(time.Second)
	touch := func(id string) (store.Job, error) {
		r := mustGet(t, s, "t1", "r1")
		r.Attempts++
		return s.Update(ctx, r, store.AlsoWake(store.Wakeup{ID: id, Status: statusApplying, DueAt: wakeAt}))
	}
	mustCreate(t, s, NewJob("t1", "r1"))
	// Another tenant's job of the same id is never touched.
	other := NewJob("t2", "idle")
	other.DueAt = time.Time{}
	mustCreate(t, s, other)

	idle := open("idle", time.Time{})
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	feed, err := s.Subscribe(sctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := touch("idle"); err != nil {
		t.Fatalf("update with wake: %v", err)
	}
	// Subscribers hear of both rows, and of no row that was not written.
	for seen := map[string]bool{}; !seen["r1"] || !seen["idle"]; {
		c, ok := <-feed
		if !ok {
			t.Fatalf("feed closed; heard %v", seen)
		}
		if c.ID == "" || c.TenantID != "t1" {
			t.Fatalf("the wake announced a change of no row: %+v", c)
		}
		seen[c.ID] = true
	}
	stop()
	got := mustGet(t, s, "t1", "idle")
	if !got.DueAt.Equal(wakeAt) || got.Status != statusApplying || got.Version != idle.Version+1 {
		t.Fatalf("idle job after the wake: due %v status %s version %d", got.DueAt, got.Status, got.Version)
	}
	if got := mustGet(t, s, "t2", "idle"); !got.DueAt.IsZero() || got.Version != 1 {
		t.Fatalf("another tenant's job was woken: due %v version %d", got.DueAt, got.Version)
	}

	// Due later: brought forward. Due sooner: left alone.
	open("later", later)
	sooner := open("sooner", T0)
	for _, id := range []string{"later", "sooner"} {
		if _, err := touch(id); err != nil {
			t.Fatalf("update waking %s: %v", id, err)
		}
	}
	if got := mustGet(t, s, "t1", "later"); !got.DueAt.Equal(wakeAt) {
		t.Fatalf("job due later: due %v, want %v", got.DueAt, wakeAt)
	}
	if got := mustGet(t, s, "t1", "sooner"); !got.DueAt.Equal(T0) || got.Version != sooner.Version || got.Status != statusPending {
		t.Fatalf("job due sooner was changed: due %v version %d status %s", got.DueAt, got.Version, got.Status)
	}

	// Leased: left to its holder; once the lease has expired, woken.
	open("held", T0)
	if got := claim(t, s, "w", T0, time.Minute, 10, kindB); !slices.Contains(ids(got), "held") {
		t.Fatalf("claim: got %v", ids(got))
	}
	held := mustGet(t, s, "t1", "held")
	held.DueAt = later
	if _, err := s.Update(ctx, held, store.Holding("w"), store.KeepLease(T0.Add(time.Minute))); err != nil {
		t.Fatalf("holder's update: %v", err)
	}
	held = mustGet(t, s, "t1", "held")
	if _, err := touch("held"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "t1", "held"); got.Version != held.Version || !got.DueAt.Equal(later) {
		t.Fatalf("leased job was woken: version %d due %v", got.Version, got.DueAt)
	}
	clk.Advance(2 * time.Minute)
	if _, err := touch("held"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "t1", "held"); !got.DueAt.Equal(wakeAt) {
		t.Fatalf("job of an expired lease: due %v, want %v", got.DueAt, wakeAt)
	}

	// Final: never reopened.
	done := open("done", time.Time{})
	finalise(&done, statusCompleted)
	if _, err := s.Update(ctx, done); err != nil {
		t.Fatal(err)
	}
	done = mustGet(t, s, "t1", "done")
	if _, err := touch("done"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "t1", "done"); got.Version != done.Version || !got.DueAt.IsZero() || got.Status != statusCompleted {
		t.Fatalf("final job was woken: version %d due %v status %s", got.Version, got.DueAt, got.Status)
	}

	// Missing: the update itself is stored.
	r1 := mustGet(t, s, "t1", "r1")
	if u, err := touch("missing"); err != nil || u.Version != r1.Version+1 {
		t.Fatalf("update waking a missing job: version %d, err %v", u.Version, err)
	}

	// A refused update wakes nothing.
	quiet := open("quiet", time.Time{})
	stale := mustGet(t, s, "t1", "r1")
	stale.Version--
	_, err = s.Update(ctx, stale, store.AlsoWake(store.Wakeup{ID: "quiet", DueAt: wakeAt}))
	wantErr(t, "stale update with wake", err, store.ErrConflict)
	if got := mustGet(t, s, "t1", "quiet"); got.Version != quiet.Version || !got.DueAt.IsZero() {
		t.Fatalf("a refused update woke another job: version %d due %v", got.Version, got.DueAt)
	}
	// Without a status the woken job keeps its own.
	if _, err := s.Update(ctx, mustGet(t, s, "t1", "r1"), store.AlsoWake(store.Wakeup{ID: "quiet", DueAt: wakeAt})); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "t1", "quiet"); got.Status != statusPending || !got.DueAt.Equal(wakeAt) {
		t.Fatalf("wake without a status: status %s due %v", got.Status, got.DueAt)
	}
}

func testAcquireAndAlsoCreate(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	mustCreate(t, s, NewJob("t1", "r1"))
	record := func(id, key string) store.Job {
		j := NewJob("t1", id)
		j.Kind, j.IdempotencyKey, j.Input = kindB, key, []byte(`{"event":"`+id+`"}`)
		finalise(&j, statusCompleted)
		return j
	}
	until := T0.Add(time.Minute)
	r := mustGet(t, s, "t1", "r1")
	r.Status = statusApplying
	got, err := s.Update(ctx, r, store.Acquire("w", until), store.AlsoCreate(record("e1", "k1")))
	if err != nil {
		t.Fatalf("update acquiring the row: %v", err)
	}
	if got.LeaseOwner != "w" || !got.LeaseUntil.Equal(until) || got.Status != statusApplying {
		t.Fatalf("acquired row: lease %q until %v, status %s", got.LeaseOwner, got.LeaseUntil, got.Status)
	}
	e1 := mustGet(t, s, "t1", "e1")
	if !e1.Final || e1.FinishedAt.IsZero() || e1.IdempotencyKey != "k1" || string(e1.Input) != `{"event":"e1"}` || e1.Version != 1 {
		t.Fatalf("record created with the update: %+v", e1)
	}
	// Acquired as if claimed: nobody else claims or writes it; its holder does.
	if c := claim(t, s, "other", T0, time.Minute, 10); slices.Contains(ids(c), "r1") {
		t.Fatal("an acquired row was claimed by another owner")
	}
	again := got
	again.Attempts++
	_, err = s.Update(ctx, again, store.Acquire("other", until))
	wantErr(t, "acquiring a held row", err, store.ErrLeased)
	_, err = s.Update(ctx, again, store.Acquire("w", until), store.Holding("w"))
	wantErr(t, "acquire with holding", err, store.ErrInvalid)
	released, err := s.Update(ctx, again, store.Holding("w"))
	if err != nil || released.LeaseOwner != "" {
		t.Fatalf("the holder's update: lease %q, err %v", released.LeaseOwner, err)
	}

	// A record whose id or key is taken refuses the whole write.
	dupID := record("e1", "k-other")
	dupID.Input = []byte(`{"event":"changed"}`)
	for _, dup := range []store.Job{dupID, record("e2", "k1")} {
		changed := released
		changed.Attempts = 42
		_, err := s.Update(ctx, changed, store.AlsoCreate(record("e9", "k9")), store.AlsoCreate(dup))
		wantErr(t, "update with a taken record "+dup.ID, err, store.ErrDuplicate)
	}
	if got := mustGet(t, s, "t1", "r1"); got.Version != released.Version || got.Attempts == 42 {
		t.Fatalf("an update with a taken record was stored: version %d attempts %d", got.Version, got.Attempts)
	}
	if got := mustGet(t, s, "t1", "e1"); string(got.Input) != `{"event":"e1"}` || got.Version != 1 {
		t.Fatalf("an existing record was overwritten: %s version %d", got.Input, got.Version)
	}
	for _, id := range []string{"e2", "e9"} {
		if _, err := s.Get(ctx, "t1", id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("record %s of a refused write was stored: %v", id, err)
		}
	}
	if _, err := s.Update(ctx, released); err != nil {
		t.Fatal(err)
	}

	// A refused update creates nothing; a final row is not leased.
	stale := released
	_, err = s.Update(ctx, stale, store.AlsoCreate(record("e3", "k3")))
	wantErr(t, "stale update with a record", err, store.ErrConflict)
	if _, err := s.Get(ctx, "t1", "e3"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused update created its record: %v", err)
	}
	clk.Advance(time.Second)
	done := mustGet(t, s, "t1", "r1")
	finalise(&done, statusCompleted)
	fin, err := s.Update(ctx, done, store.Acquire("w", T0.Add(time.Hour)))
	if err != nil || fin.LeaseOwner != "" || fin.Status != statusCompleted {
		t.Fatalf("final row with Acquire: lease %q status %s err %v", fin.LeaseOwner, fin.Status, err)
	}
}

func testEach(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	var want []string
	for i := range 1203 { // more than two chunks of GetEach
		id := fmt.Sprintf("m%04d", i)
		mustCreate(t, s, NewJob("t1", id))
		want = append(want, id)
	}
	mustCreate(t, s, NewJob("t2", "m0001"))
	got, err := s.GetEach(ctx, "t1", append(slices.Clone(want), "absent"))
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []string
	for _, j := range got {
		if j.TenantID != "t1" {
			t.Fatalf("another tenant's row: %+v", j)
		}
		gotIDs = append(gotIDs, j.ID)
	}
	slices.Sort(gotIDs)
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("GetEach returned %d rows, want %d (and not the absent one)", len(gotIDs), len(want))
	}
	if none, err := s.GetEach(ctx, "t1", nil); err != nil || len(none) != 0 {
		t.Fatalf("GetEach of nothing: %v %v", none, err)
	}

	a, b, c := mustGet(t, s, "t1", "m0000"), mustGet(t, s, "t1", "m0001"), mustGet(t, s, "t1", "m0002")
	stale := mustGet(t, s, "t1", "m0003")
	bumped := stale
	bumped.Attempts = 9
	if _, err := s.Update(ctx, bumped); err != nil {
		t.Fatal(err)
	}
	if leased := claim(t, s, "other", clk.Now(), time.Minute, 1); len(leased) != 1 || leased[0].ID != "m0000" {
		t.Fatalf("claimed %v, want m0000", ids(leased))
	}
	clk.Advance(time.Second)
	b.State = []byte(`{"step":2}`)
	finalise(&c, statusCompleted)
	stale.State = []byte(`{"step":3}`)
	a.State = []byte(`{"step":4}`)
	missing := NewJob("t1", "nope")
	missing.Version = 1
	errs, err := s.UpdateEach(ctx, []store.Job{b, c, stale, a, missing})
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("written rows: %v %v", errs[0], errs[1])
	}
	if got := mustGet(t, s, "t1", "m0001"); got.Version != b.Version+1 || string(got.State) != `{"step":2}` || !got.UpdatedAt.Equal(clk.Now()) {
		t.Fatalf("stored row: version %d state %s updated %v", got.Version, got.State, got.UpdatedAt)
	}
	if got := mustGet(t, s, "t1", "m0002"); !got.Final || got.FinishedAt.IsZero() || !got.DueAt.IsZero() {
		t.Fatalf("final row: %+v", got)
	}
	wantErr(t, "stale row", errs[2], store.ErrConflict)
	wantErr(t, "leased row", errs[3], store.ErrLeased)
	wantErr(t, "missing row", errs[4], store.ErrNotFound)
	if j := mustGet(t, s, "t1", "m0003"); string(j.State) != `{"step":1}` || j.Attempts != 9 {
		t.Fatalf("a stale write landed: %s", j.State)
	}
	if _, err := s.UpdateEach(ctx, []store.Job{{TenantID: "t1", ID: "m0004", Version: 1}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a row without status: %v", err)
	}
}

func testFinal(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	r := mustCreate(t, s, NewJob("t1", "r1"))
	clk.Advance(time.Minute)
	finalise(&r, statusCompleted)
	r.DueAt = T0.Add(time.Hour)
	got, err := s.Update(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !got.DueAt.IsZero() || !got.FinishedAt.Equal(T0.Add(time.Minute)) || !got.Final {
		t.Fatalf("final row: due %v finished %v final %v", got.DueAt, got.FinishedAt, got.Final)
	}
	if _, ok, _ := s.NextDueAt(ctx); ok {
		t.Fatal("a final row is still due")
	}
	// A final job is never reopened.
	got.Status, got.Final, got.DueAt = statusPending, false, clk.Now()
	_, err = s.Update(ctx, got)
	wantErr(t, "reopen a final job", err, store.ErrConflict)
	if j := mustGet(t, s, "t1", "r1"); j.Status != statusCompleted || !j.Final {
		t.Fatalf("final job reopened: %s", j.Status)
	}
}

func testLeases(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	mustCreate(t, s, NewJob("t1", "r1"))
	claimed := claim(t, s, "w1", T0, 30*time.Second, 10)
	if len(claimed) != 1 || claimed[0].LeaseOwner != "w1" || !claimed[0].LeaseUntil.Equal(T0.Add(30*time.Second)) {
		t.Fatalf("claim: %+v", claimed)
	}
	r := claimed[0]

	t.Run("a writer without the lease is refused", func(t *testing.T) {
		// A row read with Get carries w1's lease; that does not make the
		// reader its holder.
		other := mustGet(t, s, "t1", "r1")
		finalise(&other, statusCancelled)
		_, err := s.Update(ctx, other)
		wantErr(t, "update without lease", err, store.ErrLeased)
	})
	t.Run("another owner is refused", func(t *testing.T) {
		_, err := s.Update(ctx, r, store.Holding("w2"))
		wantErr(t, "update by w2", err, store.ErrLeaseLost)
		wantErr(t, "release by w2", s.Release(ctx, "t1", "r1", "w2"), store.ErrLeaseLost)
	})
	t.Run("the holder may keep and extend its lease", func(t *testing.T) {
		r.Status = statusApplying
		_, err := s.Update(ctx, r, store.KeepLease(T0.Add(time.Minute)))
		wantErr(t, "KeepLease without Holding", err, store.ErrInvalid)
		got, err := s.Update(ctx, r, store.Holding("w1"), store.KeepLease(T0.Add(time.Minute)))
		if err != nil {
			t.Fatal(err)
		}
		if got.LeaseOwner != "w1" || !got.LeaseUntil.Equal(T0.Add(time.Minute)) {
			t.Fatalf("lease after KeepLease: %s until %v", got.LeaseOwner, got.LeaseUntil)
		}
		r = got
	})
	t.Run("an expired lease is lost even if nobody took it", func(t *testing.T) {
		clk.Advance(2 * time.Minute)
		_, err := s.Update(ctx, r, store.Holding("w1"))
		wantErr(t, "update after expiry", err, store.ErrLeaseLost)
		wantErr(t, "release after expiry", s.Release(ctx, "t1", "r1", "w1"), store.ErrLeaseLost)
	})
	t.Run("a lease taken over by another claimer is lost", func(t *testing.T) {
		now := clk.Now()
		again := claim(t, s, "w2", now, 30*time.Second, 10)
		if len(again) != 1 || again[0].LeaseOwner != "w2" {
			t.Fatalf("re-claim after expiry: %+v", again)
		}
		_, err := s.Update(ctx, r, store.Holding("w1"))
		wantErr(t, "update by w1", err, store.ErrLeaseLost)
		r = again[0]
	})
	t.Run("update by the holder releases the lease", func(t *testing.T) {
		r.DueAt = clk.Now().Add(5 * time.Second)
		got, err := s.Update(ctx, r, store.Holding("w2"))
		if err != nil {
			t.Fatal(err)
		}
		if got.LeaseOwner != "" || !got.LeaseUntil.IsZero() {
			t.Fatalf("lease kept: %s until %v", got.LeaseOwner, got.LeaseUntil)
		}
	})
	t.Run("release frees the row for the next claim", func(t *testing.T) {
		now := clk.Now().Add(5 * time.Second)
		c := claim(t, s, "w3", now, time.Hour, 1)
		if len(c) != 1 {
			t.Fatal("row not claimable")
		}
		if err := s.Release(ctx, "t1", "r1", "w3"); err != nil {
			t.Fatal(err)
		}
		if c := claim(t, s, "w4", now, time.Hour, 1); len(c) != 1 {
			t.Fatal("released row not claimable")
		}
	})
}

func claim(t *testing.T, s store.Store, owner string, now time.Time, lease time.Duration, limit int, kinds ...string) []store.Job {
	t.Helper()
	got, err := s.ClaimDue(context.Background(), owner, now, lease, limit, kinds...)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	return got
}

func ids(rs []store.Job) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testClaimOrder(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	// Created out of order; r-late is not due, r-final is final.
	for _, c := range []struct {
		id  string
		due time.Duration
	}{{"r3", 3 * time.Second}, {"r1", time.Second}, {"r5", 5 * time.Second}, {"r2", 2 * time.Second}, {"r4", 4 * time.Second}, {"r-late", time.Hour}} {
		r := NewJob("t1", c.id)
		r.DueAt = T0.Add(c.due)
		mustCreate(t, s, r)
	}
	final := NewJob("t2", "r-final")
	finalise(&final, statusCompleted)
	mustCreate(t, s, final)

	now := T0.Add(10 * time.Second)
	if got := ids(claim(t, s, "w1", now, time.Minute, 3)); !slices.Equal(got, []string{"r1", "r2", "r3"}) {
		t.Fatalf("first claim = %v", got)
	}
	if got := ids(claim(t, s, "w2", now, time.Minute, 3)); !slices.Equal(got, []string{"r4", "r5"}) {
		t.Fatalf("second claim = %v", got)
	}
	if got := claim(t, s, "w3", now, time.Minute, 3); len(got) != 0 {
		t.Fatalf("third claim = %v", ids(got))
	}
	for _, bad := range []struct {
		owner string
		lease time.Duration
		limit int
	}{{"", time.Minute, 1}, {"w", 0, 1}, {"w", time.Minute, 0}} {
		_, err := s.ClaimDue(ctx, bad.owner, now, bad.lease, bad.limit)
		wantErr(t, "ClaimDue bad args", err, store.ErrInvalid)
	}
}

func testClaimLease(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	mustCreate(t, s, NewJob("t1", "r1"))
	first := claim(t, s, "w1", T0, 30*time.Second, 10)
	if len(first) != 1 || first[0].Version != 2 {
		t.Fatalf("claim: %+v", first)
	}
	if got := claim(t, s, "w2", T0.Add(29*time.Second), 30*time.Second, 10); len(got) != 0 {
		t.Fatal("claimed inside another's lease")
	}
	got := claim(t, s, "w2", T0.Add(30*time.Second), 30*time.Second, 10)
	if len(got) != 1 || got[0].LeaseOwner != "w2" || got[0].Version != 3 {
		t.Fatalf("claim at lease expiry: %+v", got)
	}
}

func testNextDueAt(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	if _, ok, err := s.NextDueAt(ctx); err != nil || ok {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	for i, d := range []time.Duration{7 * time.Second, 3 * time.Second, 9 * time.Second} {
		r := NewJob("t1", fmt.Sprintf("r%d", i))
		r.DueAt = T0.Add(d)
		mustCreate(t, s, r)
	}
	at, ok, err := s.NextDueAt(ctx)
	if err != nil || !ok || !at.Equal(T0.Add(3*time.Second)) {
		t.Fatalf("NextDueAt = %v %v %v, want T0+3s", at, ok, err)
	}
	// Leasing the earliest moves it to its lease end.
	claim(t, s, "w1", T0.Add(3*time.Second), time.Minute, 1)
	at, _, _ = s.NextDueAt(ctx)
	if !at.Equal(T0.Add(7 * time.Second)) {
		t.Fatalf("NextDueAt with lease = %v, want T0+7s", at)
	}
}

func testPurge(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	finish := func(id string, at time.Duration, delivered bool) {
		r := mustCreate(t, s, NewJob("t1", id))
		finalise(&r, statusCompleted)
		r.Private = []byte(`{"name":"Kari"}`)
		r.Result = []byte(`{"customer":{"displayName":"Kari"}}`)
		r.State = []byte(`{"customerNo":"C1"}`)
		r.Error = []byte(`{"title":"none"}`)
		clk.Advance(at)
		if _, err := s.Update(ctx, r); err != nil {
			t.Fatal(err)
		}
		if delivered {
			if err := s.MarkDelivered(ctx, "t1", id, clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	finish("delivered-old", 0, true)         // finished and delivered at T0
	finish("undelivered-old", 0, false)      // finished at T0
	finish("delivered-new", time.Hour, true) // at T0+1h
	finish("undelivered-new", 0, false)      // at T0+1h
	pending := NewJob("t1", "pending")
	pending.Private = []byte(`{"name":"Ola"}`)
	mustCreate(t, s, pending)
	if err := s.MarkDelivered(ctx, "t1", "pending", clk.Now()); err != nil {
		t.Fatal(err)
	}

	n, err := s.PurgePersonal(ctx, T0.Add(time.Minute), T0.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("purge = %d, %v; want 2", n, err)
	}
	for id, purged := range map[string]bool{"delivered-old": true, "undelivered-old": true, "delivered-new": false, "undelivered-new": false} {
		r := mustGet(t, s, "t1", id)
		gone := r.Input == nil && r.Private == nil && r.Result == nil && !r.PurgedAt.IsZero()
		if gone != purged {
			t.Errorf("%s: purged=%v, want %v (input %q private %q result %q)", id, gone, purged, r.Input, r.Private, r.Result)
		}
		if string(r.State) != `{"customerNo":"C1"}` || string(r.Error) != `{"title":"none"}` {
			t.Errorf("%s: state or error lost", id)
		}
	}
	if r := mustGet(t, s, "t1", "pending"); r.Private == nil || !r.DeliveredAt.IsZero() {
		t.Error("a pending request was purged or marked delivered")
	}
	// Delivered-only purge: retention of delivered profiles is 0.
	n, err = s.PurgePersonal(ctx, clk.Now(), T0)
	if err != nil || n != 1 {
		t.Fatalf("second purge = %d, %v; want 1 (delivered-new)", n, err)
	}
	if n, _ := s.PurgePersonal(ctx, clk.Now(), clk.Now()); n != 1 {
		t.Fatalf("third purge = %d, want 1 (undelivered-new)", n)
	}
}

func testDeleteFinished(t *testing.T, s store.Store, clk *clockwork.FakeClock) {
	ctx := context.Background()
	old := mustCreate(t, s, NewJob("t1", "old"))
	finalise(&old, "expired")
	if _, err := s.Update(ctx, old); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	newer := mustCreate(t, s, NewJob("t1", "new"))
	finalise(&newer, "rejected")
	if _, err := s.Update(ctx, newer); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, NewJob("t1", "open"))
	n, err := s.DeleteFinished(ctx, T0.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("DeleteFinished = %d, %v", n, err)
	}
	_, err = s.Get(ctx, "t1", "old")
	wantErr(t, "get deleted", err, store.ErrNotFound)
	mustGet(t, s, "t1", "new")
	mustGet(t, s, "t1", "open")
}

func testCounts(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	mustCreate(t, s, NewJob("a", "1"))
	mustCreate(t, s, NewJob("a", "2"))
	m := NewJob("a", "3")
	m.Kind = kindB
	mustCreate(t, s, m)
	done := mustCreate(t, s, NewJob("b", "1"))
	finalise(&done, statusFailed)
	if _, err := s.Update(ctx, done); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Count{
		{TenantID: "a", Kind: kindA, Status: statusPending, N: 2},
		{TenantID: "a", Kind: kindB, Status: statusPending, N: 1},
		{TenantID: "b", Kind: kindA, Status: statusFailed, N: 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Counts = %+v, want %+v", got, want)
	}
}

func testSubscribe(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx, cancel := context.WithCancel(context.Background())
	feed, err := s.Subscribe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, s, NewJob("t1", "r1"))
	waitChange(t, feed, store.Change{TenantID: "t1", ID: "r1"})
	finalise(&r, statusCancelled)
	if _, err := s.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	waitChange(t, feed, store.Change{TenantID: "t1", ID: "r1"})
	cancel()
	for range feed { //nolint:revive // drain until closed
	}
}

// waitChange reads the feed until want arrives. It relies on the test's
// own deadline rather than a timer: a missing change fails as a timeout.
func waitChange(t *testing.T, feed <-chan store.Change, want store.Change) {
	t.Helper()
	for c := range feed {
		if c == want {
			return
		}
	}
	t.Fatalf("feed closed before %v", want)
}

// ClaimRace creates rows and lets workers goroutines per store claim them in
// a loop with one fixed "now" and a lease longer than the test, so within
// that lease period every row must be claimed exactly once over all stores
// (several stores opened on one database stand for several processes).
func ClaimRace(t *testing.T, workers int, stores ...store.Store) {
	t.Helper()
	const rows = 200
	for i := range rows {
		r := NewJob("race", fmt.Sprintf("r%03d", i))
		r.DueAt = T0.Add(time.Duration(i) * time.Millisecond)
		mustCreate(t, stores[0], r)
	}
	now := T0.Add(time.Hour)
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		dups    []string
		wg      sync.WaitGroup
		errs    = make(chan error, workers*len(stores))
	)
	for si, s := range stores {
		for w := range workers {
			owner := fmt.Sprintf("store%d-worker%d", si, w)
			wg.Go(func() {
				for {
					got, err := s.ClaimDue(context.Background(), owner, now, time.Hour, 7)
					if err != nil {
						errs <- err
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, r := range got {
						if prev, ok := claimed[r.ID]; ok {
							dups = append(dups, fmt.Sprintf("%s by %s and %s", r.ID, prev, owner))
						}
						claimed[r.ID] = owner
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ClaimDue: %v", err)
	}
	if len(dups) > 0 {
		t.Fatalf("rows claimed twice: %v", dups)
	}
	if len(claimed) != rows {
		t.Fatalf("claimed %d rows, want %d", len(claimed), rows)
	}
	owners := map[string]bool{}
	for _, o := range claimed {
		owners[o] = true
	}
	t.Logf("%d rows claimed by %d owners", rows, len(owners))
}

func testExclusive(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	a := NewJob("t1", "a")
	a.ExclusiveKey = "phone-x"
	a = mustCreate(t, s, a)
	// Another tenant, another kind: still refused while a is open.
	b := NewJob("t2", "b")
	b.Kind, b.ExclusiveKey = kindB, "phone-x"
	got, err := s.Create(ctx, b)
	wantErr(t, "second holder", err, store.ErrExclusive)
	if got.TenantID != "t1" || got.ID != "a" {
		t.Fatalf("exclusive conflict returned %s/%s, want t1/a", got.TenantID, got.ID)
	}
	if _, err := s.Get(ctx, "t2", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused job stored: %v", err)
	}
	if got, err := s.GetByExclusive(ctx, "phone-x"); err != nil || got.TenantID != "t1" || got.ID != "a" {
		t.Fatalf("GetByExclusive = %s/%s, %v; want t1/a", got.TenantID, got.ID, err)
	}
	// Once a is final the key is free again.
	finalise(&a, statusCompleted)
	a, err = s.Update(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if a.ExclusiveKey != "" {
		t.Fatalf("final job keeps its exclusive key %q", a.ExclusiveKey)
	}
	_, err = s.GetByExclusive(ctx, "phone-x")
	wantErr(t, "GetByExclusive of a final job's key", err, store.ErrNotFound)
	mustCreate(t, s, b)
}

func testMoveExclusive(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	a := NewJob("t1", "a")
	a.ExclusiveKey = "phone-x"
	a = mustCreate(t, s, a)
	c := NewJob("t1", "c")
	c.ExclusiveKey = "member-y"
	c = mustCreate(t, s, c)

	// Without MoveExclusive another key is ignored: the row keeps its own.
	next := a
	next.ExclusiveKey = "member-x"
	a, err := s.Update(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "t1", "a"); got.ExclusiveKey != "phone-x" {
		t.Fatalf("update without MoveExclusive changed the key to %q", got.ExclusiveKey)
	}
	// A key another open job holds is refused, and nothing is written.
	next = a
	next.ExclusiveKey, next.Attempts = "member-y", 7
	_, err = s.Update(ctx, next, store.MoveExclusive())
	wantErr(t, "move to a held key", err, store.ErrExclusive)
	if got := mustGet(t, s, "t1", "a"); got.ExclusiveKey != "phone-x" || got.Attempts == 7 || got.Version != a.Version {
		t.Fatalf("refused move wrote the row: %+v", got)
	}
	// A free key: the old one is free at once, the new one held.
	next = a
	next.ExclusiveKey = "member-x"
	a, err = s.Update(ctx, next, store.MoveExclusive())
	if err != nil {
		t.Fatal(err)
	}
	if a.ExclusiveKey != "member-x" {
		t.Fatalf("moved key = %q", a.ExclusiveKey)
	}
	if got, err := s.GetByExclusive(ctx, "member-x"); err != nil || got.ID != "a" {
		t.Fatalf("GetByExclusive(member-x) = %s, %v; want a", got.ID, err)
	}
	_, err = s.GetByExclusive(ctx, "phone-x")
	wantErr(t, "GetByExclusive of the old key", err, store.ErrNotFound)
	b := NewJob("t2", "b")
	b.ExclusiveKey = "phone-x"
	mustCreate(t, s, b)
	dup := NewJob("t1", "d")
	dup.ExclusiveKey = "member-x"
	_, err = s.Create(ctx, dup)
	wantErr(t, "create under the moved key", err, store.ErrExclusive)
	// Moving to the key the row already holds is a plain update.
	if a, err = s.Update(ctx, a, store.MoveExclusive()); err != nil || a.ExclusiveKey != "member-x" {
		t.Fatalf("move to its own key: %q, %v", a.ExclusiveKey, err)
	}
	// A final job cannot move a key.
	finalise(&c, statusCompleted)
	_, err = s.Update(ctx, c, store.MoveExclusive())
	wantErr(t, "move of a final job", err, store.ErrInvalid)
}

func testGetByKey(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	j := NewJob("t1", "j1")
	j.IdempotencyKey = "evt-1"
	mustCreate(t, s, j)
	got, err := s.GetByKey(ctx, "t1", kindA, "evt-1")
	if err != nil || got.ID != "j1" {
		t.Fatalf("GetByKey = %s, %v", got.ID, err)
	}
	for _, c := range [][3]string{{"t2", kindA, "evt-1"}, {"t1", kindB, "evt-1"}, {"t1", kindA, "evt-2"}} {
		_, err := s.GetByKey(ctx, c[0], c[1], c[2])
		wantErr(t, "GetByKey "+c[0]+"/"+c[1]+"/"+c[2], err, store.ErrNotFound)
	}
}

func testClaimKinds(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	a := NewJob("t1", "a")
	a.DueAt = T0.Add(2 * time.Second)
	mustCreate(t, s, a)
	b := NewJob("t1", "b")
	b.Kind, b.DueAt = kindB, T0.Add(time.Second)
	mustCreate(t, s, b)
	at, ok, err := s.NextDueAt(ctx, kindA)
	if err != nil || !ok || !at.Equal(T0.Add(2*time.Second)) {
		t.Fatalf("NextDueAt(kind-a) = %v %v %v, want T0+2s", at, ok, err)
	}
	if _, ok, _ := s.NextDueAt(ctx, "kind-c"); ok {
		t.Fatal("NextDueAt of a kind without jobs is set")
	}
	now := T0.Add(time.Minute)
	if got := ids(claim(t, s, "w1", now, time.Minute, 10, kindA)); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("claim kind-a = %v", got)
	}
	if got := ids(claim(t, s, "w2", now, time.Minute, 10, "kind-c", kindB)); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("claim kind-c, kind-b = %v", got)
	}
}

func testCreateLeased(t *testing.T, s store.Store, _ *clockwork.FakeClock) {
	ctx := context.Background()
	j := NewJob("t1", "leased")
	j.DueAt = T0
	got, err := s.CreateLeased(ctx, j, "w1", T0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.LeaseOwner != "w1" || !got.LeaseUntil.Equal(T0.Add(time.Minute)) || got.Version != 1 {
		t.Fatalf("created lease %q until %v, version %d", got.LeaseOwner, got.LeaseUntil, got.Version)
	}
	if c := claim(t, s, "w2", T0.Add(time.Second), time.Minute, 10); len(c) != 0 {
		t.Fatalf("a leased job was claimed by another owner: %+v", c)
	}
	// The creator writes it as the holder of the lease.
	next := got
	next.Status, next.DueAt = "half", time.Time{}
	if _, err := s.Update(ctx, next, store.Holding("w1")); err != nil {
		t.Fatalf("update by the creator: %v", err)
	}
	// A creator that died: claimed once the lease has ended.
	dead := NewJob("t1", "orphan")
	dead.DueAt = T0
	if _, err := s.CreateLeased(ctx, dead, "w1", T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if c := claim(t, s, "w2", T0.Add(time.Minute+time.Second), time.Minute, 10); len(c) != 1 || c[0].ID != "orphan" {
		t.Fatalf("after the lease: claimed %+v, want the orphan", c)
	}
	_, err = s.CreateLeased(ctx, NewJob("t1", "x"), "", T0)
	wantErr(t, "CreateLeased without an owner", err, store.ErrInvalid)
	dup, err := s.CreateLeased(ctx, j, "w3", T0.Add(time.Minute))
	wantErr(t, "CreateLeased of a stored id", err, store.ErrDuplicate)
	if dup.ID != "leased" {
		t.Fatalf("duplicate returned %q", dup.ID)
	}
}
