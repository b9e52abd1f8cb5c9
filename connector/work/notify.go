package work

import "sync"

// notifier wakes long-polling GETs when a request changes. Each process
// signals its own transitions; when the store offers a change feed (several
// replicas on one PostgreSQL database) the feed's events are signalled too.
type notifier struct {
	mu      sync.Mutex
	waiters map[string][]chan struct{}
}

func newNotifier() *notifier {
	return &notifier{waiters: make(map[string][]chan struct{})}
}

// wait returns a channel that is closed at the next signal for id, and a
// function that forgets the waiter (call it when giving up).
func (n *notifier) wait(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	n.mu.Lock()
	n.waiters[id] = append(n.waiters[id], ch)
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		ws := n.waiters[id]
		for i, w := range ws {
			if w == ch {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(n.waiters, id)
		} else {
			n.waiters[id] = ws
		}
	}
}

// signal wakes every waiter of id.
func (n *notifier) signal(id string) {
	n.mu.Lock()
	ws := n.waiters[id]
	delete(n.waiters, id)
	n.mu.Unlock()
	for _, w := range ws {
		close(w)
	}
}
