package flow_test

import (
	"context"
	"testing"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// A deadline counted into a year whose holiday arrangement is not entered
// (2027 here) is provisional, counted Monday to Friday; entering the year
// moves it. Started Thursday 2026-12-24 with 13 working days, the order
// is due on Tuesday 2027-01-12 while Friday 1 January counts as a working
// day; with 元旦 entered it is due on Wednesday 2027-01-13. The handling
// limit, which ends on 2026-12-31, does not move.
func TestRecountWhenTheYearIsEntered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.clk.Set(cst(2026, 12, 24, 10, 0))
		old := calendar.New(calendar.Official())
		if !old.Missing(2027) {
			t.Skip("the shipped calendar already has 2027")
		}
		in := e.start("test.hotline")
		in = e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		if want := endOf(2027, 1, 12); !in.DueAt.Equal(want) {
			t.Fatalf("due %v, want %v (13 working days, Monday to Friday)", in.DueAt, want)
		}
		if want := endOf(2026, 12, 31); !in.StateDueAt.Equal(want) {
			t.Fatalf("handling due %v, want %v", in.StateDueAt, want)
		}
		if !flow.Provisional(old, in.DueAt) || flow.Provisional(old, in.StateDueAt) {
			t.Error("a deadline into 2027 is provisional, one in 2026 is not")
		}
		y2027 := calendar.Year{Year: 2027, Note: "test", Days: []calendar.Day{{Date: "2027-01-01", Kind: calendar.Holiday, Name: "元旦"}}}
		next := calendar.New(append(calendar.Official(), y2027))
		var n int
		err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			var err error
			n, err = e.eng.Recount(ctx, tx, old, next, 2027, supervisor)
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("recount: %d, %v", n, err)
		}
		got, err := e.eng.Instance(context.Background(), in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := endOf(2027, 1, 13); !got.DueAt.Equal(want) {
			t.Errorf("due after 2027 was entered %v, want %v", got.DueAt, want)
		}
		if !got.StateDueAt.Equal(in.StateDueAt) {
			t.Errorf("the 2026 deadline moved: %v", got.StateDueAt)
		}
		if flow.Provisional(next, got.DueAt) {
			t.Error("still provisional once 2027 is entered")
		}
		if c := e.count("SELECT COUNT(*) FROM flow_history WHERE instance_id = ? AND action = 'calendar_recount'", in.ID); c != 1 {
			t.Errorf("history lines: %d", c)
		}
		if c := e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'flow.calendar_recount'"); c != 1 {
			t.Errorf("audit entries: %d", c)
		}
		// Entering the same year again changes nothing.
		_ = db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			n, err = e.eng.Recount(ctx, tx, next, next, 2027, supervisor)
			return err
		})
		if n != 0 || err != nil {
			t.Errorf("a second recount changed %d (%v)", n, err)
		}
	})
}
