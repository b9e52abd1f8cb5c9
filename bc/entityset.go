package bc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
)

// entitySet is the typed core shared by CustomerService and EntitySet: item
// URLs, ETag-guarded writes and the conflict loop.
type entitySet struct {
	t            *transport
	url          string // …/companies(<id>)/<entitySet>
	name         string // for error messages
	pageSize     int
	maxConflicts int
	// textKey: the key field is text, so every key is quoted, also one
	// that looks like a GUID (a bare GUID is an Edm.Guid literal, which BC
	// refuses for a text key).
	textKey bool
}

func (c *Client) entitySet(companyURL, name string) entitySet {
	return entitySet{t: c.t, url: companyURL + "/" + name, name: name,
		pageSize: c.cfg.PageSize, maxConflicts: c.cfg.MaxConflictRetries}
}

func (e entitySet) itemURL(id string) string { return e.url + e.key(id) }

// key formats id as the entity set's key segment.
func (e entitySet) key(id string) string {
	if e.textKey {
		return textKeySegment(id)
	}
	return keySegment(id)
}

func get[T any](ctx context.Context, e entitySet, id string) (*T, error) {
	var out T
	if err := e.t.sendJSON(ctx, "GET", e.itemURL(id), nil, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

func list[T any](ctx context.Context, e entitySet, o ListOptions) iter.Seq2[T, error] {
	size := o.PageSize
	if size <= 0 {
		size = e.pageSize
	}
	return listPages[T](ctx, e.t, e.url+o.query(), size)
}

func create[T any](ctx context.Context, e entitySet, body any) (*T, error) {
	var out T
	if err := e.t.sendJSON(ctx, "POST", e.url, nil, body, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}

// patch sends an ETag-guarded PATCH. An empty etag is refused here: the
// client never sends If-Match: * (that would overwrite other users' work).
func patch[T any](ctx context.Context, e entitySet, id, etag string, body any) (*T, error) {
	if etag == "" {
		return nil, ErrNoETag
	}
	var out T
	h := map[string]string{"If-Match": etag}
	if err := e.t.sendJSON(ctx, "PATCH", e.itemURL(id), h, body, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

func del(ctx context.Context, e entitySet, id, etag string) error {
	if etag == "" {
		return ErrNoETag
	}
	return e.t.sendJSON(ctx, "DELETE", e.itemURL(id), map[string]string{"If-Match": etag}, nil, nil, true)
}

// ErrNoETag is returned for a write without the entity's @odata.etag.
var ErrNoETag = errors.New("bc: no @odata.etag to send as If-Match (the client never sends If-Match: *)")

// modify reads the entity, lets change compute the PATCH body and sends it
// with the entity's ETag. On a concurrency conflict (409
// Request_EntityChanged or 412) it reads the entity again and calls change
// again on the fresh state, at most e.maxConflicts times. An empty change
// sends nothing and returns the current entity.
func modify[T any](ctx context.Context, e entitySet, id string, etagOf func(*T) string, change func(*T) (map[string]any, error)) (*T, error) {
	var lastErr error
	for attempt := 0; attempt <= e.maxConflicts; attempt++ {
		cur, err := get[T](ctx, e, id)
		if err != nil {
			return nil, err
		}
		body, err := change(cur)
		if err != nil {
			return nil, err
		}
		if len(body) == 0 {
			return cur, nil
		}
		out, err := patch[T](ctx, e, id, etagOf(cur), body)
		if err == nil {
			return out, nil
		}
		if !IsConflict(err) {
			return nil, err
		}
		lastErr = err
		e.t.logger.InfoContext(ctx, "bc update conflict, re-reading", "entitySet", e.name, "attempt", attempt)
	}
	return nil, fmt.Errorf("gave up after %d concurrency conflicts: %w", e.maxConflicts+1, lastErr)
}

// Entity is one entity of a custom API page, as BC returns it.
type Entity map[string]any

// ID returns the entity's "id" (SystemId on pages keyed that way).
func (e Entity) ID() string { s, _ := e["id"].(string); return s }

// ETag returns the entity's @odata.etag.
func (e Entity) ETag() string { s, _ := e["@odata.etag"].(string); return s }

// Decode converts the entity into v (a pointer to a struct with JSON tags).
func (e Entity) Decode(v any) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("decode entity: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode entity: %w", err)
	}
	return nil
}

// EntitySet is generic access to an entity set of a custom API page:
// {root}/api/{publisher}/{group}/{version}/companies({company})/{entitySet}.
// Paging, ETags, retries and errors work as for customers.
type EntitySet struct {
	es entitySet
	// root is the custom API's root, where its $batch is; rel is the entity
	// set's path below it.
	root, rel string
}

// EntitySet returns access to a custom API entity set of the client's
// company, e.g. c.EntitySet("bcvipps", "payments", "v1.0", "vippsPayments").
func (c *Client) EntitySet(publisher, group, version, entitySet string) *EntitySet {
	root := c.cfg.customAPIRoot(publisher, group, version)
	rel := "companies(" + c.cfg.CompanyID + ")"
	return &EntitySet{es: c.entitySet(root+"/"+rel, entitySet), root: root, rel: rel + "/" + entitySet}
}

// TextKeys returns the entity set with its keys always sent as text
// literals: for an API page whose ODataKeyFields is a Text field (a payment
// reference may look like a GUID, and BC refuses a GUID literal for a
// text key).
func (s *EntitySet) TextKeys() *EntitySet {
	t := *s
	t.es.textKey = true
	return &t
}

// CreateOp is a $batch operation that inserts body (see Batch).
func (s *EntitySet) CreateOp(body any) BatchOperation {
	return BatchOperation{Method: "POST", URL: s.rel, Body: body}
}

// UpdateOp is a $batch operation that patches entity id with If-Match
// etag (see Batch).
func (s *EntitySet) UpdateOp(id, etag string, body any) BatchOperation {
	return BatchOperation{Method: "PATCH", URL: s.rel + s.es.key(id), Headers: map[string]string{"If-Match": etag}, Body: body}
}

// Batch sends operations of this entity set (CreateOp, UpdateOp) as
// $batch requests to its custom API's root, as Client.Batch does for the
// standard API.
func (s *EntitySet) Batch(ctx context.Context, ops []BatchOperation, opts BatchOptions) ([]BatchResult, error) {
	return batch(ctx, s.es.t, s.root, ops, opts)
}

// URL is the entity set's absolute URL.
func (s *EntitySet) URL() string { return s.es.url }

// Get reads one entity (GET …/{entitySet}({id})).
func (s *EntitySet) Get(ctx context.Context, id string) (Entity, error) {
	e, err := get[Entity](ctx, s.es, id)
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", s.es.name, id, err)
	}
	return *e, nil
}

// List reads the entity set page by page (GET …/{entitySet}).
func (s *EntitySet) List(ctx context.Context, o ListOptions) iter.Seq2[Entity, error] {
	return list[Entity](ctx, s.es, o)
}

// Create inserts an entity (POST …/{entitySet}).
func (s *EntitySet) Create(ctx context.Context, body any) (Entity, error) {
	e, err := create[Entity](ctx, s.es, body)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", s.es.name, err)
	}
	return *e, nil
}

// Update patches the entity whose current ETag is etag (PATCH with
// If-Match). A stale etag fails with an error for which IsConflict is true.
func (s *EntitySet) Update(ctx context.Context, id, etag string, body any) (Entity, error) {
	e, err := patch[Entity](ctx, s.es, id, etag, body)
	if err != nil {
		return nil, fmt.Errorf("update %s %s: %w", s.es.name, id, err)
	}
	return *e, nil
}

// Modify is Update with the conflict loop of CustomerService.Update.
func (s *EntitySet) Modify(ctx context.Context, id string, change func(current Entity) (map[string]any, error)) (Entity, error) {
	e, err := modify(ctx, s.es, id, func(e *Entity) string { return e.ETag() },
		func(e *Entity) (map[string]any, error) { return change(*e) })
	if err != nil {
		return nil, fmt.Errorf("modify %s %s: %w", s.es.name, id, err)
	}
	return *e, nil
}

// Delete removes the entity whose current ETag is etag.
func (s *EntitySet) Delete(ctx context.Context, id, etag string) error {
	if err := del(ctx, s.es, id, etag); err != nil {
		return fmt.Errorf("delete %s %s: %w", s.es.name, id, err)
	}
	return nil
}
