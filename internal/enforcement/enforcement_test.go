package enforcement_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/enforcement"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var shop = uscc("91990102MA01EN01X")

type world struct {
	t         *testing.T
	db        *store.DB
	m         *enforcement.Module
	eng       *flow.Engine
	credit    *credit.Module
	disc      *enforcement.BasicDiscretion
	now       *time.Time
	inspector *auth.Actor
	approver  *auth.Actor
	legal     *auth.Actor
	other     *auth.Actor // 临江区城管局
	ctx       context.Context
}

// at sets the clock to hh:00 China time on day.
func (w *world) at(day string, hh int) {
	w.t.Helper()
	d, err := calendar.ParseDate(day)
	if err != nil {
		w.t.Fatal(err)
	}
	*w.now = d.Start().Add(time.Duration(hh) * time.Hour)
}

func endOf(day string) time.Time {
	d, _ := calendar.ParseDate(day)
	return d.AddDays(1).Start().Add(-time.Microsecond)
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	now := time.Time{}
	w := &world{t: t, db: db, now: &now, ctx: ctx}
	w.at("2026-03-02", 10)
	clock := func() time.Time { return *w.now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	policy := auth.NewPolicy()
	depts := map[string]int64{}
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
			depts[d.code] = dep.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	scj := []int64{depts["LJ-SCJG"]}
	w.inspector = &auth.Actor{UserID: 11, Name: "王执法", Roles: []auth.Role{auth.RoleInspector}, RegionCode: "990102", DepartmentIDs: scj}
	w.approver = &auth.Actor{UserID: 12, Name: "李局长", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: scj}
	w.legal = &auth.Actor{UserID: 13, Name: "赵法制", Roles: []auth.Role{auth.RoleLegal}, RegionCode: "990102", DepartmentIDs: scj}
	w.other = &auth.Actor{UserID: 14, Name: "周城管", Roles: []auth.Role{auth.RoleInspector, auth.RoleApprover}, RegionCode: "990102",
		DepartmentIDs: []int64{depts["LJ-CGJ"]}}
	cal := calendar.New(calendar.Official())
	log := audit.New(clock)
	w.eng = flow.New(db, func() flow.Calendar { return cal }, log, clock)
	if w.credit, err = credit.New(credit.Deps{DB: db, Org: orgs, Policy: policy, Audit: log, Now: clock,
		Calendar: func() *calendar.Calendar { return cal }}); err != nil {
		t.Fatal(err)
	}
	if err := w.credit.Grant(ctx, auth.System(), depts["LJ-SCJG"], string(credit.KindPenalty)); err != nil {
		t.Fatal(err)
	}
	w.disc = &enforcement.BasicDiscretion{Rules: enforcement.DefaultRules()}
	if w.m, err = enforcement.New(enforcement.Deps{DB: db, Flow: w.eng, Org: orgs, Policy: policy, Audit: log, Box: box,
		Discretion: w.disc, Credit: w.credit, Now: clock}); err != nil {
		t.Fatal(err)
	}
	if err := w.m.LoadDefinitions(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) lead(in enforcement.LeadInput) *enforcement.Case {
	w.t.Helper()
	if in.Party.Kind == "" {
		in.Party = enforcement.Party{Kind: enforcement.Organisation, Name: "云澜鲜果超市有限公司", USCC: shop}
	}
	if in.MatterCode == "" {
		in.MatterCode = "SC-FOOD-001"
	}
	if in.Source == "" {
		in.Source = "投诉举报"
	}
	if in.Summary == "" {
		in.Summary = "货架上有超过保质期的酸奶12盒"
	}
	if in.ViolationOn == "" {
		in.ViolationOn = "2026-02-20"
	}
	c, err := w.m.CreateLead(w.ctx, w.inspector, in)
	if err != nil {
		w.t.Fatalf("lead: %v", err)
	}
	return c
}

func (w *world) must(c *enforcement.Case, err error) *enforcement.Case {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) instance(id int64) *flow.Instance {
	w.t.Helper()
	in, err := w.eng.Instance(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return in
}

func isField(err error, field string) bool {
	for _, f := range valid.Fields(err) {
		if f.Path == field {
			return true
		}
	}
	return false
}

// TestLeadCheckIs15WorkingDaysExtendableBy15: recorded Monday 2026-03-02,
// the check ends with Monday 03-23; an approved extension of 15 working
// days moves it over 清明 (04-06 off) to Tuesday 04-14; no more after that.
func TestLeadCheckIs15WorkingDaysExtendableBy15(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{})
		in := w.instance(c.LeadInstance)
		if want := endOf("2026-03-23"); !in.StateDueAt.Equal(want) {
			t.Fatalf("lead check due %v, want %v", in.StateDueAt.In(calendar.CST), want.In(calendar.CST))
		}
		if _, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 16, "需调取外地证据", ""); !errors.Is(err, valid.ErrInvalid) {
			t.Errorf("16 working days: %v, want 422", err)
		}
		x, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 15, "需调取外地证据", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.DecideExtension(w.ctx, w.inspector, c.ID, x.ID, true, 0, ""); err == nil {
			t.Error("the inspector granted an extension")
		}
		if _, err := w.m.DecideExtension(w.ctx, w.approver, c.ID, x.ID, true, 0, "同意"); err != nil {
			t.Fatal(err)
		}
		if in := w.instance(c.LeadInstance); !in.StateDueAt.Equal(endOf("2026-04-14")) {
			t.Errorf("extended lead check due %v, want 2026-04-14", in.StateDueAt.In(calendar.CST))
		}
		if _, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 1, "再延", ""); err == nil {
			t.Error("a second extension beyond 15 working days was accepted")
		}
	})
}

// TestOfficerPathWithDeparture runs a heavy case from lead to closure: the
// 90-day decision limit in calendar days, the party's 5 working days after
// notice, a hearing (the clock paused), legal review before the heavy
// decision, collective discussion, delivery within 7 working days,
// payment within 15 days, and the credit record.
func TestOfficerPathWithDeparture(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{Facts: map[string]string{"repeat_within_year": "false"}})
		if c.TimeBarred {
			t.Fatal("a violation of last month reported time-barred")
		}
		w.at("2026-03-05", 10)
		if _, err := w.m.OpenCase(w.ctx, w.inspector, c.ID, ""); err == nil {
			t.Error("the inspector opened the case; 立案 needs the approver")
		}
		c = w.must(w.m.OpenCase(w.ctx, w.approver, c.ID, "同意立案"))
		// 2026-03-05 + 90 days = Wednesday 06-03.
		if in := w.instance(c.CaseInstance); !in.DueAt.Equal(endOf("2026-06-03")) {
			t.Fatalf("decision due %v, want 2026-06-03 (90 calendar days)", in.DueAt.In(calendar.CST))
		}
		if c.Left != "剩余 90 天" {
			t.Errorf("time left %q, want 剩余 90 天", c.Left)
		}
		ev, err := w.m.AddEvidence(w.ctx, w.inspector, c.ID, "现场照片.jpg", "image/jpeg", "货架", []byte("\xff\xd8photo"))
		if err != nil || len(ev.SHA256) != 64 {
			t.Fatalf("evidence: %v %+v", err, ev)
		}

		// The proposal is 一般, 40–60% of 100,000 yuan; the officer asks
		// 100,000 (a departure; a hearing may be asked from 100,000 yuan on an organisation, the amount included) and must say why.
		w.at("2026-03-10", 10)
		prop, err := w.m.Propose(w.ctx, w.inspector, c.ID, nil)
		if err != nil || prop.Level != discretion.LevelNormal || prop.FineMin != 4000000 || prop.FineMax != 6000000 {
			t.Fatalf("proposal %+v, %v", prop, err)
		}
		in := enforcement.IntendedInput{Level: discretion.LevelHeavier, Kinds: []string{"罚款"}, FineYuan: 100000}
		if _, err := w.m.Intend(w.ctx, w.inspector, c.ID, in); !isField(err, "departure_reason") {
			t.Fatalf("departure without a reason: %v", err)
		}
		in.DepartureReason = "涉案食品已售出部分，面向学生群体"
		c = w.must(w.m.Intend(w.ctx, w.inspector, c.ID, in))
		if !c.Intended.Departed || !c.HearingAllowed {
			t.Fatalf("intended %+v", c.Intended)
		}
		// Notice Tuesday 03-10: the party's 5 working days end Tuesday 03-17.
		if got := w.instance(c.CaseInstance).StateDueAt; !got.Equal(endOf("2026-03-17")) {
			t.Errorf("party's period ends %v, want 2026-03-17", got.In(calendar.CST))
		}
		if _, err := w.m.Act(w.ctx, w.inspector, c.ID, "to_review", "", false); !errors.Is(err, enforcement.ErrPeriod) {
			t.Errorf("review before the party's period ended: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.inspector, c.ID, "to_decision", "", true); !errors.Is(err, enforcement.ErrLegalReview) {
			t.Errorf("a heavy case sent to decision without legal review: %v", err)
		}
		// Hearing asked on 03-16 (within the 5 working days), held until 03-26:
		// the 90-day clock gives back 10 days → 06-13 (Saturday) → Monday 06-15.
		w.at("2026-03-16", 10)
		w.must(w.m.Act(w.ctx, w.inspector, c.ID, "request_hearing", "当事人书面申请听证", false))
		w.at("2026-03-26", 10)
		w.must(w.m.Act(w.ctx, w.inspector, c.ID, "hearing_held", "听证笔录已制作", false))
		if in := w.instance(c.CaseInstance); !in.DueAt.Equal(endOf("2026-06-15")) {
			t.Errorf("after the hearing decision due %v, want 2026-06-15", in.DueAt.In(calendar.CST))
		}
		if _, err := w.m.Decide(w.ctx, w.approver, c.ID, enforcement.DecideInput{}); !errors.Is(err, enforcement.ErrLegalReview) {
			t.Errorf("a heavy case decided before legal review: %v", err)
		}
		if _, err := w.m.Act(w.ctx, w.approver, c.ID, "legal_pass", "", false); err == nil {
			t.Error("the approver passed legal review")
		}
		c = w.must(w.m.Act(w.ctx, w.legal, c.ID, "legal_pass", "偏离裁量建议理由充分，同意", false))
		if _, err := w.m.Decide(w.ctx, w.approver, c.ID, enforcement.DecideInput{}); !errors.Is(err, enforcement.ErrCollective) {
			t.Errorf("a fine of 100,000 yuan decided without collective discussion: %v", err)
		}
		w.must(w.m.Act(w.ctx, w.approver, c.ID, "to_collective", "", false))
		w.must(w.m.Act(w.ctx, w.approver, c.ID, "collective_done", "2026年第3次案审会决定", false))
		w.at("2026-03-25", 10)
		c = w.must(w.m.Decide(w.ctx, w.approver, c.ID, enforcement.DecideInput{}))
		if c.Status != enforcement.StatusDecided || c.Decision.FineFen != 10000000 || !c.Decision.Departed {
			t.Fatalf("decision %+v", c.Decision)
		}
		// Delivery within 7 working days: Wednesday 03-25 → Friday 04-03.
		if in := w.instance(c.CaseInstance); in.State != "delivery" || !in.StateDueAt.Equal(endOf("2026-04-03")) || !in.DueAt.IsZero() {
			t.Errorf("delivery: state %s due %v (want 2026-04-03), overall %v (want none)", in.State,
				in.StateDueAt.In(calendar.CST), in.DueAt)
		}
		// Payment within 15 days: delivered Friday 03-27 → Saturday 04-11 → Monday 04-13.
		w.at("2026-03-27", 10)
		c = w.must(w.m.Act(w.ctx, w.inspector, c.ID, "delivered", "直接送达", false))
		if in := w.instance(c.CaseInstance); in.State != "payment" || !in.StateDueAt.Equal(endOf("2026-04-13")) {
			t.Errorf("payment: state %s due %v, want 2026-04-13", in.State, in.StateDueAt.In(calendar.CST))
		}
		c = w.must(w.m.Act(w.ctx, w.inspector, c.ID, "paid", "", false))
		if c.Status != enforcement.StatusClosed {
			t.Errorf("status %s after payment, want closed", c.Status)
		}
		outs := w.disc.Outcomes()
		if len(outs) != 1 || !outs[0].Departed || outs[0].Proposed != discretion.LevelNormal || outs[0].Level != discretion.LevelHeavier {
			t.Errorf("outcomes %+v", outs)
		}
		// The credit record, written from the event, once.
		ev2 := outbox.Event{Topic: enforcement.TopicDecided, Payload: []byte(`{"id":` + itoa(c.ID) + `}`)}
		for range 2 {
			if err := w.m.RecordCredit(w.ctx, ev2); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM credit_records WHERE uscc = ? AND kind = 'penalty' AND decision_no = ?",
			shop, c.Decision.No).Scan(&n); err != nil || n != 1 {
			t.Errorf("credit records %d (%v), want 1", n, err)
		}
		hist, err := w.m.History(w.ctx, w.approver, c.ID, "zh-CN")
		if err != nil || len(hist) < 12 {
			t.Errorf("history %d steps, %v", len(hist), err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestFirstViolationEndsWithNoPenaltyAndEducation: 首违不罚 proposes 不予处罚;
// it needs the education recorded, skips the notice, and writes no credit
// record.
func TestFirstViolationEndsWithNoPenaltyAndEducation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{MatterCode: "SC-PRICE-001", Summary: "部分商品未明码标价",
			Facts: map[string]string{"first_violation": "true", "harm_slight": "true", "corrected_in_time": "true"}})
		c = w.must(w.m.OpenCase(w.ctx, w.approver, c.ID, ""))
		prop, err := w.m.Propose(w.ctx, w.inspector, c.ID, nil)
		if err != nil || prop.Level != discretion.LevelNone || !prop.Education || len(prop.Trace) == 0 {
			t.Fatalf("proposal %+v %v", prop, err)
		}
		in := enforcement.IntendedInput{Level: discretion.LevelNone, Reason: "首违不罚"}
		if _, err := w.m.Intend(w.ctx, w.inspector, c.ID, in); !isField(err, "education") {
			t.Fatalf("no penalty without education: %v", err)
		}
		in.Education = "当场宣讲《明码标价和禁止价格欺诈规定》，当事人签字确认并已改正"
		c = w.must(w.m.Intend(w.ctx, w.inspector, c.ID, in))
		if c.Intended.Departed || c.State != "deciding" {
			t.Fatalf("intended %+v in %s", c.Intended, c.State)
		}
		c = w.must(w.m.Decide(w.ctx, w.approver, c.ID, enforcement.DecideInput{}))
		if c.Decision.Level != discretion.LevelNone || c.Decision.Education == "" {
			t.Fatalf("decision %+v", c.Decision)
		}
		c = w.must(w.m.Act(w.ctx, w.inspector, c.ID, "delivered", "", false))
		if c.Status != enforcement.StatusClosed {
			t.Errorf("status %s, want closed (nothing to pay)", c.Status)
		}
		if err := w.m.RecordCredit(w.ctx, outbox.Event{Payload: []byte(`{"id":` + itoa(c.ID) + `}`)}); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM credit_records").Scan(&n)
		if n != 0 {
			t.Errorf("不予处罚 wrote %d credit records", n)
		}
		if o := w.disc.Outcomes(); len(o) != 1 || !o[0].FirstViolation || !o[0].Education || o[0].Level != discretion.LevelNone {
			t.Errorf("outcome %+v", o)
		}
	})
}

// TestLimitation: 2 years (第三十六条), 5 where grave, continuing
// violations from their end; a time-barred case can only be 不予处罚.
func TestLimitation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		// Violation 2024-03-01: the limit runs to 2026-03-01; found 03-02.
		old := w.lead(enforcement.LeadInput{ViolationOn: "2024-03-01"})
		if !old.TimeBarred || old.LimitationUntil != "2026-03-01" {
			t.Fatalf("time barred %v until %s", old.TimeBarred, old.LimitationUntil)
		}
		if c := w.lead(enforcement.LeadInput{ViolationOn: "2024-03-02"}); c.TimeBarred {
			t.Error("found on the last day of the period: reported time-barred")
		}
		if c := w.lead(enforcement.LeadInput{ViolationOn: "2022-01-10", Grave: true}); c.TimeBarred || c.LimitationUntil != "2027-01-10" {
			t.Errorf("grave: barred %v until %s, want 2027-01-10", c.TimeBarred, c.LimitationUntil)
		}
		if c := w.lead(enforcement.LeadInput{ViolationOn: "2023-01-10", ViolationEndedOn: "2025-06-30"}); c.TimeBarred {
			t.Error("continuing violation counted from its start")
		}
		c := w.must(w.m.OpenCase(w.ctx, w.approver, old.ID, "立案后依法不予处罚"))
		if _, err := w.m.Intend(w.ctx, w.inspector, c.ID, enforcement.IntendedInput{Level: discretion.LevelNormal,
			Kinds: []string{"罚款"}, FineYuan: 50000}); !errors.Is(err, enforcement.ErrTimeBarred) {
			t.Fatalf("penalty past the limitation: %v", err)
		}
		c = w.must(w.m.Intend(w.ctx, w.inspector, c.ID, enforcement.IntendedInput{Level: discretion.LevelNone,
			Education: "告知当事人依法经营"}))
		c = w.must(w.m.Decide(w.ctx, w.approver, c.ID, enforcement.DecideInput{}))
		if c.Decision.Level != discretion.LevelNone || c.Decision.Reason == "" {
			t.Errorf("decision %+v", c.Decision)
		}
	})
}

// TestSimpleProcedureCaps: on the spot at most 200 yuan for a person and
// 3,000 yuan for an organisation (第五十一条).
func TestSimpleProcedureCaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		person := enforcement.Party{Kind: enforcement.Person, Name: "张三", IDNumber: "11010519491231002X"}
		in := enforcement.SimpleInput{Party: person, MatterCode: "SC-PRICE-001", Summary: "摊位未明码标价", ViolationOn: "2026-03-02",
			Kind: "罚款", FineYuan: 201, Place: "滨江路夜市"}
		if _, err := w.m.Simple(w.ctx, w.inspector, in); !isField(err, "fine_yuan") {
			t.Fatalf("201 yuan on a person on the spot: %v", err)
		}
		in.FineYuan = 200
		c, err := w.m.Simple(w.ctx, w.inspector, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != enforcement.StatusClosed || c.Procedure != enforcement.Simple || c.Party.IDNumber != "110***********002X" {
			t.Errorf("simple case %+v (id shown %q)", c, c.Party.IDNumber)
		}
		in.Party = enforcement.Party{Kind: enforcement.Organisation, Name: "云澜鲜果超市有限公司", USCC: shop}
		in.FineYuan = 3001
		if _, err := w.m.Simple(w.ctx, w.inspector, in); !isField(err, "fine_yuan") {
			t.Errorf("3,001 yuan on an organisation: %v", err)
		}
		in.FineYuan = 3000
		c, err = w.m.Simple(w.ctx, w.inspector, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.m.RecordCredit(w.ctx, outbox.Event{Payload: []byte(`{"id":` + itoa(c.ID) + `}`)}); err != nil {
			t.Fatal(err)
		}
		var n, published int
		if err := db.QueryRowContext(w.ctx, "SELECT COUNT(*), COUNT(published_on) FROM credit_records WHERE uscc = ?", shop).Scan(&n, &published); err != nil || n != 1 || published != 0 {
			t.Errorf("simple-procedure credit records %d, published %d (%v); want 1 kept, never published", n, published, err)
		}
		in.Kind, in.FineYuan = "警告", 0
		if _, err := w.m.Simple(w.ctx, w.inspector, in); err != nil {
			t.Errorf("warning on the spot: %v", err)
		}
	})
}

// TestScopeAndBadInput: another department's officer sees nothing (404);
// bad input is refused naming the field, and nothing is stored.
func TestScopeAndBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{})
		if _, err := w.m.Get(w.ctx, w.other, c.ID, "zh-CN"); !errors.Is(err, enforcement.ErrNotFound) {
			t.Errorf("other department reading: %v", err)
		}
		if _, err := w.m.OpenCase(w.ctx, w.other, c.ID, ""); !errors.Is(err, enforcement.ErrNotFound) {
			t.Errorf("other department opening: %v", err)
		}
		list, _, err := w.m.List(w.ctx, w.other, enforcement.ListFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("other department's list: %d, %v", len(list), err)
		}
		_, err = w.m.CreateLead(w.ctx, w.inspector, enforcement.LeadInput{Party: enforcement.Party{Kind: enforcement.Organisation,
			Name: "x", USCC: shop}, MatterCode: "SC-FOOD-001", Source: "投诉举报", Summary: "bad\x07text", ViolationOn: "2026-02-01"})
		if !isField(err, "summary") {
			t.Errorf("control character: %v", err)
		}
		_, err = w.m.CreateLead(w.ctx, w.inspector, enforcement.LeadInput{Party: enforcement.Party{Kind: enforcement.Organisation,
			Name: "x", USCC: "123"}, MatterCode: "nope", Source: "x", Summary: "s", ViolationOn: "2030-01-01"})
		for _, f := range []string{"party.uscc", "matter_code", "source", "violation_on"} {
			if !isField(err, f) {
				t.Errorf("field %s not named in %v", f, err)
			}
		}
		var n int
		db.QueryRowContext(w.ctx, "SELECT COUNT(*) FROM enforcement_cases").Scan(&n)
		if n != 1 {
			t.Errorf("%d cases stored, want 1", n)
		}
		list, next, err := w.m.List(w.ctx, w.inspector, enforcement.ListFilter{Limit: 1})
		if err != nil || len(list) != 1 || !next.IsZero() {
			t.Errorf("list %d next %v %v", len(list), next, err)
		}
	})
}

// TestDecisionExtensionBeyond30DaysNeedsCollective: the 90 days extend by
// 30 with the approver's grant; more only with a collective decision.
func TestDecisionExtensionBeyond30DaysNeedsCollective(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{})
		c = w.must(w.m.OpenCase(w.ctx, w.approver, c.ID, "")) // 03-02 + 90 = 05-31 (Sunday) → 06-01
		if in := w.instance(c.CaseInstance); !in.DueAt.Equal(endOf("2026-06-01")) {
			t.Fatalf("due %v", in.DueAt.In(calendar.CST))
		}
		if _, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 31, "案情复杂", ""); !isField(err, "collective") {
			t.Errorf("31 days without collective decision: %v", err)
		}
		x, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 30, "案情复杂", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.DecideExtension(w.ctx, w.approver, c.ID, x.ID, true, 0, "同意延长30日"); err != nil {
			t.Fatal(err)
		}
		// 06-01 + 30 = Wednesday 07-01.
		if in := w.instance(c.CaseInstance); !in.DueAt.Equal(endOf("2026-07-01")) {
			t.Errorf("extended due %v, want 2026-07-01", in.DueAt.In(calendar.CST))
		}
		if _, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 10, "鉴定未完成", ""); !isField(err, "collective") {
			t.Errorf("beyond 30 days without collective: %v", err)
		}
		if _, err := w.m.RequestExtension(w.ctx, w.inspector, c.ID, 10, "鉴定未完成", "2026年第5次集体讨论"); err != nil {
			t.Errorf("beyond 30 days with a collective decision: %v", err)
		}
	})
}

// TestHearingRequestWithin5WorkingDays: asked after the party's period,
// a hearing is refused.
func TestHearingRequestWithin5WorkingDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{})
		c = w.must(w.m.OpenCase(w.ctx, w.approver, c.ID, ""))
		c = w.must(w.m.Intend(w.ctx, w.inspector, c.ID, enforcement.IntendedInput{Level: discretion.LevelNormal,
			Kinds: []string{"罚款"}, FineYuan: 50000})) // notice Monday 03-02 → period ends Monday 03-09
		w.at("2026-03-10", 9)
		if _, err := w.m.Act(w.ctx, w.inspector, c.ID, "request_hearing", "", false); err == nil {
			t.Error("hearing asked on the 6th working day accepted")
		}
		w.must(w.m.Act(w.ctx, w.inspector, c.ID, "to_review", "", false))
	})
}

// TestRevisionAfterDefenceNeverHeavier: after prior notice of a fine of
// 50,000 yuan the party states and defends its case; the department may
// revise the intended penalty down (to 30,000 yuan, the notice of the
// result to the party recorded), but 行政处罚法第四十五条第二款 forbids a
// heavier penalty because the party defended itself: a larger fine, a
// higher level or a kind of penalty not in the notice is 422 and nothing
// is stored. Without a recorded statement there is nothing to revise on;
// control characters in the statement are refused; another department
// cannot record one.
func TestRevisionAfterDefenceNeverHeavier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.lead(enforcement.LeadInput{})
		c = w.must(w.m.OpenCase(w.ctx, w.approver, c.ID, ""))
		c = w.must(w.m.Intend(w.ctx, w.inspector, c.ID, enforcement.IntendedInput{Level: discretion.LevelNormal,
			Kinds: []string{"罚款"}, FineYuan: 50000}))
		if len(c.Notices) != 1 || c.Notices[0].Kind != "prior" || c.Notices[0].On != "2026-03-02" || !strings.Contains(c.Notices[0].Text, "罚款50000元") {
			t.Fatalf("prior notice %+v, want one of 2026-03-02 naming the fine", c.Notices)
		}
		down := enforcement.RevisionInput{Level: discretion.LevelLighter, Kinds: []string{"罚款"}, FineYuan: 30000,
			Reason: "当事人提交了已召回全部过期酸奶的证据，采纳"}
		if _, err := w.m.Revise(w.ctx, w.inspector, c.ID, down); web.StatusOf(err) != http.StatusConflict {
			t.Errorf("revision before any statement: %v (%d), want 409", err, web.StatusOf(err))
		}
		w.at("2026-03-04", 10)
		if _, err := w.m.RecordStatement(w.ctx, w.inspector, c.ID, enforcement.StatementInput{Way: "written", Text: "已召回\x07"}); !isField(err, "text") {
			t.Errorf("a statement with a control character: %v", err)
		}
		if _, err := w.m.RecordStatement(w.ctx, w.other, c.ID, enforcement.StatementInput{Way: "written", Text: "x"}); !errors.Is(err, enforcement.ErrNotFound) {
			t.Errorf("another department recorded a statement: %v", err)
		}
		c = w.must(w.m.RecordStatement(w.ctx, w.inspector, c.ID, enforcement.StatementInput{Way: "written",
			Text: "过期酸奶系供货商配送错误，已于3月3日全部召回并销毁，附召回记录。"}))
		if len(c.Statements) != 1 || c.Statements[0].On != "2026-03-04" {
			t.Fatalf("statements %+v", c.Statements)
		}
		version := c.Version
		for name, up := range map[string]enforcement.RevisionInput{
			"fine_yuan": {Level: discretion.LevelNormal, Kinds: []string{"罚款"}, FineYuan: 60000, Reason: "当事人态度恶劣"},
			"level":     {Level: discretion.LevelHeavier, Kinds: []string{"罚款"}, FineYuan: 50000, Reason: "当事人拒不认错"},
			"kinds":     {Level: discretion.LevelNormal, Kinds: []string{"罚款", "没收违法所得"}, FineYuan: 40000, Reason: "申辩不成立"},
		} {
			_, err := w.m.Revise(w.ctx, w.inspector, c.ID, up)
			if web.StatusOf(err) != http.StatusUnprocessableEntity || !isField(err, name) || !strings.Contains(err.Error(), "第四十五条") {
				t.Errorf("heavier %s: %v (%d), want 422 on %s citing 第四十五条", name, err, web.StatusOf(err), name)
			}
		}
		if got := w.must(w.m.Get(w.ctx, w.inspector, c.ID, "zh-CN")); got.Version != version || got.Intended.FineFen != 5000000 ||
			len(got.Revisions) != 0 || len(got.Notices) != 1 {
			t.Fatalf("after refused increases: version %d→%d, fine %d, %d revisions, %d notices; want nothing stored",
				version, got.Version, got.Intended.FineFen, len(got.Revisions), len(got.Notices))
		}
		if _, err := w.m.Revise(w.ctx, w.inspector, c.ID, enforcement.RevisionInput{Level: discretion.LevelNormal, Kinds: []string{"罚款"},
			FineYuan: 50000, Reason: "不采纳"}); !isField(err, "level") {
			t.Errorf("a revision changing nothing: %v", err)
		}
		if _, err := w.m.Revise(w.ctx, w.approver, c.ID, down); err == nil {
			t.Error("the approver revised the intended penalty; the officer does, the approver decides")
		}
		w.at("2026-03-05", 10)
		c = w.must(w.m.Revise(w.ctx, w.inspector, c.ID, down))
		if c.Intended.FineFen != 3000000 || c.Intended.Level != discretion.LevelLighter || len(c.Revisions) != 1 ||
			c.Revisions[0].From.FineFen != 5000000 {
			t.Fatalf("revised %+v, revisions %+v", c.Intended, c.Revisions)
		}
		if n := c.Notices[len(c.Notices)-1]; n.Kind != "revised" || n.On != "2026-03-05" || !strings.Contains(n.Text, "罚款50000元") ||
			!strings.Contains(n.Text, "罚款30000元") {
			t.Errorf("notice of the revision %+v", n)
		}
		// The party's period still runs from the prior notice (Monday 03-02 → 03-09).
		if got := w.instance(c.CaseInstance).StateDueAt; !got.Equal(endOf("2026-03-09")) {
			t.Errorf("party's period ends %v, want 2026-03-09", got.In(calendar.CST))
		}
		w.at("2026-03-10", 10)
		w.must(w.m.Act(w.ctx, w.inspector, c.ID, "to_review", "", false))
		if _, err := w.m.Revise(w.ctx, w.inspector, c.ID, enforcement.RevisionInput{Level: discretion.LevelLighter, Kinds: []string{"罚款"},
			FineYuan: 20000, Reason: "x"}); !errors.Is(err, enforcement.ErrState) {
			t.Errorf("revision in legal review: %v, want ErrState", err)
		}
	})
}
