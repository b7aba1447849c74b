package risk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	bizA = uscc("91990102MA01RK01X") // clean, old, large
	bizB = uscc("91990102MA01RK02X") // young, penalties, complaints
	bizC = uscc("91990103MA01RK03X") // on the serious list, legal rep shared with bizD
	bizD = uscc("91990103MA01RK04X")
)

var (
	admin      = &auth.Actor{UserID: 1, Name: "管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"}
	supervisor = &auth.Actor{UserID: 2, Name: "督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"}
	handlerLJ  = &auth.Actor{UserID: 3, Name: "临江承办", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{1}}
	handlerQS  = &auth.Actor{UserID: 4, Name: "青山承办", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990103", DepartmentIDs: []int64{2}}
	enterprise = &auth.Actor{UserID: 5, Name: "乙公司", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizB}
	citizen    = &auth.Actor{UserID: 6, Name: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"}
	clerk      = &auth.Actor{UserID: 7, Name: "窗口", Roles: []auth.Role{auth.RoleClerk}, RegionCode: "990102"}
)

// today is the day of the tests: 2026-12-03 in China.
var now = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)

type world struct {
	db     *store.DB
	risk   *risk.Module
	credit *credit.Module
	reg    *entity.Service
	out    *outbox.Dispatcher
	// changed lists the class changes reported to Deps.ClassChanged, as
	// "uscc prev→cur".
	changed []string
}

func setup(t *testing.T, db *store.DB) *world { return setupTB(t, db) }

func setupTB(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	policy, log := auth.NewPolicy(), audit.New(clock)
	w := &world{db: db}
	if w.reg, err = entity.New(entity.Deps{DB: db, Box: box, Policy: policy, Now: clock}); err != nil {
		t.Fatal(err)
	}
	if w.credit, err = credit.New(credit.Deps{DB: db, Org: orgs, Policy: policy, Audit: log, Now: clock}); err != nil {
		t.Fatal(err)
	}
	if w.risk, err = risk.New(risk.Deps{DB: db, Register: w.reg, Credit: w.credit, Policy: policy, Audit: log,
		RootRegion: "990100", Now: clock,
		ClassChanged: func(_ context.Context, _ store.IDB, uscc, _, prev, cur string) error {
			w.changed = append(w.changed, uscc+" "+prev+"→"+cur)
			return nil
		}}); err != nil {
		t.Fatal(err)
	}
	if err := w.risk.Start(ctx); err != nil {
		t.Fatal(err)
	}
	w.out = outbox.NewDispatcher(db, nil, clock)
	for _, topic := range []string{credit.TopicRecorded, credit.TopicListed, credit.TopicRemoved} {
		w.out.Subscribe(topic, w.risk.Handle)
	}
	sys := auth.System()
	rep := "11010119900307451" + string(ids.CitizenIDCheck("11010119900307451"))
	for _, in := range []entity.Input{
		{USCC: bizA, Name: "甲老字号有限公司", Type: "有限责任公司", LegalRep: "甲", Address: "临江路1号", RegionCode: "990102",
			Industry: "I6510", CapitalYuan: 20_000_000, EstablishedOn: "2005-03-01", Status: "存续"},
		{USCC: bizB, Name: "乙新开餐饮店", Type: "个体工商户", LegalRep: "乙", Address: "临江路2号", RegionCode: "990102",
			Industry: "H6210", CapitalYuan: 50_000, EstablishedOn: "2026-06-01", Status: "存续"},
		{USCC: bizC, Name: "丙建筑工程有限公司", Type: "有限责任公司", LegalRep: "丙", LegalRepID: rep, Address: "青山路3号",
			RegionCode: "990103", Industry: "E4710", CapitalYuan: 5_000_000, EstablishedOn: "2015-01-01", Status: "存续"},
		{USCC: bizD, Name: "丁商贸有限公司", Type: "有限责任公司", LegalRep: "丙", LegalRepID: rep, Address: "青山路4号",
			RegionCode: "990103", Industry: "F5190", CapitalYuan: 1_000_000, EstablishedOn: "2018-01-01", Status: "存续"},
	} {
		if _, _, err := w.reg.Put(ctx, sys, in); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// record writes a credit record as the platform (the system actor).
func (w *world) record(t *testing.T, biz string, kind credit.Kind, decided string) {
	t.Helper()
	in := credit.RecordInput{USCC: biz, Kind: kind, DecisionDate: decided}
	if kind == credit.KindPenalty {
		in.Penalty = &credit.Penalty{Procedure: "simple", Subject: "organisation", Kinds: []string{"警告"}}
	}
	if _, err := w.credit.AddRecord(context.Background(), auth.System(), in); err != nil {
		t.Fatalf("record %s %s: %v", kind, decided, err)
	}
}

// deliver hands the outbox's pending events to the risk module.
func (w *world) deliver(t *testing.T) {
	t.Helper()
	if _, err := w.out.RunOnce(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
}

func (w *world) class(t *testing.T, biz string) *risk.Class {
	t.Helper()
	c, err := w.risk.Explain(context.Background(), supervisor, biz)
	if err != nil {
		t.Fatalf("class of %s: %v", biz, err)
	}
	return c
}

func line(t *testing.T, c *risk.Class, key string) risk.Line {
	t.Helper()
	for _, l := range c.Lines {
		if l.Key == key {
			return l
		}
	}
	t.Fatalf("no indicator %s in %+v", key, c.Lines)
	return risk.Line{}
}

// seedHistory gives bizB two penalties, an inspection finding, four
// complaints and no annual report; bizA an annual report and an honour;
// bizC a serious listing (through three years on the abnormal list).
func (w *world) seedHistory(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	w.record(t, bizA, credit.KindAnnualReport, "2026-05-20")
	w.record(t, bizA, credit.KindHonour, "2025-01-10")
	w.record(t, bizA, credit.KindPenalty, "2023-11-30") // 36 months and 3 days before: outside the window
	w.record(t, bizB, credit.KindPenalty, "2026-08-01")
	w.record(t, bizB, credit.KindPenalty, "2026-10-15")
	w.record(t, bizB, credit.KindInspection, "2026-09-09")
	for _, d := range []string{"2026-01-05", "2026-03-01", "2026-07-07", "2025-12-04"} {
		w.record(t, bizB, credit.KindComplaint, d)
	}
	w.record(t, bizB, credit.KindComplaint, "2025-12-03") // 12 months ago to the day: outside
	if _, err := w.credit.ListAsAbnormal(ctx, auth.System(), credit.AbnormalInput{USCC: bizC, Reason: "unreachable",
		ListedOn: "2022-06-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(ctx, `INSERT INTO entity_facts (uscc, name, type, value, as_of, department_id, recorded_at, recorded_by)
		VALUES (?, '纳税信用等级', 'text', 'B', '2025-04-01', 0, ?, 0), (?, '纳税信用等级', 'text', 'A', '2026-04-01', 0, ?, 0),
		(?, '纳税信用等级', 'text', 'D', '2027-04-01', 0, ?, 0)`, bizA, now, bizA, now, bizA, now); err != nil {
		t.Fatal(err)
	}
}

func TestFullRunAndExplanation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seedHistory(t)
		st, err := w.risk.RunFull(ctx, risk.RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Businesses != 4 || st.Changed != 4 || st.ModelVersion != 1 {
			t.Fatalf("first run: %+v", st)
		}
		a, b, c, d := w.class(t, bizA), w.class(t, bizB), w.class(t, bizC), w.class(t, bizD)
		// bizA: age 21.75 years → 0; capital 2000 万 → 0; 存续 → 0; industry I → else 10 (weight .15×.2);
		// annual report present → 0; no commitment → 20 (.15×.4); honour → 0; tax grade A (the 2026 fact;
		// the 2027 one is not yet in force) → 0; the 2023 penalty is outside 36 months.
		if got := line(t, a, "basic.age"); got.Value != "21.75" || got.Score != 0 {
			t.Errorf("age: %+v", got)
		}
		if got := line(t, a, "basic.capital"); got.Value != "2000" || got.Score != 0 {
			t.Errorf("capital: %+v", got)
		}
		if got := line(t, a, "supervision.penalty"); got.Value != "0" {
			t.Errorf("bizA penalty of 2023-11-30 counted: %+v", got)
		}
		if got := line(t, a, "social.tax_grade"); got.Value != "A" || got.Score != 0 {
			t.Errorf("tax grade: %+v", got)
		}
		if got := line(t, a, "dynamic.annual_report"); got.Value != "1" || got.Score != 0 {
			t.Errorf("annual report: %+v", got)
		}
		// 0.15×0.2×10 + 0.15×0.4×20 = 0.3 + 1.2 = 1.5.
		if a.Class != "A" || a.Score != 1.5 {
			t.Errorf("bizA: class %s score %v, want A 1.5", a.Class, a.Score)
		}
		// bizB: two penalties in 36 months → 80; one inspection → 40; complaints 2025-12-04 onwards: 4 → 60.
		if got := line(t, b, "supervision.penalty"); got.Value != "2" || got.Score != 80 {
			t.Errorf("penalties: %+v", got)
		}
		if got := line(t, b, "social.complaints"); got.Value != "4" || got.Score != 60 {
			t.Errorf("complaints (12 months end today, 2025-12-03 is outside): %+v", got)
		}
		if got := line(t, b, "basic.age"); got.Value != "0.5" || got.Score != 70 {
			t.Errorf("age: %+v", got)
		}
		if got := line(t, b, "social.tax_grade"); got.Value != "—" || got.Score != 30 {
			t.Errorf("missing fact scores missing: %+v", got)
		}
		var sum float64
		for _, l := range b.Lines {
			sum += l.Contribution
		}
		if diff := sum - b.Score; diff > 0.05 || diff < -0.05 {
			t.Errorf("contributions add up to %v, score %v", sum, b.Score)
		}
		if b.Class != "C" {
			t.Errorf("bizB: class %s score %v, want C", b.Class, b.Score)
		}
		// bizC: abnormal since 2022-06-01 (serious after three years, 2025-06-02): at least D.
		if got := line(t, c, "supervision.serious"); got.Value != "1" || got.Floor != "D" {
			t.Errorf("serious: %+v", got)
		}
		if c.Class != "D" {
			t.Errorf("bizC: class %s, want D (serious list)", c.Class)
		}
		// bizD shares bizC's legal representative.
		if got := line(t, d, "relations.rep_serious"); got.Value != "1" || got.Score != 100 {
			t.Errorf("relation: %+v", got)
		}
		if got := line(t, c, "relations.rep_serious"); got.Value != "0" {
			t.Errorf("a business is not related to itself: %+v", got)
		}
		// A second run changes nothing.
		if st, err = w.risk.RunFull(ctx, risk.RunOptions{}); err != nil || st.Changed != 0 {
			t.Fatalf("second run: %+v %v", st, err)
		}
		dist, err := w.risk.Distribution(ctx, supervisor)
		if err != nil {
			t.Fatal(err)
		}
		if dist.Total != 4 || dist.ByClass["D"] != 1 || dist.ByClass["A"]+dist.ByClass["B"]+dist.ByClass["C"] != 3 {
			t.Errorf("distribution: %+v", dist)
		}
	})
}

func TestIncrementalOnNewPenalty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seedHistory(t)
		if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		w.deliver(t) // the seeding's events: nothing changes
		before := w.class(t, bizA)
		w.changed = nil
		w.record(t, bizA, credit.KindPenalty, "2026-12-01")
		w.record(t, bizA, credit.KindPenalty, "2026-12-02")
		w.record(t, bizA, credit.KindPenalty, "2026-12-03")
		w.deliver(t)
		after := w.class(t, bizA)
		if got := line(t, after, "supervision.penalty"); got.Value != "3" || got.Score != 100 {
			t.Fatalf("penalties after the event: %+v", got)
		}
		// 1.5 + 0.4×0.3×100 = 13.5 → B (B from 10).
		if before.Class != "A" || after.Class != "B" || after.Score != 13.5 || after.Since != "2026-12-03" {
			t.Fatalf("before %s %v, after %s %v since %s; want A → B 13.5 since 2026-12-03", before.Class, before.Score,
				after.Class, after.Score, after.Since)
		}
		// The change is told once, in the transaction that stores it (the
		// early warnings hang on it); the penalties that left the class
		// as it was are not.
		if len(w.changed) != 1 || w.changed[0] != bizA+" A→B" {
			t.Errorf("class changes reported: %q, want [%s A→B]", w.changed, bizA)
		}
		moves, total, err := w.risk.Moves(ctx, supervisor, "2026-12", 0, 0)
		if err != nil || total != len(moves) {
			t.Fatal(total, err)
		}
		if sum, err := w.risk.MovesSummary(ctx, supervisor, "2026-12"); err != nil || len(sum) != 1 || sum[0].Up < 1 {
			t.Errorf("summary %+v, %v: the A→B move counts up", sum, err)
		}
		found := false
		for _, mv := range moves {
			found = found || (mv.From == "A" && mv.To == "B" && mv.N == 1)
		}
		if !found {
			t.Errorf("movement A→B not counted: %+v", moves)
		}
		// Listing bizD reclassifies bizC (its legal representative's other business) too.
		if _, err := w.credit.ListAsAbnormal(ctx, auth.System(), credit.AbnormalInput{USCC: bizD, Reason: "annual_report",
			ListedOn: "2026-12-03"}); err != nil {
			t.Fatal(err)
		}
		w.deliver(t)
		if got := line(t, w.class(t, bizC), "relations.rep_abnormal"); got.Value != "1" {
			t.Errorf("bizC after bizD's listing: %+v", got)
		}
		if got := w.class(t, bizD); got.Class != "D" && got.Class != "C" {
			t.Errorf("bizD listed: %s", got.Class)
		}
	})
}

func TestVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seedHistory(t)
		if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		// A province that counts any complaint heavily: thresholds B 1.
		var m map[string]any
		json.Unmarshal(risk.DefaultModelJSON(), &m)
		m["name"] = "澜江省指标模型"
		m["thresholds"] = map[string]any{"B": 1, "C": 20, "D": 35}
		content, _ := json.Marshal(m)
		if _, err := w.risk.CreateDraft(ctx, supervisor, content); !errors.Is(err, risk.ErrNotFound) {
			t.Fatalf("a supervisor creates a draft: %v", err)
		}
		v, err := w.risk.CreateDraft(ctx, admin, content)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != 2 || v.Status != risk.StatusDraft {
			t.Fatalf("draft: %+v", v)
		}
		if _, err := w.risk.Publish(ctx, admin, v.Version); !errors.Is(err, risk.ErrState) {
			t.Fatalf("publish an untried draft: %v", err)
		}
		if v, err = w.risk.Try(ctx, admin, v.Version, 0); err != nil {
			t.Fatal(err)
		}
		tr := v.Trial
		// bizA (1.5) moves A→B; the others keep their class.
		if v.Status != risk.StatusTried || tr.Sample != 4 || tr.Against != 1 || tr.Changed != 1 || tr.Up != 1 || tr.Moves["A→B"] != 1 {
			t.Fatalf("trial: %+v %+v", v, tr)
		}
		// A tried draft changes nothing.
		if st, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil || st.Changed != 0 || st.ModelVersion != 1 {
			t.Fatalf("run after the trial: %+v %v", st, err)
		}
		if c := w.class(t, bizA); c.Class != "A" || c.ModelVersion != 1 {
			t.Fatalf("bizA after the trial: %s v%d", c.Class, c.ModelVersion)
		}
		if _, err := w.risk.Publish(ctx, admin, v.Version); err != nil {
			t.Fatal(err)
		}
		st, err := w.risk.RunFull(ctx, risk.RunOptions{})
		if err != nil || st.ModelVersion != 2 || st.Changed != 4 {
			t.Fatalf("run after publishing: %+v %v", st, err)
		}
		if c := w.class(t, bizA); c.Class != "B" || c.ModelVersion != 2 || c.ModelName != "澜江省指标模型" {
			t.Fatalf("bizA after publishing: %s v%d %s", c.Class, c.ModelVersion, c.ModelName)
		}
		vs, err := w.risk.Versions(ctx, admin)
		if err != nil || len(vs) != 2 || vs[0].Status != risk.StatusPublished || vs[1].Status != risk.StatusRetired {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		var n int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'risk.model.%'").Scan(&n)
		if n != 4 { // default publish, draft, try, publish
			t.Errorf("audit entries: %d", n)
		}
	})
}

func TestScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []*auth.Actor{enterprise, citizen, clerk, handlerQS} {
			if _, err := w.risk.Explain(ctx, a, bizB); !errors.Is(err, risk.ErrNotFound) {
				t.Errorf("%s reads bizB's class: %v", a.Name, err)
			}
		}
		for _, a := range []*auth.Actor{handlerLJ, supervisor, admin} {
			if _, err := w.risk.Explain(ctx, a, bizB); err != nil {
				t.Errorf("%s: %v", a.Name, err)
			}
		}
		if _, err := w.risk.Distribution(ctx, enterprise); !errors.Is(err, risk.ErrNotFound) {
			t.Errorf("enterprise reads the distribution: %v", err)
		}
		if d, err := w.risk.Distribution(ctx, handlerQS); err != nil || d.Total != 2 {
			t.Errorf("a county's handler sees the county's businesses: %+v %v", d, err)
		}
	})
}

func TestModelValidation(t *testing.T) {
	bad := `{"name": "坏模型", "thresholds": {"B": 30, "C": 20, "D": 35}, "root": {"key": "root", "name": "根", "children": [
		{"key": "a", "name": "甲", "weight": 1, "children": [
			{"key": "penalty", "name": "处罚", "weight": 1, "formula": {"op": "count", "kind": "penaltyy", "months": 0}, "bands": [{"from": 0, "score": 0}]},
			{"key": "grade", "name": "等级", "weight": 0, "formula": {"op": "sum"}},
			{"key": "status", "name": "状态", "weight": 1, "formula": {"op": "attr", "name": "status"}, "bands": [{"from": 0, "score": 1}]},
			{"key": "steps", "name": "分档", "weight": 1, "formula": {"op": "listed", "list": "serious"}, "bands": [{"from": 1, "score": 0}, {"from": 1, "score": 120}], "at_least_class": "E"},
			{"key": "penalty", "name": "重复", "weight": 1, "formula": {"op": "exists", "kind": "penalty", "months": 12}, "bands": [{"from": 0, "score": 0}]}
		]},
		{"key": "Empty", "name": "", "weight": 1}
	]}}`
	_, err := risk.ParseModel([]byte(bad))
	if !errors.Is(err, valid.ErrInvalid) {
		t.Fatalf("want invalid, got %v", err)
	}
	paths := map[string]bool{}
	for _, fe := range valid.Fields(err) {
		paths[fe.Path] = true
	}
	for _, want := range []string{"model.thresholds", "model.root.a.penalty.formula.kind", "model.root.a.penalty.formula.months",
		"model.root.a.grade.weight", "model.root.a.grade.formula.op", "model.root.a.status.map", "model.root.a.status.bands",
		"model.root.a.steps.bands[1].from", "model.root.a.steps.bands[1].score", "model.root.a.steps.at_least_class",
		"model.root.a.penalty", "model.root.Empty", "model.root.Empty.name", "model.root.Empty.formula"} {
		if !paths[want] {
			t.Errorf("no error at %s; got %v", want, err)
		}
	}
	if _, err := risk.ParseModel([]byte(`{"name": "x", "extra": 1}`)); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown field: %v", err)
	}
	// The national default parses, and a province's override of it too.
	if risk.DefaultModel().Thresholds.B != 10 {
		t.Errorf("default thresholds: %+v", risk.DefaultModel().Thresholds)
	}
	over := strings.Replace(string(risk.DefaultModelJSON()), `"thresholds": {"B": 10, "C": 20, "D": 35}`, `"thresholds": {"B": 15, "C": 30, "D": 50}`, 1)
	m, err := risk.ParseModel([]byte(over))
	if err != nil || m.Thresholds.D != 50 {
		t.Errorf("override: %+v %v", m, err)
	}
}

// With Deps.ClassesChanged set, a full run tells the changes of a chunk
// in one call, in the transaction that stores them: the same changes, in
// the same order, that Deps.ClassChanged is told one at a time; first
// classes (previous "") are among them.
func TestClassesChangedOncePerChunk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seedHistory(t)
		if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(w.changed) != 4 {
			t.Fatalf("one by one: %q, want the 4 businesses' first classes", w.changed)
		}
		var calls [][]string
		batched, err := risk.New(risk.Deps{DB: db, Register: w.reg, Credit: w.credit, Policy: auth.NewPolicy(),
			Audit: audit.New(func() time.Time { return now }), RootRegion: "990100", Now: func() time.Time { return now },
			ClassChanged: func(context.Context, store.IDB, string, string, string, string) error {
				t.Error("ClassChanged called while ClassesChanged is set")
				return nil
			},
			ClassesChanged: func(_ context.Context, tx store.IDB, cs []risk.ClassChange) error {
				if _, ok := tx.(store.Tx); !ok {
					t.Errorf("changes told outside the transaction storing them (%T)", tx)
				}
				var call []string
				for _, c := range cs {
					if c.Region == "" {
						t.Errorf("%s: no region", c.USCC)
					}
					call = append(call, c.USCC+" "+c.Previous+"→"+c.Current)
				}
				calls = append(calls, call)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if err := batched.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM risk_classes"); err != nil {
			t.Fatal(err)
		}
		if _, err := batched.RunFull(ctx, risk.RunOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 || strings.Join(calls[0], ", ") != strings.Join(w.changed, ", ") {
			t.Errorf("batched calls %q, want one call with %q", calls, w.changed)
		}
		// A second run changes nothing and tells nothing.
		calls = nil
		if _, err := batched.RunFull(ctx, risk.RunOptions{}); err != nil || len(calls) != 0 {
			t.Errorf("second run told %q (%v)", calls, err)
		}
	})
}
