package app

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

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Casework reads an enterprise's credit class from the risk module: the
// demo enterprise is classified A; three years on the abnormal list put
// it on the serious list, and the outbox event reclassifies it D at once.
// The class is never shown to the business itself nor to anyone signed
// out; supervisors read it and its explanation, administrators the models.
func TestRiskClassReachesCaseworkAndStaysInternal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		deliver := func() {
			t.Helper()
			for {
				n, err := a.Outbox.RunOnce(ctx, 500)
				if err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					return
				}
			}
		}
		deliver() // the seeding's events
		chk := creditChecker{StoreCredit: &casework.StoreCredit{DB: a.DB, Box: a.Box, Audit: a.Audit, Now: time.Now},
			credit: a.Credit, risk: a.Risk, now: time.Now}
		ent := casework.Subject{Kind: casework.Enterprise, USCC: demo.EnterpriseUSCC()}
		// The demo gives the enterprise four penalties and an inspection finding: not A, not D.
		want, _ := a.Risk.ClassOf(ctx, demo.EnterpriseUSCC())
		if class, err := chk.Class(ctx, ent); err != nil || class != want || class == "" || class == "A" || class == "D" {
			t.Fatalf("demo enterprise: %q %v, want the risk module's %q (B or C)", class, err, want)
		}
		u, _ := a.Org.GetUser(ctx, seeded.Users["handler_scj"])
		officer := &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs}
		if _, err := a.Credit.ListAsAbnormal(ctx, officer, credit.AbnormalInput{USCC: demo.EnterpriseUSCC(), Reason: "annual_report",
			ListedOn: time.Now().AddDate(-3, -1, 0).Format("2006-01-02")}); err != nil {
			t.Fatal(err)
		}
		deliver()
		if class, err := chk.Class(ctx, ent); err != nil || class != "D" {
			t.Fatalf("after the serious listing: %q %v, want D", class, err)
		}

		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		get := func(user, path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			if user != "" {
				token, _, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
				if err != nil {
					t.Fatal(err)
				}
				req.AddCookie(&http.Cookie{Name: "ys_session", Value: token})
			}
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		class := "/risk/classes/" + url.PathEscape(demo.EnterpriseUSCC())
		for _, c := range []struct {
			user, path string
			want       int
		}{
			{"", "/api/v1/risk/classes/" + demo.EnterpriseUSCC(), 401},
			{"", class, 303},
			{"yunlan_food", "/api/v1/risk/classes/" + demo.EnterpriseUSCC(), 404},
			{"yunlan_food", class, 403},
			{"yunlan_food", "/risk", 403},
			{"zhangsan", "/api/v1/risk/distribution", 404},
			{"clerk_lj", class, 403},
			{"handler_qs", "/api/v1/risk/classes/" + demo.EnterpriseUSCC(), 404}, // another county
			{"handler_scj", "/api/v1/risk/classes/" + demo.EnterpriseUSCC(), 200},
			{"supervisor", class, 200},
			{"supervisor", "/risk", 200},
			{"supervisor", "/risk/export.xlsx", 200},
			{"supervisor", "/risk/models", 403},
			{"admin", "/risk/models", 200},
			{"admin", "/risk/models/1", 200},
			{"admin", "/risk/models/new", 200},
		} {
			if got, _ := get(c.user, c.path); got != c.want {
				t.Errorf("%s GET %s: %d, want %d", c.user, c.path, got, c.want)
			}
		}
		code, body := get("handler_scj", "/api/v1/risk/classes/"+demo.EnterpriseUSCC())
		var got struct {
			Class string `json:"class"`
			Lines []struct {
				Key, Value string
				Floor      string
			} `json:"lines"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || code != 200 || got.Class != "D" {
			t.Fatalf("API class: %d %s", code, body)
		}
		found := false
		for _, l := range got.Lines {
			found = found || (l.Key == "supervision.serious" && l.Value == "1" && l.Floor == "D")
		}
		if !found {
			t.Errorf("the explanation does not name the serious listing: %s", body)
		}
		// The API's model versions: a bad draft is refused naming the node, a good one is 201 with
		// its Location, tried, then published.
		post := func(user, path, body string) (int, http.Header, string) {
			t.Helper()
			token, _, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, string(b)
		}
		var model map[string]any
		json.Unmarshal(risk.DefaultModelJSON(), &model)
		root := model["root"].(map[string]any)
		sup := root["children"].([]any)[2].(map[string]any)
		pen := sup["children"].([]any)[0].(map[string]any)
		pen["formula"].(map[string]any)["months"] = 0
		bad, _ := json.Marshal(map[string]any{"model": model})
		if code, _, body := post("admin", "/api/v1/risk/models", string(bad)); code != 422 ||
			!strings.Contains(body, "model.root.supervision.penalty.formula.months") {
			t.Errorf("bad draft: %d %s", code, body)
		}
		if code, _, _ := post("supervisor", "/api/v1/risk/models", string(bad)); code != 404 {
			t.Errorf("supervisor drafts: %d", code)
		}
		pen["formula"].(map[string]any)["months"] = 24
		good, _ := json.Marshal(map[string]any{"model": model})
		code, h, body := post("admin", "/api/v1/risk/models", string(good))
		if code != 201 || h.Get("Location") != "/api/v1/risk/models/2" {
			t.Fatalf("draft: %d %s %s", code, h.Get("Location"), body)
		}
		if code, _, body := post("admin", "/api/v1/risk/models/2/publication", ""); code != 409 {
			t.Errorf("publish an untried draft: %d %s", code, body)
		}
		if code, _, body := post("admin", "/api/v1/risk/models/2/trial", `{"sample": 100}`); code != 200 || !strings.Contains(body, `"status":"tried"`) {
			t.Errorf("trial: %d %s", code, body)
		}
		if code, _, body := post("admin", "/api/v1/risk/models/2/publication", ""); code != 200 || !strings.Contains(body, `"status":"published"`) {
			t.Errorf("publish: %d %s", code, body)
		}
		if _, page := get("supervisor", class); !strings.Contains(page, "列入严重违法失信名单") || !strings.Contains(page, "D类") {
			t.Errorf("class page lacks its explanation")
		}
	})
}
