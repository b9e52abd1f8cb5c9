package payment

import (
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/bc"
	"github.com/bcvipps/bcvipps/connector/store"
)

// A round takes one upsert per BC row: two payments of one reference (at
// two sales units) go in different rounds, in queue order.
func TestTakeRoundOneUpsertPerReference(t *testing.T) {
	up := func(id, ref string) *bcUpsert {
		return &bcUpsert{pj: store.Job{ID: id, State: mustJSON(state{Reference: ref})}, ref: ref}
	}
	queue := []*bcUpsert{up("p1", "r1"), up("p2", "r1"), up("p3", "r2")}
	round := takeRound(&queue)
	if len(round) != 2 || round[0].pj.ID != "p1" || round[1].pj.ID != "p3" {
		t.Fatalf("round %v", ids(round))
	}
	if len(queue) != 1 || queue[0].pj.ID != "p2" {
		t.Fatalf("left %v", ids(queue))
	}
}

func ids(us []*bcUpsert) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.pj.ID)
	}
	return out
}

// BC's row counts as newer only when it leads by more than a second (BC
// rounds DateTime to about 3 ms).
func TestNewerInBC(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	rec := map[string]any{"lastChangedAt": at.Format(time.RFC3339Nano)}
	for _, c := range []struct {
		row  time.Duration
		want bool
	}{{-time.Minute, false}, {3 * time.Millisecond, false}, {time.Second, false}, {2 * time.Second, true}} {
		row := bc.Entity{"lastChangedAt": at.Add(c.row).Format(time.RFC3339Nano)}
		if got := newerInBC(row, rec); got != c.want {
			t.Errorf("BC %v ahead: newer %v, want %v", c.row, got, c.want)
		}
	}
	if newerInBC(bc.Entity{}, rec) {
		t.Error("a row without lastChangedAt counts as newer")
	}
}
