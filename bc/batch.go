package bc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// MaxBatchOperations is BC's limit of operations in one $batch request.
const MaxBatchOperations = 100

// BatchOperation is one request inside a $batch.
type BatchOperation struct {
	// ID names the operation inside its request; empty: the client numbers
	// it. IDs must be unique within a call.
	ID string
	// Method is GET, POST, PATCH or DELETE. PATCH and DELETE need an
	// If-Match header with the entity's @odata.etag.
	Method string
	// URL is relative to the root of the API the batch is sent to (the
	// v2.0 root for Client.Batch, the custom API's for EntitySet.Batch),
	// e.g. "companies(<id>)/customers(<id>)", or absolute under that root.
	URL string
	// Headers of the operation, e.g. If-Match.
	Headers map[string]string
	// Body is marshalled to JSON (nil: none).
	Body any
}

// BatchOptions change how a $batch is sent.
type BatchOptions struct {
	// Isolation sends "Isolation: snapshot": each $batch request of up to
	// 100 operations becomes one transaction that BC rolls back as a whole
	// if one operation fails. Sets larger than 100 are split, and each part
	// is its own transaction.
	Isolation bool
}

// BatchResult is the answer to one BatchOperation.
type BatchResult struct {
	ID      string            // the operation's ID
	Status  int               // its HTTP status
	Headers map[string]string // its response headers
	Body    json.RawMessage   // its response body (an entity, or BC's error)
	// Err is the decoded *Error when Status is not 2xx (IsConflict etc. work
	// on it), or an error when BC sent no answer for the operation.
	Err error
}

// Decode unmarshals the result's body into v.
func (r BatchResult) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("decode batch result %s: %w", r.ID, err)
	}
	return nil
}

type batchRequestItem struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type batchResponseItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Batch sends ops as JSON $batch requests of at most MaxBatchOperations
// each (POST {root}/$batch) and returns one result per operation, in the
// order of ops. A failed operation is reported in its result's Err; Batch
// itself fails only when a whole $batch request fails, and then returns the
// results of the requests already done.
func (c *Client) Batch(ctx context.Context, ops []BatchOperation, opts BatchOptions) ([]BatchResult, error) {
	return batch(ctx, c.t, c.root, ops, opts)
}

// batch sends ops as $batch requests to the API at root.
func batch(ctx context.Context, t *transport, root string, ops []BatchOperation, opts BatchOptions) ([]BatchResult, error) {
	items := make([]batchRequestItem, len(ops))
	ids := make(map[string]bool, len(ops))
	for i, op := range ops {
		id := op.ID
		if id == "" {
			id = strconv.Itoa(i + 1)
		}
		if ids[id] {
			return nil, fmt.Errorf("batch: operation id %q used twice", id)
		}
		ids[id] = true
		method := strings.ToUpper(op.Method)
		if (method == "PATCH" || method == "DELETE") && op.Headers["If-Match"] == "" {
			return nil, fmt.Errorf("batch: operation %s: %w", id, ErrNoETag)
		}
		items[i] = batchRequestItem{ID: id, Method: method, URL: op.URL, Headers: op.Headers}
		if op.Body != nil {
			b, err := json.Marshal(op.Body)
			if err != nil {
				return nil, fmt.Errorf("batch: operation %s: encode body: %w", id, err)
			}
			items[i].Body = b
		}
	}
	var headers map[string]string
	if opts.Isolation {
		headers = map[string]string{"Isolation": "snapshot"}
	}
	results := make([]BatchResult, 0, len(ops))
	for start := 0; start < len(items); start += MaxBatchOperations {
		chunk := items[start:min(start+MaxBatchOperations, len(items))]
		idempotent := true
		for _, it := range chunk {
			if it.Method == "POST" {
				idempotent = false
			}
		}
		var resp struct {
			Responses []batchResponseItem `json:"responses"`
		}
		body := struct {
			Requests []batchRequestItem `json:"requests"`
		}{chunk}
		if err := t.sendJSON(ctx, "POST", root+"/$batch", headers, body, &resp, idempotent); err != nil {
			return results, fmt.Errorf("batch (operations %d-%d): %w", start+1, start+len(chunk), err)
		}
		byID := make(map[string]batchResponseItem, len(resp.Responses))
		for _, r := range resp.Responses {
			byID[r.ID] = r
		}
		for _, it := range chunk {
			r, ok := byID[it.ID]
			res := BatchResult{ID: it.ID, Status: r.Status, Headers: r.Headers, Body: r.Body}
			switch {
			case !ok:
				res.Err = fmt.Errorf("batch: no response for operation %s", it.ID)
			case r.Status >= 400:
				res.Err = decodeError(ServiceBC, r.Status, headerOf(r.Headers), r.Body)
			}
			results = append(results, res)
		}
	}
	return results, nil
}

func headerOf(m map[string]string) http.Header {
	h := make(http.Header, len(m))
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}
