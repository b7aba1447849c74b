package casework_test

import (
	"context"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// fakeReports stands for the credit module's signed reports.
type fakeReports struct {
	byToken map[string]*casework.CreditReport
	list    []casework.CreditReport // of the test enterprise, newest first
}

func (f *fakeReports) ReportByToken(_ context.Context, token string) (*casework.CreditReport, error) {
	if r, ok := f.byToken[token]; ok {
		return r, nil
	}
	return nil, casework.ErrNotFound
}

func (f *fakeReports) ReportByID(_ context.Context, id int64) (*casework.CreditReport, error) {
	for _, r := range f.byToken {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, casework.ErrNotFound
}

func (f *fakeReports) ReportsOf(_ context.Context, u string) ([]casework.CreditReport, error) {
	if u != uscc {
		return nil, nil
	}
	return f.list, nil
}

const itemQualification = "990102-XK-009"

// reportWorld adds an item asking for 无违法违规记录证明 (satisfied by the
// credit report) and the reports of the test enterprise, on 2026-11-02.
func reportWorld(t *testing.T, db *store.DB) *world {
	w := setup(t, db)
	ctx := context.Background()
	d := catalog.Draft{Code: itemQualification, Name: "资质核准", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
		LegalLimitDays: 20, PromisedLimitDays: 10, Online: true, LegalBasis: "《行政许可法》", Conditions: "符合条件。",
		ReviewStandard: "审查材料。", Window: catalog.Window{Address: "临江区政务服务中心", Hours: "工作日", Phone: "0990-12345"},
		Materials: []catalog.Material{{Name: "申请表", Class: catalog.ClassRequired},
			{Name: "无违法违规记录证明", Class: catalog.ClassShared, CertificateType: catalog.CertCreditReport}}}
	it, err := w.cat.Create(ctx, auth.System(), d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cat.Publish(ctx, auth.System(), it.ID, 0); err != nil {
		t.Fatal(err)
	}
	day := func(s string) calendar.Date {
		d, err := calendar.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	other := func() string { b := "91990102MA01QT9B2"; return b + string(ids.USCCCheck(b)) }()
	add := func(token string, id int64, u, from, to, issued string, genuine bool) casework.CreditReport {
		r := casework.CreditReport{ID: id, Number: "XYBG-" + token, USCC: u, From: day(from), To: day(to), IssuedOn: day(issued),
			Genuine: genuine, Clean: true, VerifyPath: "/credit/verify/" + token}
		w.reports.byToken[token] = &r
		return r
	}
	good := add("good", 1, uscc, "2023-11-02", "2026-11-01", "2026-11-01", true)
	add("forged", 2, uscc, "2023-11-02", "2026-11-01", "2026-11-01", false)
	add("other", 3, other, "2023-11-02", "2026-11-01", "2026-11-01", true)
	old := add("old", 4, uscc, "2023-08-01", "2026-08-31", "2026-09-01", true)
	add("short", 5, uscc, "2026-06-01", "2026-11-01", "2026-11-01", true)
	w.reports.list = []casework.CreditReport{good, old}
	return w
}

func reportInput(report string) casework.SubmitInput {
	return casework.SubmitInput{ItemCode: itemQualification, Form: map[string]string{},
		Materials: []casework.MaterialInput{{Name: "申请表", File: upload("申请表.pdf")},
			{Name: "无违法违规记录证明", CreditReport: report}}}
}

// A shared 无违法违规记录证明 is satisfied by the business's own signed
// credit report covering the last year and issued within 30 days, chosen
// by its verification link or taken as the newest that satisfies it; any
// other report is refused with its reason, and nothing is stored.
func TestCreditReportSatisfiesMaterial(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := reportWorld(t, db)
		ctx := context.Background()
		for _, c := range []struct{ name, report, want string }{
			{"unknown token", "nosuchtoken", "验证未通过"},
			{"signature fails", "forged", "签名验证未通过"},
			{"another business", "https://example.org/credit/verify/other", "其他经营主体"},
			{"too old", "old", "超过本材料允许的30日"},
			{"period too short", "short", "未覆盖本材料要求的申请前12个月"},
		} {
			_, err := w.m.Submit(ctx, w.a("ent"), reportInput(c.report))
			fes := casework.FieldErrors(err)
			if len(fes) != 1 || fes[0].Path != "materials[1]" || !strings.Contains(fes[0].Message, c.want) {
				t.Errorf("%s: %v, want %q", c.name, err, c.want)
			}
		}
		if n := w.count("casework_applications"); n != 0 {
			t.Fatalf("refused submissions stored %d applications", n)
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), reportInput("/credit/verify/good")))
		mt := app.Materials[1]
		if mt.Provision != casework.ProvideCreditReport || mt.CertificateID != 1 {
			t.Fatalf("chosen report: %+v", mt)
		}
		// Attached automatically: the newest report that satisfies it.
		auto := must(t)(w.m.Submit(ctx, w.a("ent"), reportInput("")))
		got, err := w.m.Get(ctx, w.a("han"), auto.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := got.Materials[1].Report; got.Materials[1].Provision != casework.ProvideCreditReport || r == nil ||
			r.VerifyPath != "/credit/verify/good" || !r.Genuine {
			t.Fatalf("the handler sees %+v", got.Materials[1])
		}
		// Only an old report: refused, naming why.
		w.reports.list = w.reports.list[1:]
		if _, err := w.m.Submit(ctx, w.a("ent"), reportInput("")); err == nil || !strings.Contains(err.Error(), "超过本材料允许") {
			t.Errorf("only an old report: %v", err)
		}
		w.reports.list = nil
		if _, err := w.m.Submit(ctx, w.a("ent"), reportInput("")); err == nil || !strings.Contains(err.Error(), "下载专用信用报告") {
			t.Errorf("no report: %v", err)
		}
		// A person has no such report: the department checks it.
		p := must(t)(w.m.Submit(ctx, w.a("cit1"), reportInput("")))
		if p.Materials[1].Provision != casework.ProvideVerification {
			t.Errorf("a person's material: %+v", p.Materials[1])
		}
	})
}

// A province's report rules replace the default's rule for the types they
// name and keep the rest; out-of-range values and unknown fields are refused.
func TestParseReportRules(t *testing.T) {
	got, err := casework.ParseReportRules([]byte(`{"CT-XYBG": {"period_months": 36, "max_age_days": 15}, "CT-OTHER": {"period_months": 6, "max_age_days": 10}}`))
	if err != nil || got["CT-XYBG"] != (casework.ReportRule{PeriodMonths: 36, MaxAgeDays: 15}) || got["CT-OTHER"].PeriodMonths != 6 {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if casework.DefaultReportRules["CT-XYBG"].PeriodMonths != 12 {
		t.Error("parsing changed the defaults")
	}
	for _, bad := range []string{`{"CT-XYBG": {"period_months": 0, "max_age_days": 30}}`, `{"CT-XYBG": {"period_months": 12, "max_age_days": 400}}`,
		`{"CT-XYBG": {"period_months": 12, "max_age_days": 30, "typo": 1}}`, `[]`} {
		if _, err := casework.ParseReportRules([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
