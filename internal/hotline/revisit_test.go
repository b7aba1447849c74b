package hotline_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// closedAt takes in a complaint, has department B handle it and closes it
// at CST wall time closed.
func (w *world) closedAt(closed time.Time) *hotline.Order {
	w.t.Helper()
	ctx := context.Background()
	w.set(closed.Add(-2 * time.Hour))
	o := w.intake(complaint("13800001111"))
	must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
	must(w.m.SignFor(ctx, w.a("hb"), o.ID))
	must(w.m.Reply(ctx, w.a("hb"), o.ID, "已现场处理，摊位已清理。"))
	w.set(closed)
	return must(w.m.Close(ctx, w.a("disp"), o.ID, ""))
}

// The return visit is due within 2 working days of closure (hotline.json
// "visit_days"; the reference's "return visit the day after closure" as a
// centre's limit): closed on Friday 2026-12-04, the visit is due by the
// close of Tuesday 2026-12-08 (Monday 12-07 and Tuesday 12-08).
func TestVisitDueTwoWorkingDaysAfterClosure(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		o := w.closedAt(time.Date(2026, 12, 4, 10, 0, 0, 0, cstZone))
		if got := cst(o.VisitDueAt); got != "2026-12-08 23:59" {
			t.Errorf("visit due %s, want 2026-12-08 23:59", got)
		}
		_, body := w.get(t, w.client(t, "opr"), "/hotline/orders/"+strconv.FormatInt(o.ID, 10))
		if !strings.Contains(body, "回访期限：2026-12-08 23:59（办结后2个工作日内）") || strings.Contains(body, "已超回访期限") {
			t.Error("order page does not show the visit limit")
		}
		if _, body := w.get(t, w.client(t, "opr"), "/hotline/visits"); !strings.Contains(body, "回访期限 2026-12-08 23:59") {
			t.Error("the visits queue does not show the visit limit")
		}
		w.set(time.Date(2026, 12, 9, 0, 1, 0, 0, cstZone))
		if _, body := w.get(t, w.client(t, "opr"), "/hotline/orders/"+strconv.FormatInt(o.ID, 10)); !strings.Contains(body, "已超回访期限") {
			t.Error("order page does not say the visit is late on 12-09")
		}
	})
}

// A province may set another visit limit and number of calls: with 1
// working day the visit closed on Friday 12-04 is due by the close of
// Monday 12-07, and one failed call ends it; nonsense is refused.
func TestVisitSettingsConfigurable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{Settings: []byte(`{"visit_days": 1, "visit_attempts": 1}`)})
		o := w.closedAt(time.Date(2026, 12, 4, 10, 0, 0, 0, cstZone))
		if got := cst(o.VisitDueAt); got != "2026-12-07 23:59" {
			t.Errorf("visit due with visit_days 1: %s, want 2026-12-07 23:59", got)
		}
		if got, _ := must2(w.m.VisitAttempt(context.Background(), w.a("op"), o.ID, "")); got.VisitSatisfaction != hotline.Unreachable {
			t.Errorf("with visit_attempts 1 one failed call gives %q, want unreachable", got.VisitSatisfaction)
		}
		for _, bad := range []string{`{"visit_days": 0}`, `{"visit_days": 11}`, `{"visit_attempts": 0}`} {
			if _, err := hotline.ParseSettings([]byte(bad)); err == nil {
				t.Errorf("settings %s accepted", bad)
			}
		}
	})
}

// Three failed calls (hotline.json "visit_attempts") end the return visit
// as 无法联系: the order is visited with no verdict. The first two leave it
// waiting for the visit.
func TestThreeFailedCallsEndVisitUnreachable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.closedAt(time.Date(2026, 12, 4, 10, 0, 0, 0, cstZone))
		for i := 1; i <= 2; i++ {
			got, n := must2(w.m.VisitAttempt(ctx, w.a("op"), o.ID, "无人接听"))
			if n != i || got.Status != hotline.StatusClosed {
				t.Fatalf("attempt %d: %d attempts, status %s; want %d, closed", i, n, got.Status, i)
			}
		}
		// Handlers, dispatchers and citizens record no attempt.
		for _, who := range []string{"hb", "disp", "cit1"} {
			if _, _, err := w.m.VisitAttempt(ctx, w.a(who), o.ID, ""); !errors.Is(err, auth.ErrForbidden) && !errors.Is(err, hotline.ErrNotFound) {
				t.Errorf("%s recorded an attempt: %v", who, err)
			}
		}
		if _, _, err := w.m.VisitAttempt(ctx, w.a("op"), o.ID, strings.Repeat("长", 1001)); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("an over-long note: %v, want ErrInvalid", err)
		}
		// Through the page: the third attempt.
		code, _ := w.postForm(t, w.client(t, "opr"), "/hotline/orders/"+strconv.FormatInt(o.ID, 10)+"/visit_attempt", url.Values{"note": {"关机"}})
		if code != http.StatusSeeOther {
			t.Fatalf("third attempt through the page: %d", code)
		}
		got := must(w.m.Get(ctx, w.a("disp"), o.ID))
		if got.Status != hotline.StatusVisited || got.VisitSatisfaction != hotline.Unreachable || got.VisitSolved != nil {
			t.Errorf("after 3 failed calls: status %s, outcome %s, solved %v; want visited, unreachable, no verdict",
				got.Status, got.VisitSatisfaction, got.VisitSolved)
		}
		if _, _, err := w.m.VisitAttempt(ctx, w.a("op"), o.ID, ""); !errors.Is(err, hotline.ErrState) {
			t.Errorf("an attempt after the visit ended: %v, want ErrState", err)
		}
		// A staff visit cannot claim the outcome by hand.
		o2 := w.closedAt(time.Date(2026, 12, 4, 11, 0, 0, 0, cstZone))
		if _, err := w.m.Visit(ctx, w.a("op"), o2.ID, hotline.VisitInput{Satisfaction: hotline.Unreachable}); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("a visit marked unreachable by hand: %v, want ErrInvalid", err)
		}
	})
}

// An order whose visit reached no one counts in neither the resolution
// nor the satisfaction rate (CountingRules, "回访无法联系"), but in the
// response rate: of two orders of department B in December, one visited
// satisfied and solved, one unreachable, the resolution and satisfaction
// rates are 1/1 and the response rate 2/2.
func TestUnreachableVisitCountsInNoVerdictRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		a := w.closedAt(time.Date(2026, 12, 4, 10, 0, 0, 0, cstZone))
		must(w.m.Visit(ctx, w.a("op"), a.ID, hotline.VisitInput{Solved: true, Satisfaction: hotline.Satisfied}))
		b := w.closedAt(time.Date(2026, 12, 4, 14, 0, 0, 0, cstZone))
		for range 3 {
			must2(w.m.VisitAttempt(ctx, w.a("op"), b.ID, ""))
		}
		f := must(w.m.Figures(ctx, w.a("sup"), must(hotline.ParseMonth("2026-12")), hotline.ByDepartment, hotline.DefaultWeights()))
		r := rowOf(t, f.Rows, strconv.FormatInt(w.deptB, 10))
		if r.Resolution != (hotline.Rate{N: 1, D: 1}) || r.Satisfaction != (hotline.Rate{N: 1, D: 1}) || r.Response != (hotline.Rate{N: 2, D: 2}) {
			t.Errorf("rates: resolution %+v, satisfaction %+v, response %+v; want 1/1, 1/1, 2/2", r.Resolution, r.Satisfaction, r.Response)
		}
		found := false
		for _, c := range hotline.CountingRules() {
			found = found || strings.Contains(c.Zh, "无法联系")
		}
		if !found {
			t.Error("the counting rules do not say how unreachable visits count")
		}
	})
}
