package bctest

import (
	"encoding/base64"
	"sort"
	"strconv"
	"time"
)

// record is one stored entity: its JSON fields and the write sequence that
// its ETag is derived from.
type record struct {
	fields  map[string]any
	seq     int64 // changes on every write; the ETag is derived from it
	created int64 // creation order, the default order of custom entity sets
}

func (r *record) etag() string {
	id, _ := r.fields["id"].(string)
	raw := "'" + strconv.FormatInt(r.seq, 10) + ";" + id + ";'"
	return `W/"` + base64.StdEncoding.EncodeToString([]byte(raw)) + `"`
}

// view returns the entity as the API returns it: its fields plus @odata.etag.
func (r *record) view() map[string]any {
	out := make(map[string]any, len(r.fields)+1)
	out["@odata.etag"] = r.etag()
	for k, v := range r.fields {
		out[k] = deepCopy(v)
	}
	return out
}

func (r *record) clone() *record {
	return &record{fields: deepCopy(r.fields).(map[string]any), seq: r.seq, created: r.created}
}

// table is one entity set of one company (or the NP Retail member table).
type table struct {
	rows map[string]*record
	// byKey indexes the rows of a custom entity set by its key field
	// (keyed field name, then the lower-cased value); built on first use,
	// kept on create (keys never change), dropped on delete.
	byKey map[string]map[string]*record
}

func newTable() *table { return &table{rows: map[string]*record{}} }

func (t *table) clone() *table {
	c := newTable()
	for k, r := range t.rows {
		c.rows[k] = r.clone()
	}
	return c
}

// sorted returns the rows ordered by the given field (then by creation).
func (t *table) sorted(byField string) []*record {
	out := make([]*record, 0, len(t.rows))
	for _, r := range t.rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if byField != "" {
			if c := compareValues(out[i].fields[byField], out[j].fields[byField]); c != 0 {
				return c < 0
			}
		}
		return out[i].created < out[j].created
	})
	return out
}

// company is a BC company of one tenant and environment.
type company struct {
	ID          string
	TenantID    string
	Environment string
	Name        string
	DisplayName string
	Modified    time.Time
}

type tableKey struct {
	companyID string
	set       string // "customers" or "publisher/group/version/entitySet"
}

// state is everything a snapshot $batch may have to roll back.
type state struct {
	companies   map[string]*company
	tables      map[tableKey]*table
	members     *table
	memberships *table
	seq         int64
}

func newState() *state {
	return &state{
		companies:   map[string]*company{},
		tables:      map[tableKey]*table{},
		members:     newTable(),
		memberships: newTable(),
	}
}

func (s *state) clone() *state {
	c := &state{
		companies:   make(map[string]*company, len(s.companies)),
		tables:      make(map[tableKey]*table, len(s.tables)),
		members:     s.members.clone(),
		memberships: s.memberships.clone(),
		seq:         s.seq,
	}
	for k, v := range s.companies {
		cp := *v
		c.companies[k] = &cp
	}
	for k, v := range s.tables {
		c.tables[k] = v.clone()
	}
	return c
}

func (s *state) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (s *state) table(companyID, set string) *table {
	k := tableKey{companyID, set}
	t, ok := s.tables[k]
	if !ok {
		t = newTable()
		s.tables[k] = t
	}
	return t
}

// deepCopy copies JSON-like values (maps, slices, primitives).
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	default:
		return v
	}
}
