package warning_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/warning"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	bizComplained = uscc("91990102MA01WN01X")
	bizTwoOnly    = uscc("91990102MA01WN02X")
	bizLicence    = uscc("91990102MA01WN03X")
	bizLicenceOut = uscc("91990102MA01WN04X")
	bizNoReport   = uscc("91990102MA01WN05X")
	bizReported   = uscc("91990102MA01WN06X")
	bizNew        = uscc("91990102MA01WN07X")
	bizAbnormal   = uscc("91990102MA01WN08X")
	bizShared     = uscc("91990102MA01WN09X")
	bizListed     = uscc("91990102MA01WN10X")
	bizClosed     = uscc("91990102MA01WN11X")
)

type world struct {
	db    *store.DB
	depts map[string]int64
	now   time.Time
}

// cst is a civil time in China.
func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.CST)
}

func setup(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, depts: map[string]int64{}}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, time.Now)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range []struct{ code, name string }{{"LJ-SCJG", "临江区市场监督管理局"}, {"LJ-CGJ", "临江区城市管理局"}} {
			dep, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: "990102"})
			if err != nil {
				return err
			}
			w.depts[d.code] = dep.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) module(t *testing.T, now time.Time, rules *warning.Rules) *warning.Module {
	t.Helper()
	m, err := warning.New(warning.Deps{DB: w.db, Policy: auth.NewPolicy(), Audit: audit.New(func() time.Time { return now }),
		Now: func() time.Time { return now }, Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *world) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := w.db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) entity(t testing.TB, code, repIndex, established, status string) {
	w.exec(t, `INSERT INTO entities (uscc, name, type, legal_rep, legal_rep_id_enc, legal_rep_id_index, address, region_code,
		industry, capital_yuan, established_on, status, scope, created_at, updated_at, version)
		VALUES (?, ?, '有限责任公司', '某某', 'sealed', ?, '临江区', '990102', 'I', 100000, ?, ?, '', ?, ?, 1)`,
		code, "企业"+code[len(code)-4:], repIndex, established, status, store.Time(time.Now()), store.Time(time.Now()))
}

func (w *world) record(t testing.TB, code, kind, decided string, dept int64) {
	w.exec(t, `INSERT INTO credit_records (uscc, kind, department_id, region_code, decision_date, created_at, created_by)
		VALUES (?, ?, ?, '990102', ?, ?, 0)`, code, kind, dept, decided, store.Time(time.Now()))
}

func (w *world) certificate(t *testing.T, code, number string, until time.Time) {
	w.exec(t, `INSERT INTO certificates (type_code, number, holder_kind, holder_name, holder_id_enc, holder_uscc, holder_key,
		holder_user_id, issuer_department_id, region_code, issued_at, valid_from, valid_until, fields, status, revoked_reason,
		revoked_by, application_ref, algorithm, key_id, signature, created_by)
		VALUES ('food', ?, 'enterprise', '企业', '', ?, ?, 0, ?, '990102', ?, ?, ?, '{}', 'valid', '', 0, '', 'ed25519', 'k', '', 0)`,
		number, code, "e:"+code, w.depts["LJ-SCJG"], store.Time(until.AddDate(-5, 0, 0)), store.Time(until.AddDate(-5, 0, 0)),
		store.Time(until))
}

// seed writes the facts each rule looks at; "today" is 2026-09-30.
func (w *world) seed(t *testing.T) {
	scjg, cgj := w.depts["LJ-SCJG"], w.depts["LJ-CGJ"]
	// Complaints: 3 within the 30 days 2026-09-01..2026-09-30 warn; one on
	// 2026-08-31 is outside the window.
	for _, d := range []string{"2026-09-01", "2026-09-15", "2026-09-30"} {
		w.record(t, bizComplained, "complaint", d, cgj)
	}
	for _, d := range []string{"2026-08-31", "2026-09-15", "2026-09-30"} {
		w.record(t, bizTwoOnly, "complaint", d, cgj)
	}
	// Licences: valid until the start of 2026-10-30 (last valid day
	// 2026-10-29) is within 30 days; until 2026-10-31 is not.
	w.exec(t, `INSERT INTO certificate_types (code, name, name_en, issuer_department_id, holder_kind, validity_months,
		number_prefix, fields, created_at, updated_at) VALUES ('food', '食品经营许可证', 'Food licence', ?, 'enterprise', 60, 'JY', '[]', ?, ?)`,
		scjg, store.Time(time.Now()), store.Time(time.Now()))
	w.certificate(t, bizLicence, "JY001", cst(2026, 10, 30, 0))
	w.certificate(t, bizLicenceOut, "JY002", cst(2026, 10, 31, 0))
	// Annual reports (deadline 06-30): established 2025 with none → warn.
	w.entity(t, bizNoReport, "", "2025-05-01", "存续")
	w.record(t, bizNoReport, "penalty", "2026-03-01", scjg) // routes it to market regulation
	w.entity(t, bizReported, "", "2025-05-01", "存续")
	w.record(t, bizReported, "annual_report", "2026-05-10", scjg)
	w.entity(t, bizNew, "", "2026-02-01", "存续")
	w.entity(t, bizAbnormal, "", "2024-01-01", "存续")
	w.record(t, bizAbnormal, "annual_report", "2025-06-01", scjg)
	w.exec(t, `INSERT INTO credit_abnormal (uscc, reason, listed_on, department_id, region_code, created_at, created_by)
		VALUES (?, '未按规定报送年度报告', '2025-07-01', ?, '990102', ?, 0)`, bizAbnormal, scjg, store.Time(time.Now()))
	w.entity(t, bizClosed, "", "2020-01-01", "注销")
	// Shared legal representative: bizShared's representative also leads
	// bizListed, on the serious list since 2026-01-05.
	w.entity(t, bizShared, "rep-1", "2026-01-01", "存续")
	w.entity(t, bizListed, "rep-1", "2026-01-01", "存续")
	w.exec(t, `INSERT INTO credit_serious (uscc, cause, listed_on, department_id, region_code, created_at)
		VALUES (?, '严重违法', '2026-01-05', ?, '990102', ?)`, bizListed, scjg, store.Time(time.Now()))
}

func raisedSet(t *testing.T, m *warning.Module) map[string]*warning.Warning {
	t.Helper()
	ws, err := m.List(context.Background(), auth.System(), warning.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*warning.Warning{}
	for _, w := range ws {
		out[w.RuleID+" "+w.USCC] = w
	}
	return out
}

// Each rule kind raises exactly when it should, and a second sweep raises
// nothing.
func TestSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seed(t)
		m := w.module(t, cst(2026, 9, 30, 10), nil)
		res, err := m.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := raisedSet(t, m)
		want := map[string]int64{
			"repeated_complaints " + bizComplained: w.depts["LJ-CGJ"],
			"licence_expiring " + bizLicence:       w.depts["LJ-SCJG"],
			"annual_report_missing " + bizNoReport: w.depts["LJ-SCJG"],
			"shared_legal_rep " + bizShared:        w.depts["LJ-SCJG"],
		}
		for k, dept := range want {
			if got[k] == nil {
				t.Errorf("no warning %s", k)
			} else if got[k].DepartmentID != dept {
				t.Errorf("%s went to department %d, want %d", k, got[k].DepartmentID, dept)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected warning %s", k)
			}
		}
		// Raised on Wednesday 2026-09-30 with 5 working days: the National
		// Day holiday runs to 2026-10-08, the limit ends 2026-10-13.
		if c := got["repeated_complaints "+bizComplained]; c != nil && (c.RaisedOn != "2026-09-30" || c.DueOn != "2026-10-13") {
			t.Errorf("complaints raised %s due %s, want 2026-09-30 due 2026-10-13", c.RaisedOn, c.DueOn)
		}
		if l := got["licence_expiring "+bizLicence]; l != nil && !strings.Contains(l.Detail, "2026-10-29") {
			t.Errorf("licence detail %q does not name the last valid day 2026-10-29", l.Detail)
		}
		if res.Raised["repeated_complaints"] != 1 {
			t.Errorf("sweep result %+v", res)
		}
		// Idempotent: the same facts raise nothing new.
		res, err = m.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Raised); n != 0 {
			t.Errorf("second sweep raised %v", res.Raised)
		}
		if n := len(raisedSet(t, m)); n != len(want) {
			t.Errorf("%d warnings after the second sweep, want %d", n, len(want))
		}
		// On the deadline itself (2026-06-30) the annual report rule is silent.
		early := w.module(t, cst(2026, 6, 30, 10), nil)
		db.ExecContext(ctx, `DELETE FROM warnings`)
		if _, err := early.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := raisedSet(t, early); got["annual_report_missing "+bizNoReport] != nil {
			t.Error("annual report warned on the deadline day 2026-06-30")
		}
	})
}

// A risk class drop into C or D warns once; staying bad or improving does
// not.
func TestClassChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.record(t, bizComplained, "penalty", "2026-03-01", w.depts["LJ-SCJG"])
		m := w.module(t, cst(2026, 9, 30, 10), nil)
		var sink warning.ClassSink = m
		for _, c := range []struct {
			prev, cur string
			raise     bool
		}{{"A", "B", false}, {"B", "C", true}, {"C", "D", false}, {"B", "D", false /* one already open */}, {"", "A", false}} {
			var id int64
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) (err error) {
				id, err = sink.ClassChanged(ctx, tx, bizComplained, "990102", c.prev, c.cur)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if (id != 0) != c.raise {
				t.Errorf("%s → %s: raised %v, want %v", c.prev, c.cur, id != 0, c.raise)
			}
		}
		got := raisedSet(t, m)["risk_class_drop "+bizComplained]
		if got == nil || got.DepartmentID != w.depts["LJ-SCJG"] || !got.Prompt {
			t.Fatalf("risk class warning %+v", got)
		}
	})
}

// A department sees only its warnings, a business only its own prompts,
// nobody else anything; handling is verify then confirm or exclude with a
// note, within the limit.
func TestScopeAndHandling(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seed(t)
		m := w.module(t, cst(2026, 9, 30, 10), nil)
		if _, err := m.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		scjg := &auth.Actor{UserID: 7, Name: "孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-SCJG"]}}
		cgj := &auth.Actor{UserID: 8, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-CGJ"]}}
		entLicence := &auth.Actor{UserID: 9, Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizLicence}
		entShared := &auth.Actor{UserID: 10, Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizShared}
		citizen := &auth.Actor{UserID: 11, Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"}
		count := func(a *auth.Actor) int {
			ws, err := m.List(ctx, a, warning.Filter{})
			if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
				t.Fatal(err)
			}
			return len(ws)
		}
		if n := count(scjg); n != 3 {
			t.Errorf("market regulation sees %d, want 3", n)
		}
		if n := count(cgj); n != 1 {
			t.Errorf("city management sees %d, want 1", n)
		}
		if n := count(entLicence); n != 1 {
			t.Errorf("the licence holder sees %d prompts, want 1", n)
		}
		if n := count(entShared); n != 0 {
			t.Errorf("shared legal representative is no prompt, seen %d", n)
		}
		if n := count(citizen); n != 0 {
			t.Errorf("a citizen sees %d", n)
		}
		if n := count(nil); n != 0 {
			t.Errorf("anonymous sees %d", n)
		}
		ws, _ := m.List(ctx, cgj, warning.Filter{})
		id := ws[0].ID
		if _, err := m.Get(ctx, scjg, id); !errors.Is(err, warning.ErrNotFound) {
			t.Errorf("another department's warning: %v, want not found", err)
		}
		if _, err := m.Verify(ctx, scjg, id); !errors.Is(err, warning.ErrNotFound) {
			t.Errorf("another department verifies: %v", err)
		}
		if _, err := m.Decide(ctx, cgj, id, true, "已核实"); !errors.Is(err, warning.ErrState) {
			t.Errorf("confirm before verifying: %v, want state error", err)
		}
		if _, err := m.Verify(ctx, cgj, id); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Decide(ctx, cgj, id, true, " "); !errors.Is(err, valid.ErrInvalid) {
			t.Errorf("empty note: %v", err)
		}
		if _, err := m.Decide(ctx, cgj, id, true, "核实\x00"); !errors.Is(err, valid.ErrInvalid) {
			t.Errorf("control character: %v", err)
		}
		got, err := m.Decide(ctx, cgj, id, true, "经核实，投诉属实，已立案")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != warning.StatusConfirmed || got.ClosedOn == nil || *got.ClosedOn != "2026-09-30" || got.Overdue {
			t.Errorf("confirmed %+v", got)
		}
		// A new sweep may raise the rule again once the warning is closed.
		res, err := m.Sweep(ctx)
		if err != nil || res.Raised["repeated_complaints"] != 1 {
			t.Errorf("after closing, sweep %v %v", res, err)
		}
		// Handled after the limit (2026-10-13) counts as late.
		late := w.module(t, cst(2026, 10, 14, 10), nil)
		ws, _ = late.List(ctx, scjg, warning.Filter{})
		lid := ws[0].ID
		if !ws[0].Overdue {
			t.Errorf("open past 2026-10-13 is not overdue: %+v", ws[0])
		}
		if _, err := late.Verify(ctx, scjg, lid); err != nil {
			t.Fatal(err)
		}
		if _, err := late.Decide(ctx, scjg, lid, false, "证照已延续"); err != nil {
			t.Fatal(err)
		}
		figs, err := late.Figures(ctx, auth.System(), "2026-09", "2026-10")
		if err != nil {
			t.Fatal(err)
		}
		sum := map[string][4]int{}
		for _, f := range figs {
			s := sum[f.Month+" "+f.RuleID]
			sum[f.Month+" "+f.RuleID] = [4]int{s[0] + f.Raised, s[1] + f.Handled, s[2] + f.Confirmed, s[3] + f.Late}
		}
		if s := sum["2026-09 repeated_complaints"]; s != [4]int{2, 1, 1, 0} {
			t.Errorf("complaints figures %v, want raised 2 handled 1 confirmed 1 late 0", s)
		}
		var lateTotal int
		for _, s := range sum {
			lateTotal += s[3]
		}
		if lateTotal != 1 {
			t.Errorf("late %d, want 1 (%v)", lateTotal, sum)
		}
		if f, _ := late.Figures(ctx, cgj, "2026-09", "2026-10"); len(f) != 1 || f[0].DepartmentID != w.depts["LJ-CGJ"] {
			t.Errorf("city management's figures %+v", f)
		}
		if _, err := late.Figures(ctx, entLicence, "2026-09", "2026-10"); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("a business asks for figures: %v", err)
		}
		var buf bytes.Buffer
		if err := late.WriteFigures(&buf, figs, func(int64) string { return "部门" }); err != nil || buf.Len() == 0 {
			t.Errorf("xlsx: %v", err)
		}
	})
}

// A province's override changes a threshold; bad files are refused naming
// the field.
func TestRulesOverride(t *testing.T) {
	r, err := warning.ParseRules([]byte(`{"rules": [{"id": "repeated_complaints", "count": 5, "within_days": 60},
		{"id": "licence_expiring", "disabled": true}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Rule("repeated_complaints")
	if c.Count != 5 || c.WithinDays != 60 || c.LimitWorkingDays != 5 || c.Name == "" {
		t.Errorf("override %+v", c)
	}
	if !r.Rule("licence_expiring").Disabled || len(r.List) != len(warning.DefaultRules().List) {
		t.Error("disable")
	}
	for _, c := range []struct{ in, want string }{
		{`{"rules": [{"id": "repeated_complaints", "count": 1}]}`, "count"},
		{`{"rules": [{"id": "annual_report_missing", "deadline": "6-30"}]}`, "deadline"},
		{`{"rules": [{"id": "risk_class_drop", "classes": ["E"]}]}`, "classes"},
		{`{"rules": [{"id": "x", "kind": "weather", "name": "x", "limit_working_days": 1}]}`, "kind"},
		{`{"rules": [{"id": "repeated_complaints", "limit_working_days": 0}]}`, "limit_working_days"},
		{`{"rules": [{"id": "repeated_complaints", "cnt": 3}]}`, "cnt"},
	} {
		if _, err := warning.ParseRules([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", c.in, err, c.want)
		}
	}
}
