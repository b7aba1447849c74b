package casework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// postMultipart posts fields and files (name → content) to path as c.
func (s *site) postMultipart(t *testing.T, c *http.Client, path string, fields map[string]string, files map[string][]byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, data := range files {
		fw, _ := mw.CreateFormFile(k, k+".pdf")
		_, _ = fw.Write(data)
	}
	mw.Close()
	resp := s.do(t, c, "POST", path, mw.FormDataContentType(), &buf)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// clerkFood is a window clerk's application for the enterprise holding the
// business licence.
func clerkFood() casework.SubmitInput {
	in := foodInput()
	in.Applicant = &casework.ApplicantInput{Kind: casework.Enterprise, Name: "云澜味道餐饮有限公司", USCC: uscc}
	in.Materials[1] = casework.MaterialInput{Name: "营业执照"}
	return in
}

// A window clerk applying for a business that holds an e-licence records
// how the holder consented and goes on; the record is in the history and
// the audit log, and the form offers the choice (not "show it at the
// window" to the window itself).
func TestClerkRecordsHolderConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		clerk := w.a("clerk")
		_, err := w.m.Submit(ctx, clerk, clerkFood())
		fes := casework.FieldErrors(err)
		if len(fes) != 1 || fes[0].Path != "materials[1]" || !strings.Contains(fes[0].Message, "当面确认") ||
			strings.Contains(fes[0].Message, "窗口出示") {
			t.Fatalf("no consent recorded: %v", err)
		}
		in := clerkFood()
		in.Materials[1].ConsentMethod = casework.ConsentSignedForm
		if _, err := w.m.Submit(ctx, clerk, in); !strings.Contains(strings.Join(paths(err), " "), "materials[1]") {
			t.Fatalf("signed form without its scan: %v", err)
		}
		in.Materials[1].ConsentScan = upload("授权书.pdf")
		app := must(t)(w.m.Submit(ctx, clerk, in))
		mt := app.Materials[1]
		if mt.Provision != casework.ProvideCertificate || mt.CertificateID != w.licence || mt.ConsentMethod != casework.ConsentSignedForm ||
			mt.ConsentFile == nil || mt.ConsentID == 0 {
			t.Fatalf("material: %+v", mt)
		}
		hist, _ := w.eng.History(ctx, app.InstanceID)
		if len(hist) == 0 || hist[0].Action != "start" || !strings.Contains(hist[0].Comment, "持证人签字授权书") {
			t.Errorf("history: %+v", hist)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "casework.submit"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), `"method":"signed_form"`) {
			t.Errorf("audit: %v", recs)
		}
		recs, _, _ = audit.List(ctx, db, audit.Filter{Action: "certificate.consent_grant"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), "窗口代办") {
			t.Errorf("consent audit: %v", recs)
		}

		// The page: the clerk is offered the methods, and applies by them.
		s := serve(t, w)
		c := s.client(t, "clerk")
		code, body := s.get(t, c, "/apply/"+itemFood)
		if code != 200 || !strings.Contains(body, `name="consent_method_1" value="in_person"`) || strings.Contains(body, "窗口出示") {
			t.Fatalf("clerk's form: %d", code)
		}
		fields := map[string]string{"applicant_kind": "enterprise", "applicant_name": "云澜味道餐饮有限公司", "applicant_uscc": uscc,
			"f_legal_representative": "李娜", "f_area": "80", "f_main_form": "餐饮服务"}
		resp, body := s.postMultipart(t, c, "/apply/"+itemFood, fields, map[string][]byte{"file_0": pdf, "file_2": pdf, "file_3": pdf})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "云澜味道") ||
			!strings.Contains(body, "申请人持有有效电子证照") {
			t.Fatalf("without a method: %d", resp.StatusCode)
		}
		// The files already sent are kept: the second post need not send them.
		kept := regexp.MustCompile(`name="kept_(file_\d)" value="([0-9a-f]{64})"`).FindAllStringSubmatch(body, -1)
		if len(kept) != 3 {
			t.Fatalf("kept files: %v", kept)
		}
		for _, k := range kept {
			fields["kept_"+k[1]] = k[2]
		}
		fields["consent_method_1"] = "in_person"
		resp, _ = s.postMultipart(t, c, "/apply/"+itemFood, fields, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("in person: %d", resp.StatusCode)
		}
		list, _, _ := w.m.List(ctx, clerk, casework.Query{})
		if len(list) != 2 {
			t.Fatalf("applications: %d", len(list))
		}
		got, _ := w.m.Get(ctx, clerk, list[0].ID)
		if got.Materials[1].ConsentMethod != casework.ConsentInPerson || got.Materials[0].File == nil || got.Materials[3].File == nil {
			t.Errorf("by the page: %+v", got.Materials)
		}
		// Another user cannot use the clerk's kept files.
		ent := s.client(t, "ent")
		resp, _ = s.postMultipart(t, ent, "/apply/"+itemFood, map[string]string{"f_legal_representative": "李娜", "f_area": "80",
			"f_main_form": "餐饮服务", "consent_1": "1", "kept_file_0": kept[0][2], "kept_file_2": kept[1][2], "kept_file_3": kept[2][2]}, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("another user's kept files: %d", resp.StatusCode)
		}
	})
}

// addItem creates and publishes a catalogue item.
func addItem(t *testing.T, w *world, d catalog.Draft) {
	t.Helper()
	ctx := context.Background()
	d.LegalBasis, d.Conditions, d.ReviewStandard = "《行政许可法》", "符合条件。", "审查材料。"
	d.Window = catalog.Window{Address: "临江区政务服务中心", Hours: "工作日", Phone: "0990-12345"}
	it, err := w.cat.Create(ctx, auth.System(), d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.cat.Publish(ctx, auth.System(), it.ID, 0); err != nil {
		t.Fatal(err)
	}
}

// approve takes application id through intake, review and approval.
func (w *world) approve(t *testing.T, id int64) *casework.Application {
	t.Helper()
	ctx := context.Background()
	must(t)(w.m.Accept(ctx, w.a("clerk"), id, ""))
	must(t)(w.m.Pass(ctx, w.a("han"), id, "材料齐全"))
	return must(t)(w.m.Decide(ctx, w.a("apa"), id, casework.Decision{Approve: true, Reason: "符合条件"}))
}

// An approval whose certificate names a business, applied for by a
// person: issued to the business the application names, or else a 待发证
// task in the department's inbox with the legal limit, the applicant told.
func TestApprovalIssuesToTheRightHolder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		field := func(key, label string, typ catalog.FieldType, req bool) catalog.FormField {
			return catalog.FormField{Key: key, Label: label, Type: typ, Required: req}
		}
		addItem(t, w, catalog.Draft{Code: "990102-XK-010", Name: "个体工商户设立登记", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
			LegalLimitDays: 3, PromisedLimitDays: 1, Online: true, CertificateType: "CT-YYZZ",
			Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}},
			Fields:    []catalog.FormField{field("trade_name", "名称", catalog.FieldText, false), field("scope", "经营范围", catalog.FieldText, true)}})
		addItem(t, w, catalog.Draft{Code: "990102-XK-011", Name: "分支机构登记", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
			LegalLimitDays: 3, PromisedLimitDays: 1, Online: true, CertificateType: "CT-YYZZ",
			Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}},
			Fields: []catalog.FormField{field("enterprise_name", "企业名称", catalog.FieldText, true),
				field("uscc", "统一社会信用代码", catalog.FieldUSCC, true), field("scope", "经营范围", catalog.FieldText, true)}})

		// The business is named with its code: issued to it.
		app := must(t)(w.m.Submit(ctx, w.a("cit1"), casework.SubmitInput{ItemCode: "990102-XK-011",
			Form:      map[string]string{"enterprise_name": "云澜味道餐饮有限公司", "uscc": uscc, "scope": "餐饮服务"},
			Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}}}))
		app = w.approve(t, app.ID)
		if app.CertificateID == 0 || app.IssuanceInstanceID != 0 {
			t.Fatalf("named business: certificate %d, task %d", app.CertificateID, app.IssuanceInstanceID)
		}
		c, err := w.certs.Get(ctx, app.CertificateID, auth.System())
		if err != nil || c.HolderUSCC != uscc || c.HolderName != "云澜味道餐饮有限公司" || c.TypeCode != "CT-YYZZ" {
			t.Fatalf("certificate: %+v %v", c, err)
		}

		// A new individual business has no code yet: a 待发证 task.
		app = must(t)(w.m.Submit(ctx, w.a("cit1"), casework.SubmitInput{ItemCode: "990102-XK-010",
			Form: map[string]string{"trade_name": "张三小吃店", "scope": "小吃"}, Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}}}))
		app = w.approve(t, app.ID)
		if app.Status != casework.StatusApproved || app.CertificateID != 0 || app.IssuanceInstanceID == 0 || !app.IssuancePending() {
			t.Fatalf("undetermined holder: %+v", app)
		}
		task, _ := w.eng.Instance(ctx, app.IssuanceInstanceID)
		// 《行政许可法》第四十四条: within ten (working) days of the decision,
		// made on Monday 2 November 2026: by the end of Monday 16 November.
		if want := time.Date(2026, 11, 16, 23, 59, 59, 999999000, cst); task.State != "issuing" || !task.StateDueAt.Equal(want) {
			t.Errorf("task: %s due %v, want %v", task.State, task.StateDueAt, want)
		}
		items, _, err := w.eng.Inbox(ctx, db, w.a("han"), flow.InboxQuery{SubjectType: casework.SubjectIssuance})
		if err != nil || len(items) != 1 || items[0].SubjectID != app.ID || !strings.Contains(items[0].Title, "待发证") {
			t.Errorf("department inbox: %+v %v", items, err)
		}
		var payload string
		_ = db.QueryRowContext(ctx, `SELECT payload FROM outbox WHERE topic = 'casework.decided' ORDER BY id DESC LIMIT 1`).Scan(&payload)
		if !strings.Contains(payload, "2026年11月16日前发放") {
			t.Errorf("the applicant is not told: %s", payload)
		}
		// Another department cannot issue; the handler names the holder and issues.
		if _, err := w.m.IssuePending(ctx, w.a("hbn"), app.ID, casework.IssueInput{HolderName: "张三小吃店", HolderCode: uscc}); err == nil {
			t.Error("department B issued")
		}
		if _, err := w.m.IssuePending(ctx, w.a("han"), app.ID, casework.IssueInput{HolderName: "张三小吃店", HolderCode: "123"}); !strings.Contains(strings.Join(paths(err), " "), "holder_code") {
			t.Errorf("bad code: %v", err)
		}
		app = must(t)(w.m.IssuePending(ctx, w.a("han"), app.ID, casework.IssueInput{HolderName: "张三小吃店", HolderCode: uscc}))
		if app.CertificateID == 0 || app.IssuancePending() {
			t.Fatalf("issued: %+v", app)
		}
		task, _ = w.eng.Instance(ctx, app.IssuanceInstanceID)
		if task.State != "issued" || task.Status != flow.StatusDone {
			t.Errorf("task after issuing: %s %s", task.State, task.Status)
		}
		if _, err := w.m.IssuePending(ctx, w.a("han"), app.ID, casework.IssueInput{HolderName: "张三小吃店", HolderCode: uscc}); err == nil {
			t.Error("issued twice")
		}
	})
}

var cst = time.FixedZone("CST", 8*3600)

// Links on the application pages reach their pages: the guide of the item
// and, for a window clerk, the certificate an application yielded.
func TestApplicationLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		s := serve(t, w)
		ent, clerk := s.client(t, "ent"), s.client(t, "clerk")
		_, body := s.get(t, ent, "/apply/"+itemFood)
		guide := regexp.MustCompile(`href="(/catalog/[^"]+)">办事指南`).FindStringSubmatch(body)
		if guide == nil {
			t.Fatalf("no guide link")
		}
		if code, _ := s.get(t, ent, guide[1]); code != 200 {
			t.Errorf("guide %s: %d", guide[1], code)
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		w.approve(t, app.ID)
		for _, c := range []*http.Client{clerk, ent} {
			_, body := s.get(t, c, "/applications/"+itoa(app.ID))
			link := regexp.MustCompile(`href="([^"]+)">查看证照`).FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("no certificate link")
			}
			if code, _ := s.get(t, c, link[1]); code != 200 {
				t.Errorf("certificate link %s: %d", link[1], code)
			}
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// What blocks a decision shows before the buttons, which it disables; a
// refused action answers with a redirect naming the refusal, never a page
// a refresh would post again.
func TestDecisionBlockersAndRedirects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		// 管理制度 may be supplied within 15 working days here, longer than
		// the item's 5 + 1: the handler must be warned.
		it, err := w.cat.WorkingByCode(ctx, auth.System(), itemFood)
		if err != nil {
			t.Fatal(err)
		}
		d := it.Draft
		d.Materials[3].ShortfallDays = 15
		if it, err = w.cat.Update(ctx, auth.System(), it.ID, d, it.RowVersion); err != nil {
			t.Fatal(err)
		}
		if _, err := w.cat.Publish(ctx, auth.System(), it.ID, it.RowVersion); err != nil {
			t.Fatal(err)
		}
		in := foodInput()
		in.Materials[3] = casework.MaterialInput{Name: "管理制度", Shortfall: true}
		in.ShortfallDue = "2026-11-20" // after the 5 + 1 working days of the item
		app := must(t)(w.m.Submit(ctx, w.a("ent"), in))
		must(t)(w.m.AcceptWithShortfall(ctx, w.a("clerk"), app.ID, "", "容缺受理"))
		s := serve(t, w)
		han := s.client(t, "han")
		_, body := s.get(t, han, "/applications/"+itoa(app.ID))
		if !strings.Contains(body, "容缺材料补交期限晚于办理时限") {
			t.Errorf("the handler is not warned")
		}
		must(t)(w.m.Pass(ctx, w.a("han"), app.ID, "符合"))
		apa := s.client(t, "apa")
		_, body = s.get(t, apa, "/applications/"+itoa(app.ID))
		if !strings.Contains(body, "暂不能准予许可") || !strings.Contains(body, "管理制度") ||
			!regexp.MustCompile(`value="approve" class="primary" disabled`).MatchString(body) {
			t.Errorf("blockers before the buttons:\n%s", body)
		}
		resp := s.do(t, apa, "POST", "/applications/"+itoa(app.ID)+"/act", "application/x-www-form-urlencoded",
			strings.NewReader("do=approve&reason=%E5%90%8C%E6%84%8F"))
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?err=shortfall") {
			t.Fatalf("refused approval: %d %s", resp.StatusCode, loc)
		}
		if _, body := s.get(t, apa, loc); !strings.Contains(body, "容缺材料尚未补齐，不能作出准予许可决定") {
			t.Errorf("the page after the redirect does not say why")
		}
		resp = s.do(t, apa, "POST", "/applications/"+itoa(app.ID)+"/act", "application/x-www-form-urlencoded",
			strings.NewReader("do=reject&reason="))
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?err=reason") {
			t.Errorf("decision without reasons: %d %s", resp.StatusCode, loc)
		}
	})
}

// An on-the-spot item (即办件) keeps its promise when no rule decides at
// once: due the same day, not one working day later; an instant approval
// says so.
func TestOnTheSpotItem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		sign := func(area string) casework.SubmitInput {
			return casework.SubmitInput{ItemCode: itemSign, Form: map[string]string{"area": area, "location": "滨江路88号"},
				Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}, {Name: "营业执照", Consent: true}}}
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), sign("60")))
		in, _ := w.eng.Instance(ctx, app.InstanceID)
		// Submitted Monday 2 November 2026, 10:00 CST: due by its end.
		want := time.Date(2026, 11, 2, 23, 59, 59, 999999000, cst)
		if in.DefinitionKey != "casework.application.0d.5" || !in.DueAt.Equal(want) || !in.StateDueAt.Equal(want) {
			t.Errorf("on the spot: %s due %v / %v, want %v", in.DefinitionKey, in.DueAt, in.StateDueAt, want)
		}
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		in, _ = w.eng.Instance(ctx, app.InstanceID)
		if !in.StateDueAt.Equal(want) {
			t.Errorf("review due %v, want %v", in.StateDueAt, want)
		}
		s := serve(t, w)
		ent := s.client(t, "ent")
		resp, _ := s.postMultipart(t, ent, "/apply/"+itemSign, map[string]string{"f_area": "6", "f_location": "滨江路88号", "consent_1": "1"},
			map[string][]byte{"file_0": pdf})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?ok=approved") {
			t.Fatalf("instant approval: %d %s", resp.StatusCode, loc)
		}
		if _, body := s.get(t, ent, loc); !strings.Contains(body, "申请已准予许可（秒批）") || strings.Contains(body, "申请已提交") {
			t.Errorf("banner after instant approval")
		}
	})
}

// A signed-in citizen's form is filled from the account (numbers masked on
// the page, put back by the server); a draft is saved and resumed.
func TestPrefillAndDraft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		s := serve(t, w)
		cit := s.client(t, "cit1")
		_, body := s.get(t, cit, "/apply/"+itemFood)
		if !strings.Contains(body, `value="`+pii.MaskID(citizenID)+`"`) || strings.Contains(body, citizenID) ||
			!strings.Contains(body, `value="`+pii.MaskPhone("13800000001")+`"`) {
			t.Fatalf("prefill:\n%s", body)
		}
		fields := map[string]string{"f_legal_representative": "张三", "f_area": "30", "f_contact_id": pii.MaskID(citizenID),
			"f_phone": pii.MaskPhone("13800000001"), "draft": "1"}
		resp, _ := s.postMultipart(t, cit, "/apply/"+itemFood, fields, map[string][]byte{"file_0": pdf})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?ok=draft") {
			t.Fatalf("draft: %d %s", resp.StatusCode, loc)
		}
		var sealed string
		_ = db.QueryRowContext(ctx, `SELECT form_enc FROM casework_drafts`).Scan(&sealed)
		if sealed == "" || strings.Contains(sealed, "张三") {
			t.Errorf("draft not sealed: %q", sealed)
		}
		_, body = s.get(t, cit, "/apply/"+itemFood)
		if !strings.Contains(body, "已恢复您于") || !strings.Contains(body, `value="30"`) || !strings.Contains(body, `name="kept_file_0"`) {
			t.Fatalf("draft not resumed:\n%s", body)
		}
		// Another user does not see it.
		if _, body := s.get(t, s.client(t, "cit2"), "/apply/"+itemFood); strings.Contains(body, "已恢复您于") {
			t.Error("another user's draft")
		}
		// Submitting: the masked numbers stand for the account's own.
		delete(fields, "draft")
		fields["f_main_form"] = "餐饮服务"
		re := regexp.MustCompile(`name="kept_file_0" value="([0-9a-f]{64})"`).FindStringSubmatch(body)
		fields["kept_file_0"] = re[1]
		resp, body = s.postMultipart(t, cit, "/apply/"+itemFood, fields, map[string][]byte{"file_2": pdf, "file_3": pdf, "file_1": pdf})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit: %d\n%s", resp.StatusCode, body)
		}
		list, _, _ := w.m.List(ctx, w.a("cit1"), casework.Query{})
		if len(list) != 1 {
			t.Fatalf("applications: %d", len(list))
		}
		got, _ := w.m.Get(ctx, w.a("cit1"), list[0].ID)
		if n := w.count("casework_drafts"); n != 0 {
			t.Errorf("draft kept after submission: %d", n)
		}
		var sealedForm string
		_ = db.QueryRowContext(ctx, `SELECT form FROM casework_applications WHERE id = ?`, got.ID).Scan(&sealedForm)
		if strings.Contains(sealedForm, "*") {
			t.Errorf("the masked number was stored: %s", sealedForm)
		}
	})
}

// Bundle applications and cross-region applications are keyset pages
// (cursor, bounded count), not OFFSET pages with exact counts.
func TestBundleAndCrossRegionKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		defineBundle(t, w)
		var ids []int64
		for range 3 {
			ba, err := w.m.SubmitBundle(ctx, w.a("ent"), bundleInput(w))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ba.ID)
		}
		var seen []int64
		var after store.Cursor
		for range 3 {
			rows, pg, err := w.m.BundleApplications(ctx, w.a("ent"), 2, after)
			if err != nil || pg.Count != 3 {
				t.Fatalf("page: %v count %d", err, pg.Count)
			}
			for _, r := range rows {
				seen = append(seen, r.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if len(seen) != 3 || seen[0] != ids[2] || seen[2] != ids[0] {
			t.Errorf("bundle pages: %v, want newest first of %v", seen, ids)
		}

		addCrossItem(t, w)
		qs := w.a("clerk_qs")
		for range 3 {
			must(t)(w.m.Submit(ctx, qs, casework.SubmitInput{ItemCode: itemCross, Form: map[string]string{"trade_name": "李四小吃"},
				Applicant: &casework.ApplicantInput{Kind: casework.Person, Name: "李四", IDNumber: otherID},
				Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}}}))
		}
		s := serve(t, w)
		c := s.client(t, "clerk_qs")
		var list struct {
			Items      []casework.CrossRegionView `json:"items"`
			Total      int                        `json:"total"`
			NextCursor string                     `json:"next_cursor"`
		}
		if resp := s.call(t, c, "GET", "/api/v1/cross-region?limit=2", nil, &list); resp.StatusCode != 200 || len(list.Items) != 2 ||
			list.Total != 3 || list.NextCursor == "" {
			t.Fatalf("first page: %d %+v", resp.StatusCode, list)
		}
		first := list.Items[1].ID
		list.NextCursor = strings.TrimSpace(list.NextCursor)
		next := list.NextCursor
		list.Items, list.NextCursor = nil, ""
		if resp := s.call(t, c, "GET", "/api/v1/cross-region?limit=2&cursor="+next, nil, &list); resp.StatusCode != 200 ||
			len(list.Items) != 1 || list.Items[0].ID >= first || list.NextCursor != "" {
			t.Errorf("second page: %d %+v", resp.StatusCode, list)
		}
		if code, body := s.get(t, c, "/cross-region"); code != 200 || !strings.Contains(body, "共 3 件") {
			t.Errorf("cross-region page: %d", code)
		}
	})
}

// A bundle does not ask for what one of its items produces (the business
// licence of the business it registers); each shortfall material keeps
// its own limit; limits show their unit; a field may take several options.
func TestRestaurantBundle(t *testing.T) {
	f := func(key string, typ catalog.FieldType, opts ...string) catalog.FormField {
		return catalog.FormField{Key: key, Label: key, Type: typ, Required: true, Options: opts}
	}
	reg := &catalog.Item{Draft: catalog.Draft{Code: "R", Name: "个体工商户设立登记", CertificateType: "CT-YYZZ",
		Materials: []catalog.Material{{Name: "场所证明", Class: catalog.ClassShortfall, ShortfallDays: 5}}}}
	food := &catalog.Item{Draft: catalog.Draft{Code: "F", Name: "食品经营许可",
		Fields: []catalog.FormField{f("items", catalog.FieldChoices, "热食", "冷食", "饮品")},
		Materials: []catalog.Material{{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
			{Name: "制度", Class: catalog.ClassShortfall, ShortfallDays: 10}}}}
	site := &catalog.Item{Draft: catalog.Draft{Code: "S", Name: "公共场所卫生许可",
		Fields: []catalog.FormField{f("items", catalog.FieldChoices, "饮品", "冷食")},
		Materials: []catalog.Material{{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
			{Name: "检测报告", Class: catalog.ClassShortfall, ShortfallDays: 20}}}}
	mg, err := casework.Merge([]*catalog.Item{reg, food, site})
	if err != nil {
		t.Fatal(err)
	}
	if len(mg.Materials) != 3 || len(mg.Produced) != 1 || mg.Produced[0].By != "个体工商户设立登记" || len(mg.Produced[0].Items) != 2 {
		t.Fatalf("materials %+v, produced %+v", mg.Materials, mg.Produced)
	}
	var days []int
	for _, mm := range mg.Materials {
		days = append(days, mm.SupplyDays)
	}
	if days[0] != 5 || days[1] != 10 || days[2] != 20 {
		t.Errorf("supply days: %v", days)
	}
	if opts := mg.Fields[0].Options; len(opts) != 2 || opts[0] != "冷食" || opts[1] != "饮品" {
		t.Errorf("merged choices: %v", opts)
	}

	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		addItem(t, w, catalog.Draft{Code: "990102-XK-020", Name: "个体工商户设立登记", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
			LegalLimitDays: 3, PromisedLimitDays: 1, Online: true, CertificateType: "CT-YYZZ",
			Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}, {Name: "场所证明", Class: catalog.ClassShortfall, ShortfallDays: 5}},
			Fields:    []catalog.FormField{{Key: "trade_name", Label: "名称", Type: catalog.FieldText, Required: true}}})
		addItem(t, w, catalog.Draft{Code: "990102-XK-021", Name: "食品经营许可", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
			LegalLimitDays: 20, PromisedLimitDays: 10, Online: true,
			Materials: []catalog.Material{{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
				{Name: "制度", Class: catalog.ClassShortfall, ShortfallDays: 10}},
			Fields: []catalog.FormField{{Key: "items", Label: "经营项目", Type: catalog.FieldChoices, Required: true, Options: []string{"热食", "冷食", "饮品"}}}})
		if _, err := w.m.SaveBundle(ctx, cityAdmin, casework.BundleSpec{Code: "YJS-CY", Name: "开办餐饮店",
			Items: []string{"990102-XK-020", "990102-XK-021"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.SetBundleStatus(ctx, cityAdmin, "YJS-CY", casework.BundlePublished); err != nil {
			t.Fatal(err)
		}
		s := serve(t, w)
		cit := s.client(t, "cit1")
		_, guide := s.get(t, cit, "/bundles/YJS-CY")
		if !strings.Contains(guide, "10 个工作日") || !strings.Contains(guide, "20 个工作日") || !strings.Contains(guide, "由“个体工商户设立登记”办结后发放") {
			t.Errorf("guide: units and the produced licence:\n%s", guide)
		}
		_, form := s.get(t, cit, "/bundles/YJS-CY/apply")
		// 2 November 2026 + 5 working days = 9 November; + 10 = 16 November.
		if strings.Contains(form, "营业执照") || !strings.Contains(form, "5 个工作日内（2026-11-09 前）") ||
			!strings.Contains(form, "10 个工作日内（2026-11-16 前）") || strings.Count(form, `type="checkbox" name="f_items"`) != 3 ||
			!strings.Contains(form, `class="stack steps"`) || !strings.Contains(form, `data-step="3"`) || !strings.Contains(form, "第 2 步，共 3 步") {
			t.Errorf("bundle form:\n%s", form)
		}
		resp, body := s.postMultipart(t, cit, "/bundles/YJS-CY/apply", map[string]string{"f_trade_name": "张三小吃店",
			"shortfall_1": "1", "shortfall_2": "1", "f_items": "热食"}, map[string][]byte{"file_0": pdf})
		_ = body
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("bundle submit: %d\n%s", resp.StatusCode, body)
		}
		rows, _, _ := w.m.BundleApplications(ctx, w.a("cit1"), 10, store.Cursor{})
		if len(rows) != 1 {
			t.Fatalf("bundle applications: %d", len(rows))
		}
		list, _, _ := w.m.List(ctx, w.a("cit1"), casework.Query{})
		var regApp, foodApp *casework.Application
		for i := range list {
			app, _ := w.m.Get(ctx, w.a("cit1"), list[i].ID)
			if app.ItemCode == "990102-XK-020" {
				regApp = app
			} else {
				foodApp = app
			}
		}
		if regApp == nil || foodApp == nil {
			t.Fatalf("children: %v", list)
		}
		d := func(tm time.Time) string { return tm.In(cst).Format("2006-01-02") }
		if d(regApp.Materials[1].DueAt) != "2026-11-09" || d(foodApp.Materials[1].DueAt) != "2026-11-16" ||
			foodApp.Materials[0].Provision != casework.ProvideBundle {
			t.Errorf("dates %s / %s, licence %s", d(regApp.Materials[1].DueAt), d(foodApp.Materials[1].DueAt), foodApp.Materials[0].Provision)
		}
		// Several activities.
		app := must(t)(w.m.Submit(ctx, w.a("ent"), casework.SubmitInput{ItemCode: "990102-XK-021", Form: map[string]string{"items": "热食、饮品"},
			Materials: []casework.MaterialInput{{Name: "营业执照", Consent: true}, {Name: "制度", File: upload("制度.pdf")}}}))
		if _, body := s.get(t, s.client(t, "ent"), "/applications/"+itoa(app.ID)); !strings.Contains(body, "热食、饮品") {
			t.Errorf("several activities not shown")
		}
		if _, err := w.m.Submit(ctx, w.a("ent"), casework.SubmitInput{ItemCode: "990102-XK-021", Form: map[string]string{"items": "热食、烧烤"},
			Materials: []casework.MaterialInput{{Name: "营业执照", Consent: true}, {Name: "制度", File: upload("制度.pdf")}}}); !strings.Contains(strings.Join(paths(err), " "), "form.items") {
			t.Errorf("an activity not offered: %v", err)
		}
	})
}

// The applicant's page shows the case as stages with dates and documents,
// the 待发证 stage with its date.
func TestApplicationStages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		addItem(t, w, catalog.Draft{Code: "990102-XK-010", Name: "个体工商户设立登记", DepartmentID: w.deptA, Type: catalog.TypeLicensing,
			LegalLimitDays: 3, PromisedLimitDays: 1, Online: true, CertificateType: "CT-YYZZ",
			Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}},
			Fields:    []catalog.FormField{{Key: "scope", Label: "经营范围", Type: catalog.FieldText, Required: true}}})
		app := must(t)(w.m.Submit(ctx, w.a("cit1"), casework.SubmitInput{ItemCode: "990102-XK-010",
			Form: map[string]string{"scope": "小吃"}, Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}}}))
		s := serve(t, w)
		cit := s.client(t, "cit1")
		_, body := s.get(t, cit, "/applications/"+itoa(app.ID))
		if !strings.Contains(body, "办理进度") || !strings.Contains(body, `stage-current"><strong>受理`) ||
			!strings.Contains(body, "申请材料 1 项") {
			t.Errorf("stages before intake:\n%s", body)
		}
		w.approve(t, app.ID)
		_, body = s.get(t, cit, "/applications/"+itoa(app.ID))
		if !strings.Contains(body, `stage-done"><strong>决定`) || !strings.Contains(body, `stage-current"><strong>发证`) ||
			!strings.Contains(body, "最迟 2026-11-16") {
			t.Errorf("stages after approval:\n%s", body)
		}
		must(t)(w.m.IssuePending(ctx, w.a("han"), app.ID, casework.IssueInput{HolderName: "张三小吃店", HolderCode: uscc}))
		_, body = s.get(t, cit, "/applications/"+itoa(app.ID))
		if !strings.Contains(body, `stage-done"><strong>发证`) || !strings.Contains(body, "发放电子证照") ||
			!strings.Contains(body, "持证主体：张三小吃店") || strings.Contains(body, "holder_name") {
			t.Errorf("after issuing:\n%s", body)
		}
	})
}

// An expiring certificate's page offers its holder the renewal (延续),
// which the application form carries and the history records.
func TestRenewalFromCertificate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		var certID int64
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			c, err := w.certs.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-SPJY",
				Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc), IssuerDepartmentID: w.deptA, Actor: auth.System(),
				ValidFrom: w.now.AddDate(-5, 2, 0), Fields: map[string]string{"legal_representative": "李娜", "address": "滨江路88号",
					"main_form": "餐饮服务", "items": "热食类食品制售"}})
			certID = c.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		w.certs.Service.SetRenewalItem(func(ctx context.Context, typ string) (string, string, bool) {
			it, err := w.cat.RenewalItem(ctx, typ)
			if err != nil {
				return "", "", false
			}
			return it.Code, it.Name, true
		})
		s := serve(t, w)
		ent := s.client(t, "ent")
		_, body := s.get(t, ent, "/certificates/"+itoa(certID))
		link := regexp.MustCompile(`href="(/apply/[^"]+\?renew=\d+)"`).FindStringSubmatch(body)
		if link == nil || !strings.Contains(link[1], itemFood) || !strings.Contains(body, "届满30日前") {
			t.Fatalf("renewal offer:\n%s", body)
		}
		_, body = s.get(t, ent, link[1])
		if !strings.Contains(body, "延续申请") || !strings.Contains(body, `name="renew" value="`+itoa(certID)+`"`) {
			t.Fatalf("renewal form:\n%s", body)
		}
		in := foodInput()
		in.Renews = certID
		app := must(t)(w.m.Submit(ctx, w.a("ent"), in))
		hist, _ := w.eng.History(ctx, app.InstanceID)
		if !strings.Contains(hist[0].Comment, "申请延续电子证照") {
			t.Errorf("history: %q", hist[0].Comment)
		}
		in.Renews = w.licence // not a food licence
		if _, err := w.m.Submit(ctx, w.a("ent"), in); !strings.Contains(strings.Join(paths(err), " "), "renews_certificate_id") {
			t.Errorf("renewing another certificate: %v", err)
		}
		// A certificate far from expiry offers nothing.
		if _, body := s.get(t, ent, "/certificates/"+itoa(w.licence)); strings.Contains(body, "?renew=") {
			t.Error("renewal offered for a certificate without expiry")
		}
	})
}
