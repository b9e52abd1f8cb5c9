package bctest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Collection queries: $filter, $select, $orderby, $top, $skip and
// server-driven paging (Prefer: odata.maxpagesize, $skiptoken in an absolute
// @odata.nextLink).

var supportedQueryOptions = map[string]bool{
	"$filter": true, "$select": true, "$orderby": true, "$top": true, "$skip": true, "$skiptoken": true,
	"$count": true, "$schemaversion": true,
}

type orderKey struct {
	field string
	desc  bool
}

func badQuery(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, CodeBadRequest, format, args...)
}

func unknownProperty(es entitySet, name string) *apiError {
	return badQuery("Could not find a property named '%s' on type 'Microsoft.NAV.%s'.", name, es.typeName)
}

func (es entitySet) knows(name string) bool {
	if es.fields == nil {
		return true // custom API entity sets are open types here
	}
	_, ok := es.fields[name]
	return ok
}

func parseSelect(sel string, es entitySet) ([]string, *apiError) {
	var out []string
	for _, f := range strings.Split(sel, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !es.knows(f) {
			return nil, unknownProperty(es, f)
		}
		out = append(out, f)
	}
	return out, nil
}

func project(v map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for k, val := range v {
		if strings.HasPrefix(k, "@odata.") {
			out[k] = val
		}
	}
	for _, f := range fields {
		out[f] = v[f]
	}
	return out
}

func parseOrderBy(s string, es entitySet) ([]orderKey, *apiError) {
	var out []orderKey
	for _, part := range strings.Split(s, ",") {
		f := strings.Fields(part)
		if len(f) == 0 || len(f) > 2 {
			return nil, badQuery("Syntax error in $orderby '%s'.", s)
		}
		k := orderKey{field: f[0]}
		if len(f) == 2 {
			switch strings.ToLower(f[1]) {
			case "asc":
			case "desc":
				k.desc = true
			default:
				return nil, badQuery("Syntax error in $orderby '%s'.", s)
			}
		}
		if !es.knows(k.field) {
			return nil, unknownProperty(es, k.field)
		}
		out = append(out, k)
	}
	return out, nil
}

// sortKey is a row's position in the requested order: the ordered field
// values and the creation sequence as the tie-breaker.
func sortKey(r *record, keys []orderKey) []any {
	out := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, r.fields[k.field])
	}
	return append(out, float64(r.created))
}

func compareKeys(a, b []any, keys []orderKey) int {
	for i := range a {
		if i >= len(b) {
			return 1
		}
		c := compareValues(a[i], b[i])
		if i < len(keys) && keys[i].desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func encodeSkipToken(k []any) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSkipToken(s string) ([]any, bool) {
	b, err := base64.RawURLEncoding.DecodeString(strings.Trim(s, "'"))
	if err != nil {
		return nil, false
	}
	var k []any
	if json.Unmarshal(b, &k) != nil {
		return nil, false
	}
	return k, true
}

// preferredPageSize reads Prefer: odata.maxpagesize=N.
func preferredPageSize(h http.Header) (int, bool) {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), odataMaxPageSizePreferKey) {
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n > 0 {
					return n, true
				}
			}
		}
	}
	return 0, false
}

func (s *Sim) list(req apiReq, companyID string, es entitySet, ctxBase string) response {
	for k := range req.query {
		if strings.HasPrefix(k, "$") && !supportedQueryOptions[k] {
			return errorResponse(badQuery("The query parameter '%s' is not supported.", k))
		}
	}
	var filter node
	if f := req.query.Get("$filter"); f != "" {
		n, err := parseFilter(f)
		if err != nil {
			return errorResponse(badQuery("%s", upperFirst(err.Error())+"."))
		}
		for _, p := range properties(n) {
			if !es.knows(p) {
				return errorResponse(unknownProperty(es, p))
			}
		}
		filter = n
	}
	var sel []string
	if v := req.query.Get("$select"); v != "" {
		var e *apiError
		if sel, e = parseSelect(v, es); e != nil {
			return errorResponse(e)
		}
	}
	keys := []orderKey{}
	if es.defaultBy != "" {
		keys = append(keys, orderKey{field: es.defaultBy})
	}
	if v := req.query.Get("$orderby"); v != "" {
		var e *apiError
		if keys, e = parseOrderBy(v, es); e != nil {
			return errorResponse(e)
		}
	}
	top, skip := -1, 0
	for name, dst := range map[string]*int{"$top": &top, "$skip": &skip} {
		if v := req.query.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errorResponse(badQuery("Invalid value '%s' for %s query option found.", v, name))
			}
			*dst = n
		}
	}
	pageSize := s.pageSize
	prefer, preferred := preferredPageSize(req.header)
	if preferred {
		pageSize = min(prefer, maxServerPageSize)
	}

	t := s.rows(companyID, es)
	candidates := t.rows
	if keyed, ok := keyCandidates(t, es, filter); ok {
		candidates = keyed
	}
	rows := make([]*record, 0, len(candidates))
	for _, r := range candidates {
		if filter != nil {
			ok, err := evalFilter(filter, r.fields)
			if err != nil {
				return errorResponse(badQuery("%s", upperFirst(err.Error())+"."))
			}
			if !ok {
				continue
			}
		}
		rows = append(rows, r)
	}
	count := len(rows) // @odata.count ignores paging, $skip and $top
	sort.Slice(rows, func(i, j int) bool { return compareKeys(sortKey(rows[i], keys), sortKey(rows[j], keys), keys) < 0 })
	if tok := req.query.Get("$skiptoken"); tok != "" {
		last, ok := decodeSkipToken(tok)
		if !ok {
			return errorResponse(badQuery("The skip token value '%s' is not valid.", tok))
		}
		start := sort.Search(len(rows), func(i int) bool { return compareKeys(sortKey(rows[i], keys), last, keys) > 0 })
		rows = rows[start:]
	} else if skip > 0 {
		rows = rows[min(skip, len(rows)):]
	}
	if top >= 0 && top < len(rows) {
		rows = rows[:top]
	}
	var next string
	if len(rows) > pageSize {
		rows = rows[:pageSize]
		q := url.Values{}
		for k, v := range req.query {
			if k != "$skiptoken" && k != "$skip" {
				q[k] = v
			}
		}
		if top >= 0 {
			q.Set("$top", strconv.Itoa(top-pageSize))
		}
		q.Set("$skiptoken", encodeSkipToken(sortKey(rows[len(rows)-1], keys)))
		next = req.root + "/" + strings.TrimPrefix(req.path, "/") + "?" + q.Encode()
	}
	values := make([]any, 0, len(rows))
	for _, r := range rows {
		v := r.view()
		if sel != nil {
			v = project(v, sel)
		}
		values = append(values, v)
	}
	ctx := ctxBase
	if sel != nil {
		ctx += "(" + strings.Join(sel, ",") + ")"
	}
	body := map[string]any{"@odata.context": ctx, "value": values}
	switch strings.ToLower(req.query.Get("$count")) {
	case "":
	case "true":
		body["@odata.count"] = count
	case "false":
	default:
		return errorResponse(badQuery("Invalid value '%s' for $count query option found.", req.query.Get("$count")))
	}
	if next != "" {
		body["@odata.nextLink"] = next
	}
	h := http.Header{}
	if preferred {
		h.Set("Preference-Applied", odataMaxPageSizePreferKey+"="+strconv.Itoa(pageSize))
	}
	return response{status: http.StatusOK, header: h, body: body}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// keyCandidates narrows a filter on the entity set's key of a custom
// entity set ("key eq 'x'", "key eq 'x' or key eq 'y'", or "key in ('x',
// 'y')") to the records with those keys, as BC's SQL index would, instead
// of every record; the filter is still evaluated on each of them. ok is
// false for any other filter.
func keyCandidates(t *table, es entitySet, filter node) (map[string]*record, bool) {
	if es.fields != nil || es.keyField == "" || filter == nil {
		return nil, false // built-in entity sets: no key index
	}
	values, ok := keyValues(es.keyField, filter)
	if !ok {
		return nil, false
	}
	idx := t.keyIndex(es.keyField)
	out := make(map[string]*record, len(values))
	for _, v := range values {
		if r := idx[strings.ToLower(toString(v))]; r != nil {
			out[strings.ToLower(toString(r.fields["id"]))] = r
		}
	}
	return out, true
}

// keyValues returns the literal keys a filter on field selects.
func keyValues(field string, n node) ([]any, bool) {
	switch f := n.(type) {
	case binary:
		switch f.op {
		case "or":
			l, ok := keyValues(field, f.l)
			if !ok {
				return nil, false
			}
			r, ok := keyValues(field, f.r)
			return append(l, r...), ok
		case "eq":
			p, ok := f.l.(propRef)
			lit, isLit := f.r.(literal)
			if ok && isLit && p.name == field {
				return []any{lit.v}, true
			}
		}
	case inNode:
		p, ok := f.x.(propRef)
		if !ok || p.name != field {
			return nil, false
		}
		var out []any
		for _, v := range f.list {
			lit, ok := v.(literal)
			if !ok {
				return nil, false
			}
			out = append(out, lit.v)
		}
		return out, true
	}
	return nil, false
}
