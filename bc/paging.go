package bc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// page is one OData collection answer.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// listPages reads a collection with server-driven paging: it asks for
// pageSize entities per page (Prefer: odata.maxpagesize) and follows
// @odata.nextLink until BC sends none. The iterator stops at the first
// error, which it yields; breaking out of the loop stops the paging.
func listPages[T any](ctx context.Context, t *transport, first string, pageSize int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next := first
		seen := map[string]bool{}
		headers := map[string]string{"Prefer": "odata.maxpagesize=" + strconv.Itoa(pageSize)}
		for next != "" {
			if seen[next] {
				yield(zero, errors.New("list: server repeated a next link"))
				return
			}
			seen[next] = true
			resp, err := t.do(ctx, request{method: "GET", url: next, headers: headers, idempotent: true})
			if err != nil {
				yield(zero, err)
				return
			}
			var p page[T]
			if err := json.Unmarshal(resp.body, &p); err != nil {
				yield(zero, fmt.Errorf("list: decode page: %w", err))
				return
			}
			for _, v := range p.Value {
				if !yield(v, nil) {
					return
				}
			}
			next = p.NextLink
		}
	}
}
