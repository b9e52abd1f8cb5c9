package vippstest

import (
	"testing"
	"time"
)

func TestCloseDay(t *testing.T) {
	e := start(t)
	// epoch is 2026-03-10 09:00 UTC = 10:00 in Oslo.
	e.create("k1", pushPayment("close-day-1", PersonaApprove, 10000))
	e.clock.Advance(2 * time.Second)
	e.adjust("capture", "c1", "close-day-1", 10000)

	id := ledgerIDFor(DefaultMSN)
	funds := func(date string) string { return "/report/v2/ledgers/" + id + "/funds/dates/" + date }

	t.Run("the open day answers tryLater before close-day", func(t *testing.T) {
		if p := e.report(funds("2026-03-10")); !p.TryLater || len(p.Items) != 0 {
			t.Fatalf("%+v", p)
		}
	})

	a := e.do("POST", "/_sim/report/close-day", "")
	if a.status != 200 {
		t.Fatalf("close-day: %d %s", a.status, a.body)
	}
	if got := a.json(t)["closedLedgerDate"]; got != "2026-03-10" {
		t.Fatalf("closedLedgerDate %v, want 2026-03-10", got)
	}

	t.Run("the closed day is complete at once", func(t *testing.T) {
		p := e.report(funds("2026-03-10"))
		if p.TryLater || p.HasMore || len(p.Items) != 2 || p.Items[0]["entryType"] != "capture" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("an earlier date is closed too", func(t *testing.T) {
		if p := e.report(funds("2026-03-09")); p.TryLater || len(p.Items) != 0 {
			t.Fatalf("%+v", p)
		}
	})

	// Same calendar day, after the close: the entries go to the next date.
	e.clock.Advance(time.Minute)
	e.create("k2", pushPayment("close-day-2", PersonaApprove, 4000))
	e.clock.Advance(2 * time.Second)
	e.adjust("capture", "c2", "close-day-2", 4000)

	t.Run("the closed day never changes", func(t *testing.T) {
		p := e.report(funds("2026-03-10"))
		if p.TryLater || len(p.Items) != 2 {
			t.Fatalf("%+v", p)
		}
		for _, it := range p.Items {
			if it["reference"] != "close-day-1" {
				t.Fatalf("entry %v on the closed date", it)
			}
		}
	})
	t.Run("an entry booked after close-day lands on the next date, still open", func(t *testing.T) {
		if p := e.report(funds("2026-03-11")); !p.TryLater {
			t.Fatalf("%+v", p)
		}
		var n int
		for _, en := range e.srv.entries(DefaultMSN, "funds", "") {
			if en.Reference == "close-day-2" {
				n++
				if en.LedgerDate != "2026-03-11" {
					t.Errorf("entry %+v, want ledgerDate 2026-03-11", en)
				}
			}
		}
		if n != 2 {
			t.Fatalf("%d funds entries for close-day-2", n)
		}
	})

	t.Run("close-day again closes the next date", func(t *testing.T) {
		if got := e.srv.CloseDay(); got != "2026-03-11" {
			t.Fatalf("CloseDay() = %s, want 2026-03-11", got)
		}
		p := e.report(funds("2026-03-11"))
		if p.TryLater || len(p.Items) != 2 || p.Items[0]["reference"] != "close-day-2" || p.Items[0]["ledgerDate"] != "2026-03-11" {
			t.Fatalf("%+v", p)
		}
		if p := e.report(funds("2026-03-12")); !p.TryLater {
			t.Fatalf("2026-03-12 must still be open: %+v", p)
		}
	})

	t.Run("midnight still closes the calendar day", func(t *testing.T) {
		// 2026-03-12 closes at 23:00 UTC on the 12th.
		e.clock.Advance(62 * time.Hour) // from about 09:01 UTC on the 10th
		if p := e.report(funds("2026-03-12")); p.TryLater {
			t.Fatalf("%+v", p)
		}
	})
}
