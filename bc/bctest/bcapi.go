package bctest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// apiReq is one request to the simulated BC API, from the wire or from a
// $batch operation.
type apiReq struct {
	method string
	tenant string // from the URL, or the token's tenant when the URL has none
	env    string
	api    string   // "" for API v2.0, else "publisher/group/version"
	segs   []string // path below the API root, e.g. companies(x), customers(y)
	query  url.Values
	header http.Header
	body   []byte
	root   string // absolute URL of the API root, for @odata.context and nextLink
	path   string // path below the root as sent, for nextLink
	anyTen bool   // basic auth: no tenant check
}

// BCHandler returns the handler of the BC listener: the BC API under /v2.0/,
// the NP Retail API under /npretail/ and the control API under /_sim/.
func (s *Sim) BCHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/_sim/", s.controlHandler())
	mux.Handle("/npretail/", s.npRetailHandler())
	mux.HandleFunc("/v2.0/", s.serveBC)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, errf(http.StatusNotFound, CodeNotFound, "Bad Request - Error in query syntax."))
	})
	return mux
}

// serveBC is the BC API entry point: authentication, throttle and
// concurrency queue, injected faults, then the operation under the state
// lock.
func (s *Sim) serveBC(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	defer s.countRequest(rec)
	w = rec

	tenant, env, api, rest, root, ok := splitBCPath(r)
	if !ok {
		writeError(w, errf(http.StatusNotFound, CodeNotFound, "Bad Request - Error in query syntax."))
		return
	}
	p, e := s.authenticate(r, tenant)
	if e != nil {
		writeError(w, e)
		return
	}
	release, e := s.admit(r.Context(), p)
	if e != nil {
		writeError(w, e)
		return
	}
	defer release()
	// Faults act inside the principal's slot: injected latency keeps the
	// request in flight like a slow BC would.
	if e := s.applyFault(r.Context(), r); e != nil {
		writeError(w, e)
		return
	}

	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, errf(http.StatusBadRequest, CodeBadRequest, "The request body could not be read."))
		return
	}
	if tenant == "" {
		tenant = p.tenant
	}
	req := apiReq{
		method: r.Method, tenant: tenant, env: env, api: api, segs: splitSegments(rest),
		query: r.URL.Query(), header: r.Header, body: body, root: root, path: rest,
		anyTen: p.tenant == "basic",
	}
	if len(req.segs) == 1 && req.segs[0] == "$batch" {
		writeResponse(w, s.serveBatch(r.Context(), req))
		return
	}
	s.mu.Lock()
	resp := s.do(req)
	s.mu.Unlock()
	writeResponse(w, resp)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Sim) countRequest(rec *statusRecorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	s.stats.ByStatus[rec.status]++
	if rec.status == http.StatusTooManyRequests {
		s.stats.Throttled++
	}
}

// splitBCPath splits /v2.0/[{tenant}/]{environment}/api/... into its parts.
func splitBCPath(r *http.Request) (tenant, env, api, rest, root string, ok bool) {
	p := strings.TrimPrefix(r.URL.Path, "/v2.0/")
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 3 {
		return "", "", "", "", "", false
	}
	prefix := "/v2.0/"
	if parts[1] == "api" {
		env = parts[0]
		prefix += parts[0] + "/api/"
		p = parts[2]
	} else {
		more := strings.SplitN(parts[2], "/", 2)
		if len(more) < 2 || more[0] != "api" {
			return "", "", "", "", "", false
		}
		tenant, env = parts[0], parts[1]
		prefix += parts[0] + "/" + parts[1] + "/api/"
		p = more[1]
	}
	if v, after, found := strings.Cut(p, "/"); found && v == "v2.0" {
		return tenant, env, "", after, requestBase(r) + prefix + "v2.0", true
	} else if v == "v2.0" {
		return tenant, env, "", "", requestBase(r) + prefix + "v2.0", true
	}
	seg := strings.SplitN(p, "/", 4)
	if len(seg) < 3 {
		return "", "", "", "", "", false
	}
	api = strings.Join(seg[:3], "/")
	if len(seg) == 4 {
		rest = seg[3]
	}
	return tenant, env, api, rest, requestBase(r) + prefix + api, true
}

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func splitSegments(p string) []string {
	var out []string
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseSegment splits "customers(key)" into "customers" and "key" (quotes
// removed, ” unescaped). hasKey reports whether parentheses were present.
func parseSegment(seg string) (name, key string, hasKey bool, ok bool) {
	open := strings.IndexByte(seg, '(')
	if open < 0 {
		return seg, "", false, true
	}
	if !strings.HasSuffix(seg, ")") {
		return "", "", false, false
	}
	name, key = seg[:open], seg[open+1:len(seg)-1]
	if strings.HasPrefix(key, "'") && strings.HasSuffix(key, "'") && len(key) >= 2 {
		key = strings.ReplaceAll(key[1:len(key)-1], "''", "'")
	}
	return name, key, true, true
}

// do runs one API operation. The caller holds s.mu.
func (s *Sim) do(req apiReq) response {
	notFound := errorResponse(errf(http.StatusNotFound, CodeNotFound, "The specified resource was not found."))
	if len(req.segs) == 0 {
		return response{status: http.StatusOK, body: map[string]any{
			"@odata.context": req.root + "/$metadata",
			"value":          []any{map[string]any{"name": "companies", "kind": "EntitySet", "url": "companies"}},
		}}
	}
	name, key, hasKey, ok := parseSegment(req.segs[0])
	if !ok || name != "companies" {
		return notFound
	}
	if !s.environmentExists(req) {
		return notFound
	}
	if !hasKey {
		if len(req.segs) > 1 {
			return notFound
		}
		if req.method != http.MethodGet {
			return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The %s method is not allowed on companies.", req.method))
		}
		return s.listCompanies(req)
	}
	co, ok := s.st.companies[strings.ToLower(key)]
	if !ok || !s.companyVisible(req, co) {
		return notFound
	}
	if len(req.segs) == 1 {
		if req.method != http.MethodGet {
			return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The %s method is not allowed on a company.", req.method))
		}
		v := companyView(co)
		v["@odata.context"] = req.root + "/$metadata#companies/$entity"
		return response{status: http.StatusOK, body: v}
	}
	if len(req.segs) != 2 {
		return notFound
	}
	setName, id, hasID, ok := parseSegment(req.segs[1])
	if !ok {
		return notFound
	}
	es, ok := s.resolveSet(req.api, setName)
	if !ok {
		return notFound
	}
	if hasID && es.keyField != "id" && es.keyField != "systemId" && !strings.HasSuffix(req.segs[1], "')") {
		// A custom API page keyed by a Text field: a bare key is an Edm.Guid
		// (or number) literal, which BC refuses for a text key.
		return errorResponse(errf(http.StatusBadRequest, CodeBadRequest, "Bad Request - Error in query syntax."))
	}
	ctxBase := req.root + "/$metadata#companies(" + co.ID + ")/" + setName
	if !hasID {
		switch req.method {
		case http.MethodGet:
			return s.list(req, co.ID, es, ctxBase)
		case http.MethodPost:
			return s.create(req, co.ID, es, ctxBase)
		}
		return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The %s method is not allowed on an entity set.", req.method))
	}
	switch req.method {
	case http.MethodGet:
		return s.getOne(req, co.ID, es, id, ctxBase)
	case http.MethodPatch:
		return s.patch(req, co.ID, es, id, ctxBase)
	case http.MethodDelete:
		return s.delete(req, co.ID, es, id)
	}
	return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The %s method is not allowed on an entity.", req.method))
}

func (s *Sim) companyVisible(req apiReq, co *company) bool {
	return (req.anyTen || strings.EqualFold(co.TenantID, req.tenant)) && co.Environment == req.env
}

func (s *Sim) environmentExists(req apiReq) bool {
	for _, co := range s.st.companies {
		if s.companyVisible(req, co) {
			return true
		}
	}
	return false
}

func companyView(co *company) map[string]any {
	return map[string]any{
		"id": co.ID, "systemVersion": "26.0.0.0", "timestamp": 0, "name": co.Name,
		"displayName": co.DisplayName, "businessProfileId": "",
		"systemCreatedAt": formatTime(co.Modified), "systemCreatedBy": zeroGUID,
		"systemModifiedAt": formatTime(co.Modified), "systemModifiedBy": zeroGUID,
	}
}

func (s *Sim) listCompanies(req apiReq) response {
	var out []any
	for _, id := range sortedKeys(s.st.companies) {
		if co := s.st.companies[id]; s.companyVisible(req, co) {
			out = append(out, companyView(co))
		}
	}
	return response{status: http.StatusOK, body: map[string]any{
		"@odata.context": req.root + "/$metadata#companies", "value": out,
	}}
}

// entitySet is what the API serves under a company: customers,
// countriesRegions, or a registered custom API entity set.
type entitySet struct {
	name      string
	storeKey  string // table name in the state
	keyField  string
	fields    map[string]*fieldDef // nil: open type (custom API)
	typeName  string
	readOnly  bool
	defaultBy string
}

func (s *Sim) resolveSet(api, name string) (entitySet, bool) {
	if api == "" {
		switch name {
		case "customers":
			return entitySet{name: name, storeKey: "customers", keyField: "id", fields: customerFieldIndex,
				typeName: "customer", defaultBy: "number"}, true
		case "countriesRegions":
			return entitySet{name: name, storeKey: "countriesRegions", keyField: "id", readOnly: true,
				typeName: "countryRegion", defaultBy: "code",
				fields: map[string]*fieldDef{"id": {name: "id"}, "code": {name: "code"}, "displayName": {name: "displayName"},
					"addressFormat": {name: "addressFormat"}, "lastModifiedDateTime": {name: "lastModifiedDateTime"}}}, true
		}
		return entitySet{}, false
	}
	def, ok := s.entitySets[api+"/"+name]
	if !ok {
		return entitySet{}, false
	}
	return entitySet{name: name, storeKey: api + "/" + name, keyField: def.keyField, typeName: name}, true
}

// rows returns the table behind an entity set (countries are generated).
func (s *Sim) rows(companyID string, es entitySet) *table {
	if es.storeKey == "countriesRegions" {
		t := newTable()
		for i, code := range sortedKeys(countries) {
			id := "c0c0c0c0-0000-4000-8000-" + strings.Repeat("0", 10) + code
			t.rows[id] = &record{seq: 1, created: int64(i), fields: map[string]any{
				"id": strings.ToLower(id), "code": code, "displayName": countries[code],
				"addressFormat": "Post Code+City", "lastModifiedDateTime": "2024-01-01T00:00:00.000Z",
			}}
		}
		return t
	}
	return s.st.table(companyID, es.storeKey)
}

func entityResponse(status int, r *record, ctxBase string, extra http.Header) response {
	v := r.view()
	v["@odata.context"] = ctxBase + "/$entity"
	h := http.Header{"Etag": {r.etag()}}
	for k, vals := range extra {
		h[k] = vals
	}
	return response{status: status, header: h, body: v}
}

func decodeBody(b []byte) (map[string]any, *apiError) {
	var body map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, errf(http.StatusBadRequest, CodeBadRequest, "The request body is not a valid JSON object.")
	}
	return body, nil
}

func (s *Sim) findRow(t *table, es entitySet, key string) (*record, bool) {
	if es.keyField == "id" {
		r, ok := t.rows[strings.ToLower(key)]
		return r, ok
	}
	r, ok := t.keyIndex(es.keyField)[strings.ToLower(key)]
	return r, ok
}

// keyIndex returns the rows by the value of field, building it once.
func (t *table) keyIndex(field string) map[string]*record {
	if t.byKey == nil {
		t.byKey = map[string]map[string]*record{}
	}
	idx, ok := t.byKey[field]
	if !ok {
		idx = make(map[string]*record, len(t.rows))
		for _, r := range t.rows {
			if v, ok := r.fields[field]; ok {
				idx[strings.ToLower(toString(v))] = r
			}
		}
		t.byKey[field] = idx
	}
	return idx
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Sim) getOne(req apiReq, companyID string, es entitySet, id, ctxBase string) response {
	r, ok := s.findRow(s.rows(companyID, es), es, id)
	if !ok {
		return errorResponse(errf(http.StatusNotFound, CodeNotFound, "The %s with the specified key does not exist.", es.typeName))
	}
	resp := entityResponse(http.StatusOK, r, ctxBase, nil)
	if sel := req.query.Get("$select"); sel != "" {
		fields, e := parseSelect(sel, es)
		if e != nil {
			return errorResponse(e)
		}
		resp.body = project(resp.body.(map[string]any), fields)
	}
	return resp
}

func (s *Sim) create(req apiReq, companyID string, es entitySet, ctxBase string) response {
	if es.readOnly {
		return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The entity set %s is read-only.", es.name))
	}
	body, e := decodeBody(req.body)
	if e != nil {
		return errorResponse(e)
	}
	t := s.rows(companyID, es)
	if es.storeKey == "customers" {
		v, e := s.createCustomerLocked(companyID, "", body)
		if e != nil {
			return errorResponse(e)
		}
		r := t.rows[v["id"].(string)]
		return entityResponse(http.StatusCreated, r, ctxBase, http.Header{"Location": {req.root + "/companies(" + companyID + ")/customers(" + r.fields["id"].(string) + ")"}})
	}
	r, key, e := s.insertEntityLocked(t, es, body)
	if e != nil {
		return errorResponse(e)
	}
	return entityResponse(http.StatusCreated, r, ctxBase, http.Header{"Location": {req.root + "/companies(" + companyID + ")/" + es.name + "(" + key + ")"}})
}

// insertEntityLocked inserts a record into a custom entity set's table and
// returns it with its key. s.mu is held.
func (s *Sim) insertEntityLocked(t *table, es entitySet, body map[string]any) (*record, string, *apiError) {
	fields := map[string]any{}
	for k, v := range body {
		if !strings.HasPrefix(k, "@odata.") {
			fields[k] = v
		}
	}
	key := toString(fields[es.keyField])
	if key == "" {
		if es.keyField != "id" && es.keyField != "systemId" {
			return nil, "", errf(http.StatusBadRequest, CodeDialogException, "%s must have a value in %s.", es.keyField, es.name)
		}
		key = newGUID()
		fields[es.keyField] = key
	}
	if _, dup := s.findRow(t, es, key); dup {
		return nil, "", errf(http.StatusBadRequest, CodeEntityWithSameKey, "The record in table %s already exists. Identification fields and values: %s='%s'", es.name, es.keyField, key)
	}
	if _, ok := fields["id"]; !ok {
		fields["id"] = newGUID()
	}
	fields["lastModifiedDateTime"] = formatTime(s.clock.Now())
	seq := s.st.nextSeq()
	r := &record{fields: fields, seq: seq, created: seq}
	t.rows[strings.ToLower(toString(fields["id"]))] = r
	if t.byKey != nil {
		if idx, ok := t.byKey[es.keyField]; ok {
			idx[strings.ToLower(key)] = r
		}
	}
	return r, key, nil
}

// checkIfMatch applies BC's concurrency rules for PATCH and DELETE.
func checkIfMatch(req apiReq, r *record) *apiError {
	im := strings.TrimSpace(req.header.Get("If-Match"))
	if im == "" {
		return errf(http.StatusBadRequest, CodeInvalidToken, "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
	}
	if im == "*" {
		return nil
	}
	if !strings.HasSuffix(im, `"`) || !(strings.HasPrefix(im, `W/"`) || strings.HasPrefix(im, `"`)) {
		return errf(http.StatusBadRequest, CodeInvalidToken, "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
	}
	if im != r.etag() {
		return errf(http.StatusConflict, CodeEntityChanged, "Another user has already changed the record.")
	}
	return nil
}

func (s *Sim) patch(req apiReq, companyID string, es entitySet, id, ctxBase string) response {
	if es.readOnly {
		return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The entity set %s is read-only.", es.name))
	}
	t := s.rows(companyID, es)
	r, ok := s.findRow(t, es, id)
	if !ok {
		return errorResponse(errf(http.StatusNotFound, CodeNotFound, "The %s with the specified key does not exist.", es.typeName))
	}
	if es.storeKey == "customers" {
		s.stats.PatchesByCustomer[r.fields["id"].(string)]++
	}
	if e := checkIfMatch(req, r); e != nil {
		return errorResponse(e)
	}
	body, e := decodeBody(req.body)
	if e != nil {
		return errorResponse(e)
	}
	if es.storeKey == "customers" {
		if n, ok := body["number"].(string); ok && !strings.EqualFold(n, r.fields["number"].(string)) {
			for _, o := range t.rows {
				if o != r && strings.EqualFold(o.fields["number"].(string), n) {
					return errorResponse(errf(http.StatusBadRequest, CodeEntityWithSameKey,
						"The record in table Customer already exists. Identification fields and values: No.='%s'", strings.ToUpper(n)))
				}
			}
		}
		if e := applyCustomer(r.fields, body, false); e != nil {
			return errorResponse(e)
		}
	} else {
		for k, v := range body {
			if strings.HasPrefix(k, "@odata.") || k == "id" || k == "lastModifiedDateTime" {
				continue
			}
			if k == es.keyField && toString(v) != toString(r.fields[k]) {
				return errorResponse(errf(http.StatusBadRequest, CodeBadRequest, "The key field %s cannot be changed.", k))
			}
			r.fields[k] = v
		}
	}
	r.fields["lastModifiedDateTime"] = formatTime(s.clock.Now())
	r.seq = s.st.nextSeq()
	return entityResponse(http.StatusOK, r, ctxBase, nil)
}

func (s *Sim) delete(req apiReq, companyID string, es entitySet, id string) response {
	if es.readOnly {
		return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The entity set %s is read-only.", es.name))
	}
	t := s.rows(companyID, es)
	r, ok := s.findRow(t, es, id)
	if !ok {
		return errorResponse(errf(http.StatusNotFound, CodeNotFound, "The %s with the specified key does not exist.", es.typeName))
	}
	if e := checkIfMatch(req, r); e != nil {
		return errorResponse(e)
	}
	for k, v := range t.rows {
		if v == r {
			delete(t.rows, k)
		}
	}
	t.byKey = nil
	return response{status: http.StatusNoContent}
}
