package hotline_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// cst formats t as a CST wall time, minutes.
func cst(t time.Time) string { return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04") }

// tierOrders takes in, at Friday 2026-12-04 10:00 CST, an urgent order, a
// power-cut order and an ordinary complaint, and dispatches all three.
func (w *world) tierOrders() (danger, utility, normal *hotline.Order) {
	w.t.Helper()
	ctx := context.Background()
	w.set(time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	u := complaint("13800001111")
	u.Urgent = true
	p := complaint("13800002222")
	p.Type, p.CategoryCode, p.Content = hotline.TypeHelp, "010404", "江滨小区三栋从早上起停电，家中有卧床老人需要用电"
	var out [3]*hotline.Order
	for i, n := range []hotline.NewOrder{u, p, complaint("13800003333")} {
		o := w.intake(n)
		out[i] = must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
	}
	return out[0], out[1], out[2]
}

// Sign-for tiers (hotline-12345.md, Tianjin 2024: "the handling unit signs
// for a work order within 15 minutes where life or property is in danger,
// 30 minutes for water/power/gas/heat outages, 1 working day otherwise"),
// as hotline.json and DefaultLimits ship them.
func TestSignForTiers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		danger, utility, normal := w.tierOrders()
		for _, c := range []struct {
			o    *hotline.Order
			tier hotline.SignTier
			due  string
		}{
			{danger, hotline.TierDanger, "2026-12-04 10:15"},   // 15 minutes
			{utility, hotline.TierUtility, "2026-12-04 10:30"}, // 30 minutes
			{normal, hotline.TierNormal, "2026-12-07 23:59"},   // 1 working day: Friday → the close of Monday 12-07
		} {
			if c.o.SignTier != c.tier || cst(c.o.SignDueAt) != c.due {
				t.Errorf("%s: tier %s, sign by %s; want %s, %s", c.o.Number, c.o.SignTier, cst(c.o.SignDueAt), c.tier, c.due)
			}
		}
		// The order page shows the tier and the deadline.
		_, body := w.get(t, w.client(t, "disp"), "/hotline/orders/"+itoa(utility.ID))
		if !strings.Contains(body, "水电气暖停供（30分钟）") || !strings.Contains(body, "签收期限 2026-12-04 10:30") {
			t.Errorf("order page does not show the utility tier and its deadline")
		}
		// The limits page states the tiers as configured.
		if _, body := w.get(t, w.client(t, "disp"), "/hotline/limits"); !strings.Contains(body, "签收时限30分钟") || !strings.Contains(body, "当日办结") {
			t.Error("limits page does not state the utility tier and the same-day handling")
		}
		// The overdue list runs on the tier's deadline: at 10:16 the urgent
		// order is overdue, at 10:31 the outage too, the complaint not.
		for _, s := range []struct {
			at   time.Time
			want []int64
		}{
			{time.Date(2026, 12, 4, 2, 14, 0, 0, time.UTC), nil},
			{time.Date(2026, 12, 4, 2, 16, 0, 0, time.UTC), []int64{danger.ID}},
			{time.Date(2026, 12, 4, 2, 31, 0, 0, time.UTC), []int64{danger.ID, utility.ID}},
		} {
			w.set(s.at)
			got, _ := listIDs(t, w.m, w.a("sup"), hotline.Filter{Overdue: true})
			if !sameIDs(got, s.want) {
				t.Errorf("overdue at %s: %v, want %v", cst(s.at), got, s.want)
			}
		}
	})
}

// An urgent order is handled the same day it is signed for (当日办结, the
// local rule set: "emergencies answered the same day"), not within its
// type's 13 working days; an outage keeps its type's handling limit.
func TestUrgentOrderHandledSameDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		danger, utility, _ := w.tierOrders()
		w.set(time.Date(2026, 12, 4, 2, 10, 0, 0, time.UTC)) // 10:10 CST
		d := must(w.m.SignFor(ctx, w.a("hb"), danger.ID))
		if got := cst(d.ReplyDueAt); got != "2026-12-04 23:59" {
			t.Errorf("urgent order handle by %s, want 2026-12-04 23:59 (the same day)", got)
		}
		u := must(w.m.SignFor(ctx, w.a("hb"), utility.ID))
		// A help request: 3 working days from Friday 12-04: 12-07, 12-08, 12-09.
		if got := cst(u.ReplyDueAt); got != "2026-12-09 23:59" {
			t.Errorf("outage handle by %s, want 2026-12-09 23:59 (3 working days)", got)
		}
	})
}

// The tiers are configuration: a province's override of the utility limit
// and categories is taken, a nonsensical one refused.
func TestSignForTierSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{Settings: []byte(`{"utility_sign_for": {"n": 1, "unit": "hours"}, "utility_categories": ["010400"]}`)})
		_, utility, _ := w.tierOrders()
		if got := cst(utility.SignDueAt); got != "2026-12-04 11:00" {
			t.Errorf("overridden utility tier: sign by %s, want 2026-12-04 11:00", got)
		}
		for _, bad := range []string{`{"utility_sign_for": {"n": 3, "unit": "workdays"}}`, `{"utility_categories": ["01A4"]}`,
			`{"urgent_handle": {"n": 2, "unit": "hours"}}`} {
			if _, err := hotline.ParseSettings([]byte(bad)); err == nil {
				t.Errorf("settings %s accepted", bad)
			}
		}
		s := must(hotline.ParseSettings(nil))
		for _, c := range []struct {
			urgent bool
			code   string
			want   hotline.SignTier
		}{{true, "010101", hotline.TierDanger}, {true, "010403", hotline.TierDanger}, {false, "010403", hotline.TierUtility},
			{false, "010406", hotline.TierUtility}, {false, "010402", hotline.TierNormal}} {
			if got := s.Tier(c.urgent, c.code); got != c.want {
				t.Errorf("Tier(%v, %s) = %s, want %s", c.urgent, c.code, got, c.want)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[int64]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}
