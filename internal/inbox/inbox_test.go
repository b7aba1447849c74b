package inbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/inbox"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

const def = `{
  "key": "t.general", "name": "测试事项", "name_en": "Test item",
  "states": [
    {"key": "review", "name": "审查中", "kind": "start", "limit": {"n": 5, "unit": "workdays"}},
    {"key": "done", "name": "已办结", "kind": "end"}
  ],
  "actions": [
    {"key": "finish", "name": "办结", "from": ["review"], "to": "done", "roles": ["department_handler"],
     "inputs": [{"key": "result", "name": "结果", "type": "choice", "options": ["准予", "不予"], "required": true}]}
  ],
  "extension": {"request_roles": ["department_handler"], "grant_roles": ["supervisor"], "max_days": 5}
}`

// world is a server with two departments of one district, a handler in
// each, two citizens and a supervisor, and one case per department.
type world struct {
	srv          *httptest.Server
	mod          *inbox.Module
	db           *store.DB
	eng          *flow.Engine
	caseA, caseB int64
	deptA, deptB int64
	now          time.Time
}

func setup(t *testing.T, db *store.DB) *world {
	ctx := context.Background()
	now := time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC) // Wednesday 10:00 CST
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	cal := calendar.New(calendar.Official())
	log := audit.New(clock)
	eng := flow.New(db, func() flow.Calendar { return cal }, log, clock)
	w := &world{db: db, eng: eng, now: now}
	if _, _, err := eng.LoadDefinition(ctx, []byte(def), auth.System()); err != nil {
		t.Fatal(err)
	}
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}, {Code: "990103", Name: "青山区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		a, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "A", Name: "市场监管局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		b, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: "B", Name: "城管局", RegionCode: "990102"})
		if err != nil {
			return err
		}
		w.deptA, w.deptB = a.ID, b.ID
		users := []org.NewUser{
			{Username: "han", DisplayName: "承办甲", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{a.ID}},
			{Username: "hbn", DisplayName: "承办乙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{b.ID}},
			{Username: "cit1", DisplayName: "市民一", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "cit2", DisplayName: "市民二", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
			{Username: "sup", DisplayName: "督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"},
		}
		ids := map[string]int64{}
		for _, u := range users {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return err
			}
			ids[u.Username] = created.ID
		}
		start := func(dept, owner int64, ref, title string) (int64, error) {
			in, err := eng.Start(ctx, tx, flow.StartInput{DefinitionKey: "t.general", SubjectType: "test", SubjectID: dept,
				Reference: ref, Title: title, RegionCode: "990102", DepartmentIDs: []int64{dept}, OwnerUserID: owner, Actor: auth.System()})
			if err != nil {
				return 0, err
			}
			return in.ID, nil
		}
		if w.caseA, err = start(a.ID, ids["cit1"], "YL-A_1", "个体工商户设立登记"); err != nil {
			return err
		}
		w.caseB, err = start(b.ID, ids["cit2"], "YL-B%2", "户外广告设置")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := auth.NewPolicy()
	m := inbox.New(inbox.Deps{DB: db, Flow: eng, Org: orgs, Policy: policy, Audit: log, Now: clock})
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{m}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.mod = m
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// client signs in as username and returns a client carrying the cookie.
func (w *world) client(t *testing.T, username string) *http.Client {
	t.Helper()
	jar := &cookieJar{}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := w.post(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	return c
}

func (w *world) post(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (w *world) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(w.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

func TestInboxScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ha := w.client(t, "han")
		code, body := w.get(t, ha, "/work")
		if code != 200 || !strings.Contains(body, "YL-A_1") || strings.Contains(body, "YL-B%2") {
			t.Fatalf("handler A inbox: %d, sees A: %v, sees B: %v", code, strings.Contains(body, "YL-A_1"), strings.Contains(body, "YL-B%2"))
		}
		if !strings.Contains(body, "due-ok") {
			t.Error("time left not coloured")
		}
		// Handler A cannot open, nor act on, department B's case: not found.
		if code, _ := w.get(t, ha, "/cases/"+strconv.FormatInt(w.caseB, 10)); code != http.StatusNotFound {
			t.Errorf("handler A opens B's case: %d, want 404", code)
		}
		resp := w.post(t, ha, "/cases/"+strconv.FormatInt(w.caseB, 10)+"/act", url.Values{"action": {"finish"}, "in_result": {"准予"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("handler A acts on B's case: %d, want 404", resp.StatusCode)
		}
		if in, _ := w.eng.Instance(context.Background(), w.caseB); in.State != "review" {
			t.Errorf("B's case moved to %s", in.State)
		}
		// A citizen sees their own case, not another's.
		c2 := w.client(t, "cit2")
		if code, body := w.get(t, c2, "/my"); code != 200 || !strings.Contains(body, "YL-B%2") || strings.Contains(body, "YL-A_1") {
			t.Errorf("citizen 2 /my: %d, own %v other %v", code, strings.Contains(body, "YL-B%2"), strings.Contains(body, "YL-A_1"))
		}
		if code, _ := w.get(t, c2, "/cases/"+strconv.FormatInt(w.caseA, 10)); code != http.StatusNotFound {
			t.Errorf("citizen 2 opens citizen 1's case: %d, want 404", code)
		}
		// A citizen may not open the staff inbox.
		if code, _ := w.get(t, c2, "/work"); code != http.StatusForbidden {
			t.Errorf("citizen /work: %d, want 403", code)
		}
	})
}

func TestInboxSearchIsLiteral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		sup := w.client(t, "sup")
		_ = sup
		// The search's % and _ match themselves, not any text.
		ha := w.client(t, "han")
		if _, body := w.get(t, ha, "/work?q="+url.QueryEscape("A_1")); !strings.Contains(body, "YL-A_1") {
			t.Error("search for A_1 misses YL-A_1")
		}
		if _, body := w.get(t, ha, "/work?q="+url.QueryEscape("A%")); strings.Contains(body, "YL-A_1") {
			t.Error("search for A% matched YL-A_1: wildcard not escaped")
		}
		if _, body := w.get(t, ha, "/work?q="+url.QueryEscape("工商户")); !strings.Contains(body, "YL-A_1") {
			t.Error("search by title misses")
		}
	})
}

func TestActOnCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ha := w.client(t, "han")
		path := "/cases/" + strconv.FormatInt(w.caseA, 10)
		code, body := w.get(t, ha, path)
		if code != 200 || !strings.Contains(body, `name="action" value="finish"`) {
			t.Fatalf("case page: %d, action form shown: %v", code, strings.Contains(body, `value="finish"`))
		}
		// The deadline is on the calendar: 5 working days from 2026-09-30.
		if !strings.Contains(body, "2026-10-13") {
			t.Error("case page does not show the deadline 2026-10-13")
		}
		// A required input missing: 422, nothing changed.
		resp := w.post(t, ha, path+"/act", url.Values{"action": {"finish"}, "version": {"1"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("missing input: %d, want 422", resp.StatusCode)
		}
		// A stale version: 409.
		resp = w.post(t, ha, path+"/act", url.Values{"action": {"finish"}, "version": {"7"}, "in_result": {"准予"}})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("stale version: %d, want 409", resp.StatusCode)
		}
		if in, _ := w.eng.Instance(context.Background(), w.caseA); in.State != "review" {
			t.Fatalf("refused actions changed the case: %s", in.State)
		}
		resp = w.post(t, ha, path+"/act", url.Values{"action": {"finish"}, "version": {"1"}, "in_result": {"准予"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("finish: %d", resp.StatusCode)
		}
		in, _ := w.eng.Instance(context.Background(), w.caseA)
		if in.State != "done" {
			t.Errorf("after finish: %s", in.State)
		}
		// The audit chain holds the action.
		recs, _, err := audit.List(context.Background(), db, audit.Filter{Action: "flow.finish"})
		if err != nil || len(recs) != 1 {
			t.Errorf("audit flow.finish: %d records, %v", len(recs), err)
		}
	})
}

func TestExtensionThroughPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ha := w.client(t, "han")
		path := "/cases/" + strconv.FormatInt(w.caseA, 10)
		if resp := w.post(t, ha, path+"/extensions", url.Values{"days": {"x"}}); resp.StatusCode != 422 {
			t.Errorf("bad days: %d", resp.StatusCode)
		}
		if resp := w.post(t, ha, path+"/extensions", url.Values{"days": {"3"}, "reason": {"需现场核查"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("request extension: %d", resp.StatusCode)
		}
		xs, _ := w.eng.Extensions(context.Background(), w.caseA)
		if len(xs) != 1 {
			t.Fatalf("%d extensions", len(xs))
		}
		xpath := path + "/extensions/" + strconv.FormatInt(xs[0].ID, 10)
		// The handler may not grant their own request.
		if resp := w.post(t, ha, xpath, url.Values{"decision": {"grant"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("handler grants: %d, want 403", resp.StatusCode)
		}
		sup := w.client(t, "sup")
		if resp := w.post(t, sup, xpath, url.Values{"decision": {"grant"}, "days": {"3"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("supervisor grants: %d", resp.StatusCode)
		}
		in, _ := w.eng.Instance(context.Background(), w.caseA)
		if got := in.StateDueAt.In(calendar.CST).Format("2006-01-02"); got != "2026-10-16" {
			t.Errorf("deadline after 3 granted days: %s, want 2026-10-16", got)
		}
	})
}

func TestInboxAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ha := w.client(t, "han")
		code, body := w.get(t, ha, "/api/v1/inbox")
		var out struct {
			Items []inbox.Row `json:"items"`
			Total int         `json:"total"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil || out.Total != 1 || out.Items[0].Reference != "YL-A_1" {
			t.Fatalf("GET /api/v1/inbox: %d %s", code, body)
		}
		if code, _ := w.get(t, ha, "/api/v1/cases/"+strconv.FormatInt(w.caseB, 10)); code != 404 {
			t.Errorf("API: other department's case: %d, want 404", code)
		}
	})
}

func TestUrgency(t *testing.T) {
	cases := []struct {
		has  bool
		left time.Duration
		want string
	}{
		{false, 0, inbox.DueNone},
		{true, -time.Minute, inbox.DueOverdue},
		{true, 23 * time.Hour, inbox.DueUrgent},
		{true, 48 * time.Hour, inbox.DueSoon},
		{true, 100 * time.Hour, inbox.DueOK},
	}
	for _, c := range cases {
		if got := inbox.Urgency(c.has, c.left); got != c.want {
			t.Errorf("Urgency(%v, %v) = %q, want %q", c.has, c.left, got, c.want)
		}
	}
}

// things is a module owning the subject type "test": it lets through the
// users it lists, whatever the generic case policy would say.
type things struct{ allow map[int64]bool }

func (things) SubjectTypes() []string { return []string{"test"} }

func (th things) AuthorizeSubject(_ context.Context, a *auth.Actor, _ auth.Action, _ string, _ int64) error {
	if th.allow[a.UserID] {
		return nil
	}
	return auth.ErrForbidden
}

func (things) SubjectPage(_ string, id int64) string {
	return "/module/things/" + strconv.FormatInt(id, 10)
}

// A case whose module owns its subject type is linked to that module's page;
// the generic page redirects there and the generic actions refuse it.
func TestOwnedCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		th := things{allow: map[int64]bool{}}
		w.mod.Own(th)
		ha := w.client(t, "han")
		path := "/cases/" + strconv.FormatInt(w.caseA, 10)
		api := "/api/v1/cases/" + strconv.FormatInt(w.caseA, 10)
		// The generic policy would let han (department A) in; the subject's
		// module does not, so the case does not exist for han anywhere.
		if code, _ := w.get(t, ha, path); code != http.StatusNotFound {
			t.Errorf("page of a case whose subject refuses: %d, want 404", code)
		}
		if code, _ := w.get(t, ha, api); code != http.StatusNotFound {
			t.Errorf("API read of a case whose subject refuses: %d, want 404", code)
		}
		if resp := w.post(t, ha, path+"/act", url.Values{"action": {"finish"}, "in_result": {"准予"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("generic action on a case whose subject refuses: %d, want 404", resp.StatusCode)
		}
		req, _ := http.NewRequest("POST", w.srv.URL+api+"/actions", strings.NewReader(`{"action":"finish"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", w.srv.URL)
		resp, err := ha.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("API action on a case whose subject refuses: %d, want 404 (409 would confirm it exists)", resp.StatusCode)
		}

		var hanID int64
		if err := db.QueryRowContext(context.Background(), "SELECT id FROM users WHERE username = 'han'").Scan(&hanID); err != nil {
			t.Fatal(err)
		}
		th.allow[hanID] = true
		if _, body := w.get(t, ha, "/work"); !strings.Contains(body, `href="/module/things/`) {
			t.Error("inbox row does not link to the owning module")
		}
		resp, err = ha.Get(w.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/module/things/") {
			t.Errorf("generic page of an owned case: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp := w.post(t, ha, path+"/act", url.Values{"action": {"finish"}, "in_result": {"准予"}}); resp.StatusCode != http.StatusConflict {
			t.Errorf("generic action on an owned case: %d, want 409", resp.StatusCode)
		}
		if in, _ := w.eng.Instance(context.Background(), w.caseA); in.State != "review" {
			t.Errorf("owned case moved to %s", in.State)
		}
	})
}
