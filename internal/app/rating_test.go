package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// 好差评 through the app: the demo's ratings reach the public figures, and
// an SMS link for a decided application rates once through the public
// page, then answers 404.
func TestRatingPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		figs, err := a.Rating.Figures(ctx, rating.ByDepartment, "", "")
		if err != nil || len(figs) == 0 {
			t.Fatalf("demo figures: %+v, %v", figs, err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		c := srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		get := func(path string) (int, string) {
			t.Helper()
			res, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := get("/ratings/public"); code != 200 || !strings.Contains(body, "好评率") || !strings.Contains(body, `data-label=`) {
			t.Fatalf("public figures: %d", code)
		}
		if code, _ := get("/ratings/t/not-a-token"); code != 404 {
			t.Fatalf("unknown token: %d", code)
		}
		// A decided application not rated by the demo: a rejected one if any
		// was left unrated, otherwise rate a fresh event of an approved one.
		apps, _, err := a.Casework.List(ctx, auth.System(), casework.Query{Status: casework.StatusApproved, Limit: 1})
		if err != nil || len(apps) == 0 {
			t.Fatalf("no approved demo application: %v", err)
		}
		tok, _, err := a.Rating.IssueLink(ctx, rating.Subject{Kind: rating.KindCase, ID: apps[0].ID, Event: "corrected"})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := get("/ratings/t/" + tok); code != 200 || !strings.Contains(body, "非常满意") {
			t.Fatalf("link page: %d", code)
		}
		post := func(v url.Values) int {
			t.Helper()
			res, err := c.PostForm(srv.URL+"/ratings/t/"+tok, v)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if code := post(url.Values{"level": {"4"}, "comment": {"好\x01"}}); code != 422 {
			t.Fatalf("control character: %d, want 422", code)
		}
		if code := post(url.Values{"level": {"4"}}); code != http.StatusSeeOther {
			t.Fatalf("rate by link: %d, want 303", code)
		}
		if code := post(url.Values{"level": {"4"}}); code != 404 {
			t.Fatalf("second use: %d, want 404", code)
		}
	})
}
