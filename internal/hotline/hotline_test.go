package hotline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// world is a running hotline: the city 990100 with district 990102, a
// market-regulation and an urban-management department, the hotline's
// operator and dispatcher, a handler in each department, two citizens and a
// supervisor, on a clock the test moves.
type world struct {
	t      testing.TB
	db     *store.DB
	m      *hotline.Module
	eng    *flow.Engine
	srv    *httptest.Server
	mu     sync.Mutex
	now    time.Time
	actors map[string]*auth.Actor
	deptA  int64 // 临江区市场监督管理局
	deptB  int64 // 临江区城市管理局
	auth   *auth.Service
	hook   string
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func setup(t testing.TB, db *store.DB, cfg hotline.Config) *world { return setupRelay(t, db, cfg, nil) }

// setupRelay is setup with a privacy-number relay.
func setupRelay(t testing.TB, db *store.DB, cfg hotline.Config, relay hotline.Relay) *world {
	ctx := context.Background()
	w := &world{t: t, db: db, now: time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC), actors: map[string]*auth.Actor{}} // Wed 10:00 CST
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, w.clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, w.clock, auth.Options{Password: auth.TestPasswordParams})
	cal := calendar.New(calendar.Official())
	log := audit.New(w.clock)
	w.eng = flow.New(db, func() flow.Calendar { return cal }, log, w.clock)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		a, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "LJ-SCJG", Name: "临江区市场监督管理局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		b, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "LJ-CGJ", Name: "临江区城市管理局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		c, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "YL-12345", Name: "12345热线中心", RegionCode: "990100"})
		if err != nil {
			return err
		}
		w.deptA, w.deptB = a.ID, b.ID
		users := []org.NewUser{
			{Username: "opr", DisplayName: "坐席", Roles: []auth.Role{auth.RoleOperator}, RegionCode: "990100", DepartmentIDs: []int64{c.ID}},
			{Username: "op2", DisplayName: "坐席二", Roles: []auth.Role{auth.RoleOperator}, RegionCode: "990100", DepartmentIDs: []int64{c.ID}},
			{Username: "disp", DisplayName: "派单员", Roles: []auth.Role{auth.RoleDispatcher}, RegionCode: "990100", DepartmentIDs: []int64{c.ID}},
			{Username: "han", DisplayName: "承办甲", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{a.ID}, Phone: "13900000011"},
			{Username: "hbn", DisplayName: "承办乙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{b.ID}},
			{Username: "cit1", DisplayName: "市民一", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "cit2", DisplayName: "市民二", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "sup", DisplayName: "督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"},
		}
		for _, u := range users {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return err
			}
			w.actors[strings.TrimSuffix(strings.TrimSuffix(u.Username, "r"), "n")] = &auth.Actor{UserID: created.ID, Name: u.DisplayName, Roles: u.Roles,
				RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := auth.NewPolicy()
	revs := revision.NewPages(db, revision.Store{Now: w.clock})
	m, err := hotline.New(hotline.Deps{DB: db, Flow: w.eng, Org: orgs, Policy: policy, Audit: log, Box: box,
		Calendar: func() flow.Calendar { return cal }, Revisions: revs, Relay: relay, Config: cfg, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	w.m, w.auth = m, sessions
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{m, revs}, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

func (w *world) a(name string) *auth.Actor { return w.actors[name] }

// complaint is a valid phone complaint about a street stall.
func complaint(phone string) hotline.NewOrder {
	return hotline.NewOrder{Channel: hotline.ChannelPhone, Type: hotline.TypeComplaint, CategoryCode: "010101",
		Content: "江滨路夜市占道经营严重，晚上十点后油烟噪声扰民，行人无法通行", CallerName: "李先生",
		CallerPhone: phone, RegionCode: "990102", Address: "临江区江滨路88号"}
}

func (w *world) intake(n hotline.NewOrder) *hotline.Order {
	w.t.Helper()
	res, err := w.m.Intake(context.Background(), w.a("op"), n)
	if err != nil {
		w.t.Fatalf("intake: %v", err)
	}
	return res.Order
}

// must returns v, or panics (failing the test with a stack) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func count(t *testing.T, db *store.DB, table string) int {
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIntakeValidationStoresNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		lat := 91.0
		cases := []struct {
			name  string
			edit  func(n *hotline.NewOrder)
			field string
		}{
			{"no content", func(n *hotline.NewOrder) { n.Content = " " }, "content"},
			{"bad phone", func(n *hotline.NewOrder) { n.CallerPhone = "1380000" }, "caller_phone"},
			{"unknown category", func(n *hotline.NewOrder) { n.CategoryCode = "999999" }, "category_code"},
			{"unknown type", func(n *hotline.NewOrder) { n.Type = "gossip" }, "type"},
			{"bad region", func(n *hotline.NewOrder) { n.RegionCode = "99A102" }, "region_code"},
			{"appeal without USCC", func(n *hotline.NewOrder) { n.Type = hotline.TypeAppealArrears }, "uscc"},
			{"appeal with bad USCC", func(n *hotline.NewOrder) { n.Type = hotline.TypeAppealArrears; n.USCC = "91990102MA01YL8A10" }, "uscc"},
			{"latitude out of range", func(n *hotline.NewOrder) { n.Lat, n.Lng = &lat, &lat }, "lat"},
			{"direct close of a complaint", func(n *hotline.NewOrder) { n.DirectAnswer = "已答复" }, "direct_answer"},
			{"110 without its id", func(n *hotline.NewOrder) { n.Channel = hotline.ChannelFrom110 }, "source_ref"},
		}
		for _, c := range cases {
			n := complaint("13800001111")
			c.edit(&n)
			_, err := w.m.Intake(context.Background(), w.a("op"), n)
			if !errors.Is(err, hotline.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", c.name, err)
				continue
			}
			var fields []string
			for _, fe := range hotline.FieldErrors(err) {
				fields = append(fields, fe.Name)
			}
			if !strings.Contains(strings.Join(fields, ","), c.field) {
				t.Errorf("%s: fields %v, want %s", c.name, fields, c.field)
			}
		}
		if n := count(t, db, "hotline_orders"); n != 0 {
			t.Errorf("%d orders stored after refusals", n)
		}
		if n := count(t, db, "flow_instances"); n != 0 {
			t.Errorf("%d workflow instances after refusals", n)
		}
		// Through the API: a 422 naming the field, nothing stored.
		code, body := w.api(t, "opr", "POST", "/api/v1/hotline/orders", map[string]any{"channel": "phone", "type": "complaint",
			"category_code": "010101", "content": "太短", "caller_phone": "138", "region_code": "990102", "address": "江滨路"})
		if code != 422 || !strings.Contains(body, "caller_phone") || !strings.Contains(body, "content") {
			t.Errorf("API refusal: %d %s", code, body)
		}
		if n := count(t, db, "hotline_orders"); n != 0 {
			t.Errorf("%d orders stored after an API refusal", n)
		}
	})
}

// TestWholePath follows one order from the operator's intake through
// dispatch, sign-for, reply, closure and a satisfied return visit.
func TestWholePath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		if !strings.HasPrefix(o.Number, "1234520260930") || len(o.Number) != 19 {
			t.Errorf("number %q", o.Number)
		}
		if o.Status != hotline.StatusNew || o.CallerPhone != "13800001111" {
			t.Errorf("after intake: %s, phone seen by its operator %q", o.Status, o.CallerPhone)
		}
		// Another operator sees the phone masked.
		if got := must(w.m.Get(ctx, w.a("op2"), o.ID)).CallerPhone; got != "138****1111" {
			t.Errorf("other operator sees %q", got)
		}
		// The phone is encrypted at rest.
		var stored string
		db.QueryRowContext(ctx, "SELECT caller_phone FROM hotline_orders WHERE id = ?", o.ID).Scan(&stored)
		if strings.Contains(stored, "13800001111") {
			t.Error("phone stored in clear")
		}
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB, Assist: []int64{w.deptA}}))
		// The assisting department may read but not sign.
		if _, err := w.m.SignFor(ctx, w.a("ha"), o.ID); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("assisting department signs: %v", err)
		}
		o = must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		if o.Status != hotline.StatusHandling {
			t.Fatalf("after sign: %s", o.Status)
		}
		// Complaints: 13 working days from Wed 2026-09-30, across the National
		// Day holiday (10-01..10-07) and its make-up Saturday 10-10.
		in := must(w.m.Instance(ctx, w.a("hb"), o.ID))
		if got := in.StateDueAt.In(calendar.CST).Format("2006-01-02"); got != "2026-10-23" {
			t.Errorf("handling due %s, want 2026-10-23", got)
		}
		if _, err := w.m.Reply(ctx, w.a("hb"), o.ID, " "); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("empty reply: %v", err)
		}
		must(w.m.Reply(ctx, w.a("hb"), o.ID, "已联合市场监管部门清理占道摊点，并设置夜市限时经营区域。"))
		must(w.m.Close(ctx, w.a("disp"), o.ID, ""))
		o = must(w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Solved: true, Satisfaction: hotline.Satisfied}))
		if o.Status != hotline.StatusVisited || o.VisitSolved == nil || !*o.VisitSolved || o.Open() {
			t.Errorf("after visit: %s solved=%v open=%v", o.Status, o.VisitSolved, o.Open())
		}
		if in, _ := w.eng.Instance(ctx, o.InstanceID); in.State != "visited" || in.Status != flow.StatusDone {
			t.Errorf("workflow ends in %s/%s", in.State, in.Status)
		}
		// A visit again is refused.
		if _, err := w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Satisfaction: hotline.Satisfied}); !errors.Is(err, hotline.ErrState) {
			t.Errorf("second visit: %v", err)
		}
	})
}

func TestDuplicateMergeReachesEveryCaller(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		master := w.intake(complaint("13800001111"))
		// Same caller: offered.
		dups := must(w.m.Duplicates(ctx, complaint("13800001111")))
		if len(dups) != 1 || dups[0].ID != master.ID {
			t.Fatalf("same caller: %+v", dups)
		}
		// Another caller, same place, similar text: offered; different text: not.
		other := complaint("13900002222")
		other.Content = "江滨路夜市占道经营，晚上十点以后油烟和噪声扰民，行人无法通行"
		res := must(w.m.Intake(ctx, w.a("op"), other))
		if len(res.Duplicates) != 1 || res.Duplicates[0].ID != master.ID {
			t.Fatalf("same place, similar text: %+v", res.Duplicates)
		}
		unrelated := complaint("13700003333")
		unrelated.Content = "小区门口路灯坏了三天，晚上很黑，请尽快维修"
		if d := must(w.m.Duplicates(ctx, unrelated)); len(d) != 0 {
			t.Errorf("unrelated text offered: %+v", d)
		}
		// Beyond 7 days: not offered.
		w.advance(8 * 24 * time.Hour)
		if d := must(w.m.Duplicates(ctx, complaint("13800001111"))); len(d) != 0 {
			t.Errorf("8 days later: %+v", d)
		}
		w.advance(-8 * 24 * time.Hour)

		dup := must(w.m.Merge(ctx, w.a("op"), res.Order.ID, master.ID))
		if dup.Status != hotline.StatusMerged || dup.MergedInto != master.ID || !dup.Open() {
			t.Fatalf("merged: %+v", dup)
		}
		must(w.m.Dispatch(ctx, w.a("disp"), master.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), master.ID))
		must(w.m.Reply(ctx, w.a("hb"), master.ID, "已清理占道摊点。"))
		dup = must(w.m.Get(ctx, w.a("op"), dup.ID))
		if dup.ReplyText != "已清理占道摊点。" || dup.Open() {
			t.Errorf("merged order's reply %q open=%v", dup.ReplyText, dup.Open())
		}
		// Only one order was handled: the merged one never reached a department.
		if dup.LeadDept != 0 {
			t.Error("merged order dispatched too")
		}
	})
}

func TestUrgentSignForInMinutes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		w.now = time.Date(2026, 10, 3, 14, 0, 0, 0, time.UTC) // Saturday, National Day holiday, 22:00 CST
		urgent := complaint("13800001111")
		urgent.Urgent = true
		u := w.intake(urgent)
		n := w.intake(complaint("13900002222"))
		for _, id := range []int64{u.ID, n.ID} {
			must(w.m.Dispatch(ctx, w.a("disp"), id, hotline.DispatchInput{Lead: w.deptB}))
		}
		ui := must(w.m.Instance(ctx, w.a("disp"), u.ID))
		if got := ui.StateDueAt.Sub(w.now); got != 15*time.Minute {
			t.Errorf("urgent sign-for limit %v, want 15m on the wall clock", got)
		}
		ni := must(w.m.Instance(ctx, w.a("disp"), n.ID))
		// One working day from a holiday Saturday: the close of Thursday 10-08,
		// the first working day after the holiday.
		if got := ni.StateDueAt.In(calendar.CST).Format("2006-01-02"); got != "2026-10-08" {
			t.Errorf("normal sign-for due %s, want 2026-10-08", got)
		}
	})
}

func TestSendBackWithin24Hours(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		if _, err := w.m.SendBack(ctx, w.a("ha"), o.ID, ""); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("send back without a reason: %v", err)
		}
		w.advance(2 * time.Hour)
		back := must(w.m.SendBack(ctx, w.a("ha"), o.ID, "占道经营属城管职责，非市场监管"))
		if back.Status != hotline.StatusNew || back.LeadDept != 0 {
			t.Fatalf("after send back: %s lead %d", back.Status, back.LeadDept)
		}
		hist := must(w.m.History(ctx, w.a("disp"), o.ID))
		if last := hist[len(hist)-1]; last.Action != "send_back" || !strings.Contains(last.Comment, "城管") {
			t.Errorf("history lacks the reason: %+v", last)
		}
		// Re-dispatched; 25 hours later a send-back is refused.
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		w.advance(25 * time.Hour)
		if _, err := w.m.SendBack(ctx, w.a("hb"), o.ID, "不属本部门"); !errors.Is(err, hotline.ErrSendBackLate) {
			t.Errorf("late send back: %v, want ErrSendBackLate", err)
		}
		if got := must(w.m.Get(ctx, w.a("hb"), o.ID)).Status; got != hotline.StatusHandling {
			t.Errorf("late send back changed the order: %s", got)
		}
	})
}

func TestExtensionGrantedByDispatcher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		before := must(w.m.Instance(ctx, w.a("hb"), o.ID)).StateDueAt
		x := must(w.m.RequestExtension(ctx, w.a("hb"), o.ID, 5, "需协调多部门联合整治"))
		// The handler cannot grant it; the dispatcher can.
		if _, err := w.m.DecideExtension(ctx, w.a("hb"), o.ID, x.ID, true, 0, ""); err == nil {
			t.Error("handler granted their own extension")
		}
		must(w.m.DecideExtension(ctx, w.a("disp"), o.ID, x.ID, true, 0, ""))
		after := must(w.m.Instance(ctx, w.a("hb"), o.ID)).StateDueAt
		if got := after.In(calendar.CST).Format("2006-01-02"); got != "2026-10-30" || !after.After(before) {
			t.Errorf("deadline %s → %s, want 2026-10-30", before.In(calendar.CST).Format("2006-01-02"), got)
		}
		// The citizen is told: an outbox event names the new date.
		var payload string
		db.QueryRowContext(ctx, "SELECT payload FROM outbox WHERE topic = ?", hotline.TopicNotify).Scan(&payload)
		if !strings.Contains(payload, "2026-10-30") {
			t.Errorf("citizen notice: %q", payload)
		}
		// After the deadline no extension may be asked.
		w.advance(60 * 24 * time.Hour)
		if _, err := w.m.RequestExtension(ctx, w.a("hb"), o.ID, 1, "再延"); !errors.Is(err, hotline.ErrState) {
			t.Errorf("extension after the deadline: %v", err)
		}
	})
}

func TestDissatisfiedVisitReopensToSameDepartment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		must(w.m.Reply(ctx, w.a("hb"), o.ID, "已处理。"))
		must(w.m.Close(ctx, w.a("disp"), o.ID, ""))
		if _, err := w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Satisfaction: hotline.Dissatisfied, Reasonable: true}); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("reopen without a note: %v", err)
		}
		o = must(w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Solved: false, Satisfaction: hotline.Dissatisfied,
			Reasonable: true, Note: "摊点第二天又回来了"}))
		if o.Status != hotline.StatusHandling || o.LeadDept != w.deptB || o.ReopenCount != 1 {
			t.Fatalf("after reopen: %s lead %d reopens %d", o.Status, o.LeadDept, o.ReopenCount)
		}
		hist := must(w.m.History(ctx, w.a("hb"), o.ID))
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if got := strings.Join(actions, ","); got != "start,dispatch,sign,reply,close,reopen" {
			t.Errorf("history %s", got)
		}
		// The same department replies again.
		must(w.m.Reply(ctx, w.a("hb"), o.ID, "已建立长效巡查机制。"))
		// A dissatisfied visit without a reasonable cause ends the order.
		must(w.m.Close(ctx, w.a("disp"), o.ID, ""))
		o = must(w.m.Visit(ctx, w.a("op"), o.ID, hotline.VisitInput{Satisfaction: hotline.Dissatisfied}))
		if o.Status != hotline.StatusVisited {
			t.Errorf("unreasonable dissatisfaction: %s", o.Status)
		}
	})
}

func TestConfidentialReporterHidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		n := complaint("13800001111")
		n.Type, n.Confidential, n.CallerName = hotline.TypeReport, true, "王举报"
		o := w.intake(n)
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		got := must(w.m.Get(ctx, w.a("hb"), o.ID))
		if strings.Contains(got.CallerName, "王") || got.CallerPhone != "" {
			t.Errorf("department sees %q %q", got.CallerName, got.CallerPhone)
		}
		if got := must(w.m.Get(ctx, w.a("disp"), o.ID)); got.CallerName != "王举报" {
			t.Errorf("dispatcher sees %q", got.CallerName)
		}
		hb := w.client(t, "hbn")
		id := strconv.FormatInt(o.ID, 10)
		if code, body := w.get(t, hb, "/hotline/orders/"+id); code != 200 || strings.Contains(body, "王举报") || strings.Contains(body, "13800001111") || strings.Contains(body, "*1111") {
			t.Errorf("department page: %d, shows reporter: %v", code, strings.Contains(body, "王举报"))
		}
		if code, body := w.get(t, hb, "/api/v1/hotline/orders/"+id); code != 200 || strings.Contains(body, "王举报") || strings.Contains(body, "13800001111") || strings.Contains(body, "*1111") {
			t.Errorf("department API: %d %s", code, body)
		}
		if _, body := w.get(t, hb, "/hotline/handling"); strings.Contains(body, "王举报") || !strings.Contains(body, o.Number) {
			t.Errorf("department list shows the reporter or misses the order")
		}
	})
}

func TestCitizenSeesOnlyOwnAndLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{LookupLimit: 2})
		ctx := context.Background()
		c1, c2 := w.client(t, "cit1"), w.client(t, "cit2")
		b, _ := json.Marshal(map[string]any{"channel": "phone", "type": "help",
			"category_code": "010402", "content": "小区门口路灯坏了三天，晚上很黑", "caller_phone": "13800005555",
			"region_code": "990102", "address": "临江区春江花园"})
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/hotline/orders", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", w.srv.URL)
		resp, err := c1.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(raw)
		// A create answers 201 with the new order's address.
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("citizen files: %d %s", resp.StatusCode, body)
		}
		var res hotline.IntakeResult
		json.Unmarshal([]byte(body), &res)
		loc := resp.Header.Get("Location")
		if want := "/api/v1/hotline/orders/" + strconv.FormatInt(res.Order.ID, 10); loc != want {
			t.Errorf("Location %q, want %q", loc, want)
		}
		if code, got := w.apiAs(t, c1, "GET", loc, nil); code != 200 || !strings.Contains(got, res.Order.Number) {
			t.Errorf("GET Location: %d %s", code, got)
		}
		if res.Order.Channel != hotline.ChannelWeb || res.Order.CallerPhone != "138****5555" {
			t.Errorf("citizen's order: channel %s phone %q", res.Order.Channel, res.Order.CallerPhone)
		}
		w.intake(complaint("13900002222")) // someone else's
		id := strconv.FormatInt(res.Order.ID, 10)
		if code, _ := w.get(t, c2, "/api/v1/hotline/orders/"+id); code != 404 {
			t.Errorf("citizen 2 reads citizen 1's order: %d", code)
		}
		if code, _ := w.get(t, c2, "/hotline/orders/"+id); code != 404 {
			t.Errorf("citizen 2 opens citizen 1's page: %d", code)
		}
		var list struct{ Total int }
		_, body = w.get(t, c1, "/api/v1/hotline/orders")
		json.Unmarshal([]byte(body), &list)
		if list.Total != 1 {
			t.Errorf("citizen 1 lists %d orders, want 1", list.Total)
		}
		// Lookup by number needs the right phone.
		anon := &http.Client{}
		if code, body := w.postForm(t, anon, "/hotline/lookup", url.Values{"number": {res.Order.Number}, "phone": {"13800005556"}}); code != 404 || strings.Contains(body, "路灯") {
			t.Errorf("wrong phone: %d", code)
		}
		if code, body := w.postForm(t, anon, "/hotline/lookup", url.Values{"number": {res.Order.Number}, "phone": {"138 0000 5555"}}); code != 200 || !strings.Contains(body, "路灯") {
			t.Errorf("right phone: %d", code)
		}
		if _, err := w.m.Lookup(ctx, res.Order.Number, "13800005556"); !errors.Is(err, hotline.ErrNotFound) {
			t.Errorf("Lookup with the wrong phone: %v", err)
		}
		// The third lookup from one address within the window is refused.
		if code, _ := w.postForm(t, anon, "/hotline/lookup", url.Values{"number": {res.Order.Number}, "phone": {"13800005555"}}); code != http.StatusTooManyRequests {
			t.Errorf("rate limit: %d", code)
		}
	})
}

func TestTransferTo110SignedAndRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		secret := []byte("shared-with-110")
		var calls atomic.Int32
		var got []byte
		var sig string
		hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				http.Error(rw, "busy", http.StatusServiceUnavailable)
				return
			}
			got, _ = io.ReadAll(r.Body)
			sig = r.Header.Get(hotline.SignatureHeader)
		}))
		defer hook.Close()
		w := setup(t, db, hotline.Config{Webhook110: hook.URL, Webhook110Secret: secret})
		ctx := context.Background()
		n := complaint("13800001111")
		n.Urgent, n.Content = true, "楼道里有人持刀威胁邻居，情况紧急"
		o := w.intake(n)
		must(w.m.TransferTo110(ctx, w.a("op"), o.ID, "危及人身安全，一键转110"))
		d := outbox.NewDispatcher(db, nil, w.clock)
		d.MinBackoff = time.Second
		d.Subscribe(hotline.TopicTransfer110, w.m.Deliver110)
		if _, err := d.RunOnce(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 1 || got != nil {
			t.Fatalf("first attempt: %d calls", calls.Load())
		}
		w.advance(time.Minute)
		if _, err := d.RunOnce(ctx, 10); err != nil {
			t.Fatal(err)
		}
		if calls.Load() != 2 || got == nil {
			t.Fatalf("retry: %d calls, body %q", calls.Load(), got)
		}
		if sig != hotline.Sign(secret, got) {
			t.Errorf("signature %q does not match the body", sig)
		}
		var body hotline.Transfer110
		json.Unmarshal(got, &body)
		if body.Number != o.Number || body.CallerPhone != "13800001111" || !body.Urgent {
			t.Errorf("webhook body: %+v", body)
		}
		// 110 reports its outcome through the API.
		code, resp := w.api(t, "opr", "POST", "/api/v1/hotline/orders/"+strconv.FormatInt(o.ID, 10)+"/transfer-outcome",
			map[string]any{"outcome": "民警已到场处置，嫌疑人已控制"})
		if code != 200 || !strings.Contains(resp, "民警已到场") {
			t.Errorf("outcome: %d %s", code, resp)
		}
		// And 110 transfers a matter in.
		code, resp = w.api(t, "opr", "POST", "/api/v1/hotline/from-110", map[string]any{"type": "help", "category_code": "010403",
			"content": "小区停水两天无人处理，群众报警求助", "caller_phone": "13700007777", "region_code": "990102",
			"address": "临江区春江花园", "source_ref": "110-20260930-0042", "channel": "phone"})
		if code != 201 || !strings.Contains(resp, `"channel":"from110"`) || !strings.Contains(resp, "110-20260930-0042") {
			t.Errorf("from 110: %d %s", code, resp)
		}
	})
}

// HTTP helpers.

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

func (w *world) client(t testing.TB, username string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &cookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if code, _ := w.postForm(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}}); code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", username, code)
	}
	return c
}

func (w *world) postForm(t testing.TB, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	return do(t, c, req)
}

func (w *world) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
	return do(t, c, req)
}

func (w *world) api(t *testing.T, username, method, path string, body any) (int, string) {
	return w.apiAs(t, w.client(t, username), method, path, body)
}

func (w *world) apiAs(t *testing.T, c *http.Client, method, path string, body any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", w.srv.URL)
	return do(t, c, req)
}

func do(t testing.TB, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSamePlaceBurstOffersTheMaster files a burst of reports about one
// place, as a hot spot brings: while nobody has merged them, each new
// report is offered the newest few (bounded, the newest first); once the
// operator merged them into the first, a new report is offered that master
// once, not the merged reports one by one.
func TestSamePlaceBurstOffersTheMaster(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		var orders []*hotline.Order
		for i := range 25 {
			n := complaint(fmt.Sprintf("1390000%04d", i))
			n.Content = fmt.Sprintf("江滨路夜市占道经营严重，晚上十点后油烟噪声扰民，行人无法通行（第%d位来电）", i)
			orders = append(orders, w.intake(n))
			w.advance(time.Minute)
		}
		next := complaint("13700009999")
		dups := must(w.m.Duplicates(ctx, next))
		if len(dups) != 10 {
			t.Fatalf("unmerged burst: %d offers, want the newest 10: %+v", len(dups), dups)
		}
		for i, d := range dups {
			if want := orders[len(orders)-1-i].ID; d.ID != want {
				t.Errorf("offer %d is order %d, want %d (the newest first)", i, d.ID, want)
			}
			if d.Reason == "" || d.Similarity < 0.5 {
				t.Errorf("offer %d: similarity %.2f reason %q", i, d.Similarity, d.Reason)
			}
		}
		for _, o := range orders[1:] {
			must(w.m.Merge(ctx, w.a("op"), o.ID, orders[0].ID))
		}
		res := must(w.m.Intake(ctx, w.a("op"), next))
		if len(res.Duplicates) != 1 || res.Duplicates[0].ID != orders[0].ID || res.Duplicates[0].Number != orders[0].Number {
			t.Fatalf("merged burst: %+v, want only the master %s", res.Duplicates, orders[0].Number)
		}
		// Accepting the offer merges the new report at intake.
		last := complaint("13600008888")
		last.MergeInto = orders[0].ID
		merged := must(w.m.Intake(ctx, w.a("op"), last)).Order
		if merged.Status != hotline.StatusMerged || merged.MergedInto != orders[0].ID {
			t.Errorf("merge at intake: %+v", merged)
		}
	})
}

// TestConcurrentIntakeNumbersAreUnique takes in orders from many callers
// at once: each gets its own number of the day, and they all stand (on
// PostgreSQL the day's counter is drawn outside the intake's transaction,
// so that its row lock does not serialise the intakes).
func TestConcurrentIntakeNumbersAreUnique(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		const n = 16
		numbers := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := w.m.Intake(ctx, w.a("op"), complaint(fmt.Sprintf("1390001%04d", i)))
				if err != nil {
					errs[i] = err
					return
				}
				numbers[i] = res.Order.Number
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i, num := range numbers {
			if errs[i] != nil {
				t.Fatalf("intake %d: %v", i, errs[i])
			}
			if seen[num] || !strings.HasPrefix(num, "12345") {
				t.Errorf("number %q repeated or malformed", num)
			}
			seen[num] = true
		}
	})
}

// TestStaleSimilarityIndexIsRebuilt: once the similarity index is older
// than its lifetime, suggestions keep answering (from the old index) while
// it is rebuilt beside them, and the rebuilt index knows the orders handled
// since.
func TestStaleSimilarityIndexIsRebuilt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		text := "小区门口井盖缺失，夜里行人容易掉进去，请尽快补上井盖"
		fromHistory := func() bool {
			s := must(w.m.Suggest(ctx, "", "990102", text))
			for _, x := range s {
				if x.Source == "history" && x.DepartmentID == w.deptA {
					return true
				}
			}
			return false
		}
		if fromHistory() {
			t.Fatal("history suggestion before any order was handled")
		}
		n := complaint("13800004444")
		n.Content = text
		o := w.intake(n)
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		must(w.m.SignFor(ctx, w.a("ha"), o.ID))
		must(w.m.Reply(ctx, w.a("ha"), o.ID, "已补上井盖。"))
		w.advance(11 * time.Minute)
		for start := time.Now(); !fromHistory(); time.Sleep(20 * time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				t.Fatal("the stale index was not rebuilt with the handled order")
			}
		}
	})
}
