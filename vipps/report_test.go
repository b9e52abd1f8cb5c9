package vipps_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bcvipps/bcvipps/vipps"
	"github.com/bcvipps/bcvipps/vipps/vippstest"
)

func TestReportFundsAndFees(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, []vippstest.Option{vippstest.WithReportPageSize(1)}, nil)
	ep := e.client.EPayment
	for i, ref := range []string{"store1-rep-0001", "store1-rep-0002"} {
		if _, err := ep.Create(ctx, "rk-"+ref, pushPayment(ref, int64(1000*(i+1)))); err != nil {
			t.Fatal(err)
		}
		if err := ep.ForceApprove(ctx, ref, vippstest.PersonaApprove); err != nil {
			t.Fatal(err)
		}
		if _, err := ep.Capture(ctx, "ck-"+ref, ref, vipps.Amount{Currency: "NOK", Value: int64(1000 * (i + 1))}); err != nil {
			t.Fatal(err)
		}
	}
	ledgers, err := e.client.Report.Ledgers(ctx, "api:"+vippstest.DefaultMSN)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledgers) == 0 || ledgers[0].LedgerID == "" {
		t.Fatalf("ledgers = %+v", ledgers)
	}
	id := ledgers[0].LedgerID
	date := e.simClock.Now().In(time.FixedZone("CET", 3600)).Format(time.DateOnly)
	t.Run("open ledger date says tryLater", func(t *testing.T) {
		p, err := e.client.Report.FundsForDate(ctx, id, date, "")
		if err != nil || !p.TryLater {
			t.Fatalf("page = %+v, %v", p, err)
		}
		if _, err := e.client.Report.AllForDate(ctx, vipps.TopicFunds, id, date); !errors.Is(err, vipps.ErrTryLater) {
			t.Fatalf("err = %v, want ErrTryLater", err)
		}
	})
	e.advance(48 * time.Hour)
	t.Run("closed date pages through every capture", func(t *testing.T) {
		entries, err := e.client.Report.AllForDate(ctx, vipps.TopicFunds, id, date)
		if err != nil {
			t.Fatal(err)
		}
		captures := 0
		for _, x := range entries {
			if x.EntryType == "capture" {
				captures++
			}
		}
		if captures != 2 {
			t.Fatalf("captures = %d in %+v", captures, entries)
		}
		fees, err := e.client.Report.AllForDate(ctx, vipps.TopicFees, id, date)
		if err != nil || len(fees) == 0 {
			t.Fatalf("fees = %+v, %v", fees, err)
		}
	})
	t.Run("feed follows the cursor until tryLater", func(t *testing.T) {
		cursor, n := "", 0
		for range 50 {
			p, err := e.client.Report.Feed(ctx, vipps.TopicFunds, id, cursor)
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Items)
			if p.Cursor == "" {
				t.Fatal("feed cursor must never be empty")
			}
			cursor = p.Cursor
			if p.TryLater {
				break
			}
		}
		if n < 2 {
			t.Fatalf("feed gave %d entries", n)
		}
	})
}
