package bctest

import (
	"context"
	"encoding/json"

	"net/http"
	"net/url"
	"strings"
)

// JSON $batch: POST {root}/$batch with {"requests":[{"id","method","url",
// "headers","body"}]} answers {"responses":[{"id","status","headers","body"}]}.
// At most 100 operations. Without Isolation: snapshot each operation runs on
// its own; with it the whole batch runs under one lock and is rolled back
// when an operation fails: the failing operation keeps its error and every
// other operation is answered 424 Failed Dependency.

type batchRequest struct {
	Requests []batchOp `json:"requests"`
}

type batchOp struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

type batchOpResult struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

func (s *Sim) serveBatch(ctx context.Context, req apiReq) response {
	if req.method != http.MethodPost {
		return errorResponse(errf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The %s method is not allowed on $batch.", req.method))
	}
	if ct := req.header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return errorResponse(errf(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"The simulator supports JSON $batch only (Content-Type: application/json)."))
	}
	var br batchRequest
	if err := json.Unmarshal(req.body, &br); err != nil {
		return errorResponse(badQuery("The $batch request body is not valid JSON batch content."))
	}
	if len(br.Requests) > maxBatchOperations {
		return errorResponse(badQuery("The number of operations in a batch request (%d) exceeds the maximum of %d.", len(br.Requests), maxBatchOperations))
	}
	ops := make([]apiReq, len(br.Requests))
	for i, op := range br.Requests {
		r, e := s.batchOpRequest(req, op)
		if e != nil {
			return errorResponse(e)
		}
		ops[i] = r
	}
	snapshot := strings.EqualFold(strings.TrimSpace(req.header.Get("Isolation")), "snapshot")

	s.mu.Lock()
	s.stats.Batches++
	s.stats.BatchOperations += len(ops)
	s.mu.Unlock()

	results := make([]batchOpResult, len(ops))
	if snapshot {
		s.mu.Lock()
		saved := s.st.clone()
		failed := -1
		for i, op := range ops {
			if ctx.Err() != nil {
				failed = i
				results[i] = opResult(br.Requests[i].ID, errorResponse(errf(http.StatusRequestTimeout, CodeInternalError, "The request was canceled.")))
				break
			}
			results[i] = opResult(br.Requests[i].ID, s.do(op))
			if results[i].Status >= 400 {
				failed = i
				break
			}
		}
		if failed >= 0 {
			s.st = saved
			for i := range results {
				if i != failed {
					results[i] = opResult(br.Requests[i].ID, errorResponse(errf(http.StatusFailedDependency, CodeBadRequest,
						"The operation was rolled back because operation '%s' of the transactional batch failed.", br.Requests[failed].ID)))
				}
			}
		}
		s.mu.Unlock()
	} else {
		for i, op := range ops {
			s.mu.Lock()
			results[i] = opResult(br.Requests[i].ID, s.do(op))
			s.mu.Unlock()
		}
	}
	return response{status: http.StatusOK, header: http.Header{"Content-Type": {contentTypeJSON}},
		body: map[string]any{"responses": results}}
}

// batchOpRequest turns one operation into an API request relative to the
// batch's API root. Absolute URLs under the same root are accepted too.
func (s *Sim) batchOpRequest(batch apiReq, op batchOp) (apiReq, *apiError) {
	if op.ID == "" {
		return apiReq{}, badQuery("Every operation of a $batch request needs an id.")
	}
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete:
	default:
		return apiReq{}, badQuery("The method '%s' of operation '%s' is not supported in a $batch request.", op.Method, op.ID)
	}
	raw := op.URL
	if strings.Contains(raw, "://") {
		rootURL, err1 := url.Parse(batch.root)
		u, err2 := url.Parse(raw)
		if err1 != nil || err2 != nil || !strings.HasPrefix(u.Path, rootURL.Path) {
			return apiReq{}, badQuery("The URL of operation '%s' is not under the batch's API root.", op.ID)
		}
		raw = strings.TrimPrefix(u.EscapedPath(), rootURL.EscapedPath())
		if u.RawQuery != "" {
			raw += "?" + u.RawQuery
		}
	}
	raw = strings.TrimPrefix(raw, "/")
	escaped, rawQuery, _ := strings.Cut(raw, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return apiReq{}, badQuery("The URL of operation '%s' has an invalid query.", op.ID)
	}
	// An operation's URL is percent-encoded like any other (a quoted key
	// is ('%27ref%27')); the server decodes it as it does a request path.
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return apiReq{}, badQuery("The URL of operation '%s' has an invalid path.", op.ID)
	}
	segs := splitSegments(path)
	if len(segs) > 0 && segs[0] == "$batch" {
		return apiReq{}, badQuery("A $batch request cannot contain another $batch request.")
	}
	h := http.Header{}
	for k, v := range op.Headers {
		h.Set(k, v)
	}
	var body []byte
	if len(op.Body) > 0 && string(op.Body) != "null" {
		body = op.Body
	}
	r := batch
	r.method, r.segs, r.query, r.header, r.body, r.path = method, segs, q, h, body, path
	return r, nil
}

func opResult(id string, r response) batchOpResult {
	res := batchOpResult{ID: id, Status: r.status, Headers: map[string]string{}}
	for k, v := range r.header {
		if len(v) > 0 {
			res.Headers[strings.ToLower(k)] = v[0]
		}
	}
	if r.body != nil {
		if _, ok := res.Headers["content-type"]; !ok {
			res.Headers["content-type"] = contentTypeJSON
		}
		res.Body = r.body
	}
	res.Headers["odata-version"] = "4.0"
	return res
}
