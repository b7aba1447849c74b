package knowledge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// world is a server with the demo city's regions and departments, a few
// staff users and the demo knowledge base.
type world struct {
	m     *Module
	db    *store.DB
	srv   *httptest.Server
	depts map[string]int64
	now   time.Time
}

var testDepartments = []struct{ code, name, region string }{
	{"YL-ZWFW", "云澜市政务服务管理局", "990100"},
	{"YL-12345", "云澜市12345政务服务便民热线中心", "990100"},
	{"YL-SCJG", "云澜市市场监督管理局", "990100"},
	{"YL-ZJ", "云澜市住房和城乡建设局", "990100"},
	{"YL-WJW", "云澜市卫生健康委员会", "990100"},
	{"YL-SHJ", "云澜市生态环境局", "990100"},
	{"LJ-SCJG", "临江区市场监督管理局", "990102"},
	{"LJ-CGJ", "临江区城市管理局", "990102"},
}

// newWorld builds the world; seed says whether to load the demo articles.
func newWorld(t testing.TB, db *store.DB, seed bool) *world {
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // Tuesday 10:00 CST
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	w := &world{db: db, depts: map[string]int64{}, now: now}
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990000", Name: "澜江省"}, {Code: "990100", Name: "云澜市", ParentCode: "990000"},
			{Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range testDepartments {
			dep, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: d.region})
			if err != nil {
				return err
			}
			w.depts[d.code] = dep.ID
		}
		users := []org.NewUser{
			{Username: "operator", DisplayName: "坐席 刘洋", Roles: []auth.Role{auth.RoleOperator}, RegionCode: "990100", DepartmentIDs: []int64{w.depts["YL-12345"]}},
			{Username: "handler_scj", DisplayName: "承办 孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{w.depts["YL-SCJG"]}},
			{Username: "handler_cgj", DisplayName: "承办 周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-CGJ"]}},
			{Username: "admin", DisplayName: "管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"},
			{Username: "citizen", DisplayName: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
		}
		for _, u := range users {
			u.Password = "Qiu-shui-2468"
			if _, err := orgs.CreateUser(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Deps{DB: db, Org: orgs, Policy: auth.NewPolicy(), Audit: audit.New(clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.m = m
	if seed {
		if err := SeedDemo(ctx, m, w.depts); err != nil {
			t.Fatal(err)
		}
	}
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{m}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// id returns the id of the article with title (working copy), or fails.
func (w *world) id(t *testing.T, title string) int64 {
	t.Helper()
	var id int64
	if err := w.db.NewRaw("SELECT id FROM kb_articles WHERE title = ?", title).Scan(context.Background(), &id); err != nil {
		t.Fatalf("article %q: %v", title, err)
	}
	return id
}

func (w *world) client(t *testing.T, username string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &cookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp := w.post(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}}); resp.StatusCode != http.StatusSeeOther {
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

func (w *world) do(t *testing.T, c *http.Client, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (w *world) get(t *testing.T, c *http.Client, path string) (int, string) {
	return w.do(t, c, "GET", path, "")
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

func hitIDs(hits []hotline.KnowledgeHit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestTwoCharacterWordFindsLicences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		ctx := context.Background()
		hits, err := w.m.Suggest(ctx, "执照")
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			t.Fatal("执照 finds nothing")
		}
		for _, h := range hits {
			a, _ := w.m.Get(ctx, auth.System(), h.ID)
			if !strings.Contains(a.Title+strings.Join(a.Questions, "")+a.Answer+strings.Join(a.Tags, ""), "执照") {
				t.Errorf("执照 offers %q, which does not mention it", h.Title)
			}
		}
		for _, title := range []string{"个体工商户营业执照怎么办理？", "营业执照遗失了怎么补办？"} {
			if !slices.Contains(hitIDs(hits), w.id(t, title)) {
				t.Errorf("执照 misses %q: %v", title, hits)
			}
		}
		// The public FAQ search finds them too, word for word.
		res, err := w.m.PublicList(ctx, PublicQuery{Q: "执照"})
		if err != nil || res.Related || res.Total < 4 {
			t.Fatalf("faq 执照: %+v %v", res, err)
		}
		// Mixed Chinese and ASCII: "12345 时限".
		hits, _ = w.m.Suggest(ctx, "12345办理时限")
		if len(hits) == 0 || hits[0].ID != w.id(t, "12345 热线工单多久办结？") {
			t.Errorf("12345办理时限: %v", hits)
		}
	})
}

func TestCallerSentences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		cases := []struct{ said, want string }{
			{"我想问一下个体工商户营业执照怎么办理需要什么材料", "个体工商户营业执照怎么办理？"},
			{"你好，我家楼下工地晚上施工太吵了，吵得睡不着，该找哪个部门", "噪声扰民怎么投诉？找哪个部门？"},
			{"我在工地干了半年活，老板一直拖欠工资不给，我该怎么办", "农民工工资拖欠怎么维权？"},
			{"我之前在外省上班，现在回云澜了，社保怎么转过来", "社保关系怎么转移到云澜市？"},
			{"请问我租房子住，能不能把公积金取出来交房租", "住房公积金怎么提取？"},
			{"我上周打了12345反映问题，一般多久能办好啊", "12345 热线工单多久办结？"},
			{"我想开个小饭馆，需要办什么许可证，要准备哪些材料", "食品经营许可证需要什么材料？"},
			{"楼下有人在路边摆摊占道经营，人行道都走不了", "占道经营、流动摊贩怎么投诉？"},
		}
		for _, c := range cases {
			hits, err := w.m.Suggest(context.Background(), c.said)
			if err != nil {
				t.Fatal(err)
			}
			want := w.id(t, c.want)
			if i := slices.Index(hitIDs(hits), want); i < 0 || i > 2 {
				titles := []string{}
				for _, h := range hits {
					titles = append(titles, h.Title)
				}
				t.Errorf("%q: %q at %d, want top 3; got %q", c.said, c.want, i, titles)
			}
		}
	})
}

func TestExpiredAndFutureNeverShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		ctx := context.Background()
		anon := &http.Client{}
		for _, c := range []struct{ title, query string }{
			{"2024 年个体户年报怎么填？", "个体户年报怎么填"},
			{"2025 年春节期间 12345 热线服务安排", "春节12345热线服务"},
			{"12345 热线新增视频客服", "12345视频客服"},
		} {
			id := w.id(t, c.title)
			hits, err := w.m.Suggest(ctx, c.query)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(hitIDs(hits), id) {
				t.Errorf("%q suggested for %q", c.title, c.query)
			}
			if code, _ := w.get(t, anon, "/faq/"+strconv.FormatInt(id, 10)); code != http.StatusNotFound {
				t.Errorf("/faq/%d (%s): %d, want 404", id, c.title, code)
			}
			if _, body := w.get(t, anon, "/faq?q="+url.QueryEscape(c.query)); strings.Contains(body, c.title) {
				t.Errorf("/faq?q=%s lists %q", c.query, c.title)
			}
			if code, _ := w.get(t, anon, "/api/v1/knowledge/faq/"+strconv.FormatInt(id, 10)); code != http.StatusNotFound {
				t.Errorf("API faq %d: %d, want 404", id, code)
			}
			err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error { return w.m.RecordUse(ctx, tx, id, "YL2026031000001") })
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("RecordUse of %q: %v, want ErrNotFound", c.title, err)
			}
		}
		// The future article becomes public on its first day.
		future := w.id(t, "12345 热线新增视频客服")
		w.m.d.Now = func() time.Time { return w.now.AddDate(0, 1, 1) }
		if _, err := w.m.PublicArticle(ctx, future, false); err != nil {
			t.Errorf("a month later the video article is still hidden: %v", err)
		}
	})
}

func TestDraftIsNotPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		id := w.id(t, "药品经营许可证怎么办理？")
		anon := &http.Client{}
		if code, _ := w.get(t, anon, "/faq/"+strconv.FormatInt(id, 10)); code != http.StatusNotFound {
			t.Errorf("draft /faq: %d, want 404", code)
		}
		hits, _ := w.m.Suggest(context.Background(), "药品经营许可证怎么办理")
		if slices.Contains(hitIDs(hits), id) {
			t.Error("draft suggested")
		}
		// Staff of the department see it in their list.
		if _, body := w.get(t, w.client(t, "admin"), "/knowledge?status=draft"); !strings.Contains(body, "药品经营许可证怎么办理？") {
			t.Error("admin's draft list misses the draft")
		}
	})
}

func TestPublishMakesImmutableVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, false)
		ctx := context.Background()
		a := &auth.Actor{UserID: 7, Name: "承办 孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100",
			DepartmentIDs: []int64{w.depts["YL-SCJG"]}}
		d := Draft{Title: "营业执照怎么年检？", Answer: "营业执照已取消年检。\n\n请于每年 6 月 30 日前报送年度报告。",
			CategoryCode: "070402", DepartmentID: w.depts["YL-SCJG"], Tags: []string{"年报", "年报"}}
		art, err := w.m.Create(ctx, a, d)
		if err != nil {
			t.Fatal(err)
		}
		if art.Status != StatusDraft || art.RegionCode != "990100" || len(art.Tags) != 1 {
			t.Fatalf("created: %+v", art)
		}
		v1, err := w.m.Publish(ctx, a, art.ID, art.Rev, "")
		if err != nil || v1.Version != 1 {
			t.Fatalf("publish 1: %+v %v", v1, err)
		}
		// Nothing changed: nothing to publish.
		if _, err := w.m.Publish(ctx, a, art.ID, 0, ""); !errors.Is(err, ErrState) {
			t.Errorf("publish without changes: %v, want ErrState", err)
		}
		// Edit: the public still see version 1 until the next publish.
		d.Title = "营业执照还要年检吗？"
		d.Answer = "营业执照已取消年检。\n\n请于每年 6 月 30 日前通过公示系统报送年度报告。"
		if _, err := w.m.Update(ctx, a, art.ID, 1, d); !errors.Is(err, ErrConflict) {
			t.Errorf("update with a stale rev: %v, want ErrConflict", err)
		}
		cur, _ := w.m.Get(ctx, a, art.ID)
		if _, err := w.m.Update(ctx, a, art.ID, cur.Rev, d); err != nil {
			t.Fatal(err)
		}
		pub, err := w.m.PublicArticle(ctx, art.ID, false)
		if err != nil || pub.Title != "营业执照怎么年检？" {
			t.Fatalf("public before the second publish: %+v %v", pub, err)
		}
		if _, err := w.m.Publish(ctx, a, art.ID, 0, "改为公示系统"); err != nil {
			t.Fatal(err)
		}
		pub, _ = w.m.PublicArticle(ctx, art.ID, false)
		if pub.Version != 2 || pub.Title != "营业执照还要年检吗？" {
			t.Errorf("public after publish: v%d %q", pub.Version, pub.Title)
		}
		vs, err := w.m.Versions(ctx, a, art.ID)
		if err != nil || len(vs) != 2 || vs[1].Title != "营业执照怎么年检？" || vs[1].Answer != v1.Answer {
			t.Fatalf("versions: %v %v", vs, err)
		}
		diff, err := w.m.VersionWithDiff(ctx, a, art.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(diff.Changes) != 1 || diff.Changes[0].Field != "title" {
			t.Errorf("changes: %+v", diff.Changes)
		}
		var ops []string
		for _, l := range diff.Answer {
			ops = append(ops, l.Op)
		}
		if strings.Join(ops, "") != "=-+" {
			t.Errorf("answer diff ops %v", ops)
		}
		// The database refuses to rewrite history.
		if _, err := db.NewRaw("UPDATE kb_versions SET title = 'x' WHERE article_id = ?", art.ID).Exec(ctx); err == nil {
			t.Error("kb_versions row updated")
		}
		if _, err := db.NewRaw("DELETE FROM kb_versions WHERE article_id = ?", art.ID).Exec(ctx); err == nil {
			t.Error("kb_versions row deleted")
		}
		// Archive: gone from the public and from suggestions; history stays.
		if _, err := w.m.Archive(ctx, a, art.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.PublicArticle(ctx, art.ID, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("archived public: %v", err)
		}
		if hits, _ := w.m.Suggest(ctx, "营业执照年检"); len(hits) != 0 {
			t.Errorf("archived suggested: %v", hits)
		}
		recs, _, err := audit.List(ctx, db, audit.Filter{Action: "knowledge.publish"})
		if err != nil || len(recs) != 2 {
			t.Errorf("audit knowledge.publish: %d, %v", len(recs), err)
		}
	})
}

func TestValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, false)
		ctx := context.Background()
		a := auth.System()
		ok := Draft{Title: "标题", Answer: "答复", CategoryCode: "070402", DepartmentID: w.depts["LJ-CGJ"]}
		cases := []struct {
			name  string
			edit  func(*Draft)
			field string
		}{
			{"no title", func(d *Draft) { d.Title = "  " }, "title"},
			{"no answer", func(d *Draft) { d.Answer = "" }, "answer"},
			{"bad category", func(d *Draft) { d.CategoryCode = "12a" }, "category_code"},
			{"no department", func(d *Draft) { d.DepartmentID = 0 }, "department_id"},
			{"unknown department", func(d *Draft) { d.DepartmentID = 99999 }, "department_id"},
			{"district department, city region", func(d *Draft) { d.RegionCode = "990100" }, "region_code"},
			{"ends before it starts", func(d *Draft) {
				d.ValidFrom = w.now
				d.ValidUntil = w.now.Add(-time.Hour)
			}, "valid_until"},
			{"long tag", func(d *Draft) { d.Tags = []string{strings.Repeat("长", MaxTag+1)} }, "tags[0]"},
		}
		for _, c := range cases {
			d := ok
			c.edit(&d)
			_, err := w.m.Create(ctx, a, d)
			fes := FieldErrors(err)
			if !errors.Is(err, ErrInvalid) || len(fes) == 0 || fes[0].Path != c.field {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM kb_articles").Scan(ctx, &n); err != nil || n != 0 {
			t.Errorf("%d articles stored after refusals (%v)", n, err)
		}
	})
}

func TestHandlerCannotEditOtherDepartment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		ctx := context.Background()
		id := w.id(t, "个体工商户营业执照怎么办理？") // YL-SCJG's
		path := "/knowledge/" + strconv.FormatInt(id, 10)
		before, _ := w.m.Get(ctx, auth.System(), id)

		cgj := w.client(t, "handler_cgj")
		form := url.Values{"title": {"被篡改"}, "answer": {"x"}, "category_code": {"070402"},
			"department_id": {strconv.FormatInt(w.depts["YL-SCJG"], 10)}}
		if resp := w.post(t, cgj, path, form); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("other department's handler edits: %d, want 404/403", resp.StatusCode)
		}
		if resp := w.post(t, cgj, path+"/archive", url.Values{}); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("other department's handler archives: %d", resp.StatusCode)
		}
		code, _ := w.do(t, cgj, "PUT", "/api/v1/knowledge/articles/"+strconv.FormatInt(id, 10),
			`{"title":"被篡改","answer":"x","category_code":"070402","department_id":`+strconv.FormatInt(w.depts["YL-SCJG"], 10)+`}`)
		if code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("API edit by other department: %d", code)
		}
		// Nor may they move their own article to another department.
		own, err := w.m.Create(ctx, &auth.Actor{UserID: 3, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-CGJ"]}}, Draft{Title: "共享单车乱停放", Answer: "拨打 12345。", CategoryCode: "010100", DepartmentID: w.depts["LJ-CGJ"]})
		if err != nil {
			t.Fatal(err)
		}
		form.Set("title", "搬走")
		if resp := w.post(t, cgj, "/knowledge/"+strconv.FormatInt(own.ID, 10), form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("moving own article to another department: %d, want 403", resp.StatusCode)
		}
		after, _ := w.m.Get(ctx, auth.System(), id)
		if after.Title != before.Title || after.Rev != before.Rev || after.Status != before.Status {
			t.Errorf("article changed: %+v", after)
		}
		// The owning department's handler may.
		scj := w.client(t, "handler_scj")
		form = formOf(before)
		form.Set("title", "个体户营业执照如何办理？")
		if resp := w.post(t, scj, path, form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("own department's handler edits: %d", resp.StatusCode)
		}
		if resp := w.post(t, scj, path+"/publish", url.Values{"note": {"改标题"}}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("own department's handler publishes: %d", resp.StatusCode)
		}
		if v, _ := w.m.PublicArticle(ctx, id, false); v == nil || v.Title != "个体户营业执照如何办理？" || v.Version != 2 {
			t.Errorf("after the owner's publish: %+v", v)
		}
		// Operators read but do not edit.
		op := w.client(t, "operator")
		if code, _ := w.get(t, op, path); code != http.StatusOK {
			t.Errorf("operator reads: %d", code)
		}
		if resp := w.post(t, op, path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator edits: %d, want 403", resp.StatusCode)
		}
		// Every staff page renders.
		for _, p := range []string{"/knowledge", "/knowledge/new", path, path + "/edit", path + "/versions/2", "/knowledge?expiring=1&category=070400"} {
			if code, body := w.get(t, scj, p); code != http.StatusOK {
				t.Errorf("GET %s: %d %s", p, code, body)
			}
		}
		if _, body := w.get(t, scj, path+"/versions/2"); !strings.Contains(body, "<del>个体工商户营业执照怎么办理？</del>") {
			t.Error("version page does not show the title change")
		}
	})
}

func TestSuggestFragmentEscapes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, false)
		ctx := context.Background()
		art, err := w.m.Create(ctx, auth.System(), Draft{Title: `<script>alert(1)</script>营业执照`,
			Answer: `<img src=x onerror=alert(2)> 营业执照办理`, CategoryCode: "070402", DepartmentID: w.depts["YL-SCJG"]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Publish(ctx, auth.System(), art.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		code, body := w.get(t, &http.Client{}, "/knowledge/suggest?q="+url.QueryEscape("营业执照"))
		if code != 200 || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;营业执照") {
			t.Fatalf("fragment: %d %s", code, body)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || strings.Contains(body, "<html") {
			t.Errorf("fragment not escaped or not a fragment: %s", body)
		}
		if !strings.Contains(body, `href="/faq/`+strconv.FormatInt(art.ID, 10)+`"`) {
			t.Errorf("fragment links nowhere: %s", body)
		}
		// The article page escapes too, and its JSON-LD is JSON.
		_, page := w.get(t, &http.Client{}, "/faq/"+strconv.FormatInt(art.ID, 10))
		if strings.Contains(page, "<img src=x") || strings.Contains(page, "<script>alert") {
			t.Error("article page not escaped")
		}
	})
}

func TestAnonymousFAQ(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		code, body := w.get(t, anon, "/faq")
		if code != 200 || !strings.Contains(body, "占道经营、流动摊贩怎么投诉？") || !strings.Contains(body, "/faq?category=070406") ||
			!strings.Contains(body, `rel="next"`) {
			t.Fatalf("/faq: %d", code)
		}
		if !strings.Contains(body, `hx-get="/knowledge/suggest"`) || !strings.Contains(body, `hx-trigger="input changed delay:300ms"`) {
			t.Error("/faq has no typing-time suggestions")
		}
		code, body = w.get(t, anon, "/faq?category=070406")
		if code != 200 || !strings.Contains(body, "住房公积金怎么提取？") || strings.Contains(body, "护照和港澳通行证怎么办？") {
			t.Errorf("/faq category filter: %d", code)
		}
		// A sentence no article holds word for word falls back to related questions.
		_, body = w.get(t, anon, "/faq?q="+url.QueryEscape("我想把公积金取出来付房租"))
		if !strings.Contains(body, "住房公积金怎么提取？") {
			t.Error("/faq sentence search misses 住房公积金怎么提取？")
		}
		id := w.id(t, "住房公积金怎么提取？")
		code, body = w.get(t, anon, "/faq/"+strconv.FormatInt(id, 10))
		if code != 200 || !strings.Contains(body, "<h1>住房公积金怎么提取？</h1>") || !strings.Contains(body, `"@type":"FAQPage"`) {
			t.Fatalf("/faq/%d: %d", id, code)
		}
		art, _ := w.m.Get(context.Background(), auth.System(), id)
		if art.Views != 1 {
			t.Errorf("views %d, want 1", art.Views)
		}
		// Staff pages are not public.
		if code, _ := w.get(t, anon, "/knowledge"); code != http.StatusSeeOther {
			t.Errorf("anonymous /knowledge: %d, want redirect to sign in", code)
		}
		if code, _ := w.get(t, w.client(t, "citizen"), "/knowledge"); code != http.StatusForbidden {
			t.Errorf("citizen /knowledge: %d, want 403", code)
		}
	})
}

func TestJSONSuggestAndUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, true)
		code, body := w.get(t, &http.Client{}, "/api/v1/knowledge/suggest?q="+url.QueryEscape("我想问一下个体工商户营业执照怎么办理需要什么材料"))
		var out SuggestList
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil || len(out.Items) == 0 {
			t.Fatalf("JSON suggest: %d %s", code, body)
		}
		top := out.Items[0]
		if top.URL != "/faq/"+strconv.FormatInt(top.ID, 10) || top.Score <= 0 || top.Answer == "" {
			t.Errorf("hit: %+v", top)
		}
		for i := 1; i < len(out.Items); i++ {
			if out.Items[i].Score > out.Items[i-1].Score {
				t.Errorf("hits not ranked: %v", out.Items)
			}
		}
		// An operator answers with it at intake.
		ctx := auth.WithActor(context.Background(), &auth.Actor{UserID: 5, Name: "坐席", Roles: []auth.Role{auth.RoleOperator}})
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error { return w.m.RecordUse(ctx, tx, top.ID, " ") }); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty order ref: %v", err)
		}
		for range 2 {
			if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				return w.m.RecordUse(ctx, tx, top.ID, "YL2026031000001")
			}); err != nil {
				t.Fatal(err)
			}
		}
		art, _ := w.m.Get(ctx, auth.System(), top.ID)
		if art.Uses != 2 {
			t.Errorf("uses %d, want 2", art.Uses)
		}
		// Staff list and expiring filter through the API.
		op := w.client(t, "operator")
		code, body = w.get(t, op, "/api/v1/knowledge/articles?expiring=true")
		var list ArticleList
		if code != 200 || json.Unmarshal([]byte(body), &list) != nil || list.Total != 1 || !strings.Contains(list.Items[0].Title, "预约") {
			t.Errorf("expiring list: %d %s", code, body)
		}
	})
}

func TestDiffLines(t *testing.T) {
	cases := []struct {
		a, b []string
		want string
	}{
		{nil, []string{"x"}, "+x"},
		{[]string{"x"}, nil, "-x"},
		{[]string{"a", "b", "c"}, []string{"a", "c"}, "=a -b =c"},
		{[]string{"a", "b"}, []string{"a", "B", "b"}, "=a +B =b"},
	}
	for _, c := range cases {
		var parts []string
		for _, l := range DiffLines(c.a, c.b) {
			parts = append(parts, l.Op+l.Text)
		}
		if got := strings.Join(parts, " "); got != c.want {
			t.Errorf("DiffLines(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}

// TestListPages pages the staff list newest first by keyset on (updated_at,
// id): articles changed at the same instant are ordered by id, the pages
// meet without a gap or a repeat, and the count is the filter's.
func TestListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, false)
		ctx := context.Background()
		a := &auth.Actor{UserID: 3, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-CGJ"]}}
		var want []int64
		for i := range 5 {
			art, err := w.m.Create(ctx, a, Draft{Title: "共享单车乱停放" + strconv.Itoa(i), Answer: "拨打 12345。", CategoryCode: "010100",
				DepartmentID: w.depts["LJ-CGJ"]})
			if err != nil {
				t.Fatal(err)
			}
			want = append([]int64{art.ID}, want...)
		}
		var got []int64
		var after store.Cursor
		for page := 0; page < 5; page++ {
			items, pg, err := w.m.List(ctx, a, Query{Q: "单车", Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 5 {
				t.Errorf("count %d, want 5", pg.Count)
			}
			for _, it := range items {
				got = append(got, it.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v", got, want)
		}
	})
}
