package flow_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// hotlineDef is a 12345 work order: dispatch, handle (5 working days, with
// a correction pause), reply, close; the 三单一函 ladder on the handling
// limit.
const hotlineDef = `{
  "key": "test.hotline", "name": "12345工单", "name_en": "Hotline order",
  "limit": {"n": 13, "unit": "workdays"},
  "states": [
    {"key": "new", "name": "待派单", "kind": "start"},
    {"key": "handling", "name": "办理中", "limit": {"n": 5, "unit": "workdays"}},
    {"key": "correction", "name": "补充材料", "clock": "pause"},
    {"key": "replied", "name": "已答复"},
    {"key": "closed", "name": "已办结", "kind": "end"}
  ],
  "actions": [
    {"key": "dispatch", "name": "派单", "from": ["new"], "to": "handling", "roles": ["dispatcher"]},
    {"key": "ask_correction", "name": "要求补充", "from": ["handling"], "to": "correction",
     "roles": ["department_handler"], "comment_required": true},
    {"key": "corrected", "name": "已补充", "from": ["correction"], "to": "handling", "roles": ["citizen"]},
    {"key": "reply", "name": "答复", "from": ["handling"], "to": "replied", "roles": ["department_handler"],
     "inputs": [
       {"key": "result", "type": "choice", "options": ["solved", "unsolved"], "required": true},
       {"key": "visit_date", "type": "date"},
       {"key": "cost", "type": "number"}
     ]},
    {"key": "close", "name": "办结", "from": ["replied"], "to": "closed", "roles": ["hotline_operator"]}
  ],
  "escalation": [
    {"level": "remind", "share": 0.8, "on": "state"},
    {"level": "supervise", "share": 1, "on": "state"},
    {"level": "timeboxed", "overdue_days": 2, "on": "state"},
    {"level": "handover", "overdue_days": 5, "on": "state"}
  ],
  "extension": {"request_roles": ["department_handler"], "grant_roles": ["supervisor"], "max_days": 10}
}`

var (
	dispatcher = &auth.Actor{UserID: 1, Name: "派单员", Roles: []auth.Role{auth.RoleDispatcher}, RegionCode: "440300"}
	handler    = &auth.Actor{UserID: 2, Name: "承办人", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{7}}
	otherDept  = &auth.Actor{UserID: 3, Name: "他部门", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{8}}
	citizen    = &auth.Actor{UserID: 100, Name: "市民", Roles: []auth.Role{auth.RoleCitizen}}
	stranger   = &auth.Actor{UserID: 101, Name: "路人", Roles: []auth.Role{auth.RoleCitizen}}
	operator   = &auth.Actor{UserID: 4, Name: "坐席", Roles: []auth.Role{auth.RoleOperator}, RegionCode: "440305"}
	supervisor = &auth.Actor{UserID: 5, Name: "督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "440000"}
	farAway    = &auth.Actor{UserID: 6, Name: "外地派单", Roles: []auth.Role{auth.RoleDispatcher}, RegionCode: "110000"}
)

// cst returns a CST wall time.
func cst(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, calendar.CST)
}

// endOf returns the close of a CST day, as deadlines are stored.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 999999000, calendar.CST).UTC()
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t   *testing.T
	db  *store.DB
	eng *flow.Engine
	clk *clock
	ctx context.Context
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	clk := &clock{t: cst(2026, 9, 30, 10, 0)}
	cal := calendar.New(calendar.Official())
	eng := flow.New(db, func() flow.Calendar { return cal }, audit.New(clk.Now), clk.Now)
	e := &env{t: t, db: db, eng: eng, clk: clk, ctx: context.Background()}
	if _, _, err := eng.LoadDefinition(e.ctx, []byte(hotlineDef), &auth.Actor{UserID: 9, Name: "管理员"}); err != nil {
		t.Fatalf("load: %v", err)
	}
	return e
}

func (e *env) start(key string) *flow.Instance {
	e.t.Helper()
	var in *flow.Instance
	err := e.db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		in, err = e.eng.Start(ctx, tx, flow.StartInput{DefinitionKey: key, SubjectType: "test_order",
			SubjectID: 42, RegionCode: "440305", DepartmentIDs: []int64{7}, OwnerUserID: citizen.UserID,
			Actor: operator})
		return err
	})
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	return in
}

func (e *env) do(id int64, action string, a *auth.Actor, inputs map[string]string, comment string) (*flow.Instance, error) {
	var in *flow.Instance
	err := e.db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		in, err = e.eng.Do(ctx, tx, id, action, a, inputs, comment)
		return err
	})
	return in, err
}

func (e *env) mustDo(id int64, action string, a *auth.Actor, inputs map[string]string, comment string) *flow.Instance {
	e.t.Helper()
	in, err := e.do(id, action, a, inputs, comment)
	if err != nil {
		e.t.Fatalf("%s: %v", action, err)
	}
	return in
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatalf("count %q: %v", q, err)
	}
	return n
}

func (e *env) fire() int {
	e.t.Helper()
	n, err := e.eng.FireDue(e.ctx, 100)
	if err != nil {
		e.t.Fatalf("fire: %v", err)
	}
	return n
}

func TestParseListsEveryProblem(t *testing.T) {
	bad := `{
	  "key": "bad", "name": "坏流程",
	  "limit": {"n": 0, "unit": "weeks"},
	  "states": [
	    {"key": "a", "name": "A", "kind": "start"},
	    {"key": "b", "name": "B", "kind": "start"},
	    {"key": "a", "name": "A again"},
	    {"key": "island", "name": "孤岛"},
	    {"key": "trap", "name": "陷阱"},
	    {"key": "done", "name": "完成", "kind": "end"}
	  ],
	  "actions": [
	    {"key": "go", "name": "走", "from": ["a"], "to": "trap", "roles": ["wizard"]},
	    {"key": "go", "name": "又走", "from": ["a"], "to": "done", "roles": ["admin"]},
	    {"key": "finish", "name": "完", "from": ["b", "ghost"], "to": "done", "roles": ["admin"]},
	    {"key": "undo", "name": "撤", "from": ["done"], "to": "a", "roles": ["admin"]},
	    {"key": "leave", "name": "离", "from": ["island"], "to": "nowhere", "roles": ["admin"]}
	  ],
	  "escalation": [
	    {"level": "supervise", "share": 1, "on": "overall"},
	    {"level": "remind", "share": 0.8, "on": "overall"},
	    {"level": "timeboxed", "overdue_days": 2, "on": "state"}
	  ]
	}`
	_, err := flow.Parse([]byte(bad))
	var de *flow.DefinitionError
	if !errors.As(err, &de) || !errors.Is(err, flow.ErrInvalidDefinition) {
		t.Fatalf("Parse = %v, want *DefinitionError", err)
	}
	want := []string{
		`overall limit: unknown unit "weeks"`,
		`several start states: a, b`,
		`state "a": duplicate key`,
		`action "go": unknown role "wizard"`,
		`action "go": duplicate key`,
		`action "finish": unknown from state "ghost"`,
		`action "undo": leaves end state "done"`,
		`action "leave": unknown to state "nowhere"`,
		`state "island": no path to an end state`,
		`state "trap": no path to an end state`,
		`escalation #2 (remind): levels out of order`,
		`escalation #2 (remind): threshold out of order`,
		`escalation #3 (timeboxed): hangs on state limits but no state has one`,
	}
	for _, w := range want {
		found := false
		for _, p := range de.Problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("problem %q not reported; got:\n%s", w, strings.Join(de.Problems, "\n"))
		}
	}

	// Unreachable states need a single start state to be judged.
	_, err = flow.Parse([]byte(`{"key": "k", "name": "n",
	  "states": [{"key": "s", "name": "S", "kind": "start"}, {"key": "x", "name": "X"}, {"key": "e", "name": "E", "kind": "end"}],
	  "actions": [{"key": "a", "name": "A", "from": ["s"], "to": "e", "roles": ["admin"]},
	              {"key": "b", "name": "B", "from": ["x"], "to": "e", "roles": ["admin"]}]}`))
	if err == nil || !strings.Contains(err.Error(), `state "x": unreachable`) {
		t.Errorf("unreachable state: got %v", err)
	}
	_, err = flow.Parse([]byte(`{"key": "k", "name": "n", "states": [{"key": "e", "name": "E", "kind": "end"}], "actions": []}`))
	if err == nil || !strings.Contains(err.Error(), "no start state") {
		t.Errorf("no start state: got %v", err)
	}
	if _, err := flow.Parse([]byte(hotlineDef)); err != nil {
		t.Errorf("valid definition refused: %v", err)
	}
}

func TestHappyPath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		if in.State != "new" || in.Status != flow.StatusRunning || in.DefinitionVersion != 1 {
			t.Fatalf("started = %+v", in)
		}
		if want := endOf(2026, 10, 23); !in.DueAt.Equal(want) { // 13 working days from 09-30
			t.Errorf("overall due = %v, want %v", in.DueAt, want)
		}
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		e.clk.Add(time.Hour)
		e.mustDo(in.ID, "reply", handler, map[string]string{"result": "solved", "visit_date": "2026-10-02", "cost": "12.5"}, "已解决")
		got := e.mustDo(in.ID, "close", operator, nil, "")
		if got.State != "closed" || got.Status != flow.StatusDone || got.FinishedAt.IsZero() {
			t.Fatalf("closed = %+v", got)
		}
		if _, err := e.do(in.ID, "close", operator, nil, ""); !errors.Is(err, flow.ErrFinished) {
			t.Errorf("act on finished case: %v, want ErrFinished", err)
		}
		hist, err := e.eng.History(e.ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, h := range hist {
			steps = append(steps, h.Action+":"+h.From+">"+h.To)
		}
		if s := strings.Join(steps, " "); s != "start:>new dispatch:new>handling reply:handling>replied close:replied>closed" {
			t.Errorf("history = %s", s)
		}
		if r := hist[2]; r.ActorID != handler.UserID || r.Inputs["result"] != "solved" || r.Comment != "已解决" {
			t.Errorf("reply history = %+v", r)
		}
		if n := e.count("SELECT COUNT(*) FROM outbox WHERE topic = 'flow.transition'"); n != 3 {
			t.Errorf("transition events = %d, want 3", n)
		}
		if n := e.count("SELECT COUNT(*) FROM flow_timers WHERE fired_at IS NULL"); n != 0 {
			t.Errorf("pending timers after the end = %d", n)
		}
		if n, err := audit.Verify(e.ctx, db); err != nil || n != 5 { // load + start + 3 transitions
			t.Errorf("audit verify = %d, %v", n, err)
		}
	})
}

func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		before := e.count("SELECT COUNT(*) FROM flow_history")
		for _, c := range []struct {
			name   string
			action string
			actor  *auth.Actor
			want   error
		}{
			{"wrong role", "dispatch", handler, flow.ErrForbidden},
			{"dispatcher elsewhere", "dispatch", farAway, flow.ErrForbidden},
			{"no actor", "dispatch", nil, flow.ErrForbidden},
			{"not from this state", "reply", handler, flow.ErrNoSuchAction},
			{"unknown action", "teleport", dispatcher, flow.ErrNoSuchAction},
		} {
			if _, err := e.do(in.ID, c.action, c.actor, nil, ""); !errors.Is(err, c.want) {
				t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			}
		}
		got, err := e.eng.Instance(e.ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != "new" || got.Version != in.Version {
			t.Errorf("refused actions changed the instance: %+v", got)
		}
		if after := e.count("SELECT COUNT(*) FROM flow_history"); after != before {
			t.Errorf("history rows %d → %d after refusals", before, after)
		}

		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		if _, err := e.do(in.ID, "reply", otherDept, map[string]string{"result": "solved"}, ""); !errors.Is(err, flow.ErrForbidden) {
			t.Errorf("handler of another department: %v, want ErrForbidden", err)
		}
	})
}

func TestInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		for _, c := range []struct {
			inputs map[string]string
			keys   string
		}{
			{nil, "result"},
			{map[string]string{"result": "maybe"}, "result"},
			{map[string]string{"result": "solved", "visit_date": "2026-13-01", "cost": "abc"}, "cost visit_date"},
			{map[string]string{"result": "solved", "colour": "red"}, "colour"},
		} {
			_, err := e.do(in.ID, "reply", handler, c.inputs, "")
			var ie *flow.InputError
			if !errors.As(err, &ie) {
				t.Errorf("%v: err = %v, want *InputError", c.inputs, err)
				continue
			}
			var keys []string
			for _, p := range ie.Problems {
				keys = append(keys, p.Key)
			}
			if strings.Join(keys, " ") != c.keys {
				t.Errorf("%v: problems on %v, want %s", c.inputs, keys, c.keys)
			}
		}
		_, err := e.do(in.ID, "ask_correction", handler, nil, "  ")
		var ie *flow.InputError
		if !errors.As(err, &ie) || ie.Problems[0].Key != "comment" {
			t.Errorf("missing required comment: %v", err)
		}
		if got, _ := e.eng.Instance(e.ctx, in.ID); got.State != "handling" {
			t.Errorf("state after bad inputs = %s", got.State)
		}
	})
}

func TestStateDeadlineAndPause(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		// Dispatched on Wednesday 2026-09-30: 5 working days end on Tuesday 10-13
		// (10-08, 10-09, 10-10 make-up Saturday, 10-12, 10-13).
		in = e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		if want := endOf(2026, 10, 13); !in.StateDueAt.Equal(want) {
			t.Fatalf("state due = %v, want %v", in.StateDueAt, want)
		}
		// Paused on Friday 10-09, resumed Wednesday 10-14: the working days
		// 10-10, 10-12, 10-13, 10-14 are given back.
		e.clk.Set(cst(2026, 10, 9, 10, 0))
		in = e.mustDo(in.ID, "ask_correction", handler, nil, "请补充现场照片")
		if in.Status != flow.StatusPaused || !in.PausedAt.Equal(e.clk.Now().UTC()) {
			t.Fatalf("paused = %+v", in)
		}
		e.clk.Set(cst(2026, 10, 14, 10, 0))
		if n := e.fire(); n != 0 {
			t.Errorf("%d escalations fired while the clock was paused", n)
		}
		in = e.mustDo(in.ID, "corrected", citizen, nil, "")
		if in.Status != flow.StatusRunning || !in.PausedAt.IsZero() {
			t.Fatalf("resumed = %+v", in)
		}
		if want := endOf(2026, 10, 19); !in.StateDueAt.Equal(want) {
			t.Errorf("state due after pause = %v, want %v", in.StateDueAt, want)
		}
		if want := endOf(2026, 10, 29); !in.DueAt.Equal(want) { // 10-23 + 4 working days
			t.Errorf("overall due after pause = %v, want %v", in.DueAt, want)
		}
		// The remind (80%: close of the 4th working day, 10-12) moved by the
		// same 4 working days, to 10-16.
		e.clk.Set(cst(2026, 10, 16, 23, 0))
		if n := e.fire(); n != 0 {
			t.Errorf("remind fired early: %d", n)
		}
		e.clk.Set(cst(2026, 10, 17, 0, 1))
		if n := e.fire(); n != 1 {
			t.Errorf("remind after the pause fired %d times, want 1", n)
		}
	})
}

func TestEscalationLadder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		steps := []struct {
			at    time.Time
			fired int
			level flow.Level
		}{
			{cst(2026, 10, 12, 23, 0), 0, flow.LevelNone},
			{cst(2026, 10, 13, 0, 1), 1, flow.LevelRemind},    // 80% used: close of 10-12
			{cst(2026, 10, 13, 12, 0), 0, flow.LevelRemind},   // nothing twice
			{cst(2026, 10, 14, 0, 1), 1, flow.LevelSupervise}, // the limit: close of 10-13
			{cst(2026, 10, 15, 23, 0), 0, flow.LevelSupervise},
			{cst(2026, 10, 16, 0, 1), 1, flow.LevelTimeboxed}, // 2 working days overdue
			{cst(2026, 10, 20, 23, 0), 0, flow.LevelTimeboxed},
			{cst(2026, 10, 21, 0, 1), 1, flow.LevelHandover}, // 5 working days overdue
			{cst(2026, 12, 1, 0, 0), 0, flow.LevelHandover},
		}
		for _, s := range steps {
			e.clk.Set(s.at)
			if n := e.fire(); n != s.fired {
				t.Errorf("at %v fired %d, want %d", s.at, n, s.fired)
			}
			got, _ := e.eng.Instance(e.ctx, in.ID)
			if got.Escalation != s.level {
				t.Errorf("at %v level %v, want %v", s.at, got.Escalation, s.level)
			}
		}
		if n := e.count("SELECT COUNT(*) FROM flow_history WHERE action = 'escalate'"); n != 4 {
			t.Errorf("escalation history rows = %d, want 4", n)
		}
		if n := e.count("SELECT COUNT(*) FROM outbox WHERE topic = 'flow.escalated'"); n != 4 {
			t.Errorf("escalation events = %d, want 4", n)
		}
		// The overdue case shows in the supervisor's list with its overdue days.
		items, pg, err := e.eng.Overdue(e.ctx, flow.OverdueQuery{Region: "440000", Until: e.clk.Now()})
		if err != nil || len(items) != 1 || pg.Count != 1 || !pg.Next.IsZero() {
			t.Fatalf("overdue = %v, %v", items, err)
		}
		if items[0].OverdueDays <= 5 || items[0].TimeLeft >= 0 {
			t.Errorf("overdue item = %+v", items[0])
		}
		if items, _, _ := e.eng.Overdue(e.ctx, flow.OverdueQuery{Region: "110000", Until: e.clk.Now()}); len(items) != 0 {
			t.Errorf("another region's supervisor sees %d overdue cases", len(items))
		}
	})
}

func TestExtensions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		e.clk.Set(cst(2026, 10, 9, 10, 0))
		tx := func(fn func(ctx context.Context, tx store.Tx) error) error { return db.WithTx(e.ctx, fn) }

		var x *flow.Extension
		if err := tx(func(ctx context.Context, t store.Tx) error {
			_, err := e.eng.RequestExtension(ctx, t, in.ID, 3, "需现场勘查", citizen)
			return err
		}); !errors.Is(err, flow.ErrForbidden) {
			t.Errorf("citizen asking for an extension: %v", err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) error {
			_, err := e.eng.RequestExtension(ctx, t, in.ID, 11, "需现场勘查", handler)
			return err
		}); !errors.As(err, new(*flow.InputError)) {
			t.Errorf("more than max_days: %v", err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) (err error) {
			x, err = e.eng.RequestExtension(ctx, t, in.ID, 3, "需现场勘查", handler)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) error {
			_, err := e.eng.DecideExtension(ctx, t, x.ID, handler, true, 0, "")
			return err
		}); !errors.Is(err, flow.ErrForbidden) {
			t.Errorf("handler granting own extension: %v", err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) (err error) {
			x, err = e.eng.DecideExtension(ctx, t, x.ID, supervisor, true, 0, "同意")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, _ := e.eng.Instance(e.ctx, in.ID)
		if want := endOf(2026, 10, 16); x.Status != flow.ExtensionGranted || !got.StateDueAt.Equal(want) {
			t.Errorf("granted: %s, state due %v, want %v", x.Status, got.StateDueAt, want)
		}
		if want := endOf(2026, 10, 28); !got.DueAt.Equal(want) || got.ExtendedDays != 3 {
			t.Errorf("overall due %v (want %v), extended %d", got.DueAt, want, got.ExtendedDays)
		}
		// The escalations moved by 3 working days too: remind 10-12 → 10-15,
		// supervise 10-13 → 10-16.
		e.clk.Set(cst(2026, 10, 15, 23, 0))
		if n := e.fire(); n != 0 {
			t.Errorf("fired %d before the moved remind", n)
		}
		e.clk.Set(cst(2026, 10, 16, 0, 1))
		if n := e.fire(); n != 1 {
			t.Errorf("moved remind fired %d times, want 1", n)
		}

		// A refusal needs a reason and moves nothing.
		if err := tx(func(ctx context.Context, t store.Tx) (err error) {
			x, err = e.eng.RequestExtension(ctx, t, in.ID, 2, "再延", handler)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) error {
			_, err := e.eng.DecideExtension(ctx, t, x.ID, supervisor, false, 0, "")
			return err
		}); !errors.As(err, new(*flow.InputError)) {
			t.Errorf("refusal without reason: %v", err)
		}
		if err := tx(func(ctx context.Context, t store.Tx) (err error) {
			x, err = e.eng.DecideExtension(ctx, t, x.ID, supervisor, false, 0, "理由不充分")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		after, _ := e.eng.Instance(e.ctx, in.ID)
		if x.Status != flow.ExtensionRefused || x.DecisionReason != "理由不充分" || !after.StateDueAt.Equal(got.StateDueAt) {
			t.Errorf("refused: %+v, due %v → %v", x, got.StateDueAt, after.StateDueAt)
		}
		xs, err := e.eng.Extensions(e.ctx, in.ID)
		if err != nil || len(xs) != 2 {
			t.Errorf("extensions = %v, %v", xs, err)
		}
		if n := e.count("SELECT COUNT(*) FROM outbox WHERE topic = 'flow.extension'"); n != 4 {
			t.Errorf("extension events = %d, want 4", n)
		}
	})
}

func TestVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		old := e.start("test.hotline")
		// Same content, other whitespace: no new version.
		d, created, err := e.eng.LoadDefinition(e.ctx, []byte(strings.ReplaceAll(hotlineDef, "\n", "\n ")), nil)
		if err != nil || created || d.Version != 1 {
			t.Fatalf("reload identical = v%d created %v, %v", d.Version, created, err)
		}
		v2 := strings.Replace(hotlineDef, `"key": "dispatch", "name": "派单"`, `"key": "assign", "name": "指派"`, 1)
		d, created, err = e.eng.LoadDefinition(e.ctx, []byte(v2), nil)
		if err != nil || !created || d.Version != 2 {
			t.Fatalf("load changed = v%d created %v, %v", d.Version, created, err)
		}
		fresh := e.start("test.hotline")
		if old.DefinitionVersion != 1 || fresh.DefinitionVersion != 2 {
			t.Fatalf("versions: old %d, new %d", old.DefinitionVersion, fresh.DefinitionVersion)
		}
		if _, err := e.do(old.ID, "dispatch", dispatcher, nil, ""); err != nil {
			t.Errorf("running case lost its version: %v", err)
		}
		if _, err := e.do(fresh.ID, "dispatch", dispatcher, nil, ""); !errors.Is(err, flow.ErrNoSuchAction) {
			t.Errorf("new case still has the old action: %v", err)
		}
		e.mustDo(fresh.ID, "assign", dispatcher, nil, "")
		infos, err := e.eng.Definitions(e.ctx)
		if err != nil || len(infos) != 2 || infos[0].Version != 2 {
			t.Errorf("definitions = %+v, %v", infos, err)
		}
		// A fresh engine (another node) reads versions from the database.
		other := flow.New(db, func() flow.Calendar { return calendar.New(nil) }, nil, e.clk.Now)
		if d, err := other.Definition(e.ctx, "test.hotline", 1); err != nil || d.Action("dispatch") == nil {
			t.Errorf("definition v1 from the database: %v", err)
		}
	})
}

func TestConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		// A form rendered before the dispatch carries the old row version.
		err := db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := e.eng.Apply(ctx, tx, flow.Transition{InstanceID: in.ID, Version: in.Version,
				Action: "ask_correction", Actor: handler, Comment: "x"})
			return err
		})
		if !errors.Is(err, flow.ErrConflict) {
			t.Errorf("stale version: %v, want ErrConflict", err)
		}
		if db.Kind() != store.Postgres {
			return
		}
		// Two transactions race on PostgreSQL: the second to write loses.
		tx1, err := db.BeginTx(e.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx1.Rollback()
		if _, err := e.eng.Do(e.ctx, tx1, in.ID, "ask_correction", handler, nil, "请补充"); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		read := make(chan struct{})
		go func() {
			tx2, err := db.BeginTx(e.ctx, nil)
			if err != nil {
				errc <- err
				return
			}
			defer tx2.Rollback()
			close(read)
			_, err = e.eng.Do(e.ctx, tx2, in.ID, "reply", handler, map[string]string{"result": "solved"}, "")
			errc <- err
		}()
		<-read
		time.Sleep(300 * time.Millisecond) // let tx2 read and block on the row
		if err := tx1.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-errc; !errors.Is(err, flow.ErrConflict) {
			t.Errorf("concurrent transition: %v, want ErrConflict", err)
		}
	})
}

func TestInboxScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.start("test.hotline")
		b := e.start("test.hotline")
		c := e.start("test.hotline")
		ids := func(a *auth.Actor, q flow.InboxQuery) []int64 {
			t.Helper()
			items, pg, err := e.eng.Inbox(e.ctx, db, a, q)
			if err != nil {
				t.Fatal(err)
			}
			if total := pg.Count; total < len(items) {
				t.Errorf("total %d < %d items", total, len(items))
			}
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}
		if got := ids(dispatcher, flow.InboxQuery{}); len(got) != 3 {
			t.Errorf("dispatcher inbox = %v, want 3 cases", got)
		}
		if got := ids(farAway, flow.InboxQuery{}); len(got) != 0 {
			t.Errorf("dispatcher of another region sees %v", got)
		}
		e.mustDo(a.ID, "dispatch", dispatcher, nil, "")
		e.clk.Add(24 * time.Hour)
		e.mustDo(b.ID, "dispatch", dispatcher, nil, "")
		if got := ids(handler, flow.InboxQuery{}); len(got) != 2 || got[0] != a.ID || got[1] != b.ID {
			t.Errorf("handler inbox = %v, want [%d %d] (soonest due first)", got, a.ID, b.ID)
		}
		if got := ids(otherDept, flow.InboxQuery{}); len(got) != 0 {
			t.Errorf("handler of another department sees %v", got)
		}
		if got := ids(dispatcher, flow.InboxQuery{}); len(got) != 1 || got[0] != c.ID {
			t.Errorf("dispatcher inbox after dispatch = %v", got)
		}
		e.mustDo(a.ID, "ask_correction", handler, nil, "补充")
		if got := ids(citizen, flow.InboxQuery{}); len(got) != 1 || got[0] != a.ID {
			t.Errorf("owner inbox = %v", got)
		}
		if got := ids(stranger, flow.InboxQuery{}); len(got) != 0 {
			t.Errorf("another citizen sees %v", got)
		}
		if err := db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) error {
			return e.eng.SetDepartments(ctx, tx, b.ID, []int64{8}, dispatcher)
		}); err != nil {
			t.Fatal(err)
		}
		if got := ids(otherDept, flow.InboxQuery{}); len(got) != 1 || got[0] != b.ID {
			t.Errorf("after reassignment department 8 sees %v", got)
		}
		if got := ids(handler, flow.InboxQuery{}); len(got) != 0 {
			t.Errorf("after reassignment department 7 still sees %v", got)
		}
		e.clk.Set(cst(2026, 10, 20, 9, 0))
		items, pg, err := e.eng.Inbox(e.ctx, db, otherDept, flow.InboxQuery{Overdue: true})
		if err != nil || pg.Count != 1 || items[0].ID != b.ID || items[0].OverdueDays != 5 { // 10-14 … 10-20
			t.Errorf("overdue inbox = %+v, %d, %v", items, pg.Count, err)
		}
		items, pg, err = e.eng.Inbox(e.ctx, db, handler, flow.InboxQuery{Overdue: true})
		if err != nil || pg.Count != 0 || len(items) != 0 { // a is paused: not overdue
			t.Errorf("department 7 overdue inbox = %+v, %d, %v", items, pg.Count, err)
		}
		// The overdue range reads the paused flag of the wait rows, never the
		// instance: the flag follows the clock.
		paused := func(id int64) (n int) {
			if err := db.QueryRowContext(e.ctx, "SELECT COUNT(*) FROM flow_instance_waits WHERE instance_id = ? AND paused = TRUE", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if paused(a.ID) == 0 || paused(b.ID) != 0 {
			t.Errorf("paused rows: a %d (want > 0), b %d (want 0)", paused(a.ID), paused(b.ID))
		}
		e.mustDo(a.ID, "corrected", citizen, nil, "")
		if paused(a.ID) != 0 {
			t.Errorf("a resumed but %d of its wait rows are still paused", paused(a.ID))
		}
	})
}

func TestSVG(t *testing.T) {
	d, err := flow.Parse([]byte(strings.Replace(hotlineDef, "12345工单", "<script>&", 1)))
	if err != nil {
		t.Fatal(err)
	}
	svg := string(d.SVG("zh"))
	for _, want := range []string{"<svg", "待派单", "派单", "已办结", "&lt;script&gt;&amp;", "stroke-dasharray"} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %q", want)
		}
	}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("svg is not well-formed XML: %v", err)
		}
	}
	if strings.Contains(svg, "<script>") {
		t.Error("svg embeds unescaped text")
	}
	if en := string(d.SVG("en")); !strings.Contains(en, "Hotline order") {
		t.Error("english svg lacks the English name")
	}
}

func TestLabels(t *testing.T) {
	d, err := flow.Parse([]byte(hotlineDef))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ got, want string }{
		{d.ActionLabel("dispatch", "zh-CN"), "派单"},
		{d.ActionLabel("start", "zh-CN"), "创建"},
		{d.ActionLabel("escalate", "en"), "Escalated"},
		{d.ActionLabel("no_such", "zh-CN"), "no_such"},
		{d.StateLabel("handling", "zh-CN"), "办理中"},
		{d.StateLabel("handling", "en"), "办理中"}, // no English name: Chinese
		{d.StateLabel("nowhere", "en"), "nowhere"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
