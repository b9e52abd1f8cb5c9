package login

import (
	"context"
	"sync"
)

// holds lets requests take turns on keys within this process: a holder of
// any of a request's keys makes it wait until that holder is done.
type holds struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// hold waits until none of keys ("" ones are skipped) is held, then holds
// them all until release is called. It fails only when ctx ends first.
func (h *holds) hold(ctx context.Context, keys ...string) (release func(), err error) {
	for {
		h.mu.Lock()
		var busy chan struct{}
		for _, k := range keys {
			if ch, ok := h.held[k]; ok && k != "" {
				busy = ch
				break
			}
		}
		if busy == nil {
			if h.held == nil {
				h.held = map[string]chan struct{}{}
			}
			done := make(chan struct{})
			for _, k := range keys {
				if k != "" {
					h.held[k] = done
				}
			}
			h.mu.Unlock()
			return func() {
				h.mu.Lock()
				for _, k := range keys {
					if h.held[k] == done {
						delete(h.held, k)
					}
				}
				h.mu.Unlock()
				close(done)
			}, nil
		}
		h.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
