package casework_test

// The application clocks as the workflow ships them, each test naming its
// source and stating the expected dates literally (the world's clock starts
// on Monday 2026-11-02 10:00 CST; 行政许可法 第八十二条: limits are working
// days). .ci/mutants checks that a change to any of them fails here.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func cstDay(t time.Time) string { return t.In(calendar.CST).Format("2006-01-02") }

func (w *world) instance(app *casework.Application) *flow.Instance {
	w.t.Helper()
	in, err := w.eng.Instance(context.Background(), app.InstanceID)
	if err != nil {
		w.t.Fatal(err)
	}
	return in
}

// 行政许可法 第三十二条: the window decides on intake (受理, 不予受理 or
// 补正) promptly; the platform gives it 1 working day, and the item's
// promised limit (承诺时限, 5 working days for 食品经营许可 here) starts
// after it: the whole case is due in 1 + 5 working days.
func TestIntakeLimitIsOneWorkingDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		app := must(t)(w.m.Submit(context.Background(), w.a("ent"), foodInput()))
		in := w.instance(app)
		if got := cstDay(in.StateDueAt); got != "2026-11-03" {
			t.Errorf("intake due %s, want 2026-11-03 (1 working day)", got)
		}
		if got := cstDay(in.DueAt); got != "2026-11-10" {
			t.Errorf("case due %s, want 2026-11-10 (1 + 5 working days)", got)
		}
		app = must(t)(w.m.Accept(context.Background(), w.a("clerk"), app.ID, ""))
		if got := cstDay(w.instance(app).StateDueAt); got != "2026-11-09" {
			t.Errorf("review due %s, want 2026-11-09 (5 working days promised, from the day after 受理)", got)
		}
	})
}

// 行政许可法 第三十二条 (补正 told once and completely) and the rule that the
// time the applicant takes to correct is not counted: asked before intake
// on Monday 11-02 and corrected on Monday 11-09, the case's due date moves
// by the 5 working days paused, from 11-10 to 11-17.
func TestIntakeCorrectionPausesTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		app = must(t)(w.m.RequestCorrection(ctx, w.a("clerk"), app.ID, "平面图未标注面积", ""))
		if app.Status != casework.StatusIntakeCorrection {
			t.Fatalf("status %s, want intake_correction", app.Status)
		}
		w.now = time.Date(2026, 11, 9, 2, 0, 0, 0, time.UTC) // Monday 11-09 10:00 CST
		app = must(t)(w.m.Resubmit(ctx, w.a("ent"), app.ID, map[int]*casework.Upload{2: upload("平面图-标注.pdf")}, "已补正"))
		if got := cstDay(w.instance(app).DueAt); got != "2026-11-17" {
			t.Errorf("case due after the intake correction %s, want 2026-11-17 (paused 11-03 … 11-09)", got)
		}
	})
}

// 补正 during review pauses the review clock: review due Monday 11-09 (5
// working days from 受理 on 11-02), correction asked Tuesday 11-03 10:00
// and made Tuesday 11-10 10:00: 5 working days paused, due Monday 11-16.
func TestReviewCorrectionPausesTheClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		app = must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		w.now = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)
		app = must(t)(w.m.RequestCorrection(ctx, w.a("han"), app.ID, "管理制度缺少签章", ""))
		w.now = time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
		app = must(t)(w.m.Resubmit(ctx, w.a("ent"), app.ID, map[int]*casework.Upload{3: upload("制度-签章.pdf")}, "已补正"))
		in := w.instance(app)
		if got := cstDay(in.StateDueAt); got != "2026-11-16" {
			t.Errorf("review due after correction %s, want 2026-11-16", got)
		}
		if got := cstDay(in.DueAt); got != "2026-11-17" {
			t.Errorf("case due after correction %s, want 2026-11-17", got)
		}
	})
}

// 行政许可法 第四十二条: a decision not made within 20 working days (the
// item's legal limit) may be extended by 10 working days with the approval
// of the agency's head, and the applicant is told the reason. 食品经营许可
// promises 5 of its 20: extensions may add 20 + 10 − 5 = 25 working days
// to the promised deadline, the handler asks, only the approver grants (not
// a supervisor, not the handler), and the grant issues the 延长审查期限通知书
// with the reason and the new date: accepted Monday 11-02, due 11-10, ten
// working days more is Tuesday 11-24.
func TestExtensionFollowsArticle42(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		app = must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		ask := func(days int) (*flow.Extension, error) {
			var x *flow.Extension
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				x, err = w.eng.RequestExtension(ctx, tx, app.InstanceID, days, "需现场核查", w.a("han"))
				return err
			})
			return x, err
		}
		if _, err := ask(26); err == nil {
			t.Error("an extension of 26 working days was accepted, want at most 20 + 10 − 5 = 25")
		}
		if _, err := ask(25); err != nil {
			t.Errorf("an extension of 25 working days: %v", err)
		}
		// A second application asks for 10 and has them granted.
		app = must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		app = must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		x, err := ask(10)
		if err != nil {
			t.Fatal(err)
		}
		supervisor := &auth.Actor{UserID: 9999, Name: "督查", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990102"}
		decide := func(who *auth.Actor) error {
			return db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				got, err := w.eng.DecideExtension(ctx, tx, x.ID, who, true, 0, "")
				if err != nil {
					return err
				}
				in, err := w.eng.InstanceFor(ctx, tx, casework.SubjectType, app.ID)
				if err != nil {
					return err
				}
				return w.m.ExtensionDecided(ctx, tx, in, got, who)
			})
		}
		for _, who := range []*auth.Actor{supervisor, w.a("han")} {
			if err := decide(who); err == nil {
				t.Errorf("%s granted an extension; 第四十二条 needs the agency's head", who.Name)
			}
		}
		if err := decide(w.a("apa")); err != nil {
			t.Fatalf("the approver grants: %v", err)
		}
		if got := cstDay(w.instance(app).DueAt); got != "2026-11-24" {
			t.Errorf("case due %s after 10 more working days, want 2026-11-24", got)
		}
		ns, err := w.notices.List(ctx, w.a("ent"), app.ID)
		if err != nil || len(ns) == 0 {
			t.Fatalf("notices: %v", err)
		}
		last := ns[len(ns)-1]
		if b := body(last); last.Content.Title != "延长审查期限通知书" || !strings.Contains(b, "需现场核查") ||
			!strings.Contains(b, "延长10个工作日，将于2026年11月24日前作出决定") || !strings.Contains(b, "第四十二条") {
			t.Errorf("延期通知 %q:\n%s", last.Content.Title, b)
		}
	})
}

// 容缺受理 (国办发〔2020〕53号, the item's published 容缺 list): a missing
// material is supplied within the limit the item publishes for it (5
// working days for 管理制度 here), never a later date of the applicant's
// or the window's choosing; an earlier one is kept. Submitted Monday 11-02
// 10:00: the limit ends on Monday 11-09.
func TestShortfallDueIsThePublishedLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		promise := func(due string) casework.SubmitInput {
			in := foodInput()
			in.Materials[3] = casework.MaterialInput{Name: "管理制度", Shortfall: true}
			in.ShortfallDue = due
			return in
		}
		if _, err := w.m.Submit(ctx, w.a("ent"), promise("2026-11-10")); !strings.Contains(strings.Join(paths(err), " "), "shortfall_due") {
			t.Errorf("shortfall due a day after the published limit: %v, want refused on shortfall_due", err)
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), promise("")))
		if got := cstDay(app.ShortfallDue); got != "2026-11-09" {
			t.Errorf("shortfall due %s, want 2026-11-09 (5 working days published)", got)
		}
		if _, err := w.m.AcceptWithShortfall(ctx, w.a("clerk"), app.ID, "2026-11-10", ""); err == nil {
			t.Error("the window set a shortfall date past the published limit")
		}
		early := must(t)(w.m.Submit(ctx, w.a("ent"), promise("2026-11-06")))
		if got := cstDay(early.ShortfallDue); got != "2026-11-06" {
			t.Errorf("an earlier promise: due %s, want 2026-11-06", got)
		}
		must(t)(w.m.AcceptWithShortfall(ctx, w.a("clerk"), early.ID, "2026-11-09", ""))
	})
}

// 行政许可法 第三十二条: the agency accepts, refuses or asks for 补正 within
// 5 days of receipt (working days, 第八十二条), counted from the next day;
// if it lets them pass, the application counts as accepted from receipt.
// Received Monday 11-02: the five days are 11-03 to 11-09, so at 23:59 on
// Monday 11-09 (CST) it still waits, a minute after midnight it is
// accepted, with its 受理通知书 saying why; its decision stays due on
// 11-10, counted from receipt.
func TestAcceptanceDeemedAfterFiveWorkingDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		w.now = time.Date(2026, 11, 9, 15, 59, 0, 0, time.UTC)
		if n, err := w.m.DeemAccepted(ctx); n != 0 || err != nil {
			t.Fatalf("on the fifth working day: %d %v", n, err)
		}
		w.now = time.Date(2026, 11, 9, 16, 1, 0, 0, time.UTC)
		if n, err := w.m.DeemAccepted(ctx); n != 1 || err != nil {
			t.Fatalf("after the fifth working day: %d %v", n, err)
		}
		if n, _ := w.m.DeemAccepted(ctx); n != 0 {
			t.Errorf("a second pass accepted %d", n)
		}
		got := must(t)(w.m.Get(ctx, w.a("ent"), app.ID))
		if got.Status != casework.StatusReview {
			t.Fatalf("status %s, want review", got.Status)
		}
		if due := cstDay(w.instance(got).DueAt); due != "2026-11-10" {
			t.Errorf("decision due %s, want 2026-11-10 (from receipt)", due)
		}
		ns := w.noticesOf(t, "ent", app.ID)
		if len(ns) != 1 || !strings.Contains(body(ns[0]), "自收到申请材料之日起即为受理") {
			t.Errorf("deemed acceptance notice: %+v", ns)
		}
	})
}

// 第三十二条 一次性告知: the window asks for 补正 once, listing everything;
// asking again at the same stage is refused (422) and changes nothing,
// while the department may still ask once during review.
func TestCorrectionIsAskedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		must(t)(w.m.RequestCorrection(ctx, w.a("clerk"), app.ID, "申请书未签字", ""))
		must(t)(w.m.Resubmit(ctx, w.a("ent"), app.ID, map[int]*casework.Upload{0: upload("申请书-签字.pdf")}, ""))
		_, err := w.m.RequestCorrection(ctx, w.a("clerk"), app.ID, "平面图不清晰", "")
		if !strings.Contains(strings.Join(paths(err), " "), "correction_once") {
			t.Fatalf("second intake correction: %v, want refused on correction_once", err)
		}
		got := must(t)(w.m.Get(ctx, w.a("ent"), app.ID))
		if got.Status != casework.StatusSubmitted || got.CorrectionNote != "" || len(w.noticesOf(t, "ent", app.ID)) != 1 {
			t.Errorf("the refused request changed the application: %s %q", got.Status, got.CorrectionNote)
		}
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		must(t)(w.m.RequestCorrection(ctx, w.a("han"), app.ID, "平面图不清晰", ""))
		must(t)(w.m.Resubmit(ctx, w.a("ent"), app.ID, map[int]*casework.Upload{2: upload("平面图-2.pdf")}, ""))
		if _, err := w.m.RequestCorrection(ctx, w.a("han"), app.ID, "管理制度缺页", ""); !strings.Contains(strings.Join(paths(err), " "), "correction_once") {
			t.Errorf("second review correction: %v", err)
		}
	})
}

// 行政许可法 第四十五条: the time of an excluded procedure (here 专家评审) is
// not counted, and the applicant is told in writing how long it takes.
// Accepted Monday 11-02 (due 11-10); the review starts it on Tuesday 11-03
// 10:00 for 10 days (to 11-13) and it ends on Tuesday 11-10 10:00: five
// working days paused, so the case is due on 11-17. 中止 stops the clock
// on its grounds; 终止 ends the case and tells the remedies.
func TestExcludedPeriodSuspensionAndTermination(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		w.now = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)
		if _, err := w.m.StartSpecial(ctx, w.a("han"), app.ID, "散步", 10, "无"); !strings.Contains(strings.Join(paths(err), " "), "procedure") {
			t.Errorf("a procedure not in 第四十五条: %v", err)
		}
		if _, err := w.m.StartSpecial(ctx, w.a("han"), app.ID, "专家评审", 0, "消防设计需专家评审"); !strings.Contains(strings.Join(paths(err), " "), "days") {
			t.Errorf("zero days: %v", err)
		}
		got := must(t)(w.m.StartSpecial(ctx, w.a("han"), app.ID, "专家评审", 10, "消防设计需专家评审"))
		if got.Status != casework.StatusSpecial || w.instance(got).Status != flow.StatusPaused {
			t.Fatalf("excluded procedure: %s %s", got.Status, w.instance(got).Status)
		}
		ns := w.noticesOf(t, "ent", app.ID)
		last := ns[len(ns)-1]
		if b := body(last); last.Content.Title != "特别程序告知书" || !strings.Contains(b, "专家评审") ||
			!strings.Contains(b, "消防设计需专家评审") || !strings.Contains(b, "预计需要10日（至2026年11月13日）") ||
			!strings.Contains(b, "第四十五条") {
			t.Errorf("第四十五条 notice %q:\n%s", last.Content.Title, b)
		}
		w.now = time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
		got = must(t)(w.m.EndSpecial(ctx, w.a("han"), app.ID, "评审意见已出具"))
		if due := cstDay(w.instance(got).DueAt); got.Status != casework.StatusReview || due != "2026-11-17" {
			t.Errorf("after the procedure: %s, due %s, want review due 2026-11-17", got.Status, due)
		}
		if _, err := w.m.Suspend(ctx, w.a("han"), app.ID, "申请人涉诉"); err == nil {
			t.Error("a handler suspended the review")
		}
		got = must(t)(w.m.Suspend(ctx, w.a("apa"), app.ID, "申请人涉及场所权属诉讼，待法院判决"))
		if got.Status != casework.StatusSuspended || w.instance(got).Status != flow.StatusPaused {
			t.Fatalf("suspended: %s", got.Status)
		}
		must(t)(w.m.Resume(ctx, w.a("han"), app.ID, "判决已生效"))
		got = must(t)(w.m.Terminate(ctx, w.a("apa"), app.ID, "申请人已注销"))
		if got.Status != casework.StatusTerminated || !got.Status.Finished() {
			t.Fatalf("terminated: %s", got.Status)
		}
		ns = w.noticesOf(t, "ent", app.ID)
		kinds := []string{}
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
		}
		if strings.Join(kinds, ",") != "acceptance,excluded_period,suspension,termination" {
			t.Errorf("documents %v", kinds)
		}
		if end := ns[len(ns)-1]; !strings.Contains(body(end), "申请人已注销") || !strings.Contains(end.Content.Remedies, "行政复议") {
			t.Errorf("终止 notice:\n%s", body(end))
		}
	})
}

// A deadline counted into a year whose holiday arrangement is not entered
// (2027) is shown as provisional (暂定): submitted Thursday 2026-12-24, the
// 1 + 5 working days of 食品经营许可 end on Friday 2027-01-01, counted
// Monday to Friday until the year is entered (flow.Recount moves it then).
func TestDeadlineIntoAMissingYearIsProvisional(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		if !w.cal.Missing(2027) {
			t.Skip("the shipped calendar already has 2027")
		}
		ctx := context.Background()
		now := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		w.now = time.Date(2026, 12, 24, 2, 0, 0, 0, time.UTC)
		late := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		if got := cstDay(w.instance(late).DueAt); got != "2027-01-01" {
			t.Errorf("due %s, want 2027-01-01 (Monday to Friday)", got)
		}
		s := serve(t, w)
		ent := s.client(t, "ent")
		if _, body := s.get(t, ent, "/applications/"+itoa(late.ID)); !strings.Contains(body, `id="due-provisional"`) {
			t.Error("the 2027 deadline is not marked provisional")
		}
		if _, body := s.get(t, ent, "/applications/"+itoa(now.ID)); strings.Contains(body, `id="due-provisional"`) {
			t.Error("a 2026 deadline is marked provisional")
		}
	})
}
