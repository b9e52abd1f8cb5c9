package vippstest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // ledger dates in the merchant's time zone on any host
)

// feeBasisPoints is the simulated capture fee: 1.75 % of the captured
// amount, rounded to the nearest minor unit.
const feeBasisPoints = 175

// ledgerEntry is one Report API transaction (schema Transaction).
type ledgerEntry struct {
	msn             string
	topic           string // funds | fees
	PSPReference    string `json:"pspReference"`
	Time            string `json:"time"`
	LedgerDate      string `json:"ledgerDate"`
	EntryType       string `json:"entryType"`
	Reference       string `json:"reference"`
	Currency        string `json:"currency"`
	Amount          int64  `json:"amount"`
	BalanceBefore   int64  `json:"balanceBefore"`
	BalanceAfter    int64  `json:"balanceAfter"`
	RecipientHandle string `json:"recipientHandle"`
}

func ledgerIDFor(msn string) string { return "1" + msn }

// ledgerDateLocked is the ledger date an entry booked at t goes to: the
// calendar date of t in the merchant's time zone, or the day after the
// latest date closed by CloseDay if that date is not later (a closed date
// never changes). s.mu is held.
func (s *Sim) ledgerDateLocked(t time.Time) string {
	d := t.In(s.ledgerTZ).Format(time.DateOnly)
	if s.closedThrough != "" && d <= s.closedThrough {
		d = nextDate(s.closedThrough)
	}
	return d
}

// nextDate is the calendar date after a YYYY-MM-DD date.
func nextDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// CloseDay closes the open ledger date now, as midnight in the merchant's
// time zone would: the Report API answers it (and every earlier date) as
// closed, and entries booked afterwards go to the next ledger date. It
// returns the date it closed (YYYY-MM-DD). Calling it again closes the
// next date.
func (s *Sim) CloseDay() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.ledgerDateLocked(s.now())
	s.closedThrough = d
	return d
}

// closed reports whether a ledger date is closed: past midnight in the
// merchant's time zone, or closed by CloseDay.
func (s *Sim) closed(day time.Time) bool {
	if !s.now().Before(day.AddDate(0, 0, 1)) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closedThrough != "" && day.Format(time.DateOnly) <= s.closedThrough
}

// bookLocked appends an entry to a ledger topic, keeping the running
// balance. s.mu is held.
func (s *Sim) bookLocked(p *payment, topic, entryType, pspRef string, amt int64, at time.Time) {
	var balance int64
	for i := len(s.ledger) - 1; i >= 0; i-- {
		if e := s.ledger[i]; e.msn == p.msn && e.topic == topic {
			balance = e.BalanceAfter
			break
		}
	}
	s.ledger = append(s.ledger, ledgerEntry{
		msn: p.msn, topic: topic, PSPReference: pspRef, Time: at.UTC().Format(time.RFC3339Nano),
		LedgerDate: s.ledgerDateLocked(at), EntryType: entryType, Reference: p.reference, Currency: p.amount.Currency,
		Amount: amt, BalanceBefore: balance, BalanceAfter: balance + amt, RecipientHandle: "api:" + p.msn,
	})
}

// bookCaptureLocked books a capture: funds "capture" (+amount) and
// "fees-retained" (-fee); fees "capture-fee" (-fee, same pspReference as
// the capture) and "fees-retained" (+fee). Net settlement: the fee is
// retained from the payout, so fees-retained appears on both topics with
// opposite signs.
func (s *Sim) bookCaptureLocked(p *payment, pspRef string, v int64, at time.Time) {
	fee := (v*feeBasisPoints + 5000) / 10000
	s.bookLocked(p, "funds", "capture", pspRef, v, at)
	s.bookLocked(p, "fees", "capture-fee", pspRef, -fee, at)
	if fee > 0 {
		retained := s.pspRef()
		s.bookLocked(p, "funds", "fees-retained", retained, -fee, at)
		s.bookLocked(p, "fees", "fees-retained", retained, fee, at)
	}
}

// bookRefundLocked books a refund on the funds topic (-amount).
func (s *Sim) bookRefundLocked(p *payment, pspRef string, v int64, at time.Time) {
	s.bookLocked(p, "funds", "refund", pspRef, -v, at)
}

// authReport authenticates a Report API call and returns the MSNs whose
// ledgers the caller may read.
func (s *Sim) authReport(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	if r.Header.Get("Merchant-Serial-Number") == "" {
		value, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		tok := s.tokens[value]
		s.mu.Unlock()
		if tok != nil && tok.msn == "" && len(tok.partnerMSNs) > 0 {
			// Partner keys without an MSN: every ledger of the partner.
			r = r.Clone(r.Context())
			r.Header.Set("Merchant-Serial-Number", tok.partnerMSNs[0])
			if _, ok := s.authMerchant(w, r, false); !ok {
				return nil, false
			}
			return slices.Clone(tok.partnerMSNs), true
		}
	}
	m, ok := s.authMerchant(w, r, false)
	if !ok {
		return nil, false
	}
	return []string{m.msn}, true
}

type ledgerInfo struct {
	LedgerID                   string            `json:"ledgerId"`
	Currency                   string            `json:"currency"`
	PayoutBankAccount          map[string]string `json:"payoutBankAccount"`
	Owner                      map[string]string `json:"owner"`
	SettlesForRecipientHandles []string          `json:"settlesForRecipientHandles"`
}

// GET /settlement/v1/ledgers
func (s *Sim) handleLedgers(w http.ResponseWriter, r *http.Request) {
	msns, ok := s.authReport(w, r)
	if !ok {
		return
	}
	filter := r.URL.Query().Get("settlesForRecipientHandles")
	items := []ledgerInfo{}
	for _, msn := range msns {
		handle := "api:" + msn
		if filter != "" && filter != handle {
			continue
		}
		s.mu.Lock()
		currency := s.unitCurrency(msn)
		s.mu.Unlock()
		items = append(items, ledgerInfo{
			LedgerID: ledgerIDFor(msn), Currency: currency,
			PayoutBankAccount:          map[string]string{"scheme": "BBAN:NO", "id": "86011117947"},
			Owner:                      map[string]string{"scheme": "business:NO:ORG", "id": "987654321"},
			SettlesForRecipientHandles: []string{handle},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "cursor": ""})
}

// reportRequest resolves the ledger and topic of a report call.
func (s *Sim) reportRequest(w http.ResponseWriter, r *http.Request) (msn, topic string, ok bool) {
	msns, ok := s.authReport(w, r)
	if !ok {
		return "", "", false
	}
	topic = r.PathValue("topic")
	if topic != "funds" && topic != "fees" {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "topic must be funds or fees.", "")
		return "", "", false
	}
	id := r.PathValue("ledgerId")
	for _, m := range msns {
		if ledgerIDFor(m) == id {
			return m, topic, true
		}
	}
	writeProblem(w, r, http.StatusNotFound, "Not Found", "No ledger with this id for these keys.", "")
	return "", "", false
}

// pageSize is the configured page size, lowered by a Vipps-Feed-Page-Size
// request header.
func (s *Sim) reportPageSize(w http.ResponseWriter, r *http.Request) int {
	n := s.pageSize
	if h, err := strconv.Atoi(r.Header.Get("Vipps-Feed-Page-Size")); err == nil && h > 0 && h < n {
		n = h
	}
	w.Header().Set("Vipps-Feed-Page-Size", strconv.Itoa(n))
	return n
}

func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	v, found := strings.CutPrefix(string(b), "offset:")
	n, err := strconv.Atoi(v)
	return n, found && err == nil && n >= 0
}

func (s *Sim) entries(msn, topic, date string) []ledgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ledgerEntry
	for _, e := range s.ledger {
		if e.msn == msn && e.topic == topic && (date == "" || e.LedgerDate == date) {
			out = append(out, e)
		}
	}
	return out
}

// GET /report/v2/ledgers/{ledgerId}/{topic}/dates/{date}: the complete
// report of a closed ledger date; tryLater while the date is still open
// (it closes at midnight in the merchant's time zone, or by CloseDay).
func (s *Sim) handleReportDate(w http.ResponseWriter, r *http.Request) {
	msn, topic, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	day, err := time.ParseInLocation(time.DateOnly, r.PathValue("date"), s.ledgerTZ)
	if err != nil {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "ledgerDate must be YYYY-MM-DD.", "")
		return
	}
	size := s.reportPageSize(w, r)
	if !s.closed(day) {
		writeJSON(w, http.StatusOK, map[string]any{"hasMore": false, "tryLater": true, "items": []ledgerEntry{}})
		return
	}
	offset, ok := decodeCursor(r.URL.Query().Get("cursor"))
	if !ok {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Invalid cursor.", "")
		return
	}
	if g := s.generatedDay(msn, day.Format(time.DateOnly)); g != nil {
		writeJSON(w, http.StatusOK, g.page(topic, offset, size))
		return
	}
	all := s.entries(msn, topic, day.Format(time.DateOnly))
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	resp := map[string]any{"hasMore": end < len(all), "tryLater": false, "items": append([]ledgerEntry{}, all[offset:end]...)}
	if end < len(all) {
		resp["cursor"] = encodeCursor(end)
	}
	writeJSON(w, http.StatusOK, resp)
}

// GET /report/v2/ledgers/{ledgerId}/{topic}/feed: every entry in order;
// the cursor is never empty, and tryLater marks the end of the feed.
func (s *Sim) handleReportFeed(w http.ResponseWriter, r *http.Request) {
	msn, topic, ok := s.reportRequest(w, r)
	if !ok {
		return
	}
	size := s.reportPageSize(w, r)
	offset, ok := decodeCursor(r.URL.Query().Get("cursor"))
	if !ok {
		writeProblem(w, r, http.StatusBadRequest, "Bad Request", "Invalid cursor.", "")
		return
	}
	all := s.entries(msn, topic, "")
	offset = min(offset, len(all))
	end := min(offset+size, len(all))
	writeJSON(w, http.StatusOK, map[string]any{
		"cursor": encodeCursor(end), "tryLater": end == len(all), "items": append([]ledgerEntry{}, all[offset:end]...),
	})
}

// GeneratedEntry is one entry of a generated ledger date (see
// GenerateDay).
type GeneratedEntry struct {
	EntryType    string
	Reference    string
	PSPReference string
	Amount       int64
}

// generatedDay is a ledger date whose entries are computed when a page is
// asked for: a million entries stored one by one would be the simulator's
// memory, and a load test measures the connector's.
type generatedDay struct {
	msn, date string
	count     map[string]int
	entry     func(topic string, i int) GeneratedEntry
	// balance[topic][i] is the balance before entry i.
	balance map[string][]int64
}

// GenerateDay makes date (YYYY-MM-DD, before today: a closed date) of
// sales unit msn's ledger hold funds entries on the funds topic and fees
// on the fees topic, entry i of a topic being entry(topic, i); entry must
// give the same answer every time. The date is answered by
// GET …/{topic}/dates/{date} only (not the feed), in pages like any other.
// For load tests of the settlement reconciliation.
func (s *Sim) GenerateDay(msn, date string, funds, fees int, entry func(topic string, i int) GeneratedEntry) {
	g := &generatedDay{msn: msn, date: date, count: map[string]int{"funds": funds, "fees": fees}, entry: entry, balance: map[string][]int64{}}
	for topic, n := range g.count {
		b := make([]int64, n+1)
		for i := range n {
			b[i+1] = b[i] + entry(topic, i).Amount
		}
		g.balance[topic] = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.generated == nil {
		s.generated = map[string]*generatedDay{}
	}
	s.generated[msn+"/"+date] = g
}

func (s *Sim) generatedDay(msn, date string) *generatedDay {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generated[msn+"/"+date]
}

// page is one page of a generated date, as handleReportDate answers it.
func (g *generatedDay) page(topic string, offset, size int) map[string]any {
	n := g.count[topic]
	offset = min(offset, n)
	end := min(offset+size, n)
	items := make([]ledgerEntry, 0, end-offset)
	for i := offset; i < end; i++ {
		e := g.entry(topic, i)
		items = append(items, ledgerEntry{
			PSPReference: e.PSPReference, Time: g.date + "T12:00:00Z", LedgerDate: g.date, EntryType: e.EntryType,
			Reference: e.Reference, Currency: "NOK", Amount: e.Amount, BalanceBefore: g.balance[topic][i],
			BalanceAfter: g.balance[topic][i+1], RecipientHandle: "api:" + g.msn,
		})
	}
	resp := map[string]any{"hasMore": end < n, "tryLater": false, "items": items}
	if end < n {
		resp["cursor"] = encodeCursor(end)
	}
	return resp
}
