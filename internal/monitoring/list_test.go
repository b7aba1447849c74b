package monitoring

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// cst returns an instant given as a wall-clock time in China Standard Time.
func atCST(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.CST)
	if err != nil {
		panic(err)
	}
	return t
}

// endOf is the close of a day in CST, when a working-day limit runs out.
func endOf(day string) time.Time {
	t, err := time.ParseInLocation(calendar.DateLayout, day, calendar.CST)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, 0, 1).Add(-time.Microsecond).UTC()
}

type listWorld struct {
	m    *Module
	now  time.Time
	dev  RegisteredDevice // cold chain, department 7
	disp RegisteredDevice // dispenser, department 7
	tank RegisteredDevice // fuel tank, department 8
}

func newListWorld(t *testing.T, db *store.DB) *listWorld {
	t.Helper()
	ctx := context.Background()
	w := &listWorld{now: atCST("2026-12-04 10:00")}
	clock := func() time.Time { return w.now }
	m, err := New(Deps{DB: db, Policy: auth.NewPolicy(), Org: org.NewService(db, nil, clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.m = m
	reg := func(uscc, kind string, dept int64) RegisteredDevice {
		d, _, err := m.store.Register(ctx, RegisteredDevice{Device: Device{USCC: uscc, Kind: kind}, DepartmentID: dept, Location: "1号",
			Unit: "x", BusinessName: "云澜测试" + uscc[len(uscc)-3:], RegionCode: "990102"}, w.now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	w.dev = reg("91150100MA0000001A", "cold_chain", 7)
	w.disp = reg("91150100MA0000002D", "dispenser", 7)
	w.tank = reg("91150100MA0000003G", "fuel_tank", 8)
	return w
}

// fire folds firings of one rule on one device at the given CST times.
func (w *listWorld) fire(t *testing.T, d RegisteredDevice, rule string, at ...string) {
	t.Helper()
	ctx := context.Background()
	var fs []Firing
	for _, s := range at {
		fs = append(fs, Firing{RuleCode: rule, DeviceID: d.ID, USCC: d.USCC, At: atCST(s), Explanation: "测试触发 " + s})
	}
	err := w.m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := w.m.store.ApplyFirings(ctx, tx, w.m.rules.byCode(), fs, map[int64]RegisteredDevice{d.ID: d})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *listWorld) only(t *testing.T, a *auth.Actor, f AlertFilter) []Alert {
	t.Helper()
	f.Limit = MaxPage
	als, _, err := w.m.Alerts(context.Background(), a, f)
	if err != nil {
		t.Fatal(err)
	}
	return als
}

func alertIDs(als []Alert) []int64 {
	var out []int64
	for _, a := range als {
		out = append(out, a.ID)
	}
	return out
}

// TestAckLimitsOnCalendar counts the national acknowledgement limits on the
// working-day calendar from the day an alert is raised (the day itself not
// counted): raised on Friday 2026-12-04, a 提醒 (3 working days) is due at
// the close of Wednesday 12-09, a 约谈 (5) of Friday 12-11. An escalation
// runs the stronger grade's limit from its own day, but never later than
// the limit already running: escalated to 约谈 on Monday 12-07 it stays
// due 12-09 (12-14 would be later), escalated to 检查 (1 working day) the
// same Monday it is due at the close of Tuesday 12-08. Over National Day,
// a 约谈 raised on Wednesday 2026-09-30 is due on Tuesday 2026-10-13.
func TestAckLimitsOnCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newListWorld(t, db)
		staff := &auth.Actor{UserID: 1, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{7}}
		w.fire(t, w.dev, "cold-chain-temp", "2026-12-04 10:00")
		w.fire(t, w.disp, "dispenser-error", "2026-12-04 10:00")
		byDevice := func() map[int64]Alert {
			out := map[int64]Alert{}
			for _, a := range w.only(t, staff, AlertFilter{}) {
				out[a.DeviceID] = a
			}
			return out
		}
		got := byDevice()
		if r := got[w.dev.ID]; r.Grade != GradeRemind || !r.AckDue.Equal(endOf("2026-12-09")) {
			t.Errorf("提醒 raised 2026-12-04: %s due %v, want the close of 2026-12-09", r.Grade, r.AckDue.In(calendar.CST))
		}
		if i := got[w.disp.ID]; i.Grade != GradeInterview || !i.AckDue.Equal(endOf("2026-12-11")) {
			t.Errorf("约谈 raised 2026-12-04: %s due %v, want the close of 2026-12-11", i.Grade, i.AckDue.In(calendar.CST))
		}
		// cold-chain-temp escalates every 2 further firings.
		w.fire(t, w.dev, "cold-chain-temp", "2026-12-07 09:00", "2026-12-07 09:30")
		if r := byDevice()[w.dev.ID]; r.Grade != GradeInterview || !r.AckDue.Equal(endOf("2026-12-09")) {
			t.Errorf("escalated to 约谈 on 12-07: %s due %v, want still the close of 2026-12-09", r.Grade, r.AckDue.In(calendar.CST))
		}
		w.fire(t, w.dev, "cold-chain-temp", "2026-12-07 10:00", "2026-12-07 10:30")
		if r := byDevice()[w.dev.ID]; r.Grade != GradeCheck || !r.AckDue.Equal(endOf("2026-12-08")) {
			t.Errorf("escalated to 检查 on 12-07: %s due %v, want the close of 2026-12-08", r.Grade, r.AckDue.In(calendar.CST))
		}
		if got := w.m.ackDue(GradeInterview, atCST("2026-09-30 15:00")); !got.Equal(endOf("2026-10-13")) {
			t.Errorf("约谈 raised 2026-09-30: due %v, want the close of 2026-10-13 (国庆节)", got.In(calendar.CST))
		}
	})
}

// TestOverdueSweepAndFilters flags an unacknowledged alert once its limit
// has passed, once, with an entry in its history; a late acknowledgement
// keeps the flag. The list filters by state, grade, business and the day
// raised, and keeps to the caller's department.
func TestOverdueSweepAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newListWorld(t, db)
		staff := &auth.Actor{UserID: 1, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{7}}
		other := &auth.Actor{UserID: 2, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{8}}
		super := &auth.Actor{UserID: 3, Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990102"}
		w.fire(t, w.dev, "cold-chain-temp", "2026-12-04 10:00")  // 提醒, due 12-09
		w.fire(t, w.disp, "dispenser-error", "2026-12-07 10:00") // 约谈, due 12-14
		w.fire(t, w.tank, "tank-leak", "2026-12-04 11:00")       // 约谈 of department 8, due 12-11

		w.now = atCST("2026-12-09 23:00")
		if n, err := w.m.SweepOverdue(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before the close of 12-09: %d flagged, %v; want 0", n, err)
		}
		if got := w.only(t, staff, AlertFilter{State: StateOverdue}); len(got) != 0 {
			t.Errorf("overdue at 12-09 23:00: %v, want none", alertIDs(got))
		}
		w.now = atCST("2026-12-10 00:01")
		n, err := w.m.SweepOverdue(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep on 12-10: %d flagged, %v; want 1 (the 提醒 of 12-04)", n, err)
		}
		if n, _ := w.m.SweepOverdue(ctx); n != 0 {
			t.Errorf("second sweep flagged %d again", n)
		}
		if n, err := w.m.CountOverdue(ctx, staff); err != nil || n != 1 {
			t.Errorf("overdue count %d (%v), want 1", n, err)
		}
		over := w.only(t, staff, AlertFilter{State: StateOverdue})
		if len(over) != 1 || over[0].DeviceID != w.dev.ID || !over[0].OverdueAt.Equal(w.now) {
			t.Fatalf("overdue list %+v, want the cold chain's 提醒 flagged at 12-10 00:01", over)
		}
		_, evs, _ := w.m.store.Alert(ctx, over[0].ID)
		if last := evs[len(evs)-1]; last.Kind != EventOverdue || !strings.Contains(last.Note, "3个工作日") {
			t.Errorf("history ends %+v, want the overdue entry naming 3个工作日", last)
		}
		if w.m.StateOf(over[0], w.now) != StateOverdue {
			t.Errorf("state %s, want overdue", w.m.StateOf(over[0], w.now))
		}
		// Department 8's 约谈 passed its limit too (12-11 is later; not yet).
		if got := w.only(t, other, AlertFilter{State: StateOverdue}); len(got) != 0 {
			t.Errorf("department 8 overdue %v, want none before the close of 12-11", alertIDs(got))
		}
		if err := w.m.store.Acknowledge(ctx, over[0].ID, 1, w.now); err != nil {
			t.Fatal(err)
		}
		late, _, _ := w.m.store.Alert(ctx, over[0].ID)
		if late.Acknowledged.IsZero() || late.OverdueAt.IsZero() || w.m.StateOf(late, w.now) != StateAcknowledged {
			t.Errorf("acknowledged late: %+v, want acknowledged with the overdue flag kept", late)
		}
		if got := w.only(t, staff, AlertFilter{State: StatePending}); len(got) != 1 || got[0].DeviceID != w.disp.ID {
			t.Errorf("pending %v, want the dispenser's", alertIDs(got))
		}
		if got := w.only(t, staff, AlertFilter{State: StateAcknowledged}); len(got) != 1 || got[0].ID != late.ID {
			t.Errorf("acknowledged %v, want %d", alertIDs(got), late.ID)
		}

		// Filters as the page and the API read them.
		f, err := ParseFilter(url.Values{"grade": {"约谈"}, "from": {"2026-12-05"}, "to": {"2026-12-07"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := w.only(t, staff, f); len(got) != 1 || got[0].DeviceID != w.disp.ID {
			t.Errorf("约谈 raised 12-05..12-07: %v, want the dispenser's", alertIDs(got))
		}
		f, _ = ParseFilter(url.Values{"to": {"2026-12-04"}, "state": {"all"}})
		if got := w.only(t, super, f); len(got) != 2 {
			t.Errorf("supervisor, raised up to 12-04: %v, want the cold chain's and the tank's", alertIDs(got))
		}
		if f, err = ParseFilter(url.Values{"uscc": {strings.ToLower(w.tank.USCC)}}); err != nil {
			t.Fatal(err)
		}
		if got := w.only(t, staff, f); len(got) != 0 {
			t.Errorf("department 7 sees department 8's alert: %v", alertIDs(got))
		}
		if got := w.only(t, other, f); len(got) != 1 || got[0].DeviceID != w.tank.ID {
			t.Errorf("department 8 by code: %v, want its tank's", alertIDs(got))
		}
		for _, bad := range []url.Values{
			{"uscc": {"91150100MA0000001Y"}}, {"uscc": {"9115010\x00MA0000001X"}}, {"grade": {"warn"}}, {"state": {"late"}},
			{"from": {"2026-13-01"}}, {"from": {"2026-12-08"}, "to": {"2026-12-07"}}, {"note": {"a\u0085b"}},
		} {
			var fe *FieldError
			if _, err := ParseFilter(bad); !errors.As(err, &fe) {
				t.Errorf("filter %v: %v, want a field error", bad, err)
			}
		}
	})
}

// TestAckLimitsConfig reads a province's limits, with the older hours form
// still accepted, and refuses limits that cannot be counted.
func TestAckLimitsConfig(t *testing.T) {
	base := `{"version":1,"scope":"150000",%s"rules":[{"code":"x","name":"x","device_kind":"k","kind":"gap","gap_minutes":5,"grade":"remind"}]}`
	rs, err := ParseRules([]byte(strings.Replace(base, "%s", `"ack_limits":{"check":{"n":2,"unit":"working_days"}},"ack_within_hours":{"remind":48,"check":4},`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for g, want := range map[Grade]calendar.Limit{GradeCheck: {N: 2, Unit: calendar.WorkingDays}, GradeRemind: {N: 48, Unit: calendar.Hours},
		GradeInterview: {N: 5, Unit: calendar.WorkingDays}} {
		if got := rs.AckLimit(g); got != want {
			t.Errorf("%s: limit %v, want %v", g, got, want)
		}
	}
	for _, bad := range []string{`"ack_limits":{"check":{"n":0,"unit":"working_days"}},`, `"ack_limits":{"check":{"n":2,"unit":"minutes"}},`,
		`"ack_limits":{"check":{"n":2,"unit":"weeks"}},`, `"ack_limits":{"warn":{"n":2,"unit":"working_days"}},`, `"ack_limits":{"check":{"n":91,"unit":"working_days"}},`} {
		var fe *FieldError
		if _, err := ParseRules([]byte(strings.Replace(base, "%s", bad, 1))); !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, "ack_limits.") {
			t.Errorf("%s: %v, want an ack_limits field error", bad, err)
		}
	}
}
