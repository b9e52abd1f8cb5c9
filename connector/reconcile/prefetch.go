package reconcile

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
)

// prefetchTimeout bounds a page read ahead of its step.
const prefetchTimeout = 2 * time.Minute

// maxPrefetched is how many pages are held read ahead at once (one per
// settlement run in progress; runs are few).
const maxPrefetched = 8

// pages reads the Report API one page ahead: while a step matches a page,
// the next one is on its way, so the run waits for Vipps (hundreds of
// milliseconds a page in production) and for the database at the same
// time rather than in turn. A closed ledger date never changes, so a page
// read ahead is the page the next step would read; a next step that asks
// for anything else (another cursor after a restart) reads it itself.
type pages struct {
	// stop closes when the connector shuts down: reads ahead end with it.
	stop  <-chan struct{}
	mu    sync.Mutex
	ahead map[pageKey]*pageAhead
	order []pageKey
}

// pageKey names one page: the ledger, date, topic and cursor.
type pageKey struct {
	tenant, msn, ledger, date, topic, cursor string
}

type pageAhead struct {
	done chan struct{}
	page *vipps.ReportPage
	err  error
}

// get returns page k, read ahead or now.
func (p *pages) get(ctx context.Context, rs *vipps.ReportService, k pageKey) (*vipps.ReportPage, error) {
	p.mu.Lock()
	a := p.ahead[k]
	delete(p.ahead, k)
	p.order = slices.DeleteFunc(p.order, func(x pageKey) bool { return x == k })
	p.mu.Unlock()
	if a != nil {
		select {
		case <-a.done:
			if a.err == nil {
				return a.page, nil
			}
			// A failed read ahead is read again now, with the step's
			// deadline and its error handling.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return rs.ForDate(ctx, vipps.Topic(k.topic), k.ledger, k.date, k.cursor)
}

// readAhead starts reading page k unless it is already on its way.
func (p *pages) readAhead(ctx context.Context, rs *vipps.ReportService, k pageKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ahead == nil {
		p.ahead = map[pageKey]*pageAhead{}
	}
	if p.ahead[k] != nil {
		return
	}
	// Forget the oldest pages nobody came for (a run that failed or moved
	// on): their reads end by their timeout.
	for len(p.order) >= maxPrefetched {
		delete(p.ahead, p.order[0])
		p.order = p.order[1:]
	}
	a := &pageAhead{done: make(chan struct{})}
	p.ahead[k] = a
	p.order = append(p.order, k)
	go func() {
		defer close(a.done)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prefetchTimeout)
		defer cancel()
		go func() {
			select {
			case <-p.stop:
				cancel()
			case <-rctx.Done():
			}
		}()
		a.page, a.err = rs.ForDate(rctx, vipps.Topic(k.topic), k.ledger, k.date, k.cursor)
	}()
}
