package fairreview

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/fairscreen"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// fakeScreener flags clauses mentioning local tax payment, like the
// fairscreen rule for 实施办法 (rewards conditioned on local tax).
type fakeScreener struct{ feedback []string }

func (f *fakeScreener) Screen(_ context.Context, text string) ([]fairscreen.Clause, error) {
	out := []fairscreen.Clause{}
	for _, c := range strings.Split(text, "。") {
		if strings.TrimSpace(c) == "" {
			continue
		}
		cl := fairscreen.Clause{Text: c, Findings: []fairscreen.Finding{}}
		if i := strings.Index(c, "在本区纳税"); i >= 0 {
			cl.Findings = append(cl.Findings, fairscreen.Finding{Rule: "local-tax", Article: "第十条第（二）项",
				Category: fairscreen.CategoryCost, Explanation: "以在本地纳税为奖励条件"})
		}
		out = append(out, cl)
	}
	return out, nil
}

func (f *fakeScreener) Feedback(_ context.Context, rule, _ string, confirmed bool, _ int64) error {
	f.feedback = append(f.feedback, rule)
	return nil
}

type env struct {
	m   *Module
	now time.Time
	fs  *fakeScreener
}

func newEnv(t *testing.T, db *store.DB) *env {
	box, err := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{now: time.Date(2026, 12, 1, 10, 0, 0, 0, calendar.CST), fs: &fakeScreener{}}
	e.m, err = New(Deps{DB: db, Audit: audit.New(func() time.Time { return e.now }), Screener: e.fs, Box: box, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var (
	drafter = Actor{UserID: 1, DepartmentID: 10, Region: "LJ"}
	other   = Actor{UserID: 2, DepartmentID: 11, Region: "LJ"}
	office  = Actor{UserID: 3, DepartmentID: 20, Region: "LJ", Office: true}
	legal   = Actor{UserID: 4, DepartmentID: 30, Region: "LJ", Legal: true}
)

const taxText = "第一条 为促进产业发展，制定本办法。第二条 对在本区纳税的企业给予奖励。"

func answers() []Answer {
	var out []Answer
	for _, it := range Checklist {
		out = append(out, Answer{Item: it.ID, Reason: "经逐项对照，不涉及"})
	}
	return out
}

func (e *env) register(t *testing.T, joint bool) *Measure {
	ms, err := e.m.Register(context.Background(), drafter, Draft{Kind: "政策措施", Title: "产业扶持办法", Body: taxText,
		Touches: true, CountyLevel: joint})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := e.register(t, true)
		if len(ms.Clauses) != 2 || len(ms.Clauses[1].Findings) != 1 {
			t.Fatalf("screening: %+v", ms.Clauses)
		}
		// Another department's draft is not found.
		if _, err := e.m.Get(ctx, other, ms.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("scope: %v", err)
		}
		// Issuing before a conclusion is refused (第十八条).
		if _, err := e.m.Issue(ctx, drafter, ms.ID, ""); !errors.Is(err, ErrState) {
			t.Fatalf("issue without conclusion: %v", err)
		}
		// Self-review confirms the finding; county-level goes to 会同审查.
		ms, err := e.m.SubmitSelfReview(ctx, drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "初审：第二条涉嫌违反第十条",
			Decisions: []Decision{{Clause: 1, Rule: "local-tax", Confirmed: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if ms.Status != StatusJointReview || ms.StageDueOn != "2026-12-22" {
			t.Fatalf("routing: %s due %s", ms.Status, ms.StageDueOn)
		}
		if len(e.fs.feedback) != 1 {
			t.Fatalf("feedback not passed")
		}
		if _, err := e.m.JointReview(ctx, drafter, ms.ID, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("drafter joint review: %v", err)
		}
		if ms, err = e.m.JointReview(ctx, office, ms.ID, "建议删除第二条"); err != nil || ms.Status != StatusLegalReview {
			t.Fatalf("joint: %v", err)
		}
		// Allowing a measure with a confirmed finding is refused.
		var fe *FieldError
		if _, err := e.m.LegalReview(ctx, legal, ms.ID, "同意", ConclusionAllow); !errors.As(err, &fe) {
			t.Fatalf("allow with finding: %v", err)
		}
		if ms, err = e.m.LegalReview(ctx, legal, ms.ID, "修改后出台", ConclusionAmend); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Issue(ctx, drafter, ms.ID, ""); !errors.Is(err, ErrState) {
			t.Fatalf("issue with amend conclusion: %v", err)
		}
		// Amend, review again without the clause.
		amended := "第一条 为促进产业发展，制定本办法。第二条 对符合条件的各类经营主体平等给予支持。"
		if ms, err = e.m.Amend(ctx, drafter, ms.ID, amended); err != nil || len(ms.Clauses[1].Findings) != 0 {
			t.Fatalf("amend: %v", err)
		}
		if ms, err = e.m.SubmitSelfReview(ctx, drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "已删除"}); err != nil {
			t.Fatal(err)
		}
		if ms, err = e.m.JointReview(ctx, office, ms.ID, "同意"); err != nil {
			t.Fatal(err)
		}
		if ms, err = e.m.LegalReview(ctx, legal, ms.ID, "同意", ConclusionAllow); err != nil {
			t.Fatal(err)
		}
		// A text differing from the reviewed one is refused with a diff.
		var de *DiffError
		if _, err := e.m.Issue(ctx, drafter, ms.ID, amended+"\n第三条 对本区纳税大户优先。"); !errors.As(err, &de) || !Changed(de.Diff) {
			t.Fatalf("issue different text: %v", err)
		}
		if ms, err = e.m.Issue(ctx, drafter, ms.ID, amended); err != nil || ms.Status != StatusIssued {
			t.Fatalf("issue: %v", err)
		}
		// Public report, answered within its limit.
		r, err := e.m.SubmitReport(ctx, ms.ID, "该措施仍有地方保护", "13812345678")
		if err != nil {
			t.Fatal(err)
		}
		if r.Phone != pii.MaskPhone("13812345678") || r.DueOn != "2026-12-22" {
			t.Fatalf("report: %+v", r)
		}
		var enc string
		store.QueryRow(ctx, db, `SELECT phone_enc FROM fr_reports WHERE id = ?`, r.ID).Scan(&enc)
		if strings.Contains(enc, "13812345678") {
			t.Fatal("phone stored in clear")
		}
		e.now = e.now.AddDate(0, 0, 10)
		if _, err := e.m.AnswerReport(ctx, office, r.ID, "经核查，已出台文本不含相关条款"); err != nil {
			t.Fatal(err)
		}
		got, err := e.m.Track(ctx, r.Token)
		if err != nil || got.Answer == "" || got.Overdue {
			t.Fatalf("track: %+v %v", got, err)
		}
	})
}

func TestRoutingWithoutJoint(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ms := e.register(t, false)
		ms, err := e.m.SubmitSelfReview(context.Background(), drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "无"})
		if err != nil || ms.Status != StatusLegalReview || ms.StageDueOn != "2026-12-15" {
			t.Fatalf("%v %+v", err, ms)
		}
	})
}

func TestExceptionNeedsAllConditions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ms := e.register(t, false)
		full := Exception{PublicInterest: "节能环保", NoAlternative: "无替代方案", Term: "至2028年12月31日",
			Explanation: "为实现本区碳达峰目标，对新能源设施给予支持，经论证不存在对公平竞争影响更小的替代方案，期限届满即终止。"}
		for _, drop := range []string{"public_interest", "no_alternative", "term", "explanation"} {
			ex := full
			switch drop {
			case "public_interest":
				ex.PublicInterest = ""
			case "no_alternative":
				ex.NoAlternative = ""
			case "term":
				ex.Term = ""
			case "explanation":
				ex.Explanation = "太短"
			}
			var fe *FieldError
			_, err := e.m.SubmitSelfReview(context.Background(), drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "例外", Exception: &ex})
			if !errors.As(err, &fe) || fe.Name != "exception."+drop {
				t.Fatalf("without %s: %v", drop, err)
			}
		}
		got, _ := e.m.Get(context.Background(), drafter, ms.ID)
		if got.Status != StatusSelfReview || got.Exception != "" {
			t.Fatal("refused exception was stored")
		}
		if _, err := e.m.SubmitSelfReview(context.Background(), drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "例外", Exception: &full}); err != nil {
			t.Fatal(err)
		}
		if ms, err := e.m.LegalReview(context.Background(), legal, ms.ID, "适用例外", ConclusionException); err != nil || !Allows(ms.Conclusion) {
			t.Fatal(err)
		}
	})
}

func TestCommentPeriodCloses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := e.register(t, false)
		if _, err := e.m.AddComment(ctx, ms.ID, "经营者", "意见"); !errors.Is(err, ErrClosed) {
			t.Fatalf("before open: %v", err)
		}
		if _, err := e.m.OpenComments(ctx, drafter, ms.ID, 2); err == nil {
			t.Fatal("period shorter than minimum accepted")
		}
		ms, err := e.m.OpenComments(ctx, drafter, ms.ID, 5)
		if err != nil || ms.CommentUntil != "2026-12-08" {
			t.Fatalf("open: %v %s", err, ms.CommentUntil)
		}
		if _, err := e.m.AddComment(ctx, ms.ID, "行业协会商会", "建议删除第二条，联系13812345678"); err != nil {
			t.Fatal(err)
		}
		e.now = time.Date(2026, 12, 9, 9, 0, 0, 0, calendar.CST)
		if _, err := e.m.AddComment(ctx, ms.ID, "社会公众", "迟到的意见"); !errors.Is(err, ErrClosed) {
			t.Fatalf("after close: %v", err)
		}
		cs, _ := e.m.Comments(ctx, drafter, ms.ID)
		if len(cs) != 1 || strings.Contains(cs[0].Body, "13812345678") {
			t.Fatalf("comments kept: %+v", cs)
		}
	})
}

func TestSpotCheckReproducible(t *testing.T) {
	ids := []int64{5, 3, 9, 1, 7, 2, 8}
	a, b := Draw(ids, 42, 3), Draw(ids, 42, 3)
	if len(a) != 3 || a[0] != b[0] || a[1] != b[1] || a[2] != b[2] {
		t.Fatalf("%v %v", a, b)
	}
	if c := Draw([]int64{1, 2, 3, 5, 7, 8, 9}, 42, 3); c[0] != a[0] || c[2] != a[2] {
		t.Fatalf("order-dependent draw: %v %v", a, c)
	}
}

func TestBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for field, d := range map[string]Draft{
			"kind":             {Kind: "x", Title: "t", Body: "b", Touches: true},
			"title":            {Kind: "规章", Title: "a\x01b", Body: "b", Touches: true},
			"body":             {Kind: "规章", Title: "t", Touches: true},
			"no_review_reason": {Kind: "规章", Title: "t", Body: "b"},
		} {
			var fe *FieldError
			if _, err := e.m.Register(context.Background(), drafter, d); !errors.As(err, &fe) || fe.Name != field {
				t.Fatalf("%s: %v", field, err)
			}
		}
		list, _ := e.m.List(context.Background(), drafter, "", 0, 10)
		if len(list) != 0 {
			t.Fatal("bad input stored")
		}
		ms, err := e.m.Register(context.Background(), drafter, Draft{Kind: "规范性文件", Title: "内部管理", Body: "内部考勤规定",
			NoReviewReason: "仅涉及机关内部管理，不涉及经营者经济活动"})
		if err != nil || ms.Status != StatusNoReview {
			t.Fatalf("no review: %v", err)
		}
		if _, err := e.m.SubmitReport(context.Background(), ms.ID, "x", "123"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("report on unissued: %v", err)
		}
	})
}
