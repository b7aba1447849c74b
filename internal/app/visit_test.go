package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/visit"
)

// The demo's published draw gives inspectors open visits. An inspector
// records each item's result through the API, and its phone re-sends the
// same submissions (the answers were lost): nothing is recorded twice, the
// completion is one, and the audit record holds one completion. A head of
// the lead department publishes; the result is then on the business's
// public 监管宝 page. Inspectors of other visits and staff of other
// departments get 404.
func TestVisitReplayIsIdempotentAndPublishes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		sign := func(user string) (*auth.Actor, string) {
			tok, actor, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			return actor, tok
		}
		insp, tok := sign("inspector_scj")
		call := func(tok, method, path, body string) (int, map[string]any) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			var out map[string]any
			_ = json.Unmarshal(b, &out)
			return res.StatusCode, out
		}
		code, list := call(tok, "GET", "/api/v1/visits?status=assigned", "")
		items, _ := list["items"].([]any)
		if code != 200 || len(items) == 0 {
			t.Fatalf("inspector's visits: %d %v", code, list)
		}
		v := items[0].(map[string]any)
		id := int64(v["id"].(float64))
		path := "/api/v1/visits/" + jsonNum(v["id"])
		for _, it := range v["items"].([]any) {
			item := jsonNum(it.(map[string]any)["id"])
			body := `{"idempotency_key":"r-` + item + `","item_id":` + item + `,"result":"corrected","note":"已当场整改"}`
			for i, want := range []bool{false, true} {
				code, out := call(tok, "POST", path+"/results", body)
				if code != 200 || out["replayed"] != want {
					t.Fatalf("result of item %s, send %d: %d %v, want replayed %v", item, i+1, code, out, want)
				}
			}
		}
		// A control character in the note is refused and changes nothing.
		if code, _ := call(tok, "POST", path+"/results", `{"idempotency_key":"bad","item_id":1,"result":"ok","note":"a\u0007b"}`); code != 422 {
			t.Fatalf("control character: %d, want 422", code)
		}
		for i, want := range []bool{false, true} {
			code, out := call(tok, "POST", path+"/completion", `{"idempotency_key":"done-1"}`)
			if code != 200 || out["replayed"] != want {
				t.Fatalf("completion, send %d: %d %v", i+1, code, out)
			}
		}
		// A new key for a completed visit is refused, not applied twice.
		if code, _ := call(tok, "POST", path+"/completion", `{"idempotency_key":"done-2"}`); code != 422 {
			t.Fatalf("second completion: %d, want 422", code)
		}
		var completions int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'visit.complete' AND object_id = ?", jsonNum(v["id"])).Scan(&completions); err != nil {
			t.Fatal(err)
		}
		if completions != 1 {
			t.Fatalf("%d completions in the audit record, want 1", completions)
		}
		got, err := a.Visits.Get(ctx, insp, id)
		if err != nil || got.Status != visit.StatusCompleted || got.PublishDueOn == "" {
			t.Fatalf("after completion: %+v %v", got, err)
		}
		// Out of scope: an inspector not named on the visit, a handler,
		// and the inspector trying to publish.
		other := "inspector_cgj"
		if containsInt(got.InspectorUserIDs, actorID(t, sign, other)) {
			other = "inspector_scj2"
		}
		_, otok := sign(other)
		if code, _ := call(otok, "GET", path, ""); code != 404 {
			t.Fatalf("%s reads another's visit: %d, want 404", other, code)
		}
		if code, _ := call(tok, "POST", path+"/publication", ""); code != 404 {
			t.Fatalf("inspector publishes: %d, want 404", code)
		}
		_, htok := sign("approver_scj")
		code, pub := call(htok, "POST", path+"/publication", "")
		if code != 200 || pub["status"] != visit.StatusPublished {
			t.Fatalf("head publishes: %d %v", code, pub)
		}
		b, err := a.Visits.BoardOf(ctx, got.USCC)
		if err != nil || len(b.Results) != 1 || b.Results[0].Items[0].Result != "corrected" {
			t.Fatalf("public board: %+v %v", b, err)
		}
		found := false
		for _, r := range b.File.Records {
			found = found || r.DecisionNo == visit.DecisionNo(id)
		}
		if !found {
			t.Fatalf("the result is not in the public credit file: %+v", b.File.Records)
		}
		res, err := http.Get(srv.URL + "/jgb/" + got.USCC)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(page), "发现问题已责令改正") || strings.Contains(string(page), "已当场整改") {
			t.Fatalf("public page: %d; want the result and not the inspector's note", res.StatusCode)
		}
		if _, err := a.Visits.BoardOf(ctx, "91990103MA01YL9Z0"+string(ids.USCCCheck("91990103MA01YL9Z0"))); !errors.Is(err, visit.ErrNotFound) {
			t.Fatalf("unknown business: %v, want ErrNotFound", err)
		}
	})
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func containsInt(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func actorID(t *testing.T, sign func(string) (*auth.Actor, string), user string) int64 {
	a, _ := sign(user)
	return a.UserID
}

// The public 监管宝 page shares the public-query limit of 信用公示: past
// it, 429 with Retry-After; its label is for staff only.
func TestVisitBoardRateLimitedAndLabelForStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode,
			CreditPublicLimit: 2, CreditPublicWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		get := func(path string) *http.Response {
			t.Helper()
			res, err := client.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		board := "/jgb/" + demo.EnterpriseUSCC()
		for i := 0; i < 2; i++ {
			if res := get(board); res.StatusCode != 200 {
				t.Fatalf("query %d: %d", i+1, res.StatusCode)
			}
		}
		if res := get(board); res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("past the limit: %d %q, want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
		}
		if res := get(board + "/label"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("label, signed out: %d, want a redirect to sign in", res.StatusCode)
		}
	})
}
