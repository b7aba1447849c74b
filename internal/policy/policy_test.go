package policy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	bizA = uscc("91990102MA01PL01X") // eligible
	bizB = uscc("91990102MA01PL02X") // too few employees
	bizC = uscc("91990103MA01PL03X") // eligible by the clauses, on the serious list
)

// Departments: 1 科技局 (issues policies), 2 another bureau, 11 人社 (YL-RS), 12 税务 (YL-SW).
var (
	kjj      = &auth.Actor{UserID: 1, Name: "科技局", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{1}}
	other    = &auth.Actor{UserID: 2, Name: "其他局", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{2}}
	rs       = &auth.Actor{UserID: 3, Name: "人社", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{11}}
	sw       = &auth.Actor{UserID: 4, Name: "税务", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{12}}
	entA     = &auth.Actor{UserID: 5, Name: "甲", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizA}
	entB     = &auth.Actor{UserID: 6, Name: "乙", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizB}
	citizen  = &auth.Actor{UserID: 7, Name: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"}
	deptCode = map[int64]string{1: "YL-KJJ", 2: "YL-FGW", 11: "YL-RS", 12: "YL-SW"}
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// fakeCredit is the credit module as the tests need it.
type fakeCredit struct{ serious map[string]bool }

func (f *fakeCredit) ScanListings(_ context.Context, lo, hi string, _ calendar.Date, fn func(uscc, list string) error) error {
	for u := range f.serious {
		if u >= lo && u <= hi {
			if err := fn(u, "serious"); err != nil {
				return err
			}
		}
	}
	return nil
}
func (f *fakeCredit) ScanClasses(context.Context, string, string, func(uscc, class string) error) error {
	return nil
}
func (f *fakeCredit) Check(_ context.Context, uscc string) (bool, []string, error) {
	if f.serious[uscc] {
		return false, []string{"列入严重违法失信名单"}, nil
	}
	return true, nil, nil
}

type world struct {
	db   *store.DB
	m    *policy.Module
	reg  *entity.Service
	out  *outbox.Dispatcher
	clk  *clock
	cred *fakeCredit
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clk: &clock{t: time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)}, cred: &fakeCredit{serious: map[string]bool{}}}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, w.clk.now)
	if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pol, log := auth.NewPolicy(), audit.New(w.clk.now)
	code := func(_ context.Context, id int64) (string, error) { return deptCode[id], nil }
	var err error
	if w.reg, err = entity.New(entity.Deps{DB: db, Box: box, Policy: pol, Now: w.clk.now, DepartmentCode: code}); err != nil {
		t.Fatal(err)
	}
	cal := calendar.New(calendar.Official())
	if w.m, err = policy.New(policy.Deps{DB: db, Register: policy.EntityRegister{Service: w.reg}, Credit: w.cred, Policy: pol,
		Audit: log, Calendar: func() *calendar.Calendar { return cal }, DepartmentCode: code, Now: w.clk.now}); err != nil {
		t.Fatal(err)
	}
	w.out = outbox.NewDispatcher(db, nil, w.clk.now)
	w.out.Subscribe(entity.TopicFactsChanged, w.m.Handle)
	for _, in := range []entity.Input{
		{USCC: bizA, Name: "甲科技有限公司", Type: "有限责任公司", LegalRep: "甲", Address: "临江路1号", RegionCode: "990102",
			Industry: "I6510", CapitalYuan: 5_000_000, EstablishedOn: "2015-03-01", Status: "存续"},
		{USCC: bizB, Name: "乙科技有限公司", Type: "有限责任公司", LegalRep: "乙", Address: "临江路2号", RegionCode: "990102",
			Industry: "I6510", CapitalYuan: 1_000_000, EstablishedOn: "2020-06-01", Status: "存续"},
		{USCC: bizC, Name: "丙科技有限公司", Type: "有限责任公司", LegalRep: "丙", Address: "青山路3号", RegionCode: "990103",
			Industry: "I6510", CapitalYuan: 3_000_000, EstablishedOn: "2012-01-01", Status: "存续"},
	} {
		if _, _, err := w.reg.Put(ctx, auth.System(), in); err != nil {
			t.Fatal(err)
		}
	}
	w.facts(t, rs, bizA, "employees", "25")
	w.facts(t, sw, bizA, "rd_spend", "800000")
	w.facts(t, rs, bizB, "employees", "6")
	w.facts(t, sw, bizB, "rd_spend", "300000")
	w.facts(t, rs, bizC, "employees", "40")
	w.facts(t, sw, bizC, "rd_spend", "900000")
	w.drain(t)
	w.cred.serious[bizC] = true
	return w
}

func (w *world) facts(t *testing.T, a *auth.Actor, u, name, value string) {
	t.Helper()
	if _, err := w.reg.PutFacts(context.Background(), a, u, []entity.FactInput{{Name: name, Value: value, AsOf: "2026-11-30"}}); err != nil {
		t.Fatalf("fact %s of %s: %v", name, u, err)
	}
}

func (w *world) drain(t *testing.T) {
	t.Helper()
	for {
		n, err := w.out.RunOnce(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func rdSubsidy() policy.Input {
	return policy.Input{Code: "YL-KJJ-2026-01", Title: "研发费用后补助", SourceDoc: "云科规〔2026〕1号",
		ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", Mode: policy.ModeAuto,
		Clauses: []policy.Clause{
			{Text: "在本市登记注册且处于存续状态的企业", Rule: `biz.region.startsWith("9901") && biz.status == "存续"`},
			{Text: "从业人数不少于10人", Rule: "fact.employees >= 10"},
			{Text: "上年度研发费用不低于20万元", Rule: "fact.rd_spend >= 200000.0"},
		},
		Benefit: "fact.rd_spend * 0.1", CapYuan: 50000,
		Exclusions: policy.Exclusions{Serious: true, Abnormal: true, ClassD: true, Granted: true}}
}

func each(t *testing.T, fn func(t *testing.T, w *world)) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { fn(t, setup(t, db)) })
}

func field(err error) string {
	if fs := valid.Fields(err); len(fs) > 0 {
		var ps []string
		for _, f := range fs {
			ps = append(ps, f.Path+": "+f.Message)
		}
		return strings.Join(ps, " | ")
	}
	return ""
}

func TestTypeCheckRefusesUnknownFactAndWrongType(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		in := rdSubsidy()
		in.Clauses[1].Rule = "fact.employes >= 10"
		_, err := w.m.Create(ctx, kjj, 0, in)
		if !errors.Is(err, policy.ErrInvalid) || !strings.Contains(field(err), "clauses[1].rule") || web.StatusOf(err) != 422 {
			t.Fatalf("unknown fact: %v (%s)", err, field(err))
		}
		in = rdSubsidy()
		in.Clauses[2].Rule = `fact.rd_spend >= "很多"`
		if _, err := w.m.Create(ctx, kjj, 0, in); !strings.Contains(field(err), "clauses[2].rule") {
			t.Fatalf("wrong type: %v", err)
		}
		in = rdSubsidy()
		in.Clauses[0].Rule = "fact.employees + 1"
		if _, err := w.m.Create(ctx, kjj, 0, in); !strings.Contains(field(err), "clauses[0].rule") {
			t.Fatalf("not a condition: %v", err)
		}
		in = rdSubsidy()
		in.Title = "研发\x07补助"
		in.Mode = "later"
		_, err = w.m.Create(ctx, kjj, 0, in)
		if f := field(err); !strings.Contains(f, "title") || !strings.Contains(f, "mode") {
			t.Fatalf("bad input: %v", err)
		}
		var n int
		w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM policies").Scan(&n)
		if n != 0 {
			t.Fatalf("%d policies stored after refusals", n)
		}
	})
}

func TestPublishMatchesExplainsAndCaps(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		p, err := w.m.Create(ctx, kjj, 0, rdSubsidy())
		if err != nil {
			t.Fatal(err)
		}
		// Another department can neither edit nor publish it.
		if _, err := w.m.Update(ctx, other, p.ID, rdSubsidy()); web.StatusOf(err) != 404 {
			t.Fatalf("other department edits a draft: %v", err)
		}
		if _, _, err := w.m.Publish(ctx, other, p.ID); web.StatusOf(err) != 404 {
			t.Fatalf("other department publishes: %v", err)
		}
		if _, err := w.m.Get(ctx, entA, p.ID); web.StatusOf(err) != 404 {
			t.Fatalf("a business reads a draft: %v", err)
		}
		w.cred.serious[bizC] = true
		_, st, err := w.m.Publish(ctx, kjj, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Businesses != 3 || st.Eligible != 1 || st.Notified != 1 || st.Granted != 1 {
			t.Fatalf("run: %+v", st)
		}
		if _, err := w.m.Update(ctx, kjj, p.ID, rdSubsidy()); web.StatusOf(err) != 409 {
			t.Fatalf("edit of a published policy: %v", err)
		}
		x, err := w.m.Explain(ctx, entA, p.ID, bizA)
		if err != nil {
			t.Fatal(err)
		}
		// 800000 × 0.1 = 80000, capped at 50000 per business.
		if !x.Eligible || x.AmountYuan != 50000 || len(x.Clauses) != 3 {
			t.Fatalf("A: %+v", x)
		}
		v := x.Clauses[1].Values[0]
		if x.Clauses[1].Held != "yes" || v.Name != "fact.employees" || v.Value != "25" || v.SourceCode != "YL-RS" || v.AsOf != "2026-11-30" {
			t.Fatalf("A clause 2: %+v", x.Clauses[1])
		}
		x, err = w.m.Explain(ctx, entB, p.ID, bizB)
		if err != nil {
			t.Fatal(err)
		}
		if x.Eligible || x.Clauses[1].Held != "no" || len(x.Needs) != 1 || !strings.Contains(x.Needs[0], "从业人数不低于10人（当前：6人）") {
			t.Fatalf("B: %+v %v", x, x.Needs)
		}
		// C holds every clause but is on the serious list (信用核查).
		x, err = w.m.Explain(ctx, kjj, p.ID, bizC)
		if err != nil {
			t.Fatal(err)
		}
		if x.Eligible || len(x.Excluded) != 1 || !strings.Contains(x.Excluded[0], "严重违法失信") {
			t.Fatalf("C: %+v", x)
		}
		// A business sees only its own results.
		if _, err := w.m.Explain(ctx, entB, p.ID, bizA); web.StatusOf(err) != 404 {
			t.Fatalf("B reads A's result: %v", err)
		}
		if _, err := w.m.Explain(ctx, other, p.ID, bizA); web.StatusOf(err) != 404 {
			t.Fatalf("another department reads results: %v", err)
		}
		mine, err := w.m.Mine(ctx, entB)
		if err != nil || len(mine) != 1 || mine[0].Eligible {
			t.Fatalf("B's calculator: %v %+v", err, mine)
		}
	})
}

func TestRematchOnFactChange(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		p, err := w.m.Create(ctx, kjj, 0, rdSubsidy())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, p.ID); err != nil {
			t.Fatal(err)
		}
		w.drain(t)
		w.facts(t, rs, bizB, "employees", "12")
		start := time.Now()
		w.drain(t)
		if d := time.Since(start); d > time.Second {
			t.Errorf("re-match took %v", d)
		}
		x, err := w.m.Explain(ctx, entB, p.ID, bizB)
		if err != nil || !x.Eligible || x.AmountYuan != 30000 || x.Grant == nil || x.Grant.Status != policy.GrantPublicity {
			t.Fatalf("B after the change: %v %+v", err, x)
		}
		var notices int
		w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE topic = ?", policy.TopicNotice).Scan(&notices)
		if notices != 2 {
			t.Fatalf("%d notices, want 2 (A at publication, B after the change)", notices)
		}
	})
}

func TestBudgetExhausted(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		in := rdSubsidy()
		in.BudgetYuan = 60000 // A takes 50000; B (30000 once eligible) no longer fits
		p, err := w.m.Create(ctx, kjj, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, p.ID); err != nil {
			t.Fatal(err)
		}
		w.facts(t, rs, bizB, "employees", "12")
		w.drain(t)
		x, err := w.m.Explain(ctx, entB, p.ID, bizB)
		if err != nil || x.Eligible || x.Grant != nil || len(x.Excluded) != 1 || !strings.Contains(x.Excluded[0], "资金已用完") {
			t.Fatalf("B over budget: %v %+v", err, x)
		}
	})
}

func TestPublicityObjectionDecisionPaymentDecline(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		p, err := w.m.Create(ctx, kjj, 0, rdSubsidy())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, p.ID); err != nil {
			t.Fatal(err)
		}
		gs, err := w.m.Grants(ctx, kjj, policy.GrantFilter{PolicyID: p.ID})
		if err != nil || len(gs) != 1 {
			t.Fatalf("grants: %v %d", err, len(gs))
		}
		g := gs[0]
		// Published Thursday 2026-12-03: five working days end Thursday 2026-12-10.
		if g.PublicityFrom != "2026-12-03" || g.PublicityUntil != "2026-12-10" {
			t.Fatalf("publicity %s–%s", g.PublicityFrom, g.PublicityUntil)
		}
		if _, err := w.m.Object(ctx, citizen, g.ID, "该企业实际人数不足"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Object(ctx, citizen, g.ID, "  "); web.StatusOf(err) != 422 {
			t.Fatalf("empty objection: %v", err)
		}
		if _, err := w.m.Decide(ctx, kjj, g.ID); web.StatusOf(err) != 409 {
			t.Fatalf("decided during publicity: %v", err)
		}
		w.clk.t = time.Date(2026, 12, 11, 2, 0, 0, 0, time.UTC)
		if _, err := w.m.Decide(ctx, kjj, g.ID); web.StatusOf(err) != 409 {
			t.Fatalf("decided with an objection open: %v", err)
		}
		if _, err := w.m.Answer(ctx, other, g.ID, 1, "不成立", false); web.StatusOf(err) != 404 {
			t.Fatalf("another department answers: %v", err)
		}
		g, err = w.m.GetGrant(ctx, kjj, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Answer(ctx, kjj, g.ID, g.Objections[0].ID, "经核实，社保参保记录显示从业人数25人，异议不成立。", false); err != nil {
			t.Fatal(err)
		}
		g, err = w.m.Decide(ctx, kjj, g.ID)
		if err != nil || g.Status != policy.GrantGranted {
			t.Fatalf("decide: %v %+v", err, g)
		}
		if _, err := w.m.Pay(ctx, kjj, g.ID, ""); !strings.Contains(field(err), "account") {
			t.Fatalf("paid without an account on file: %v", err)
		}
		if err := w.m.SetAccount(ctx, entA, "云澜银行", "6222 0212 3456 7890"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Pay(ctx, kjj, g.ID, "2027-01-01"); !strings.Contains(field(err), "paid_on") {
			t.Fatalf("paid in the future: %v", err)
		}
		g, err = w.m.Pay(ctx, kjj, g.ID, "2026-12-11")
		if err != nil || g.Status != policy.GrantPaid || g.PaidOn != "2026-12-11" || g.Account != "************7890" {
			t.Fatalf("pay: %v %+v", err, g)
		}
		if _, err := w.m.Decline(ctx, entA, g.ID, ""); web.StatusOf(err) != 409 {
			t.Fatalf("declined after payment: %v", err)
		}
		figs, err := w.m.Figures(ctx, kjj)
		if err != nil || len(figs) != 1 || figs[0].Granted != 1 || figs[0].PaidYuan != 50000 || figs[0].DaysToPayment != 8 {
			t.Fatalf("figures: %v %+v", err, figs)
		}
	})
}

func TestDeclineAndApply(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		p, err := w.m.Create(ctx, kjj, 0, rdSubsidy())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, p.ID); err != nil {
			t.Fatal(err)
		}
		gs, _ := w.m.Grants(ctx, entA, policy.GrantFilter{})
		if len(gs) != 1 {
			t.Fatalf("A's grants: %d", len(gs))
		}
		if _, err := w.m.Decline(ctx, entB, gs[0].ID, ""); web.StatusOf(err) != 404 {
			t.Fatalf("B declines A's grant: %v", err)
		}
		g, err := w.m.Decline(ctx, entA, gs[0].ID, "本年度不需要")
		if err != nil || g.Status != policy.GrantDeclined {
			t.Fatalf("decline: %v %+v", err, g)
		}
		// 即申即享.
		in := rdSubsidy()
		in.Code, in.Mode, in.Title = "YL-KJJ-2026-02", policy.ModeApply, "科技型中小企业补助"
		q, err := w.m.Create(ctx, kjj, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, q.ID); err != nil {
			t.Fatal(err)
		}
		if g, x, err := w.m.Apply(ctx, entB, q.ID); err != nil || g != nil || x.Eligible || len(x.Needs) == 0 {
			t.Fatalf("B applies: %v %+v %+v", err, g, x)
		}
		g, x, err := w.m.Apply(ctx, entA, q.ID)
		if err != nil || g == nil || g.Status != policy.GrantGranted || !g.Applied || !x.Eligible {
			t.Fatalf("A applies: %v %+v", err, g)
		}
		if g, x, err := w.m.Apply(ctx, entA, q.ID); err != nil || g != nil || len(x.Excluded) != 1 || !strings.Contains(x.Excluded[0], "已享受") {
			t.Fatalf("applied twice: %v %+v", err, x)
		}
	})
}

// A run over an unchanged register writes nothing; a business that no
// longer qualifies loses its stored pair and is told what it lacks.
func TestRerunStoresOnlyWhatChanged(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		p, err := w.m.Create(ctx, kjj, 0, rdSubsidy())
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.m.Publish(ctx, kjj, p.ID); err != nil {
			t.Fatal(err)
		}
		w.drain(t)
		st, err := w.m.Match(ctx, policy.MatchOptions{Notify: true, Grant: true})
		if err != nil || st.Stored != 0 || st.Eligible != 1 || st.Notified != 0 {
			t.Fatalf("rerun: %v %+v, want nothing stored, 1 eligible, nobody told again", err, st)
		}
		w.facts(t, rs, bizA, "employees", "5")
		w.drain(t)
		var n int
		w.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM policy_matches WHERE policy_id = ? AND uscc = ?", p.ID, bizA).Scan(&n)
		if n != 0 {
			t.Fatalf("A's pair is still stored after it stopped qualifying")
		}
		x, err := w.m.Explain(ctx, entA, p.ID, bizA)
		if err != nil || x.Eligible || len(x.Clauses) != 3 || x.Clauses[1].Held != "no" || x.Clauses[1].Need == "" {
			t.Fatalf("A after the change: %v %+v", err, x)
		}
	})
}
