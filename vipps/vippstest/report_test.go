package vippstest

import (
	"encoding/json"
	"testing"
	"time"
)

type reportPage struct {
	Cursor   *string          `json:"cursor"`
	HasMore  bool             `json:"hasMore"`
	TryLater bool             `json:"tryLater"`
	Items    []map[string]any `json:"items"`
}

func (e *env) report(path string) reportPage {
	e.t.Helper()
	a := e.do("GET", path, "", e.merchant()...)
	var p reportPage
	if a.status != 200 || json.Unmarshal(a.body, &p) != nil {
		e.t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	return p
}

func TestReport(t *testing.T) {
	e := start(t, WithReportPageSize(2))
	// epoch is 2026-03-10 09:00 UTC = 10:00 in Oslo.
	e.create("k", pushPayment("report-order-1", PersonaApprove, 10000))
	e.clock.Advance(2 * time.Second)
	e.adjust("capture", "c1", "report-order-1", 10000)
	e.adjust("refund", "r1", "report-order-1", 2500)

	ledgers := e.do("GET", "/settlement/v1/ledgers?settlesForRecipientHandles=api:"+DefaultMSN, "", e.merchant()...).json(t)
	items := ledgers["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("ledgers: %v", ledgers)
	}
	id := items[0].(map[string]any)["ledgerId"].(string)
	funds := "/report/v2/ledgers/" + id + "/funds/dates/2026-03-10"
	fees := "/report/v2/ledgers/" + id + "/fees/dates/2026-03-10"

	t.Run("the open day answers tryLater", func(t *testing.T) {
		if p := e.report(funds); !p.TryLater || len(p.Items) != 0 {
			t.Fatalf("%+v", p)
		}
	})
	// Midnight in Oslo is 23:00 UTC in March.
	e.clock.Advance(13*time.Hour + 58*time.Minute)
	t.Run("still open a minute before midnight in the merchant's time zone", func(t *testing.T) {
		if p := e.report(funds); !p.TryLater {
			t.Fatalf("%+v", p)
		}
	})
	e.clock.Advance(2 * time.Minute)
	t.Run("closed day pages through funds entries with a cursor", func(t *testing.T) {
		p := e.report(funds)
		if p.TryLater || !p.HasMore || p.Cursor == nil || len(p.Items) != 2 {
			t.Fatalf("first page: %+v", p)
		}
		all := p.Items
		p = e.report(funds + "?cursor=" + *p.Cursor)
		all = append(all, p.Items...)
		if p.HasMore || p.Cursor != nil {
			t.Fatalf("last page: %+v", p)
		}
		var types []string
		var sum float64
		for _, it := range all {
			types = append(types, it["entryType"].(string))
			sum += it["amount"].(float64)
			if it["reference"] != "report-order-1" || it["ledgerDate"] != "2026-03-10" {
				t.Errorf("entry %v", it)
			}
		}
		want := []string{"capture", "fees-retained", "refund"}
		if len(types) != 3 || types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
			t.Fatalf("entry types %v, want %v", types, want)
		}
		if sum != 10000-175-2500 {
			t.Errorf("net funds %v", sum)
		}
		if last := all[2]; last["balanceAfter"] != sum {
			t.Errorf("running balance %v, want %v", last["balanceAfter"], sum)
		}
	})
	t.Run("fees carry capture-fee and fees-retained", func(t *testing.T) {
		p := e.report(fees)
		if len(p.Items) != 2 || p.Items[0]["entryType"] != "capture-fee" || p.Items[1]["entryType"] != "fees-retained" {
			t.Fatalf("%+v", p)
		}
		if p.Items[0]["amount"] != float64(-175) || p.Items[1]["amount"] != float64(175) {
			t.Fatalf("fee amounts %v / %v", p.Items[0]["amount"], p.Items[1]["amount"])
		}
		capture := e.report(funds).Items[0]
		if p.Items[0]["pspReference"] != capture["pspReference"] {
			t.Fatalf("capture-fee must link to the capture's pspReference")
		}
	})
	t.Run("feed has a never-empty cursor and tryLater at the end", func(t *testing.T) {
		feed := "/report/v2/ledgers/" + id + "/funds/feed"
		p := e.report(feed)
		n := len(p.Items)
		for p.Cursor != nil && !p.TryLater {
			p = e.report(feed + "?cursor=" + *p.Cursor)
			n += len(p.Items)
		}
		if p.Cursor == nil || *p.Cursor == "" || n != 3 {
			t.Fatalf("feed end: %+v after %d items", p, n)
		}
		again := e.report(feed + "?cursor=" + *p.Cursor)
		if !again.TryLater || len(again.Items) != 0 || again.Cursor == nil || *again.Cursor == "" {
			t.Fatalf("at the end: %+v", again)
		}
	})
	t.Run("unknown ledger is 404", func(t *testing.T) {
		if a := e.do("GET", "/report/v2/ledgers/999/funds/dates/2026-03-10", "", e.merchant()...); a.status != 404 {
			t.Fatalf("status %d", a.status)
		}
	})
}

func TestCheckIn(t *testing.T) {
	e := startRefusals(t)
	a := e.do("POST", "/point-of-sale/v1/loyalty-check-in", `{"phoneNumber":"`+PersonaApprove+`","isMember":true}`, e.merchant()...)
	var guid string
	if a.status != 200 || json.Unmarshal(a.body, &guid) != nil || len(guid) != 36 {
		t.Fatalf("check-in: %d %s", a.status, a.body)
	}
	if got := e.srv.CheckIns(); len(got) != 1 || got[0].PhoneNumber != PersonaApprove || !got[0].IsMember || got[0].ID != guid {
		t.Fatalf("recorded %+v", got)
	}
	for name, body := range map[string]string{
		"Danish number is refused":    `{"phoneNumber":"` + PersonaDanish + `","isMember":true}`,
		"missing isMember is refused": `{"phoneNumber":"` + PersonaApprove + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if a := e.do("POST", "/point-of-sale/v1/loyalty-check-in", body, e.merchant()...); a.status != 400 {
				t.Fatalf("status %d", a.status)
			}
		})
	}
}

// TestGenerateDay: a generated ledger date pages like a booked one, with
// running balances, and only when the date is closed.
func TestGenerateDay(t *testing.T) {
	e := start(t, WithReportPageSize(2))
	entry := func(topic string, i int) GeneratedEntry {
		if topic == "fees" {
			return GeneratedEntry{EntryType: "capture-fee", Reference: "gen-ref", PSPReference: "f", Amount: -1}
		}
		return GeneratedEntry{EntryType: "capture", Reference: "gen-ref", PSPReference: "p", Amount: int64(100 * (i + 1))}
	}
	e.srv.GenerateDay(DefaultMSN, "2026-03-09", 5, 1, entry)
	e.srv.GenerateDay(DefaultMSN, "2026-03-10", 5, 1, entry) // today: still open
	base := "/report/v2/ledgers/" + ledgerIDFor(DefaultMSN)
	if p := e.report(base + "/funds/dates/2026-03-10"); !p.TryLater {
		t.Fatalf("the open day: %+v", p)
	}
	var balance float64
	var n int
	path := base + "/funds/dates/2026-03-09"
	for {
		p := e.report(path)
		for _, it := range p.Items {
			n++
			if it["balanceBefore"].(float64) != balance || it["amount"].(float64) != float64(100*n) || it["entryType"] != "capture" || it["ledgerDate"] != "2026-03-09" {
				t.Fatalf("entry %d: %v", n, it)
			}
			balance = it["balanceAfter"].(float64)
		}
		if !p.HasMore {
			break
		}
		path = base + "/funds/dates/2026-03-09?cursor=" + *p.Cursor
	}
	if n != 5 || balance != 1500 {
		t.Fatalf("%d entries, balance %v", n, balance)
	}
	if p := e.report(base + "/fees/dates/2026-03-09"); len(p.Items) != 1 || p.HasMore || p.Items[0]["entryType"] != "capture-fee" {
		t.Fatalf("fees: %+v", p)
	}
}
