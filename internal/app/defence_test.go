package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/enforcement"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestEnforcementDefencePages walks the party's statement and defence on
// the demo's opened case in the browser's forms and the API: after prior
// notice of a warning the inspector records the party's statement, an
// attempt through the API to add a fine is 422 citing 行政处罚法第四十五条
// and changes nothing, and the revision to 不予处罚 with education is
// accepted, the notice to the party shown on the case page.
func TestEnforcementDefencePages(t *testing.T) {
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
		u, err := a.Org.GetUser(ctx, seeded.Users["inspector_scj"])
		if err != nil {
			t.Fatal(err)
		}
		inspector := &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs}
		cs, _, err := a.Enforcement.List(ctx, inspector, enforcement.ListFilter{Status: enforcement.StatusOpen})
		if err != nil || len(cs) != 1 {
			t.Fatalf("the demo's opened case: %d, %v", len(cs), err)
		}
		c, err := a.Enforcement.Intend(ctx, inspector, cs[0].ID, enforcement.IntendedInput{Level: discretion.LevelLighter, Kinds: []string{"警告"},
			DepartureReason: "演示：先拟警告"})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		tok, _, err := a.Auth.SignIn(ctx, "inspector_scj", demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		do := func(method, path, ctype, body string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			req.Header.Set("Origin", srv.URL)
			req.AddCookie(&http.Cookie{Name: "ys_session", Value: tok})
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		form := "application/x-www-form-urlencoded"
		page := "/enforcement/cases/" + strconv.FormatInt(c.ID, 10)
		if code, body := do("GET", page, "", ""); code != 200 || !strings.Contains(body, `id="statement-form"`) || !strings.Contains(body, "行政处罚告知书") {
			t.Fatalf("case page after notice: %d, statement form or prior notice missing", code)
		}
		if code, _ := do("POST", page+"/statements", form, url.Values{"way": {"oral"}, "text": {"已\x00改正"}}.Encode()); code != 422 {
			t.Errorf("statement with a control character: %d, want 422", code)
		}
		if code, _ := do("POST", page+"/statements", form, url.Values{"way": {"oral"}, "text": {"当事人称已于当日补标全部价签，系首次违法"}}.Encode()); code != 303 {
			t.Fatalf("statement: %d, want 303", code)
		}
		code, body := do("POST", "/api/v1"+page+"/revision", "application/json",
			`{"level":"lighter","kinds":["警告","罚款"],"fine_yuan":500,"reason":"申辩不成立，加处罚款"}`)
		if code != 422 || !strings.Contains(body, "第四十五条") {
			t.Errorf("heavier revision via the API: %d %.300s, want 422 citing 第四十五条", code, body)
		}
		if got, _ := a.Enforcement.Get(ctx, inspector, c.ID, "zh-CN"); len(got.Revisions) != 0 || got.Intended.FineFen != 0 {
			t.Fatalf("refused revision stored: %+v", got.Intended)
		}
		if code, body := do("POST", page+"/revision", form, url.Values{"level": {"none"}, "reason": {"首次违法、危害后果轻微并及时改正，采纳"},
			"education": {"已当场宣讲明码标价规定"}}.Encode()); code != 303 {
			t.Fatalf("revision to 不予处罚: %d %.300s", code, body)
		}
		if code, body := do("GET", page, "", ""); code != 200 || !strings.Contains(body, "复核结果告知") || !strings.Contains(body, `id="revisions"`) {
			t.Errorf("case page after the revision: %d, notice of the result or revisions missing", code)
		}
		// The prior notice still says what was notified (a warning); the
		// review's notice says what changed.
		if code, body := do("GET", page+"/documents/notice", "", ""); code != 200 || !strings.Contains(body, "行政处罚：警告。") {
			t.Errorf("prior notice after the revision: %d, want the warning as notified", code)
		}
		if code, body := do("GET", page+"/documents/review", "", ""); code != 200 || !strings.Contains(body, "陈述申辩复核结果告知书") ||
			!strings.Contains(body, "不予行政处罚") || !strings.Contains(body, "第四十五条") {
			t.Errorf("review notice: %d %.200s", code, body)
		}
	})
}
