package hotline_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// listIDs reads every page of a's list under f, size at a time, and
// returns the ids in list order and the count the first page gave.
func listIDs(t *testing.T, m *hotline.Module, a *auth.Actor, f hotline.Filter) ([]int64, int) {
	t.Helper()
	var ids []int64
	count := -1
	for range 20 {
		orders, pg, err := m.List(context.Background(), a, f)
		if err != nil {
			t.Fatal(err)
		}
		if count < 0 {
			count = pg.Count
		}
		for _, o := range orders {
			ids = append(ids, o.ID)
		}
		if pg.Next.IsZero() {
			return ids, count
		}
		f.After = pg.Next
	}
	t.Fatal("more than 20 pages")
	return nil, 0
}

// TestListScopeAndPages checks the keyset pages of the order list and the
// scope of handlers: the lead and the assisting department see an order,
// another department does not, and a send-back takes it from both.
func TestListScopeAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		var all []int64
		for range 5 {
			all = append(all, w.intake(complaint("13800001111")).ID)
			w.advance(time.Minute)
		}
		slices.Reverse(all) // newest first
		got, n := listIDs(t, w.m, w.a("disp"), hotline.Filter{Limit: 2})
		if !slices.Equal(got, all) || n != 5 {
			t.Errorf("dispatcher pages = %v (count %d), want %v (5)", got, n, all)
		}
		must(w.m.Dispatch(ctx, w.a("disp"), all[1], hotline.DispatchInput{Lead: w.deptB, Assist: []int64{w.deptA}}))
		must(w.m.Dispatch(ctx, w.a("disp"), all[3], hotline.DispatchInput{Lead: w.deptA}))
		if got, n := listIDs(t, w.m, w.a("ha"), hotline.Filter{Limit: 1}); !slices.Equal(got, []int64{all[1], all[3]}) || n != 2 {
			t.Errorf("department A (assisting, lead) sees %v (count %d), want %v", got, n, []int64{all[1], all[3]})
		}
		if got, _ := listIDs(t, w.m, w.a("hb"), hotline.Filter{}); !slices.Equal(got, []int64{all[1]}) {
			t.Errorf("department B (lead) sees %v, want %v", got, []int64{all[1]})
		}
		// The handling queue: what waits for the department, soonest
		// deadline first (the same here: the older order first).
		if got, n := listIDs(t, w.m, w.a("ha"), hotline.Filter{Waiting: true, Limit: 1}); !slices.Equal(got, []int64{all[3], all[1]}) || n != 2 {
			t.Errorf("department A's queue = %v (count %d), want %v", got, n, []int64{all[3], all[1]})
		}
		if got, _ := listIDs(t, w.m, w.a("disp"), hotline.Filter{Waiting: true}); len(got) != 0 {
			t.Errorf("a dispatcher's handling queue = %v, want none", got)
		}
		must(w.m.SendBack(ctx, w.a("hb"), all[1], "不属于本部门职责"))
		if got, _ := listIDs(t, w.m, w.a("ha"), hotline.Filter{}); !slices.Equal(got, []int64{all[3]}) {
			t.Errorf("after send-back department A sees %v, want %v", got, []int64{all[3]})
		}
		if got, _ := listIDs(t, w.m, w.a("hb"), hotline.Filter{}); len(got) != 0 {
			t.Errorf("after send-back department B sees %v", got)
		}
		// Overdue: the dispatched orders past their signing limit, most
		// overdue first, for the region's supervisor; a handler sees only
		// their department's.
		must(w.m.Dispatch(ctx, w.a("disp"), all[0], hotline.DispatchInput{Lead: w.deptB}))
		w.advance(30 * 24 * time.Hour)
		got, n = listIDs(t, w.m, w.a("sup"), hotline.Filter{Overdue: true, Limit: 1})
		if want := []int64{all[3], all[0]}; !slices.Equal(got, want) || n != 2 {
			t.Errorf("overdue = %v (count %d), want %v (the dispatched ones, same deadline: older first)", got, n, want)
		}
		if got, _ := listIDs(t, w.m, w.a("hb"), hotline.Filter{Overdue: true}); !slices.Equal(got, []int64{all[0]}) {
			t.Errorf("department B's overdue = %v, want only its own %d", got, all[0])
		}
	})
}
