package bc_test

import (
	"testing"

	"github.com/bcvipps/bcvipps/bc"
)

func TestEntitySet(t *testing.T) {
	e := startEnv(t)
	e.srv.Sim.RegisterEntitySet("bcvipps", "payments", "v1.0", "vippsPayments", "id")
	c := e.client(t, nil)
	set := c.EntitySet("bcvipps", "payments", "v1.0", "vippsPayments")
	ctx := t.Context()

	created, err := set.Create(ctx, map[string]any{"reference": "order-1", "amount": 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("create returns id and etag", func(t *testing.T) {
		if created.ID() == "" || created.ETag() == "" {
			t.Fatalf("created %v", created)
		}
	})
	t.Run("get and decode", func(t *testing.T) {
		got, err := set.Get(ctx, created.ID())
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Reference string `json:"reference"`
		}
		if err := got.Decode(&p); err != nil || p.Reference != "order-1" {
			t.Fatalf("decoded %+v, %v", p, err)
		}
	})
	t.Run("update with a stale etag is a conflict", func(t *testing.T) {
		if _, err := set.Update(ctx, created.ID(), created.ETag(), map[string]any{"amount": 200}); err != nil {
			t.Fatal(err)
		}
		_, err := set.Update(ctx, created.ID(), created.ETag(), map[string]any{"amount": 300})
		if !bc.IsConflict(err) {
			t.Fatalf("err = %v, want conflict", err)
		}
	})
	t.Run("modify re-reads the current etag", func(t *testing.T) {
		got, err := set.Modify(ctx, created.ID(), func(cur bc.Entity) (map[string]any, error) {
			return map[string]any{"reference": "order-1b"}, nil
		})
		if err != nil || got["reference"] != "order-1b" {
			t.Fatalf("modify: %v %v", got, err)
		}
	})
	t.Run("batch at the custom API's root", func(t *testing.T) {
		cur, err := set.Get(ctx, created.ID())
		if err != nil {
			t.Fatal(err)
		}
		batches := e.srv.Sim.Stats().Batches
		res, err := set.Batch(ctx, []bc.BatchOperation{
			set.CreateOp(map[string]any{"reference": "order-2"}),
			set.UpdateOp(cur.ID(), cur.ETag(), map[string]any{"amount": 400}),
			set.UpdateOp(cur.ID(), created.ETag(), map[string]any{"amount": 500}),
		}, bc.BatchOptions{})
		if err != nil || len(res) != 3 {
			t.Fatalf("batch: %v, %d results", err, len(res))
		}
		if res[0].Err != nil || res[0].Status != 201 || res[1].Err != nil {
			t.Fatalf("create %d %v, update %v", res[0].Status, res[0].Err, res[1].Err)
		}
		if !bc.IsConflict(res[2].Err) {
			t.Fatalf("stale update: %v, want a conflict", res[2].Err)
		}
		if n := e.srv.Sim.Stats().Batches - batches; n != 1 {
			t.Fatalf("%d $batch requests, want 1", n)
		}
		got, err := set.Get(ctx, created.ID())
		if err != nil || got["amount"] != float64(400) {
			t.Fatalf("after the batch: %v %v", got, err)
		}
		var made bc.Entity
		if err := res[0].Decode(&made); err != nil || made["reference"] != "order-2" {
			t.Fatalf("created %v, %v", made, err)
		}
		if err := set.Delete(ctx, made.ID(), made.ETag()); err != nil { // the list below counts the rest
			t.Fatal(err)
		}
	})
	t.Run("batch update by a quoted string key", func(t *testing.T) {
		e.srv.Sim.RegisterEntitySet("bcvipps", "payments", "v1.0", "refPayments", "reference")
		refs := c.EntitySet("bcvipps", "payments", "v1.0", "refPayments")
		row, err := refs.Create(ctx, map[string]any{"reference": "bcv-1'2", "amount": 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := refs.Batch(ctx, []bc.BatchOperation{refs.UpdateOp("bcv-1'2", row.ETag(), map[string]any{"amount": 2})}, bc.BatchOptions{})
		if err != nil || res[0].Err != nil {
			t.Fatalf("batch: %v %v", err, res)
		}
		got, err := refs.Get(ctx, "bcv-1'2")
		if err != nil || got["amount"] != float64(2) {
			t.Fatalf("after the batch: %v %v", got, err)
		}
	})
	t.Run("list pages through the set", func(t *testing.T) {
		for range 4 {
			if _, err := set.Create(ctx, map[string]any{"reference": "more"}); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		for _, err := range set.List(ctx, bc.ListOptions{PageSize: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n != 5 {
			t.Fatalf("listed %d, want 5", n)
		}
	})
	t.Run("delete needs the etag and removes the entity", func(t *testing.T) {
		cur, err := set.Get(ctx, created.ID())
		if err != nil {
			t.Fatal(err)
		}
		if err := set.Delete(ctx, cur.ID(), ""); err == nil {
			t.Fatal("delete without etag was sent")
		}
		if err := set.Delete(ctx, cur.ID(), cur.ETag()); err != nil {
			t.Fatal(err)
		}
		if _, err := set.Get(ctx, cur.ID()); !bc.IsNotFound(err) {
			t.Fatalf("after delete: %v, want not found", err)
		}
	})
}

// TestEntitySetTextKeys: an entity set keyed by a Text field addresses a
// GUID-shaped key as a text literal; sent bare (a GUID literal), BC
// refuses it.
func TestEntitySetTextKeys(t *testing.T) {
	e := startEnv(t)
	e.srv.Sim.RegisterEntitySet("bcvipps", "vipps", "v1.0", "vippsPayments", "reference")
	c := e.client(t, nil)
	ctx := t.Context()
	const ref = "550e8400-e29b-41d4-a716-446655440000"
	plain := c.EntitySet("bcvipps", "vipps", "v1.0", "vippsPayments")
	if _, err := plain.Create(ctx, map[string]any{"reference": ref, "amount": 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Get(ctx, ref); err == nil {
		t.Fatal("a bare GUID key of a text key field was accepted")
	}
	text := plain.TextKeys()
	got, err := text.Get(ctx, ref)
	if err != nil || got["reference"] != ref {
		t.Fatalf("get by text key: %v %v", got, err)
	}
	if _, err := text.Update(ctx, ref, got.ETag(), map[string]any{"amount": 200}); err != nil {
		t.Fatalf("update by text key: %v", err)
	}
}
