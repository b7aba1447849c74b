package admin_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/admin"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/audit/audittest"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

const password = "Qiu-shui-2468"

var (
	testCitizenID = "44030519900307123" + string(ids.CitizenIDCheck("44030519900307123"))
	testUSCC      = "91440300MA5FXXXX1" + string(ids.USCCCheck("91440300MA5FXXXX1"))
)

// fixture is Shenzhen (the root region) with the districts Futian and
// Nanshan, a department in each, and staff:
//
//	cityadmin   admin of Shenzhen
//	ftadmin     admin of Futian
//	fthandler   handler in the Futian department
//	supervisor  supervisor of Shenzhen
//	nsuser      a citizen of Nanshan, with a phone number
type fixture struct {
	t      *testing.T
	db     *store.DB
	org    *org.Service
	auth   *auth.Service
	cal    *calendar.Service
	bundle *i18n.Bundle
	h      http.Handler
	deptFT *org.Department
	deptNS *org.Department
	users  map[string]*org.User
	heads  *audit.HeadSigner
}

// now is in November 2026: next year's calendar is not entered yet.
var now = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	box, err := pii.New([]byte("test secret key, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, users: map[string]*org.User{}}
	f.org = org.NewService(db, box, clock)
	f.org.Password = auth.TestPasswordParams
	f.auth = auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	f.cal = calendar.NewService(db, clock, nil)
	if err := f.cal.Init(ctx); err != nil {
		t.Fatal(err)
	}
	log := audit.New(clock)
	engine := flow.New(db, func() flow.Calendar { return f.cal.Current() }, log, clock)

	for _, r := range []org.Region{
		{Code: "440300", Name: "深圳市", NameEN: "Shenzhen"},
		{Code: "440304", Name: "福田区", NameEN: "Futian", ParentCode: "440300"},
		{Code: "440305", Name: "南山区", NameEN: "Nanshan", ParentCode: "440300"},
	} {
		if _, err := f.org.CreateRegion(ctx, db, r); err != nil {
			t.Fatal(err)
		}
	}
	if f.deptFT, err = f.org.CreateDepartment(ctx, db, org.NewDepartment{Code: "FT-SCJG", Name: "福田区市场监督管理局", RegionCode: "440304"}); err != nil {
		t.Fatal(err)
	}
	if f.deptNS, err = f.org.CreateDepartment(ctx, db, org.NewDepartment{Code: "NS-SCJG", Name: "南山区市场监督管理局", RegionCode: "440305"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.NewUser{
		{Username: "cityadmin", DisplayName: "市管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "440300"},
		{Username: "ftadmin", DisplayName: "福田管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "440304"},
		{Username: "fthandler", DisplayName: "福田承办人", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "440304",
			DepartmentIDs: []int64{f.deptFT.ID}},
		{Username: "supervisor", DisplayName: "督办员", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "440300"},
		{Username: "nsuser", DisplayName: "南山市民", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "440305",
			Phone: "13912345678", CitizenID: testCitizenID},
	} {
		u.Password = password
		created, err := f.org.CreateUser(ctx, db, u)
		if err != nil {
			t.Fatalf("create %s: %v", u.Username, err)
		}
		f.users[u.Username] = created
	}

	_, key, _ := ed25519.GenerateKey(nil)
	f.heads = &audit.HeadSigner{DB: db, Key: key, File: filepath.Join(t.TempDir(), audit.HeadFileName), Now: clock}
	mod := admin.New(admin.Deps{DB: db, Org: f.org, Auth: f.auth, Policy: auth.NewPolicy(), Calendar: f.cal,
		Audit: log, Heads: f.heads, Flows: engine, Now: clock})
	f.bundle = i18n.New()
	srv, err := web.New(web.Config{Sessions: f.auth, DB: db, Bundle: f.bundle, Modules: []web.Module{mod}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f.h = srv.Handler()
	return f
}

func (f *fixture) signIn(username string) string {
	f.t.Helper()
	token, _, err := f.auth.SignIn(context.Background(), username, password, auth.ClientMeta{})
	if err != nil {
		f.t.Fatalf("sign in %s: %v", username, err)
	}
	return token
}

func (f *fixture) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// get fetches a page with a browser session.
func (f *fixture) get(token, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	return f.serve(req)
}

// follow fetches the page a form answer redirected to, with the cookies
// the answer set, as a browser does.
func (f *fixture) follow(token string, rec *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, rec.Header().Get("Location"), nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	return f.serve(req)
}

// post submits a form with a browser session.
func (f *fixture) post(token, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	return f.serve(req)
}

// api calls the JSON API with a bearer token.
func (f *fixture) api(token, method, path string, body any) *httptest.ResponseRecorder {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return f.serve(req)
}

// baseRE finds the version tag a preview's confirm button carries.
var baseRE = regexp.MustCompile(`name="base" value="([0-9a-f]{64})"`)

// preview posts a set's form and returns the preview's base hash.
func (f *fixture) preview(token, path string, form url.Values) string {
	f.t.Helper()
	rec := f.post(token, path, form)
	expect(f.t, rec, http.StatusOK)
	m := baseRE.FindStringSubmatch(rec.Body.String())
	if m == nil {
		f.t.Fatalf("the preview of %s has no confirm button:\n%.2000s", path, rec.Body.String())
	}
	return m[1]
}

// confirm previews form, then confirms it as the administrator would.
func (f *fixture) confirm(token, path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	base := f.preview(token, path, form)
	c := url.Values{"base": {base}, "step": {"confirm"}}
	for k, v := range form {
		c[k] = v
	}
	return f.post(token, path, c)
}

func (f *fixture) auditEntries(action string) []audit.Record {
	f.t.Helper()
	recs, _, err := audit.List(context.Background(), f.db, audit.Filter{Action: action, Limit: audit.MaxLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func expect(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body:\n%.2000s", rec.Code, status, rec.Body.String())
	}
}

func decode(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body.String(), err)
	}
}

func TestAdminCreatesDepartmentAndUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tok := f.signIn("ftadmin")

		rec := f.post(tok, "/admin/departments", url.Values{"code": {"FT-ZWFW"}, "name": {"福田区政务服务中心"}, "region_code": {"440304"}})
		expect(t, rec, http.StatusSeeOther)
		ds, _, err := f.org.ListDepartments(ctx, org.DepartmentFilter{Q: "FT-ZWFW"})
		if err != nil || len(ds) != 1 {
			t.Fatalf("department not stored: %v %v", ds, err)
		}
		dept := ds[0]
		if got := f.auditEntries("department.create"); len(got) != 1 || got[0].ObjectID != strconv.FormatInt(dept.ID, 10) || got[0].RegionCode != "440304" {
			t.Fatalf("department audit entries = %+v", got)
		}
		// The flash message shows once on the page redirected to.
		page := f.follow(tok, rec)
		expect(t, page, http.StatusOK)
		if !strings.Contains(page.Body.String(), "部门已创建") {
			t.Error("no flash message after creating a department")
		}
		if again := f.get(tok, rec.Header().Get("Location")); strings.Contains(again.Body.String(), "部门已创建") {
			t.Error("the flash message shows without its cookie")
		}

		rec = f.post(tok, "/admin/users", url.Values{
			"username": {"zhangsan"}, "password": {"A-long-passw0rd"}, "display_name": {"张三"},
			"roles": {"department_handler"}, "region_code": {"440304"},
			"department_ids": {strconv.FormatInt(dept.ID, 10)}, "phone": {"13800138000"},
		})
		expect(t, rec, http.StatusSeeOther)
		u, err := f.org.GetUserByUsername(ctx, "zhangsan")
		if err != nil {
			t.Fatalf("user not stored: %v", err)
		}
		if !u.Has(auth.RoleHandler) || len(u.DepartmentIDs) != 1 || u.DepartmentIDs[0] != dept.ID {
			t.Errorf("stored user = %+v", u)
		}
		if _, a, err := f.auth.SignIn(ctx, "zhangsan", "A-long-passw0rd", auth.ClientMeta{}); err != nil || !a.MustChangePassword {
			t.Errorf("new user's first sign-in = %+v, %v; want a forced password change", a, err)
		}
		entries := f.auditEntries("user.create")
		if len(entries) != 1 || entries[0].ObjectID != strconv.FormatInt(u.ID, 10) {
			t.Fatalf("user audit entries = %+v", entries)
		}
		if strings.Contains(string(entries[0].Detail), "13800138000") || strings.Contains(string(entries[0].Detail), "password") {
			t.Errorf("audit detail leaks personal data: %s", entries[0].Detail)
		}

		// The same through the API.
		rec = f.api(tok, http.MethodPost, "/api/v1/admin/departments", map[string]any{"code": "FT-FGW", "name": "福田区发展和改革局", "region_code": "440304"})
		expect(t, rec, http.StatusCreated)
		var d admin.AdminDepartment
		decode(t, rec, &d)
		rec = f.api(tok, http.MethodPatch, "/api/v1/admin/departments/"+strconv.FormatInt(d.ID, 10), map[string]any{"active": false})
		expect(t, rec, http.StatusOK)
		decode(t, rec, &d)
		if d.Active {
			t.Error("department still active after PATCH active=false")
		}
		rec = f.api(tok, http.MethodPost, "/api/v1/admin/users", map[string]any{
			"username": "lisi", "password": "A-long-passw0rd", "display_name": "李四",
			"roles": []string{"enterprise"}, "region_code": "440304", "uscc": testUSCC})
		expect(t, rec, http.StatusCreated)
		if n := len(f.auditEntries("department.*")); n != 3 {
			t.Errorf("%d department entries, want 3 (two creates, one update)", n)
		}
		if n := len(f.auditEntries("user.create")); n != 2 {
			t.Errorf("%d user.create entries, want 2", n)
		}
	})
}

func TestInvalidUserRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("ftadmin")
		before := len(f.auditEntries(""))

		rec := f.post(tok, "/admin/users", url.Values{
			"username": {"wangwu"}, "password": {"short"}, "display_name": {""},
			"roles": {"department_handler"}, "region_code": {"440304"}, "phone": {"12345"},
		})
		expect(t, rec, http.StatusUnprocessableEntity)
		body := rec.Body.String()
		for _, id := range []string{`id="password-error"`, `id="display_name-error"`, `id="department_ids-error"`, `id="phone-error"`} {
			if !strings.Contains(body, id) {
				t.Errorf("page lacks the field error %s", id)
			}
		}
		if !strings.Contains(body, `value="wangwu"`) {
			t.Error("the typed username is not kept in the form")
		}
		if _, err := f.org.GetUserByUsername(context.Background(), "wangwu"); err == nil {
			t.Error("invalid user was stored")
		}

		rec = f.api(tok, http.MethodPost, "/api/v1/admin/users", map[string]any{
			"username": "wangwu", "password": "A-long-passw0rd", "display_name": "王五",
			"roles": []string{"citizen"}, "region_code": "440304", "citizen_id": "440305199003071230"})
		expect(t, rec, http.StatusUnprocessableEntity)
		var prob struct {
			Errors []struct{ Location string }
		}
		decode(t, rec, &prob)
		if len(prob.Errors) != 1 || prob.Errors[0].Location != "body.citizen_id" {
			t.Errorf("problem errors = %+v, want body.citizen_id", prob.Errors)
		}
		if _, err := f.org.GetUserByUsername(context.Background(), "wangwu"); err == nil {
			t.Error("invalid user was stored through the API")
		}
		if after := len(f.auditEntries("")); after != before {
			t.Errorf("audit entries %d → %d for refused input", before, after)
		}
	})
}

func TestRegionScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tok := f.signIn("ftadmin")
		target := f.users["nsuser"] // Nanshan: not ftadmin's district
		path := "/admin/users/" + strconv.FormatInt(target.ID, 10)

		expect(t, f.get(tok, path), http.StatusForbidden)
		expect(t, f.post(tok, path, url.Values{"display_name": {"改名"}, "roles": {"citizen"}, "region_code": {"440305"}}), http.StatusForbidden)
		expect(t, f.post(tok, path+"/disable", nil), http.StatusForbidden)
		expect(t, f.post(tok, path+"/reveal", nil), http.StatusForbidden)
		expect(t, f.api(tok, http.MethodPatch, "/api/v1/admin/users/"+strconv.FormatInt(target.ID, 10), map[string]any{"display_name": "改名"}), http.StatusForbidden)
		// Nor may a user of Futian be moved to Nanshan, or a department
		// be created there.
		ftUser := f.users["fthandler"]
		expect(t, f.api(tok, http.MethodPatch, "/api/v1/admin/users/"+strconv.FormatInt(ftUser.ID, 10),
			map[string]any{"region_code": "440305", "department_ids": []int64{f.deptNS.ID}}), http.StatusForbidden)
		expect(t, f.post(tok, "/admin/departments", url.Values{"code": {"NS-X"}, "name": {"南山某局"}, "region_code": {"440305"}}), http.StatusForbidden)
		expect(t, f.get(tok, "/admin/departments/"+strconv.FormatInt(f.deptNS.ID, 10)), http.StatusForbidden)

		got, err := f.org.GetUser(ctx, target.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != target.DisplayName || got.Status != org.StatusActive {
			t.Errorf("out-of-scope user changed: %+v", got)
		}
		if got, _ := f.org.GetUser(ctx, ftUser.ID); got.RegionCode != "440304" {
			t.Errorf("user moved out of the admin's region: %+v", got)
		}
		if n := len(f.auditEntries("")); n != 0 {
			t.Errorf("%d audit entries after refused changes", n)
		}
		// The city administrator reaches both districts.
		city := f.signIn("cityadmin")
		expect(t, f.post(city, path, url.Values{"display_name": {"南山市民甲"}, "roles": {"citizen"}, "region_code": {"440305"}}), http.StatusSeeOther)
		if got, _ := f.org.GetUser(ctx, target.ID); got.DisplayName != "南山市民甲" {
			t.Errorf("city admin's change not stored: %+v", got)
		}
		// The district admin's list shows only Futian.
		rec := f.api(tok, http.MethodGet, "/api/v1/admin/users", nil)
		expect(t, rec, http.StatusOK)
		var list struct {
			Items []admin.AdminUser
			Total int
		}
		decode(t, rec, &list)
		for _, u := range list.Items {
			if !ids.RegionContains("440304", u.RegionCode) {
				t.Errorf("district admin lists user %s of %s", u.Username, u.RegionCode)
			}
		}
	})
}

func TestNonAdminsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("fthandler")
		for _, p := range []string{"/admin", "/admin/users", "/admin/departments", "/admin/calendar", "/admin/audit", "/admin/flows"} {
			if rec := f.get(tok, p); rec.Code != http.StatusForbidden {
				t.Errorf("GET %s as handler: %d, want 403", p, rec.Code)
			}
		}
		expect(t, f.post(tok, "/admin/departments", url.Values{"code": {"X"}, "name": {"X"}, "region_code": {"440304"}}), http.StatusForbidden)
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/admin/users"},
			{http.MethodGet, "/api/v1/admin/departments"},
			{http.MethodGet, "/api/v1/admin/regions"},
			{http.MethodGet, "/api/v1/audit"},
			{http.MethodPost, "/api/v1/audit/verify"},
		} {
			if rec := f.api(tok, c.method, c.path, nil); rec.Code != http.StatusForbidden {
				t.Errorf("%s %s as handler: %d, want 403", c.method, c.path, rec.Code)
			}
		}
		expect(t, f.api(tok, http.MethodPost, "/api/v1/admin/departments", map[string]any{"code": "X", "name": "X", "region_code": "440304"}), http.StatusForbidden)
		if n, _, _ := f.org.ListDepartments(context.Background(), org.DepartmentFilter{Q: "X"}); len(n) != 0 {
			t.Error("a handler created a department")
		}
		// Anonymous visitors are sent to sign in.
		rec := f.get("", "/admin")
		expect(t, rec, http.StatusSeeOther)
		if !strings.HasPrefix(rec.Header().Get("Location"), "/signin") {
			t.Errorf("anonymous /admin redirects to %q", rec.Header().Get("Location"))
		}
		// Supervisors read the audit log, and only that.
		sup := f.signIn("supervisor")
		expect(t, f.get(sup, "/admin/audit"), http.StatusOK)
		expect(t, f.get(sup, "/admin/users"), http.StatusForbidden)
		// The due calculator is for every signed-in user.
		expect(t, f.api(tok, http.MethodGet, "/api/v1/calendar/due?from=2026-09-30&days=5", nil), http.StatusOK)
	})
}

func TestCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tok := f.signIn("cityadmin")

		dash := f.get(tok, "/admin")
		expect(t, dash, http.StatusOK)
		if !strings.Contains(dash.Body.String(), `class="admin-warning"`) || !strings.Contains(dash.Body.String(), "2027") {
			t.Fatal("dashboard shows no warning for the missing 2027 calendar")
		}

		// 2027-01-06 is a Wednesday: not a possible make-up workday.
		bad := "2027-01-01 holiday 元旦\n2027-01-06 workday 调休\n"
		rec := f.post(tok, "/admin/calendar/2027", url.Values{"note": {"测试"}, "days": {bad}})
		expect(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), "2027-01-06") || !strings.Contains(rec.Body.String(), `id="days-error"`) {
			t.Error("the refusal does not name 2027-01-06 beside the field")
		}
		rec = f.api(tok, http.MethodPut, "/api/v1/calendar/years/2027", map[string]any{"days": []map[string]string{
			{"date": "2027-01-06", "kind": "workday", "name": "调休"}}})
		expect(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), "2027-01-06") {
			t.Errorf("API refusal does not name the date: %s", rec.Body.String())
		}
		if _, err := f.cal.Store.GetYear(ctx, db, 2027); err == nil {
			t.Fatal("an invalid year was stored")
		}
		if n := len(f.auditEntries("calendar.*")); n != 0 {
			t.Fatalf("%d calendar audit entries after refusals", n)
		}

		// A district administrator may not change the platform calendar.
		ft := f.signIn("ftadmin")
		expect(t, f.post(ft, "/admin/calendar/2027", url.Values{"days": {"2027-01-01 holiday 元旦"}}), http.StatusForbidden)

		due := func() string {
			rec := f.api(ft, http.MethodGet, "/api/v1/calendar/due?from=2026-12-31&days=1", nil)
			expect(t, rec, http.StatusOK)
			var out struct {
				Due        string
				Incomplete bool
			}
			decode(t, rec, &out)
			return out.Due
		}
		if got := due(); got != "2027-01-01" {
			t.Fatalf("due before 2027 is entered = %s, want 2027-01-01 (Monday to Friday)", got)
		}

		good := "2027-01-01 holiday 元旦\n2027-02-05..2027-02-11 holiday 春节\n2027-02-06 workday 春节调休\n"
		// 2027-02-06 is listed twice (in the range and as a workday).
		rec = f.post(tok, "/admin/calendar/2027", url.Values{"days": {good}})
		expect(t, rec, http.StatusUnprocessableEntity)
		good = "2027-01-01 holiday 元旦\n2027-02-08..2027-02-12 holiday 春节\n2027-02-06 workday 春节调休\n"
		rec = f.confirm(tok, "/admin/calendar/2027", url.Values{"note": {"国务院办公厅通知"}, "days": {good}})
		expect(t, rec, http.StatusSeeOther)
		y, err := f.cal.Store.GetYear(ctx, db, 2027)
		if err != nil || len(y.Days) != 7 {
			t.Fatalf("stored 2027 = %+v, %v", y, err)
		}
		entries := f.auditEntries("calendar.set_year")
		if len(entries) != 1 || entries[0].ObjectID != "2027" {
			t.Fatalf("calendar audit entries = %+v", entries)
		}
		if _, missing := f.cal.NextYearMissing(); missing {
			t.Error("2027 still missing after save: Reload not called")
		}
		if got := due(); got != "2027-01-04" {
			t.Errorf("due after 2027 is entered = %s, want 2027-01-04 (1 January is a holiday)", got)
		}
		// The make-up Saturday counts: Friday 5 February + 1 working day.
		page := f.get(tok, "/admin/calendar?from=2027-02-05&days=1")
		expect(t, page, http.StatusOK)
		if !strings.Contains(page.Body.String(), "2027-02-06") {
			t.Error("the calculator page does not count the make-up Saturday 2027-02-06")
		}
		year := f.get(tok, "/admin/calendar/2027")
		expect(t, year, http.StatusOK)
		if !strings.Contains(year.Body.String(), `class="cal-workday" title="春节调休"`) {
			t.Error("the year page does not mark the make-up workday")
		}
		if strings.Contains(f.get(tok, "/admin").Body.String(), `class="admin-warning"`) {
			t.Error("warning still shown after 2027 was entered")
		}
		rec = f.api(ft, http.MethodGet, "/api/v1/calendar/years", nil)
		expect(t, rec, http.StatusOK)
		var years struct {
			Items           []admin.CalendarYear
			NextYearMissing bool `json:"next_year_missing"`
		}
		decode(t, rec, &years)
		if len(years.Items) != 3 || years.NextYearMissing {
			t.Errorf("years = %+v", years)
		}
		expect(t, f.get(tok, "/admin/calendar?from=2027-13-01&days=x"), http.StatusUnprocessableEntity)
	})
}

// The console's verify checks the record against the signed tree heads:
// once a head covers the newest entry, deleting it and moving the chain's
// head back is reported, naming the entry.
func TestAuditVerifyAgainstSignedHeads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		for _, code := range []string{"FT-A", "FT-B"} {
			expect(t, f.post(tok, "/admin/departments", url.Values{"code": {code}, "name": {"部门" + code}, "region_code": {"440304"}}), http.StatusSeeOther)
		}
		h, _, err := f.heads.Sign(ctx)
		if err != nil || h == nil {
			t.Fatalf("Sign: %v %v", h, err)
		}
		audittest.DropGuards(t, db)
		var prev string
		if err := db.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = ?", h.TreeSize-1).Scan(&prev); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"DELETE FROM audit_log WHERE seq = ?", "UPDATE audit_head SET seq = ? - 1, hash = '" + prev + "'"} {
			if _, err := db.ExecContext(ctx, q, h.TreeSize); err != nil {
				t.Fatal(err)
			}
		}
		rec := f.post(tok, "/admin/audit/verify", nil)
		expect(t, rec, http.StatusOK)
		if body := rec.Body.String(); !strings.Contains(body, `class="verify-bad"`) || !strings.Contains(body, fmt.Sprintf("第 %d 条", h.TreeSize)) {
			t.Errorf("verify after a cut does not name entry %d:\n%s", h.TreeSize, body)
		}
	})
}

func TestAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// An administrator whose name a spreadsheet would read as a formula.
		if _, err := f.org.CreateUser(context.Background(), db, org.NewUser{Username: "formula", DisplayName: "=1+1",
			Password: password, Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "440300"}); err != nil {
			t.Fatal(err)
		}
		tok := f.signIn("formula")
		for _, code := range []string{"FT-A", "FT-B"} {
			expect(t, f.post(tok, "/admin/departments", url.Values{"code": {code}, "name": {"部门" + code}, "region_code": {"440304"}}), http.StatusSeeOther)
		}
		expect(t, f.post(tok, "/admin/departments", url.Values{"code": {"NS-A"}, "name": {"南山部门"}, "region_code": {"440305"}}), http.StatusSeeOther)

		rec := f.post(tok, "/admin/audit/verify", nil)
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), `class="verify-ok"`) {
			t.Error("verify does not report an intact chain")
		}
		rec = f.api(tok, http.MethodPost, "/api/v1/audit/verify", nil)
		expect(t, rec, http.StatusOK)
		var v struct {
			Intact  bool
			Checked int64
		}
		decode(t, rec, &v)
		if !v.Intact || v.Checked != 3 {
			t.Errorf("verify = %+v, want intact with 3 entries", v)
		}

		rec = f.get(tok, "/admin/audit/export.csv?action=department")
		expect(t, rec, http.StatusOK)
		body := rec.Body.String()
		if !strings.HasPrefix(body, "\uFEFF") {
			t.Fatal("CSV has no byte order mark")
		}
		lines := strings.Split(strings.TrimSpace(body), "\r\n")
		if len(lines) != 4 {
			t.Fatalf("CSV has %d lines, want header and 3 rows:\n%s", len(lines), body)
		}
		if !strings.Contains(lines[0], "序号") || !strings.Contains(lines[1], "department.create") || !strings.Contains(body, "南山部门") {
			t.Errorf("CSV content:\n%s", body)
		}
		if strings.Contains(body, ",=1+1,") || !strings.Contains(body, ",'=1+1,") {
			t.Error("a cell starting with = is not defused")
		}

		// A district administrator sees only their district.
		ft := f.signIn("ftadmin")
		rec = f.api(ft, http.MethodGet, "/api/v1/audit?page_size=1", nil)
		expect(t, rec, http.StatusOK)
		var list struct {
			Items    []admin.AuditEntry
			Total    int
			PageSize int `json:"page_size"`
		}
		decode(t, rec, &list)
		if list.Total != 2 || len(list.Items) != 1 || list.Items[0].RegionCode != "440304" {
			t.Errorf("district audit list = %+v", list)
		}
		rec = f.get(ft, "/admin/audit/export.csv")
		if strings.Contains(rec.Body.String(), "南山部门") {
			t.Error("district export holds another district's entries")
		}
		expect(t, f.get(tok, "/admin/audit?from=notadate"), http.StatusUnprocessableEntity)
		expect(t, f.get(tok, "/admin/audit?actor=cityadmin&action=department.create"), http.StatusOK)
	})
}

func TestUserListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for i := range 25 {
			_, err := f.org.CreateUser(ctx, db, org.NewUser{Username: "clerk" + strconv.Itoa(100+i), DisplayName: "窗口" + strconv.Itoa(i),
				Password: password, Roles: []auth.Role{auth.RoleClerk}, RegionCode: "440304", DepartmentIDs: []int64{f.deptFT.ID},
				Phone: "1380013" + strconv.Itoa(8000+i)})
			if err != nil {
				t.Fatal(err)
			}
		}
		tok := f.signIn("ftadmin")

		// Role filter and pages of 20: clerk100–119, then clerk120–124.
		rec := f.get(tok, "/admin/users?role=window_clerk&page=2")
		expect(t, rec, http.StatusOK)
		body := rec.Body.String()
		if !strings.Contains(body, "clerk124") || strings.Contains(body, "clerk119") || strings.Contains(body, "fthandler") {
			t.Error("page 2 of clerks holds the wrong rows")
		}
		if !strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
			t.Error("page 2 of 2 has the wrong pager links")
		}
		// No phone number appears unmasked in the list.
		for i := range 25 {
			if strings.Contains(body, "1380013"+strconv.Itoa(8000+i)) {
				t.Fatal("the list shows a phone number unmasked")
			}
		}
		if !strings.Contains(body, "138****8024") {
			t.Error("the list does not show the masked phone number")
		}

		rec = f.get(tok, "/admin/users?q=clerk107")
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "clerk107") || strings.Contains(rec.Body.String(), "clerk108") {
			t.Error("search by username returns the wrong rows")
		}
		// An exact phone number finds its owner through the blind index.
		rec = f.api(tok, http.MethodGet, "/api/v1/admin/users?q=13800138013", nil)
		expect(t, rec, http.StatusOK)
		var list struct {
			Items    []admin.AdminUser
			Total    int
			Page     int
			PageSize int `json:"page_size"`
		}
		decode(t, rec, &list)
		if list.Total != 1 || list.Items[0].Username != "clerk113" || list.Items[0].PhoneMasked != "138****8013" {
			t.Errorf("phone search = %+v", list)
		}
		rec = f.api(tok, http.MethodGet, "/api/v1/admin/users?role=window_clerk&page=3&page_size=10", nil)
		expect(t, rec, http.StatusOK)
		decode(t, rec, &list)
		if list.Total != 25 || len(list.Items) != 5 || list.Page != 3 || list.PageSize != 10 || list.Items[0].Username != "clerk120" {
			t.Errorf("API page 3 = total %d, %d items, page %d size %d", list.Total, len(list.Items), list.Page, list.PageSize)
		}
		rec = f.get(tok, "/admin/departments?q=scjg&region=440304")
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "福田区市场监督管理局") || strings.Contains(rec.Body.String(), "南山区市场监督管理局") {
			t.Error("department search returns the wrong rows")
		}
		rec = f.get(tok, "/admin/regions")
		expect(t, rec, http.StatusOK)
		if strings.Contains(rec.Body.String(), "南山区") {
			t.Error("district admin's region list shows another district")
		}
	})
}

func TestRevealAndAccountActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		tok := f.signIn("cityadmin")
		target := f.users["nsuser"]
		path := "/admin/users/" + strconv.FormatInt(target.ID, 10)

		page := f.get(tok, path)
		expect(t, page, http.StatusOK)
		if strings.Contains(page.Body.String(), "13912345678") || strings.Contains(page.Body.String(), testCitizenID) {
			t.Fatal("the user page shows a number unmasked before reveal")
		}
		// Without a purpose nothing is shown and nothing recorded.
		refused := f.post(tok, path+"/reveal", nil)
		expect(t, refused, http.StatusUnprocessableEntity)
		if strings.Contains(refused.Body.String(), "13912345678") || len(f.auditEntries("user.reveal_pii")) != 0 {
			t.Error("a reveal without a purpose showed or recorded the numbers")
		}
		rec := f.post(tok, path+"/reveal", url.Values{"purpose": {"核实来电人身份"}})
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "13912345678") || !strings.Contains(rec.Body.String(), testCitizenID) {
			t.Error("reveal does not show the full numbers")
		}
		if got := f.auditEntries("user.reveal_pii"); len(got) != 1 || got[0].ObjectID != strconv.FormatInt(target.ID, 10) ||
			!strings.Contains(string(got[0].Detail), "核实来电人身份") {
			t.Errorf("reveal audit entries = %+v", got)
		}
		// The audit log shows the purpose.
		if log := f.get(tok, "/admin/audit?action=user.reveal_pii"); !strings.Contains(log.Body.String(), "核实来电人身份") {
			t.Error("the audit log does not show the purpose of the reveal")
		}

		expect(t, f.post(tok, path+"/password", url.Values{"password": {"short"}}), http.StatusUnprocessableEntity)
		weak := f.post(tok, path+"/password", url.Values{"password": {"Admin@123"}})
		expect(t, weak, http.StatusUnprocessableEntity)
		if !strings.Contains(weak.Body.String(), "常见") {
			t.Error("a common password is refused without saying why")
		}
		// The reset lifts a lock the user's address earned and makes the
		// user change the password at sign-in.
		lockedOut := auth.ClientMeta{IP: "203.0.113.9"}
		for range 5 {
			f.auth.SignIn(ctx, "nsuser", "wrong", lockedOut)
		}
		expect(t, f.post(tok, path+"/password", url.Values{"password": {"New-passw0rd-1"}}), http.StatusSeeOther)
		_, a, err := f.auth.SignIn(ctx, "nsuser", "New-passw0rd-1", lockedOut)
		if err != nil {
			t.Fatalf("sign in with the reset password from the locked address: %v", err)
		}
		if !a.MustChangePassword {
			t.Error("a password the administrator set need not be changed")
		}
		expect(t, f.post(tok, path+"/disable", nil), http.StatusSeeOther)
		if _, _, err := f.auth.SignIn(ctx, "nsuser", "New-passw0rd-1", auth.ClientMeta{}); err == nil {
			t.Error("a disabled user signed in")
		}
		expect(t, f.post(tok, path+"/enable", nil), http.StatusSeeOther)
		self := "/admin/users/" + strconv.FormatInt(f.users["cityadmin"].ID, 10)
		expect(t, f.post(tok, self+"/disable", nil), http.StatusConflict)
		for _, action := range []string{"user.reset_password", "user.disable", "user.enable"} {
			if n := len(f.auditEntries(action)); n != 1 {
				t.Errorf("%d %s entries, want 1", n, action)
			}
		}
		// Phone search through the edit form keeps the number when the
		// field is left empty.
		expect(t, f.post(tok, path, url.Values{"display_name": {"南山市民"}, "roles": {"citizen"}, "region_code": {"440305"}}), http.StatusSeeOther)
		if us, _ := f.org.FindByPhone(ctx, "13912345678"); len(us) != 1 {
			t.Error("editing without a new phone number lost the stored one")
		}
	})
}

const testDefinition = `{
  "key": "test.simple", "name": "简单流程", "name_en": "Simple",
  "states": [
    {"key": "new", "name": "待受理", "kind": "start", "limit": {"n": 2, "unit": "workdays"}},
    {"key": "done", "name": "已办结", "kind": "end"}
  ],
  "actions": [
    {"key": "finish", "name": "办结", "from": ["new"], "to": "done", "roles": ["department_handler"]}
  ],
  "escalation": [{"level": "remind", "share": 0.5, "on": "state"}]
}`

func TestWorkflowDefinitions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")

		rec := f.post(tok, "/admin/flows", url.Values{"body": {`{"key": "bad", "name": "坏", "states": [], "actions": []}`}})
		expect(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), `id="body-problems"`) {
			t.Error("the refused definition's problems are not listed")
		}

		// Upload as a file, as a browser sends it.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "simple.json")
		fw.Write([]byte(testDefinition))
		mw.WriteField("body", "")
		mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/admin/flows", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
		rec = f.serve(req)
		// The upload is previewed; the confirm carries the definition.
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "state new") || !strings.Contains(rec.Body.String(), "action finish") {
			t.Errorf("the preview does not list the new states:\n%.3000s", rec.Body.String())
		}
		base := baseRE.FindStringSubmatch(rec.Body.String())[1]
		rec = f.post(tok, "/admin/flows", url.Values{"body": {testDefinition}, "base": {base}, "step": {"confirm"}})
		expect(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/admin/flows/test.simple?version=1" {
			t.Fatalf("redirect to %q", loc)
		}
		page := f.get(tok, "/admin/flows/test.simple")
		expect(t, page, http.StatusOK)
		body := page.Body.String()
		for _, want := range []string{"<svg", "待受理", "提醒单", "50%", "&#34;key&#34;: &#34;test.simple&#34;"} {
			if !strings.Contains(body, want) {
				t.Errorf("definition page lacks %q", want)
			}
		}
		list := f.get(tok, "/admin/flows?q=simple")
		expect(t, list, http.StatusOK)
		if !strings.Contains(list.Body.String(), "简单流程") {
			t.Error("the definition is not listed")
		}
		if n := len(f.auditEntries("flow.*")); n != 1 {
			t.Errorf("%d flow audit entries, want 1", n)
		}
		// District administrators may not load platform definitions.
		ft := f.signIn("ftadmin")
		expect(t, f.post(ft, "/admin/flows", url.Values{"body": {testDefinition}}), http.StatusForbidden)
	})
}

func TestPagesRenderAndCatalogsComplete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		for _, p := range []string{"/admin", "/admin/regions", "/admin/departments", "/admin/departments/new",
			"/admin/departments/" + strconv.FormatInt(f.deptFT.ID, 10), "/admin/users", "/admin/users/new",
			"/admin/users/" + strconv.FormatInt(f.users["nsuser"].ID, 10), "/admin/calendar", "/admin/calendar/2026",
			"/admin/calendar/2030", "/admin/flows", "/admin/audit", "/admin/assets/admin.css", "/admin/users?lang=en"} {
			expect(t, f.get(tok, p), http.StatusOK)
		}
		expect(t, f.post(tok, "/admin/regions", url.Values{"code": {"44030X"}, "name": {""}}), http.StatusUnprocessableEntity)
		expect(t, f.post(tok, "/admin/regions", url.Values{"code": {"440306"}, "name": {"宝安区"}, "parent_code": {"440300"}}), http.StatusSeeOther)
		expect(t, f.post(tok, "/admin/regions", url.Values{"code": {"110101"}, "name": {"东城区"}}), http.StatusForbidden)
		expect(t, f.get(tok, "/admin/users/999999"), http.StatusNotFound)
		doc := f.get("", "/api/v1/openapi.json")
		expect(t, doc, http.StatusOK)
		for _, p := range []string{"/api/v1/admin/users/{id}", "/api/v1/calendar/due", "/api/v1/audit/verify"} {
			if !strings.Contains(doc.Body.String(), p) {
				t.Errorf("OpenAPI document lacks %s", p)
			}
		}
		if err := f.bundle.Check(); err != nil {
			t.Error(err)
		}
		if missed := f.bundle.Missed(); len(missed) > 0 {
			t.Errorf("messages missing: %v", missed)
		}
	})
}

// An administrator issues an API token for a user; the token, shown once,
// authenticates API calls until it is revoked; both acts are audited; a
// district administrator cannot issue one for a user of another district.
func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin := f.signIn("cityadmin")
		target := "/admin/users/" + strconv.FormatInt(f.users["fthandler"].ID, 10)

		rec := f.post(admin, target+"/tokens", url.Values{"name": {""}, "days": {"99999"}})
		expect(t, rec, http.StatusUnprocessableEntity)
		if ts, _ := f.auth.ListAPITokens(context.Background(), f.users["fthandler"].ID); len(ts) != 0 {
			t.Fatalf("invalid form stored %d tokens", len(ts))
		}

		rec = f.post(admin, target+"/tokens", url.Values{"name": {"110 联动接口"}, "days": {"30"}})
		expect(t, rec, http.StatusOK)
		i := strings.Index(rec.Body.String(), auth.APITokenPrefix)
		if i < 0 {
			t.Fatal("new token not shown")
		}
		token := rec.Body.String()[i:]
		token = token[:strings.IndexAny(token, "<\"")]
		expect(t, f.api(token, http.MethodGet, "/api/v1/me", nil), http.StatusOK)
		if got := f.get(admin, target); strings.Contains(got.Body.String(), token) {
			t.Error("token shown again on a later visit")
		}

		// A district administrator may not issue tokens outside the district.
		ns := "/admin/users/" + strconv.FormatInt(f.users["nsuser"].ID, 10)
		expect(t, f.post(f.signIn("ftadmin"), ns+"/tokens", url.Values{"name": {"x"}, "days": {"1"}}), http.StatusForbidden)

		ts, _ := f.auth.ListAPITokens(context.Background(), f.users["fthandler"].ID)
		if len(ts) != 1 {
			t.Fatalf("%d tokens", len(ts))
		}
		rec = f.post(admin, target+"/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", nil)
		expect(t, rec, http.StatusSeeOther)
		expect(t, f.api(token, http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized)
		if len(f.auditEntries("user.api_token_create")) != 1 || len(f.auditEntries("user.api_token_revoke")) != 1 {
			t.Error("token creation and revocation not audited")
		}
	})
}
