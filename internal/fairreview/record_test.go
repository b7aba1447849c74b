package fairreview

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fumiama/go-docx"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// auditActions lists the audit actions recorded, oldest first.
func auditActions(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT action FROM audit_log ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func TestEveryChangeIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := e.register(t, false)
		if _, err := e.m.OpenComments(ctx, drafter, ms.ID, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.AddComment(ctx, ms.ID, "社会公众", "建议删除纳税条件"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.SubmitSelfReview(ctx, drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "初审"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.LegalReview(ctx, legal, ms.ID, "同意", ConclusionAllow); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Issue(ctx, drafter, ms.ID, ""); err != nil {
			t.Fatal(err)
		}
		r, err := e.m.SubmitReport(ctx, ms.ID, "第二条限制外地企业", "13912345678")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.AnswerReport(ctx, office, r.ID, "已核查，督促修改"); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(auditActions(t, db), " ")
		want := "fairreview.register fairreview.open_comments fairreview.comment fairreview.self_review fairreview.legal_review " +
			"fairreview.issue fairreview.report fairreview.report.answer"
		if got != want {
			t.Fatalf("audit actions\n got %s\nwant %s", got, want)
		}
		// A refused change leaves no entry.
		if _, err := e.m.Issue(ctx, drafter, ms.ID, ""); err == nil {
			t.Fatal("issued twice")
		}
		if n := len(auditActions(t, db)); n != 8 {
			t.Fatalf("%d entries after a refusal", n)
		}
	})
}

func TestAccountabilityOnlyForViolations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		supervisor := Actor{UserID: 9, Region: "LJ", Supervisor: true}
		ms := e.register(t, false)
		// Not found in violation yet: refused.
		if _, err := e.m.Hold(ctx, supervisor, ms.ID, AccountInterview, 0, "约谈起草单位负责人"); err == nil {
			t.Fatal("interview of a unit not found in violation")
		}
		if _, err := e.m.SubmitSelfReview(ctx, drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "初审",
			Decisions: []Decision{{Clause: 1, Rule: "local-tax", Confirmed: true}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.LegalReview(ctx, legal, ms.ID, "违反第十条", ConclusionForbid); err != nil {
			t.Fatal(err)
		}
		// The drafting unit itself may not record it.
		if _, err := e.m.Hold(ctx, drafter, ms.ID, AccountNotice, 0, "通报"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("drafter: %v", err)
		}
		var fe *FieldError
		if _, err := e.m.Hold(ctx, supervisor, ms.ID, AccountDeduction, 0, "扣分"); !errors.As(err, &fe) || fe.Name != "points" {
			t.Fatalf("deduction without points: %v", err)
		}
		for _, k := range []string{AccountInterview, AccountNotice, AccountDeduction} {
			if _, err := e.m.Hold(ctx, supervisor, ms.ID, k, 3, "约谈—通报—考核扣分"); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}
		recs, err := e.m.Accountabilities(ctx, supervisor)
		if err != nil || len(recs) != 3 || recs[0].Kind != AccountDeduction || recs[0].Points != 3 || recs[2].Points != 0 {
			t.Fatalf("records %+v %v", recs, err)
		}
		if v, err := e.m.Violations(ctx, supervisor); err != nil || len(v) != 1 || v[0].ID != ms.ID {
			t.Fatalf("violations %v %v", v, err)
		}
		// Another region's supervisor sees none.
		if recs, _ := e.m.Accountabilities(ctx, Actor{UserID: 10, Region: "QS", Supervisor: true}); len(recs) != 0 {
			t.Fatalf("other region sees %d", len(recs))
		}
	})
}

func TestPublicSeesOnlyOpenOrIssued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := e.register(t, false)
		if _, err := e.m.PublicMeasure(ctx, ms.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("draft not in comment period is public: %v", err)
		}
		if _, err := e.m.OpenComments(ctx, drafter, ms.ID, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.PublicMeasure(ctx, ms.ID); err != nil {
			t.Fatalf("in comment period: %v", err)
		}
		open, err := e.m.OpenForComment(ctx)
		if err != nil || len(open) != 1 {
			t.Fatalf("open for comment: %d %v", len(open), err)
		}
		// A report on a draft (not issued) is not taken.
		if _, err := e.m.SubmitReport(ctx, ms.ID, "举报", "13912345678"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("report on a draft: %v", err)
		}
	})
}

func TestReportAnsweredOnlyInRegion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		ms := e.register(t, false)
		e.m.SubmitSelfReview(ctx, drafter, ms.ID, SelfReview{Answers: answers(), Opinion: "初审"})
		e.m.LegalReview(ctx, legal, ms.ID, "同意", ConclusionAllow)
		if _, err := e.m.Issue(ctx, drafter, ms.ID, ""); err != nil {
			t.Fatal(err)
		}
		r, err := e.m.SubmitReport(ctx, ms.ID, "举报电话13912345678", "13912345678")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Body, "13912345678") || r.Phone == "13912345678" {
			t.Fatalf("phone shown: %+v", r)
		}
		far := Actor{UserID: 5, DepartmentID: 21, Region: "QS", Office: true}
		if _, err := e.m.AnswerReport(ctx, far, r.ID, "答复"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other region's office answered: %v", err)
		}
		if rs, _ := e.m.Reports(ctx, far); len(rs) != 0 {
			t.Fatalf("other region's office sees %d reports", len(rs))
		}
		var enc string
		db.QueryRowContext(ctx, "SELECT phone_enc FROM fr_reports WHERE id = ?", r.ID).Scan(&enc)
		if strings.Contains(enc, "13912345678") {
			t.Fatal("phone stored in clear")
		}
	})
}

func TestSpotCheckSeedKeptWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		const seed = 18446744073709551615 // every bit set: the draw must be repeatable from what is stored
		if _, err := e.m.SpotCheck(ctx, office, seed, 3); err != nil {
			t.Fatal(err)
		}
		cs, err := e.m.SpotChecks(ctx, office)
		if err != nil || len(cs) != 1 || cs[0].Seed != "18446744073709551615" {
			t.Fatalf("stored %+v %v", cs, err)
		}
	})
}

func TestDocxText(t *testing.T) {
	d := docx.New().WithDefaultTheme()
	d.AddParagraph().AddText("第一条 为促进产业发展，制定本办法。")
	d.AddParagraph().AddText("第二条 对在本区纳税的企业给予奖励。")
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := DocxText(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got != "第一条 为促进产业发展，制定本办法。\n第二条 对在本区纳税的企业给予奖励。" {
		t.Fatalf("text %q", got)
	}
	if _, err := DocxText([]byte("not a docx")); err == nil {
		t.Fatal("garbage read as docx")
	}
	// An upload names its kind by extension; others are refused.
	if _, err := uploadText("a.pdf", []byte("x")); err == nil {
		t.Fatal("pdf accepted")
	}
	if _, err := uploadText("a.txt", []byte{0xff, 0xfe}); err == nil {
		t.Fatal("non-UTF-8 accepted")
	}
}

func TestImportStockReadsDocx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		d := docx.New().WithDefaultTheme()
		d.AddParagraph().AddText("第一条 对在本区纳税的企业给予奖励。")
		var buf bytes.Buffer
		if _, err := d.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		items, err := e.m.ImportStock(ctx, drafter, zipOf(t, map[string]string{"tax.docx": buf.String(), "ok.txt": "第一条 平等对待。"}), nil)
		if err != nil || len(items) != 2 {
			t.Fatalf("import: %v %d", err, len(items))
		}
		for _, it := range items {
			if it.Name == "tax.docx" && it.Verdict != VerdictRepeal {
				t.Fatalf("docx verdict %+v", it)
			}
		}
		// A broken .docx refuses the whole import, naming the file.
		var ie *ImportError
		if _, err := e.m.ImportStock(ctx, drafter, zipOf(t, map[string]string{"bad.docx": "not a docx"}), nil); !errors.As(err, &ie) || ie.Rejected[0].Name != "bad.docx" {
			t.Fatalf("broken docx: %v", err)
		}
	})
}
