package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Every demo account signs in and lands on its role's home page, which
// answers 200 with that role's workspace; the demo leaves an intact audit
// chain. This is the newcomer's first five minutes.
func TestDemoAccountsLandHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()

		// What each home must show: the heading of that workspace.
		marks := map[auth.Role]string{
			auth.RoleAdmin: "<h1>管理首页", auth.RoleSupervisor: "<h1>督办", auth.RoleCitizen: "<h1>我的办件",
			auth.RoleEnterprise: "<h1>我的办件", auth.RoleHandler: "<h1>我的待办", auth.RoleApprover: "<h1>我的待办",
			auth.RoleInspector: "<h1>我的待办", auth.RoleLegal: "<h1>我的待办",
			auth.RoleClerk: "<h1>办件", auth.RoleOperator: "<h1>工单受理", auth.RoleDispatcher: "<h1>待派单",
		}
		for _, acc := range seeded.Accounts {
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("POST", srv.URL+"/signin", strings.NewReader(url.Values{"username": {acc.Username}, "password": {demo.Password}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", srv.URL)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			home := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || home != a.Web.HomeFor(&auth.Actor{Roles: []auth.Role{acc.Role}}) {
				t.Errorf("%s: sign-in %d to %q", acc.Username, resp.StatusCode, home)
				continue
			}
			req, _ = http.NewRequest("GET", srv.URL+home, nil)
			for _, ck := range resp.Cookies() {
				req.AddCookie(ck)
			}
			resp, err = c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), marks[acc.Role]) {
				t.Errorf("%s (%s): home %s answered %d, mark %q present: %v", acc.Username, acc.Role, home, resp.StatusCode, marks[acc.Role], strings.Contains(string(body), marks[acc.Role]))
			}
		}
		// The API document is generated from every module without clashes.
		resp, err := http.Get(srv.URL + "/api/v1/openapi.json")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("openapi.json: %v %v", err, resp)
		}
		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string `json:"operationId"`
				Responses   map[string]struct {
					Headers map[string]any `json:"headers"`
				} `json:"responses"`
			} `json:"paths"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// Creates answer 201 with the new resource's Location, and say so.
		creates := map[string]bool{"hotline-intake": false, "hotline-from-110": false, "submit-application": false,
			"create-catalog-item": false, "create-knowledge-article": false, "create-admin-department": false, "create-admin-user": false,
			"file-annual-report": false}
		for _, ops := range doc.Paths {
			for _, op := range ops {
				if _, ok := creates[op.OperationID]; !ok {
					continue
				}
				_, has := op.Responses["201"].Headers["Location"]
				creates[op.OperationID] = has
			}
		}
		for id, ok := range creates {
			if !ok {
				t.Errorf("openapi.json: %s does not answer 201 with Location", id)
			}
		}
		// The demo's events reach people: escalations reach supervisors.
		if _, err := a.Flow.FireDue(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := a.Outbox.RunOnce(ctx, 500)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		sup, err := a.Org.GetUserByUsername(ctx, "supervisor")
		if err != nil {
			t.Fatal(err)
		}
		msgs, pg, err := a.Notify.List(ctx, &auth.Actor{UserID: sup.ID, Roles: sup.Roles, RegionCode: sup.RegionCode}, notify.Query{Limit: 100})
		total := pg.Count
		escalations := 0
		for _, m := range msgs {
			if m.Topic == "flow.escalated" {
				escalations++
			}
		}
		if err != nil || total == 0 || escalations == 0 {
			t.Errorf("supervisor's messages after the demo: %d (%d escalations), %v", total, escalations, err)
		}
		if n, err := audit.Verify(ctx, db); err != nil || n == 0 {
			t.Errorf("audit after demo: %d entries, %v", n, err)
		}
	})
}
