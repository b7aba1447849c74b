package flow_test

import (
	"context"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// daysDef has an overall limit of 90 calendar days (行政处罚法 第六十条),
// extended in calendar days, a hearing that pauses the clock, and a 7
// working-day state after the decision.
const daysDef = `{
  "key": "test.days", "name": "处罚案件", "limit": {"n": 90, "unit": "days"},
  "states": [
    {"key": "open", "name": "调查中", "kind": "start"},
    {"key": "hearing", "name": "听证", "clock": "pause"},
    {"key": "decided", "name": "已决定", "clock": "stop"},
    {"key": "delivery", "name": "送达", "limit": {"n": 7, "unit": "workdays"}},
    {"key": "paying", "name": "缴款", "limit": {"n": 15, "unit": "days"}},
    {"key": "closed", "name": "结案", "kind": "end"}
  ],
  "actions": [
    {"key": "hear", "name": "听证", "from": ["open"], "to": "hearing", "roles": ["department_handler"]},
    {"key": "heard", "name": "听证结束", "from": ["hearing"], "to": "open", "roles": ["department_handler"]},
    {"key": "decide", "name": "决定", "from": ["open"], "to": "decided", "roles": ["department_handler"]},
    {"key": "send", "name": "送达", "from": ["decided"], "to": "delivery", "roles": ["department_handler"]},
    {"key": "delivered", "name": "已送达", "from": ["delivery"], "to": "paying", "roles": ["department_handler"]},
    {"key": "close", "name": "结案", "from": ["paying"], "to": "closed", "roles": ["department_handler"]}
  ],
  "extension": {"request_roles": ["department_handler"], "grant_roles": ["approver"], "max_days": 30, "unit": "days"}
}`

func TestCalendarDayLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if _, _, err := e.eng.LoadDefinition(e.ctx, []byte(daysDef), nil); err != nil {
			t.Fatal(err)
		}
		// Opened Wednesday 2026-09-30: 90 days → Tuesday 12-29.
		in := e.start("test.days")
		if want := endOf(2026, 12, 29); !in.DueAt.Equal(want) {
			t.Fatalf("90-day limit due %v, want %v", in.DueAt, want)
		}
		def, _ := e.eng.Definition(e.ctx, "test.days", 0)
		e.clk.Set(cst(2026, 12, 19, 10, 0))
		if l := flow.TimeLeft(e.eng.Calendar(), def, in, e.clk.Now()); l.Unit != flow.CalendarDays || l.N != 10 || l.Text("zh-CN") != "剩余 10 天" {
			t.Errorf("time left %+v %q, want 10 calendar days", l, l.Text("zh-CN"))
		}
		// A hearing from 10-09 to 10-12 gives back 3 days: 12-29 → Friday
		// 2027-01-01 (2027 has no holiday data yet, so only weekends are
		// days off there).
		e.clk.Set(cst(2026, 10, 9, 10, 0))
		e.mustDo(in.ID, "hear", handler, nil, "")
		e.clk.Set(cst(2026, 10, 12, 10, 0))
		in = e.mustDo(in.ID, "heard", handler, nil, "")
		if want := endOf(2027, 1, 1); !in.DueAt.Equal(want) {
			t.Errorf("after a 3-day hearing due %v, want %v", in.DueAt, want)
		}
		// An extension of 30 days, granted by the approver, counts days.
		approver := &auth.Actor{UserID: 8, Name: "负责人", Roles: []auth.Role{auth.RoleApprover}, DepartmentIDs: []int64{7}}
		var x *flow.Extension
		err := db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) (err error) {
			if x, err = e.eng.RequestExtension(ctx, tx, in.ID, 30, "案情复杂", handler); err != nil {
				return err
			}
			x, err = e.eng.DecideExtension(ctx, tx, x.ID, approver, true, 0, "同意延长30日")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		in, _ = e.eng.Instance(e.ctx, in.ID)
		// 01-01 + 30 = Sunday 01-31, a day off → Monday 02-01.
		if want := endOf(2027, 2, 1); x.Status != flow.ExtensionGranted || !in.DueAt.Equal(want) {
			t.Errorf("extended due %v, want %v", in.DueAt, want)
		}
		// Decided: the 90-day clock stops; delivery runs 7 working days,
		// payment 15 days.
		e.clk.Set(cst(2026, 10, 20, 10, 0))
		e.mustDo(in.ID, "decide", handler, nil, "")
		in = e.mustDo(in.ID, "send", handler, nil, "")
		if !in.DueAt.IsZero() || !in.StateDueAt.Equal(endOf(2026, 10, 29)) {
			t.Errorf("delivery: overall %v (want none), state due %v, want 10-29", in.DueAt, in.StateDueAt)
		}
		e.clk.Set(cst(2026, 10, 22, 10, 0))
		in = e.mustDo(in.ID, "delivered", handler, nil, "")
		if want := endOf(2026, 11, 6); !in.StateDueAt.Equal(want) {
			t.Errorf("payment due %v, want %v", in.StateDueAt, want)
		}
	})
}
