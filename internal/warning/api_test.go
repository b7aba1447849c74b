package warning_test

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

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/warning"
	"github.com/yingshang/yingshang/internal/web"
)

type jar struct{ cookies []*http.Cookie }

func (j *jar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *jar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// The API and pages: scope, handling with a redirect, a 422 naming the
// field, the OpenAPI document and the xlsx export.
func TestAPIAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seed(t)
		now := cst(2026, 9, 30, 10)
		clock := func() time.Time { return now }
		box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		orgs := org.NewService(db, box, clock)
		orgs.Password = auth.TestPasswordParams
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, u := range []org.NewUser{
				{Username: "scjg", DisplayName: "孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-SCJG"]}},
				{Username: "cgj", DisplayName: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-CGJ"]}},
				{Username: "ent", DisplayName: "证照企业", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizLicence},
			} {
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
		m := w.module(t, now, nil)
		if _, err := m.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
		s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{m}, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.Handler())
		defer srv.Close()
		client := func(user string) *http.Client {
			c := &http.Client{Jar: &jar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			if user == "" {
				return c
			}
			req, _ := http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(url.Values{"username": {user}, "password": {"Qiu-shui-2468"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", srv.URL)
			resp, err := c.Do(req)
			if err != nil || resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in %s: %v %v", user, resp, err)
			}
			resp.Body.Close()
			return c
		}
		call := func(c *http.Client, method, path, ctype, body string) (int, string, http.Header) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			req.Header.Set("Origin", srv.URL)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		const js = "application/json"
		cgj, scjg, ent, anon := client("cgj"), client("scjg"), client("ent"), client("")
		var list struct{ Items []warning.Warning }
		st, body, _ := call(cgj, "GET", "/api/v1/warnings", js, "")
		if err := json.Unmarshal([]byte(body), &list); st != 200 || err != nil || len(list.Items) != 1 {
			t.Fatalf("city management's list: %d %s", st, body)
		}
		id := list.Items[0].ID
		path := "/api/v1/warnings/" + itoa(id)
		if st, _, _ := call(scjg, "GET", path, js, ""); st != 404 {
			t.Errorf("another department reads: %d, want 404", st)
		}
		if st, _, _ := call(anon, "GET", "/api/v1/warnings", js, ""); st != 401 {
			t.Errorf("anonymous list: %d, want 401", st)
		}
		st, body, _ = call(ent, "GET", "/api/v1/warnings", js, "")
		if st != 200 || !strings.Contains(body, bizLicence) || strings.Contains(body, bizComplained) {
			t.Errorf("the enterprise's prompts: %d %s", st, body)
		}
		if st, _, _ := call(ent, "GET", path, js, ""); st != 404 {
			t.Errorf("the enterprise reads another business's warning: %d", st)
		}
		if st, _, _ := call(cgj, "POST", path+"/verification", js, ""); st != 200 {
			t.Errorf("verify: %d", st)
		}
		st, body, _ = call(cgj, "POST", path+"/decision", js, `{"confirm": true, "note": "a\u0007b"}`)
		if st != 422 || !strings.Contains(body, "note") {
			t.Errorf("control character: %d %s", st, body)
		}
		// The page form: a bad note re-renders 422 naming it, a good one redirects.
		page := "/warnings/" + itoa(id)
		form := "application/x-www-form-urlencoded"
		if st, body, _ := call(cgj, "POST", page+"/decision", form, "decision=confirm&note="); st != 422 || !strings.Contains(body, "核实情况") {
			t.Errorf("empty note on the page: %d", st)
		}
		st, _, h := call(cgj, "POST", page+"/decision", form, url.Values{"decision": {"exclude"}, "note": {"投诉已调解"}}.Encode())
		if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), page) {
			t.Errorf("decide on the page: %d %s", st, h.Get("Location"))
		}
		if st, body, _ := call(cgj, "GET", page, "", ""); st != 200 || !strings.Contains(body, "已排除") || strings.Contains(body, "complaints from") {
			t.Errorf("the warning page (zh-CN only): %d", st)
		}
		for _, p := range []string{"/warnings", "/warnings/figures"} {
			if st, _, _ := call(scjg, "GET", p, "", ""); st != 200 {
				t.Errorf("%s: %d", p, st)
			}
		}
		if st, _, _ := call(ent, "GET", "/warnings/my", "", ""); st != 200 {
			t.Errorf("/warnings/my: %d", st)
		}
		if st, _, _ := call(ent, "GET", "/warnings/figures", "", ""); st != 403 && st != 404 {
			t.Errorf("an enterprise opens the figures: %d", st)
		}
		st, body, h = call(cgj, "GET", "/warnings/figures?from=2026-09&to=2026-09&format=xlsx", "", "")
		if st != 200 || !strings.HasPrefix(body, "PK") || !strings.Contains(h.Get("Content-Type"), "spreadsheet") {
			t.Errorf("xlsx export: %d %s", st, h.Get("Content-Type"))
		}
		st, body, _ = call(cgj, "GET", "/api/v1/warnings/figures?from=2026-09&to=2026-09", js, "")
		if st != 200 || !strings.Contains(body, `"handled":1`) {
			t.Errorf("figures API: %d %s", st, body)
		}
		_, doc, _ := call(anon, "GET", "/api/v1/openapi.json", js, "")
		for _, p := range []string{"/api/v1/warnings", "/api/v1/warnings/{id}", "/api/v1/warnings/{id}/decision", "/api/v1/warnings/figures"} {
			if !strings.Contains(doc, `"`+p+`"`) {
				t.Errorf("OpenAPI lacks %s", p)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
