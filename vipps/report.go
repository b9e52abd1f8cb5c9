package vipps

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// ReportService is the Report API (settlement ledgers, funds and fees).
type ReportService struct{ c *Client }

// Topic is a ledger topic.
type Topic string

// Ledger topics.
const (
	TopicFunds Topic = "funds"
	TopicFees  Topic = "fees"
)

// Ledger is one settlement ledger.
type Ledger struct {
	LedgerID                   string   `json:"ledgerId"`
	Currency                   string   `json:"currency"`
	PayoutBankAccount          Handle   `json:"payoutBankAccount"`
	Owner                      Handle   `json:"owner"`
	SettlesForRecipientHandles []string `json:"settlesForRecipientHandles"`
}

// Handle is a scheme + id pair (bank account, organization).
type Handle struct {
	Scheme string `json:"scheme"`
	ID     string `json:"id"`
}

// ReportEntry is one ledger transaction; amounts are signed minor units.
// EntryType values beyond the documented ones must be tolerated.
type ReportEntry struct {
	PSPReference    string    `json:"pspReference"`
	Time            time.Time `json:"time"`
	LedgerDate      string    `json:"ledgerDate"`
	EntryType       string    `json:"entryType"`
	Reference       string    `json:"reference"`
	Currency        string    `json:"currency"`
	Amount          int64     `json:"amount"`
	BalanceBefore   int64     `json:"balanceBefore"`
	BalanceAfter    int64     `json:"balanceAfter"`
	RecipientHandle *string   `json:"recipientHandle"`
}

// ReportPage is one page of a date report or feed. TryLater means the
// ledger date is not closed yet (date report; ask again ≥30 min later) or
// the feed has no more data now (ask the same cursor again later).
type ReportPage struct {
	Items    []ReportEntry `json:"items"`
	Cursor   string        `json:"cursor"`
	HasMore  bool          `json:"hasMore"`
	TryLater bool          `json:"tryLater"`
}

// Ledgers lists ledgers, following the cursor to the end
// (GET /settlement/v1/ledgers). recipientHandle filters, e.g. "api:123456";
// empty lists all.
func (s *ReportService) Ledgers(ctx context.Context, recipientHandle string) ([]Ledger, error) {
	const op = "vipps report ledgers"
	var all []Ledger
	cursor := ""
	for range 1000 {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		} else if recipientHandle != "" {
			q.Set("settlesForRecipientHandles", recipientHandle)
		}
		var r struct {
			Items  []Ledger `json:"items"`
			Cursor string   `json:"cursor"`
		}
		if _, err := s.c.send(ctx, call{op: op, method: http.MethodGet, url: s.c.url("/settlement/v1/ledgers"), query: q}, &r); err != nil {
			return nil, err
		}
		all = append(all, r.Items...)
		if r.Cursor == "" || r.Cursor == cursor {
			return all, nil
		}
		cursor = r.Cursor
	}
	return nil, fmt.Errorf("%s: cursor does not end", op)
}

var ledgerDatePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ForDate reads one page of the report of a ledger date
// (GET /report/v2/ledgers/{ledgerId}/{topic}/dates/{ledgerDate}); pass the
// previous page's Cursor to continue while HasMore.
func (s *ReportService) ForDate(ctx context.Context, topic Topic, ledgerID, ledgerDate, cursor string) (*ReportPage, error) {
	op := "vipps report " + string(topic) + " for date"
	if topic != TopicFunds && topic != TopicFees {
		return nil, invalid(op, "topic must be funds or fees")
	}
	if ledgerID == "" || !ledgerDatePattern.MatchString(ledgerDate) {
		return nil, invalid(op, "ledger id and date YYYY-MM-DD required")
	}
	return s.page(ctx, op, "/report/v2/ledgers/"+url.PathEscape(ledgerID)+"/"+string(topic)+"/dates/"+ledgerDate, cursor)
}

// FundsForDate is ForDate for the funds topic.
func (s *ReportService) FundsForDate(ctx context.Context, ledgerID, ledgerDate, cursor string) (*ReportPage, error) {
	return s.ForDate(ctx, TopicFunds, ledgerID, ledgerDate, cursor)
}

// FeesForDate is ForDate for the fees topic.
func (s *ReportService) FeesForDate(ctx context.Context, ledgerID, ledgerDate, cursor string) (*ReportPage, error) {
	return s.ForDate(ctx, TopicFees, ledgerID, ledgerDate, cursor)
}

// ErrTryLater is returned by AllForDate when the ledger date is not closed.
var ErrTryLater = fmt.Errorf("vipps report: ledger date not closed yet, try later")

// AllForDate follows the cursor through a closed ledger date and returns
// every entry; an open date gives ErrTryLater.
func (s *ReportService) AllForDate(ctx context.Context, topic Topic, ledgerID, ledgerDate string) ([]ReportEntry, error) {
	var all []ReportEntry
	cursor := ""
	for range 100000 {
		p, err := s.ForDate(ctx, topic, ledgerID, ledgerDate, cursor)
		if err != nil {
			return nil, err
		}
		if p.TryLater {
			return nil, ErrTryLater
		}
		all = append(all, p.Items...)
		if !p.HasMore || p.Cursor == "" || p.Cursor == cursor {
			return all, nil
		}
		cursor = p.Cursor
	}
	return nil, fmt.Errorf("vipps report %s for date: cursor does not end", topic)
}

// Feed reads the next page of the topic's endless feed
// (GET /report/v2/ledgers/{ledgerId}/{topic}/feed). Persist the returned
// Cursor after processing the items; with TryLater, ask again later with
// the same cursor.
func (s *ReportService) Feed(ctx context.Context, topic Topic, ledgerID, cursor string) (*ReportPage, error) {
	op := "vipps report " + string(topic) + " feed"
	if topic != TopicFunds && topic != TopicFees {
		return nil, invalid(op, "topic must be funds or fees")
	}
	if ledgerID == "" {
		return nil, invalid(op, "ledger id required")
	}
	return s.page(ctx, op, "/report/v2/ledgers/"+url.PathEscape(ledgerID)+"/"+string(topic)+"/feed", cursor)
}

func (s *ReportService) page(ctx context.Context, op, path, cursor string) (*ReportPage, error) {
	var q url.Values
	if cursor != "" {
		q = url.Values{"cursor": {cursor}}
	}
	var p ReportPage
	if _, err := s.c.send(ctx, call{op: op, method: http.MethodGet, url: s.c.url(path), query: q}, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
