package casework_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/notice"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

var (
	uscc      = func() string { b := "91990102MA01YL8A1"; return b + string(ids.USCCCheck(b)) }()
	citizenID = func() string { b := "99010219900307123"; return b + string(ids.CitizenIDCheck(b)) }()
	otherID   = func() string { b := "99010219851111432"; return b + string(ids.CitizenIDCheck(b)) }()
)

// Item codes of the test catalogue.
const (
	itemFood    = "990102-XK-001" // department A, 5 days, commitment, shared licence, shortfall material
	itemSign    = "990102-XK-002" // department A, instant with a rule, shared licence
	itemCitizen = "990102-XK-003" // department B, 3 days, one required upload, for people
)

var pdf = []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

func upload(name string) *casework.Upload { return &casework.Upload{Name: name, Data: pdf} }

// world has two departments of 临江区 (A market regulation, B urban
// management) and C (city services, issuing identity cards), a window
// clerk, handlers and approvers, two citizens and an enterprise holding a
// business licence.
type world struct {
	t            testing.TB
	db           *store.DB
	now          time.Time
	cal          *calendar.Calendar
	eng          *flow.Engine
	cat          *catalog.Module
	certs        *certificate.Module
	m            *casework.Module
	log          *audit.Log
	deptA, deptB int64
	users        map[string]int64
	actors       map[string]*auth.Actor
	licence      int64
	reports      *fakeReports
	notices      *notice.Module
}

func (w *world) clock() time.Time { return w.now }

// fakeRule approves when form.area is at most 10 and cannot decide
// otherwise, reporting what it read.
var fakeRule = casework.RuleFunc(func(_ context.Context, r catalog.ApprovalRule, _ []catalog.FormField, in casework.RuleInput) (casework.RuleOutcome, error) {
	area, _ := in.Form["area"].(float64)
	return casework.RuleOutcome{Approve: area <= 10, Used: map[string]any{"form.area": area, "credit.class": in.Credit}}, nil
})

func setup(t testing.TB, db *store.DB) *world { return setupWith(t, db, fakeRule) }

// setupWith builds the world with rules deciding instant approvals.
func setupWith(t testing.TB, db *store.DB, rules casework.RuleEvaluator) *world {
	ctx := context.Background()
	w := &world{t: t, db: db, now: time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC), users: map[string]int64{},
		actors: map[string]*auth.Actor{}, reports: &fakeReports{byToken: map[string]*casework.CreditReport{}}}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, w.clock)
	orgs.Password = auth.TestPasswordParams
	w.cal = calendar.New(calendar.Official())
	w.log = audit.New(w.clock)
	w.eng = flow.New(db, func() flow.Calendar { return w.cal }, w.log, w.clock)
	policy := auth.NewPolicy()
	var deptC, zxLJ, zxQS int64
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for code, p := range map[string]*int64{"A": &w.deptA, "B": &w.deptB, "C": &deptC, "ZX": &zxLJ, "QS": &zxQS} {
			region := map[string]string{"C": "990100", "QS": "990103"}[code]
			if region == "" {
				region = "990102"
			}
			d, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: code, Name: "部门" + code, RegionCode: region})
			if err != nil {
				return err
			}
			*p = d.ID
		}
		users := []org.NewUser{
			{Username: "clerk", DisplayName: "窗口 陈静", Roles: []auth.Role{auth.RoleClerk}, RegionCode: "990102", DepartmentIDs: []int64{zxLJ}},
			{Username: "clerk_qs", DisplayName: "窗口 黄敏", Roles: []auth.Role{auth.RoleClerk}, RegionCode: "990103", DepartmentIDs: []int64{zxQS}},
			{Username: "han", DisplayName: "承办甲", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.deptA}},
			{Username: "apa", DisplayName: "审批甲", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: []int64{w.deptA}},
			{Username: "hbn", DisplayName: "承办乙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.deptB}},
			{Username: "apb", DisplayName: "审批乙", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: []int64{w.deptB}},
			{Username: "cit1", DisplayName: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102", CitizenID: citizenID, Phone: "13800000001"},
			{Username: "cit2", DisplayName: "李四", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102", CitizenID: otherID},
			{Username: "ent", DisplayName: "云澜味道 李娜", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: uscc},
		}
		for _, u := range users {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return err
			}
			w.users[u.Username] = created.ID
			w.actors[u.Username] = &auth.Actor{UserID: created.ID, Name: u.DisplayName, Roles: u.Roles,
				RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.cat, err = catalog.New(catalog.Deps{DB: db, Org: orgs, Policy: policy, Audit: w.log, Now: w.clock}); err != nil {
		t.Fatal(err)
	}
	signer := certificate.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if w.certs, err = certificate.New(certificate.Deps{DB: db, Org: orgs, Policy: policy, Audit: w.log, Flow: w.eng,
		Box: box, Signer: signer, Now: w.clock}); err != nil {
		t.Fatal(err)
	}
	if err := w.certs.LoadDefinitions(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, typ := range certificate.DefaultTypes() {
			typ.IssuerDepartmentID = w.deptA
			if typ.Code == "CT-SFZ" {
				typ.IssuerDepartmentID = deptC
			}
			if err := w.certs.DefineType(ctx, tx, typ, auth.System()); err != nil {
				return err
			}
		}
		c, err := w.certs.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-YYZZ",
			Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc), IssuerDepartmentID: w.deptA, Actor: auth.System(),
			ValidFrom: w.now.AddDate(-1, 0, 0), Fields: map[string]string{"entity_type": "有限责任公司", "legal_representative": "李娜",
				"established": "2025-01-02", "address": "滨江路88号", "scope": "餐饮服务"}})
		if err != nil {
			return err
		}
		w.licence = c.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	field := func(key, label string, typ catalog.FieldType, req bool, opts ...string) catalog.FormField {
		return catalog.FormField{Key: key, Label: label, Type: typ, Required: req, Options: opts}
	}
	items := []catalog.Draft{
		{Code: itemFood, Name: "食品经营许可", DepartmentID: w.deptA, Type: catalog.TypeLicensing, LegalLimitDays: 20,
			PromisedLimitDays: 5, Online: true, CertificateType: "CT-SPJY", Commitment: true,
			Conditions: "具有与经营的食品品种、数量相适应的经营场所。",
			Materials: []catalog.Material{
				{Name: "申请书", Class: catalog.ClassRequired},
				{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"},
				{Name: "平面图", Class: catalog.ClassRequired, CommitmentReplaceable: true},
				{Name: "管理制度", Class: catalog.ClassShortfall},
			},
			Fields: []catalog.FormField{
				field("legal_representative", "法定代表人", catalog.FieldText, true),
				field("area", "面积", catalog.FieldNumber, true),
				field("opened", "是否已开业", catalog.FieldBool, false),
				field("start", "开业日期", catalog.FieldDate, false),
				field("main_form", "主体业态", catalog.FieldChoice, true, "餐饮服务", "食品销售"),
				field("code", "统一社会信用代码", catalog.FieldUSCC, false),
				field("contact_id", "联系人身份证", catalog.FieldIDNumber, false),
				field("phone", "联系电话", catalog.FieldPhone, false),
			}},
		{Code: itemSign, Name: "店招设置", DepartmentID: w.deptA, Type: catalog.TypeLicensing, LegalLimitDays: 5,
			PromisedLimitDays: 0, Online: true, CertificateType: "CT-HWGG",
			Rule:      &catalog.ApprovalRule{Expr: "form.area <= 10.0"},
			Materials: []catalog.Material{{Name: "申请书", Class: catalog.ClassRequired}, {Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"}},
			Fields:    []catalog.FormField{field("area", "面积", catalog.FieldNumber, true), field("location", "地点", catalog.FieldText, true)}},
		{Code: itemCitizen, Name: "临时占道", DepartmentID: w.deptB, Type: catalog.TypeLicensing, LegalLimitDays: 10,
			PromisedLimitDays: 3, Online: true,
			Materials: []catalog.Material{{Name: "申请表", Class: catalog.ClassRequired}},
			Fields:    []catalog.FormField{field("place", "地点", catalog.FieldText, true)}},
	}
	for _, d := range items {
		d.LegalBasis, d.Conditions, d.ReviewStandard = "《行政许可法》", d.Conditions+"符合条件。", "审查材料。"
		d.Window = catalog.Window{Address: "临江区政务服务中心", Hours: "工作日", Phone: "0990-12345"}
		it, err := w.cat.Create(ctx, auth.System(), d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.cat.Publish(ctx, auth.System(), it.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	// Every step issues its document, as in the platform.
	if w.notices, err = notice.New(notice.Deps{DB: db, Audit: w.log, Signer: signer, Department: orgs.DepartmentName,
		Now: w.clock, CanRead: func(ctx context.Context, a *auth.Actor, id int64) error {
			_, err := w.m.Get(ctx, a, id)
			return err
		}}); err != nil {
		t.Fatal(err)
	}
	if w.m, err = casework.New(casework.Deps{DB: db, Flow: w.eng, Org: orgs, Policy: policy, Audit: w.log, Catalog: w.cat,
		Certs: w.certs.Service, Box: box, Rules: rules, Now: w.clock, Reports: w.reports, Notices: w.notices,
		Calendar: func() *calendar.Calendar { return w.cal }}); err != nil {
		t.Fatal(err)
	}
	if err := w.m.LoadDefinitions(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) a(name string) *auth.Actor { return w.actors[name] }

// foodInput is a complete application for itemFood.
func foodInput() casework.SubmitInput {
	return casework.SubmitInput{ItemCode: itemFood, Form: map[string]string{"legal_representative": "李娜", "area": "120",
		"main_form": "餐饮服务", "phone": "13800000002", "contact_id": citizenID},
		Materials: []casework.MaterialInput{{Name: "申请书", File: upload("申请书.pdf")}, {Name: "营业执照", Consent: true},
			{Name: "平面图", File: upload("平面图.pdf")}, {Name: "管理制度", File: upload("制度.pdf")}}}
}

func (w *world) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func paths(err error) []string {
	var out []string
	for _, fe := range casework.FieldErrors(err) {
		out = append(out, fe.Path)
	}
	return out
}

func must(t *testing.T) func(*casework.Application, error) *casework.Application {
	return func(app *casework.Application, err error) *casework.Application {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
}

func TestFormValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := foodInput()
		in.Form = map[string]string{"area": "十二", "opened": "maybe", "start": "2026-13-01", "main_form": "理发",
			"code": "91990102MA01YL8A1X", "contact_id": "990102199003071230", "phone": "12345", "colour": "red"}
		_, err := w.m.Submit(ctx, w.a("ent"), in)
		if !errors.Is(err, casework.ErrInvalid) {
			t.Fatalf("bad form: %v, want ErrInvalid", err)
		}
		got := strings.Join(paths(err), " ")
		for _, p := range []string{"form.legal_representative", "form.area", "form.opened", "form.start", "form.main_form",
			"form.code", "form.contact_id", "form.phone", "form.colour"} {
			if !strings.Contains(got, p) {
				t.Errorf("no problem reported for %s (got %s)", p, got)
			}
		}
		if n := w.count("casework_applications") + w.count("casework_files") + w.count("flow_instances WHERE subject_type = 'application'"); n != 0 {
			t.Errorf("bad input stored %d rows", n)
		}
		// The same application, well formed, is stored with typed values
		// and the personal numbers encrypted.
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		if app.Status != casework.StatusSubmitted || app.Number == "" || app.ItemVersion != 1 {
			t.Errorf("stored: %+v", app)
		}
		var form string
		_ = db.QueryRowContext(ctx, "SELECT form FROM casework_applications WHERE id = ?", app.ID).Scan(&form)
		if strings.Contains(form, citizenID) || strings.Contains(form, "13800000002") || !strings.Contains(form, `"area":120`) {
			t.Errorf("stored form: %s", form)
		}
	})
}

func TestUploadChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		for name, data := range map[string][]byte{
			"text":  []byte("just some text, not a PDF"),
			"large": append(append([]byte{}, pdf...), make([]byte, casework.MaxFileSize)...),
			"empty": {},
		} {
			in := foodInput()
			in.Materials[0].File = &casework.Upload{Name: "x.pdf", Data: data}
			_, err := w.m.Submit(ctx, w.a("ent"), in)
			if name == "empty" {
				// An empty file is no file: the required material is missing.
				if !strings.Contains(strings.Join(paths(err), " "), "materials[0]") {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			if got := paths(err); len(got) != 1 || got[0] != "materials[0]" {
				t.Errorf("%s upload: problems %v (%v)", name, got, err)
			}
		}
		if n := w.count("casework_files") + w.count("casework_applications"); n != 0 {
			t.Errorf("refused uploads stored %d rows", n)
		}
	})
}

func TestEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		if !strings.HasPrefix(app.Number, "99010220261102") {
			t.Errorf("number %s", app.Number)
		}
		// The shared licence was used by department A with consent, logged.
		var uses int
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM certificate_uses WHERE certificate_id = ? AND department_id = ? AND application_ref = ?",
			w.licence, w.deptA, app.Number).Scan(&uses)
		if uses != 1 || app.Materials[1].Provision != casework.ProvideCertificate || app.Materials[1].ConsentID == 0 {
			t.Errorf("shared licence: uses %d, material %+v", uses, app.Materials[1])
		}
		// Department B cannot see it, nor act on it.
		if _, err := w.m.Get(ctx, w.a("hbn"), app.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("department B reads A's application: %v", err)
		}
		if list, _, _ := w.m.List(ctx, w.a("hbn"), casework.Query{}); len(list) != 0 {
			t.Errorf("department B lists %d applications", len(list))
		}
		if _, err := w.m.Pass(ctx, w.a("hbn"), app.ID, "通过"); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("department B acts: %v", err)
		}
		// A handler cannot decide: approvers do.
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		must(t)(w.m.Pass(ctx, w.a("han"), app.ID, "材料齐全，符合条件"))
		if _, err := w.m.Decide(ctx, w.a("han"), app.ID, casework.Decision{Approve: true, Reason: "同意"}); err == nil {
			t.Error("a handler approved")
		}
		if _, err := w.m.Decide(ctx, w.a("apa"), app.ID, casework.Decision{Approve: true}); !errors.Is(err, casework.ErrInvalid) {
			t.Errorf("decision without reasons: %v", err)
		}
		app = must(t)(w.m.Decide(ctx, w.a("apa"), app.ID, casework.Decision{Approve: true, Reason: "符合《食品安全法》第三十五条"}))
		if app.Status != casework.StatusApproved || app.CertificateID == 0 || app.DecidedByName != "审批甲" {
			t.Fatalf("approved: %+v", app)
		}
		c, err := w.certs.Get(ctx, app.CertificateID, w.a("ent"))
		if err != nil || c.TypeCode != "CT-SPJY" || c.HolderUSCC != uscc || c.ApplicationRef != app.Number ||
			c.Fields["legal_representative"] != "李娜" {
			t.Errorf("certificate: %+v %v", c, err)
		}
		in, _ := w.eng.Instance(ctx, app.InstanceID)
		if in.Status != flow.StatusDone || in.State != "approved" || in.Reference != app.Number || in.Title == "" {
			t.Errorf("instance: %+v", in)
		}
		// The applicant sees their own; another citizen does not.
		if list, _, _ := w.m.List(ctx, w.a("ent"), casework.Query{}); len(list) != 1 {
			t.Errorf("enterprise lists %d", len(list))
		}
		if _, err := w.m.Get(ctx, w.a("cit1"), app.ID); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("another applicant reads it: %v", err)
		}
		if list, _, _ := w.m.List(ctx, w.a("cit1"), casework.Query{}); len(list) != 0 {
			t.Errorf("citizen lists %d", len(list))
		}
	})
}

func TestCorrectionPausesClock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := casework.SubmitInput{ItemCode: itemCitizen, Form: map[string]string{"place": "滨江路口"},
			Materials: []casework.MaterialInput{{Name: "申请表", File: upload("表.pdf")}}}
		app := must(t)(w.m.Submit(ctx, w.a("cit1"), in))
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		before, _ := w.eng.Instance(ctx, app.InstanceID)
		if want := w.cal.AddWorkingDays(w.now, 3); !before.StateDueAt.Equal(want) {
			t.Fatalf("review due %v, want %v (3 working days)", before.StateDueAt, want)
		}
		w.now = w.now.Add(24 * time.Hour) // Tuesday
		pausedAt := w.now
		app = must(t)(w.m.RequestCorrection(ctx, w.a("hbn"), app.ID, "申请表未签字", ""))
		if app.Status != casework.StatusCorrection || app.CorrectionNote != "申请表未签字" {
			t.Fatalf("after correction request: %s %q", app.Status, app.CorrectionNote)
		}
		w.now = w.now.Add(7 * 24 * time.Hour) // the next Tuesday: five working days later
		app = must(t)(w.m.Resubmit(ctx, w.a("cit1"), app.ID, map[int]*casework.Upload{0: upload("表-签字.pdf")}, "已签字"))
		after, _ := w.eng.Instance(ctx, app.InstanceID)
		paused := w.cal.WorkingDaysBetween(pausedAt, w.now)
		if paused != 5 || w.cal.WorkingDaysBetween(before.StateDueAt, after.StateDueAt) != paused {
			t.Errorf("deadline %v → %v, paused %d working days", before.StateDueAt, after.StateDueAt, paused)
		}
		if app.Status != casework.StatusReview || app.Materials[0].File.Name != "表-签字.pdf" {
			t.Errorf("after resubmit: %s %+v", app.Status, app.Materials[0].File)
		}
	})
}

func TestShortfall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		promise := func() casework.SubmitInput {
			in := foodInput()
			in.Materials[3] = casework.MaterialInput{Name: "管理制度", Shortfall: true}
			in.ShortfallDue = "2026-11-06" // Friday
			return in
		}
		// A shortfall without a date is due within the material's own
		// limit (5 working days by default: Monday 9 November 2026); a
		// date given must be a date.
		noDate := promise()
		noDate.ShortfallDue = ""
		if app, err := w.m.Submit(ctx, w.a("ent"), noDate); err != nil ||
			app.Materials[3].DueAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02") != "2026-11-09" {
			t.Errorf("shortfall without a date: %v", err)
		} else {
			must(t)(w.m.Withdraw(ctx, w.a("ent"), app.ID, "重新申请"))
		}
		badDate := promise()
		badDate.ShortfallDue = "明天"
		if _, err := w.m.Submit(ctx, w.a("ent"), badDate); !strings.Contains(strings.Join(paths(err), " "), "shortfall_due") {
			t.Errorf("shortfall with a bad date: %v", err)
		}
		lapsed := must(t)(w.m.Submit(ctx, w.a("ent"), promise()))
		kept := must(t)(w.m.Submit(ctx, w.a("ent"), promise()))
		for _, id := range []int64{lapsed.ID, kept.ID} {
			app := must(t)(w.m.AcceptWithShortfall(ctx, w.a("clerk"), id, "", "容缺受理"))
			if !app.ShortfallOpen || app.Status != casework.StatusReview {
				t.Fatalf("accepted with shortfall: %+v", app)
			}
		}
		// Not approvable while the material is missing.
		must(t)(w.m.Pass(ctx, w.a("han"), kept.ID, "符合"))
		if _, err := w.m.Decide(ctx, w.a("apa"), kept.ID, casework.Decision{Approve: true, Reason: "同意"}); !errors.Is(err, casework.ErrShortfall) {
			t.Errorf("approve with shortfall open: %v", err)
		}
		must(t)(w.m.SupplyShortfall(ctx, w.a("ent"), kept.ID, 3, upload("制度.pdf")))
		if n, err := w.m.Sweep(ctx); n != 0 || err != nil {
			t.Errorf("sweep before the date: %d %v", n, err)
		}
		w.now = time.Date(2026, 11, 6, 15, 59, 0, 0, time.UTC) // 23:59 CST on the date: still in time
		if n, _ := w.m.Sweep(ctx); n != 0 {
			t.Errorf("sweep on the last day withdrew %d", n)
		}
		w.now = time.Date(2026, 11, 6, 16, 1, 0, 0, time.UTC) // the next day, CST
		if n, err := w.m.Sweep(ctx); n != 1 || err != nil {
			t.Fatalf("sweep after the date: %d %v", n, err)
		}
		if n, _ := w.m.Sweep(ctx); n != 0 {
			t.Errorf("second sweep withdrew %d", n)
		}
		got, _ := w.m.Get(ctx, w.a("ent"), lapsed.ID)
		in, _ := w.eng.Instance(ctx, got.InstanceID)
		if got.Status != casework.StatusWithdrawn || in.State != "withdrawn" || !strings.Contains(got.DecisionReason, "管理制度") {
			t.Errorf("lapsed: %s / %s: %q", got.Status, in.State, got.DecisionReason)
		}
		// The supplied one goes on to approval.
		app := must(t)(w.m.Decide(ctx, w.a("apa"), kept.ID, casework.Decision{Approve: true, Reason: "同意"}))
		if app.Status != casework.StatusApproved || app.ShortfallOpen {
			t.Errorf("supplied: %s open=%v", app.Status, app.ShortfallOpen)
		}
	})
}

func TestCommitment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		commit := func() casework.SubmitInput {
			in := foodInput()
			in.Materials[2] = casework.MaterialInput{Name: "平面图", Commitment: true}
			in.Sign, in.Signer = true, "李娜"
			return in
		}
		unsigned := commit()
		unsigned.Sign = false
		if _, err := w.m.Submit(ctx, w.a("ent"), unsigned); !strings.Contains(strings.Join(paths(err), " "), "commitment") {
			t.Errorf("unsigned commitment: %v", err)
		}
		// Listed as a serious violator: refused, nothing stored.
		sc := &casework.StoreCredit{DB: db, Box: mustBox(), Audit: w.log, Now: w.clock}
		var entry int64
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			var err error
			entry, err = sc.List(ctx, tx, casework.Subject{Kind: casework.Enterprise, USCC: uscc, Name: "云澜味道"}, "测试", auth.System())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Submit(ctx, w.a("ent"), commit()); !errors.Is(err, casework.ErrCommitmentRefused) {
			t.Fatalf("listed applicant: %v", err)
		}
		if n := w.count("casework_applications"); n != 0 {
			t.Fatalf("refused commitment stored %d", n)
		}
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error { return sc.Unlist(ctx, tx, entry, auth.System()) }); err != nil {
			t.Fatal(err)
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), commit()))
		if app.Commitment == nil || app.Commitment.SHA256 == "" || !strings.Contains(app.Commitment.Text, "平面图") ||
			app.Materials[2].Provision != casework.ProvideCommitment {
			t.Fatalf("commitment: %+v", app.Commitment)
		}
		must(t)(w.m.Accept(ctx, w.a("clerk"), app.ID, ""))
		must(t)(w.m.Pass(ctx, w.a("han"), app.ID, "承诺制审查通过"))
		app = must(t)(w.m.Decide(ctx, w.a("apa"), app.ID, casework.Decision{Approve: true, Reason: "告知承诺，准予"}))
		task, err := w.eng.Instance(ctx, app.VerificationInstanceID)
		if err != nil || task.DefinitionKey != casework.VerificationFlow || task.DepartmentIDs[0] != w.deptA ||
			w.cal.WorkingDaysBetween(w.now, task.StateDueAt) != 22 {
			t.Fatalf("verification task: %+v %v", task, err)
		}
		// A handler may confirm but not find it false.
		if _, err := w.m.RecordVerification(ctx, w.a("han"), app.ID, false, "现场与平面图不符"); err == nil {
			t.Error("a handler found the commitment false")
		}
		app = must(t)(w.m.RecordVerification(ctx, w.a("apa"), app.ID, false, "现场与平面图不符"))
		if app.Status != casework.StatusRevoked || app.CreditRecordID == 0 {
			t.Errorf("after false commitment: %s credit %d", app.Status, app.CreditRecordID)
		}
		c, _ := w.certs.Get(ctx, app.CertificateID, w.a("apa"))
		if c == nil || c.Status != certificate.StatusRevoked {
			t.Errorf("certificate not revoked: %+v", c)
		}
		recs, _ := sc.Records(ctx, app.ID)
		if len(recs) != 1 || recs[0].Kind != casework.KindFalseCommitment || recs[0].ApplicationNumber != app.Number {
			t.Errorf("credit records: %+v", recs)
		}
		if list, _, _ := audit.List(ctx, db, audit.Filter{Action: "casework.verify_commitment"}); len(list) != 1 {
			t.Errorf("verification audited %d times", len(list))
		}
		// A past false commitment bars the path from now on.
		if _, err := w.m.Submit(ctx, w.a("ent"), commit()); !errors.Is(err, casework.ErrCommitmentRefused) {
			t.Errorf("after a false commitment: %v", err)
		}
	})
}

func mustBox() *pii.Box {
	b, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	return b
}

func TestSharedNeedsConsent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := foodInput()
		in.Materials[1].Consent = false
		_, err := w.m.Submit(ctx, w.a("ent"), in)
		if got := paths(err); len(got) != 1 || got[0] != "materials[1]" {
			t.Fatalf("without consent: %v", err)
		}
		if n := w.count("certificate_uses") + w.count("certificate_consents"); n != 0 {
			t.Errorf("refused submission logged %d uses/consents", n)
		}
		must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
		if n := w.count("certificate_uses"); n != 1 {
			t.Errorf("uses logged: %d", n)
		}
	})
}

func TestInstantApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		sign := func(area string) casework.SubmitInput {
			return casework.SubmitInput{ItemCode: itemSign, Form: map[string]string{"area": area, "location": "滨江路88号"},
				Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}, {Name: "营业执照", Consent: true}}}
		}
		app := must(t)(w.m.Submit(ctx, w.a("ent"), sign("6")))
		if app.Status != casework.StatusApproved || app.CertificateID == 0 || app.RuleVersion != 1 ||
			!strings.Contains(app.RuleInputs, `"form.area":6`) || app.DecidedByName != auth.SystemName {
			t.Fatalf("instant: %+v", app)
		}
		hist, _ := w.eng.History(ctx, app.InstanceID)
		var acts []string
		for _, h := range hist {
			acts = append(acts, h.Action+"/"+h.ActorName)
			if h.Action == "instant_approve" && (h.Inputs["rule_version"] != "1" || !strings.Contains(h.Inputs["rule_inputs"], "form.area")) {
				t.Errorf("history inputs: %v", h.Inputs)
			}
		}
		if strings.Join(acts, " ") != "start/云澜味道 李娜 accept/系统（自动） instant_approve/系统（自动）" {
			t.Errorf("history: %v", acts)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "casework.instant_approve"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), `"rule_version":1`) {
			t.Errorf("audit: %v", recs)
		}
		if c, err := w.certs.Get(ctx, app.CertificateID, w.a("ent")); err != nil || c.TypeCode != "CT-HWGG" {
			t.Errorf("certificate: %v %v", c, err)
		}
		// The rule cannot decide: a human does.
		app = must(t)(w.m.Submit(ctx, w.a("ent"), sign("60")))
		if app.Status != casework.StatusSubmitted || app.CertificateID != 0 || app.RuleVersion != 0 {
			t.Errorf("undecided rule: %+v", app)
		}
	})
}

func TestAgentApplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := casework.SubmitInput{ItemCode: itemCitizen, Form: map[string]string{"place": "江滨街道"},
			Applicant: &casework.ApplicantInput{Kind: casework.Person, Name: "张三", IDNumber: citizenID},
			Materials: []casework.MaterialInput{{Name: "申请表", File: upload("表.pdf")}}}
		bad := in
		bad.Applicant = &casework.ApplicantInput{Kind: casework.Person, Name: "张三", IDNumber: "990102199003071230"}
		if _, err := w.m.Submit(ctx, w.a("clerk"), bad); !strings.Contains(strings.Join(paths(err), " "), "applicant.id_number") {
			t.Errorf("bad identity number: %v", err)
		}
		app := must(t)(w.m.Submit(ctx, w.a("clerk"), in))
		if app.AgentUserID != w.users["clerk"] || app.AgentName != "窗口 陈静" || app.ApplicantUserID != w.users["cit1"] ||
			app.IntakeRegion != "990102" || app.ApplicantIDMasked == "" || app.ApplicantIDMasked == citizenID {
			t.Errorf("assisted: %+v", app)
		}
		if list, _, _ := w.m.List(ctx, w.a("cit1"), casework.Query{}); len(list) != 1 || list[0].AgentName == "" {
			t.Errorf("the applicant follows it: %d", len(list))
		}
		// A clerk of another district neither sees it nor takes it in.
		if _, err := w.m.Accept(ctx, w.a("clerk_qs"), app.ID, ""); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("other district's clerk: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "casework.submit"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), "窗口 陈静") {
			t.Errorf("audit of assisted submission: %v", recs)
		}
	})
}
