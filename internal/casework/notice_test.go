package casework_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/notice"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// notices returns the documents of application id as its applicant reads
// them, failing the test on error.
func (w *world) noticesOf(t *testing.T, who string, id int64) []notice.Notice {
	t.Helper()
	ns, err := w.notices.List(context.Background(), w.a(who), id)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func body(n notice.Notice) string {
	return strings.Join(n.Content.Paragraphs, "\n") + "\n" + strings.Join(n.Content.Items, "\n") + "\n" +
		strings.Join(n.Content.After, "\n") + "\n" + n.Content.Remedies
}

// 行政许可法 第三十二条: the applicant receives a 补正材料通知书 listing
// everything to correct at once, then a 受理通知书 that says by when the
// decision is due; 第三十八条: a refusal says why and tells of 行政复议
// (60 days, 行政复议法 第二十条) and 行政诉讼 (six months, 行政诉讼法
// 第四十六条). Each verifies by its QR token; a changed one does not.
func TestApplicantReceivesEachDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := casework.SubmitInput{ItemCode: itemCitizen, Form: map[string]string{"place": "滨江路口"},
			Materials: []casework.MaterialInput{{Name: "申请表", File: upload("表.pdf")}}}
		// Submitted Monday 2026-11-02 10:00 (CST).
		app := must(t)(w.m.Submit(ctx, w.a("cit1"), in))
		must(t)(w.m.RequestCorrection(ctx, w.a("clerk"), app.ID, "申请表未签字、现场照片\n占道位置图", "请补正 13800000001"))
		ns := w.noticesOf(t, "cit1", app.ID)
		if len(ns) != 1 || ns[0].Kind != string(casework.NoticeCorrection) || ns[0].Content.Title != "补正材料通知书" {
			t.Fatalf("after the correction request: %+v", ns)
		}
		if got := ns[0].Content.Items; len(got) != 3 || got[0] != "申请表未签字" || got[2] != "占道位置图" {
			t.Errorf("补正 items %q: every material listed once (一次性告知)", got)
		}
		if b := body(ns[0]); !strings.Contains(b, "第三十二条第一款第（四）项") || !strings.Contains(b, "一次性告知") ||
			strings.Contains(b, "13800000001") || !strings.Contains(b, "138****0001") {
			t.Errorf("补正 body cites the article and masks numbers typed into it:\n%s", b)
		}
		must(t)(w.m.Resubmit(ctx, w.a("cit1"), app.ID, map[int]*casework.Upload{0: upload("表-签字.pdf")}, ""))
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		ns = w.noticesOf(t, "cit1", app.ID)
		if len(ns) != 2 || ns[1].Kind != string(casework.NoticeAcceptance) {
			t.Fatalf("after intake: %+v", ns)
		}
		// Promised 3 working days plus 1 for intake, counted from the day
		// after submission, Tuesday 3 to Friday 6 November; the correction
		// was asked and answered within the same morning, so no day moved.
		if b := body(ns[1]); !strings.Contains(b, "2026年11月6日前作出决定") || !strings.Contains(b, "第三十二条第一款第（五）项") {
			t.Errorf("受理通知书 gives the decision date 2026-11-06:\n%s", b)
		}
		if ns[1].Content.Until != "2026-11-06" || !strings.HasPrefix(ns[1].Content.Number, "SL20261102") {
			t.Errorf("受理通知书 until %q number %q", ns[1].Content.Until, ns[1].Content.Number)
		}
		must(t)(w.m.Pass(ctx, w.a("hbn"), app.ID, "占道影响通行"))
		w.now = w.now.Add(48 * time.Hour)
		must(t)(w.m.Decide(ctx, w.a("apb"), app.ID, casework.Decision{Reason: "该路段为消防通道，不得占用"}))
		ns = w.noticesOf(t, "cit1", app.ID)
		refusal := ns[len(ns)-1]
		if refusal.Kind != string(casework.NoticeRefusal) || refusal.Content.Title != "不予行政许可决定书" {
			t.Fatalf("after the refusal: %+v", refusal)
		}
		if r := refusal.Content.Remedies; !strings.Contains(r, "60日内") || !strings.Contains(r, "6个月内") ||
			!strings.Contains(r, "行政复议") || !strings.Contains(r, "行政诉讼") {
			t.Errorf("不予许可 tells the remedies and their limits (第三十八条第二款): %q", r)
		}
		if b := body(refusal); !strings.Contains(b, "该路段为消防通道，不得占用") || !strings.Contains(b, "第三十八条第二款") {
			t.Errorf("不予许可 gives its reasons:\n%s", b)
		}
		if refusal.Content.IssuedOn != "2026年11月4日" || refusal.Content.Department != "部门B" {
			t.Errorf("dated %q by %q", refusal.Content.IssuedOn, refusal.Content.Department)
		}

		// Verification by the QR token: genuine, public facts only.
		v, err := w.notices.Verify(ctx, refusal.Token)
		if err != nil || !v.Genuine {
			t.Fatalf("verify: %+v, %v", v, err)
		}
		pub := v.Public()
		if pub.Applicant != "张*" || pub.Number != refusal.Content.Number {
			t.Errorf("public face: %+v (a person's name masked)", pub)
		}
		if _, err := w.notices.Verify(ctx, refusal.Token[:len(refusal.Token)-2]+"AA"); err == nil {
			t.Error("a token with a wrong check verified")
		}
		// Only those who may read the case read its documents.
		if _, err := w.notices.Get(ctx, w.a("cit2"), refusal.ID); err == nil {
			t.Error("another citizen read the refusal")
		}
		if _, err := w.notices.Get(ctx, w.a("han"), refusal.ID); err == nil {
			t.Error("another department's handler read the refusal")
		}
		if _, err := w.notices.Get(ctx, w.a("apb"), refusal.ID); err != nil {
			t.Errorf("the deciding department: %v", err)
		}
		// A document changed in the database no longer verifies.
		if _, err := db.ExecContext(ctx, "UPDATE notices SET content = REPLACE(content, '消防通道', '普通道路') WHERE id = ?", refusal.ID); err != nil {
			t.Fatal(err)
		}
		if v, err := w.notices.Verify(ctx, refusal.Token); err != nil || v.Genuine {
			t.Errorf("a changed document verified: %+v, %v", v, err)
		}
	})
}

// 不予受理 (第三十二条) and an instant approval (即办件, 第三十八条第一款)
// each give their document; a 不予受理 tells the remedies too.
func TestNonAcceptanceAndApprovalDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := casework.SubmitInput{ItemCode: itemCitizen, Form: map[string]string{"place": "滨江路口"},
			Materials: []casework.MaterialInput{{Name: "申请表", File: upload("表.pdf")}}}
		app := must(t)(w.m.Submit(ctx, w.a("cit1"), in))
		must(t)(w.m.Refuse(ctx, w.a("clerk"), app.ID, "申请事项不属于本机关职权范围"))
		ns := w.noticesOf(t, "cit1", app.ID)
		if len(ns) != 1 || ns[0].Content.Title != "不予受理通知书" || !strings.Contains(ns[0].Content.Remedies, "60日内") ||
			!strings.Contains(body(ns[0]), "申请事项不属于本机关职权范围") {
			t.Fatalf("不予受理: %+v", ns)
		}
		sign := casework.SubmitInput{ItemCode: itemSign, Form: map[string]string{"area": "5", "location": "滨江路88号"},
			Materials: []casework.MaterialInput{{Name: "申请书", File: upload("申请书.pdf")}, {Name: "营业执照", Consent: true}}}
		inst := must(t)(w.m.Submit(ctx, w.a("ent"), sign))
		if inst.Status != casework.StatusApproved {
			t.Fatalf("instant item: %s", inst.Status)
		}
		ns = w.noticesOf(t, "ent", inst.ID)
		if len(ns) != 1 || ns[0].Content.Title != "准予行政许可决定书" || ns[0].Content.Remedies != "" ||
			ns[0].Content.ApplicantCode != uscc || !ns[0].Genuine {
			t.Fatalf("instant approval: %+v", ns)
		}
		if pub := ns[0].Public(); pub.Applicant != ns[0].Content.Applicant {
			t.Errorf("an enterprise's name is public: %q", pub.Applicant)
		}
		if _, err := w.notices.List(ctx, auth.System(), inst.ID); err != nil {
			t.Errorf("system reads: %v", err)
		}
	})
}
