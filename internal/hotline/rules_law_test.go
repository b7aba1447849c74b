package hotline_test

// The hotline's rules as the reference states them, each test naming its
// source and stating the expected dates literally: the clocks are those of
// hotline.json and DefaultLimits as shipped, not a test definition, so a
// change to the shipped settings fails here (.ci/mutants checks that it
// does).

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// day formats t as its CST date.
func day(t time.Time) string { return t.In(calendar.CST).Format("2006-01-02") }

// cstTime is a CST wall time.
func cstTime(m time.Month, d, h, min int) time.Time {
	return time.Date(2026, m, d, h, min, 0, 0, calendar.CST)
}

// set puts the world's clock at t.
func (w *world) set(t time.Time) {
	w.mu.Lock()
	w.now = t
	w.mu.Unlock()
}

// 退单 (send-back) of a misrouted order: within 24 hours of dispatch, also
// after sign-for while the order is being handled (hotline-12345.md, the
// local rule set after Tianjin 2024: "a misrouted order must be returned
// within 24 hours").
func TestSendBackWindowIs24HoursOfDispatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA})) // Wed 2026-09-30 10:00 CST
		w.advance(23*time.Hour + 59*time.Minute)                                         // Thu 09:59, inside the 24 hours
		if _, err := w.m.SendBack(ctx, w.a("ha"), o.ID, "不属本部门职责"); err != nil {
			t.Fatalf("send back 23h59m after dispatch: %v, want it allowed (24-hour window)", err)
		}
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		w.advance(24*time.Hour + time.Minute)
		if _, err := w.m.SendBack(ctx, w.a("hb"), o.ID, "不属本部门职责"); !errors.Is(err, hotline.ErrSendBackLate) {
			t.Errorf("send back 24h01m after dispatch: %v, want ErrSendBackLate", err)
		}
	})
}

func TestSendBackWhileHandlingWithin24Hours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		must(w.m.SignFor(ctx, w.a("ha"), o.ID))
		w.advance(5 * time.Hour)
		back, err := w.m.SendBack(ctx, w.a("ha"), o.ID, "签收后发现属城管职责")
		if err != nil || back.Status != hotline.StatusNew {
			t.Fatalf("send back of a signed order within 24 hours: %v, want it back at dispatch", err)
		}
	})
}

// handleDue dispatches an order of type typ at Wed 2026-09-30 10:00 CST,
// signs for it at once and returns its instance.
func (w *world) handleDue(typ hotline.Type) (*hotline.Order, *flow.Instance) {
	w.t.Helper()
	ctx := context.Background()
	n := complaint("13800001111")
	n.Type = typ
	o := w.intake(n)
	must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
	must(w.m.SignFor(ctx, w.a("hb"), o.ID))
	return o, must(w.m.Instance(ctx, w.a("hb"), o.ID))
}

// Handling limits of DefaultLimits (hotline-12345.md, local rule set:
// "enquiries and help within 3 working days; complaints and suggestions
// within 13 working days"), counted from the next day on
// the 2026 calendar (国庆节 10-01..10-07 off, Saturday 10-10 a working day).
func TestConsultationLimitIs3WorkingDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		_, in := w.handleDue(hotline.TypeConsult)
		// 10-08, 10-09, 10-10 (调休 Saturday): the close of 2026-10-10.
		if got := day(in.StateDueAt); got != "2026-10-10" {
			t.Errorf("consultation due %s, want 2026-10-10 (3 working days)", got)
		}
		_, in = w.handleDue(hotline.TypeComplaint)
		if got := day(in.StateDueAt); got != "2026-10-23" {
			t.Errorf("complaint due %s, want 2026-10-23 (13 working days)", got)
		}
	})
}

// The 三单一函 ladder as hotline.json ships it (reference: 提醒单 →
// 督办单 → 限时督办单 → 移交函): a reminder when 80% of the handling
// limit is used, 督办 at the limit, 限时督办 1 working day and 移交 5
// working days overdue. A complaint signed for on 2026-09-30 is due at the
// close of 2026-10-23 (13 working days).
func TestShippedEscalationLadder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o, _ := w.handleDue(hotline.TypeComplaint)
		steps := []struct {
			at    time.Time
			level flow.Level
		}{
			{cstTime(10, 20, 23, 59), flow.LevelNone},      // 10 of 13 working days not yet over
			{cstTime(10, 21, 0, 1), flow.LevelRemind},      // 80%: floor(0.8×13) = 10 working days, close of 10-20
			{cstTime(10, 23, 23, 59), flow.LevelRemind},    // the limit's last minute
			{cstTime(10, 24, 0, 1), flow.LevelSupervise},   // 督办单 at the limit, close of 10-23
			{cstTime(10, 26, 23, 59), flow.LevelSupervise}, // Monday 10-26 is the first overdue working day
			{cstTime(10, 27, 0, 1), flow.LevelTimeboxed},   // 1 working day overdue
			{cstTime(10, 30, 23, 59), flow.LevelTimeboxed}, // 4 … 5 working days overdue
			{cstTime(10, 31, 0, 1), flow.LevelHandover},    // 5 working days overdue: close of 10-30
			{cstTime(11, 30, 12, 0), flow.LevelHandover},
		}
		for _, s := range steps {
			w.set(s.at)
			if _, err := w.eng.FireDue(ctx, 100); err != nil {
				t.Fatal(err)
			}
			in := must(w.m.Instance(ctx, w.a("disp"), o.ID))
			if in.Escalation != s.level {
				t.Errorf("at %s level %v, want %v", s.at.Format("01-02 15:04"), in.Escalation, s.level)
			}
		}
	})
}

// Extensions as hotline.json ships them: at most 15 working days, asked by
// the handling department.
func TestShippedExtensionCapIs15WorkingDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o, _ := w.handleDue(hotline.TypeComplaint)
		if _, err := w.m.RequestExtension(ctx, w.a("hb"), o.ID, 16, "需跨区协调"); err == nil {
			t.Error("an extension of 16 working days was accepted, want at most 15")
		}
		x := must(w.m.RequestExtension(ctx, w.a("hb"), o.ID, 15, "需跨区协调"))
		must(w.m.DecideExtension(ctx, w.a("disp"), o.ID, x.ID, true, 0, ""))
		// 13 + 15 working days from 2026-09-30: the close of 2026-11-13.
		if got := day(must(w.m.Instance(ctx, w.a("hb"), o.ID)).StateDueAt); got != "2026-11-13" {
			t.Errorf("extended due %s, want 2026-11-13", got)
		}
	})
}

// Whether a complaint was reasonable is judged by the centre, not by the
// caller (issue 12): the caller's own visit link records the rating but
// can neither mark the dissatisfaction reasonable nor reopen the order.
func TestVisitLinkCannotJudgeReasonable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		closed := func() *hotline.Order {
			o, _ := w.handleDue(hotline.TypeComplaint)
			must(w.m.Reply(ctx, w.a("hb"), o.ID, "已处理。"))
			return must(w.m.Close(ctx, w.a("disp"), o.ID, ""))
		}
		o := closed()
		tok := strings.TrimPrefix(w.m.VisitLink(o.ID), "/hotline/visit/")
		got, err := w.m.VisitByLink(ctx, tok, hotline.VisitInput{Satisfaction: hotline.Dissatisfied, Reasonable: true, Note: "还是有油烟"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != hotline.StatusVisited || got.ReopenCount != 0 {
			t.Errorf("caller's link: status %s, reopens %d; want visited, not reopened", got.Status, got.ReopenCount)
		}
		// The same through the page: a posted reasonable=1 is not taken.
		o = closed()
		link := w.m.VisitLink(o.ID)
		resp, err := http.PostForm(w.srv.URL+link, url.Values{"satisfaction": {"dissatisfied"}, "reasonable": {"1"}, "note": {"问题依旧"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := must(w.m.Get(ctx, w.a("disp"), o.ID)); got.Status != hotline.StatusVisited || got.ReopenCount != 0 {
			t.Errorf("visit page: status %s, reopens %d; want visited, not reopened", got.Status, got.ReopenCount)
		}
		// The centre's operator may judge it reasonable and reopen.
		o = closed()
		got = must(w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Satisfaction: hotline.Dissatisfied, Reasonable: true, Note: "核实属实"}))
		if got.Status != hotline.StatusHandling || got.ReopenCount != 1 {
			t.Errorf("operator's visit: status %s, reopens %d; want reopened", got.Status, got.ReopenCount)
		}
	})
}
