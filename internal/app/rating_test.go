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

// 好差评 end to end: the demo's finished services ask for SMS links, which
// the notifier sends once each; staff read the follow-ups, figures per
// window staff member and exports of their departments; a citizen is kept
// out of them and rates own cases.
func TestRatingLinksAndStaffPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		run := func() {
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
		run()
		var links, sms int
		if err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM outbox WHERE topic = ?`, rating.TopicLink).Scan(&links); err != nil {
			t.Fatal(err)
		}
		if err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM notify_messages WHERE topic = ? AND channel = 'sms' AND body LIKE '%/ratings/t/%'`,
			rating.TopicLink).Scan(&sms); err != nil {
			t.Fatal(err)
		}
		var nr, nf int
		store.QueryRow(ctx, db, `SELECT COUNT(*) FROM ratings`).Scan(&nr)
		store.QueryRow(ctx, db, `SELECT COUNT(*) FROM rating_followups`).Scan(&nf)
		t.Logf("%d rating links asked for, %d texts written; %d ratings, %d follow-ups", links, sms, nr, nf)
		if links != sms {
			t.Fatalf("%d links asked for, %d texts", links, sms)
		}
		// Every demo window rating carries a staff member's id.
		var anonymousWindow int
		if err := store.QueryRow(ctx, db, `SELECT COUNT(*) FROM ratings WHERE channel = 'window' AND staff_id = 0`).Scan(&anonymousWindow); err != nil || anonymousWindow != 0 {
			t.Fatalf("%d window ratings without staff, %v", anonymousWindow, err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		as := func(user string) func(method, path, body string) (int, string) {
			token, _, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			return func(method, path, body string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.AddCookie(&http.Cookie{Name: "ys_session", Value: token})
				req.Header.Set("Origin", srv.URL)
				if strings.HasPrefix(path, "/api/") {
					req.Header.Set("Content-Type", "application/json")
				} else if method == http.MethodPost {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				res, err := http.DefaultTransport.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
		}
		sup := as("supervisor")
		if code, body := sup("GET", "/ratings/followups", ""); code != 200 || !strings.Contains(body, "差评核实整改") {
			t.Fatalf("follow-ups for the supervisor: %d", code)
		}
		if code, body := sup("GET", "/ratings/followups.xlsx", ""); code != 200 || !strings.HasPrefix(body, "PK") {
			t.Fatalf("follow-ups export: %d", code)
		}
		if code, body := sup("GET", "/ratings/figures?by=staff", ""); code != 200 || !strings.Contains(body, "好评率") {
			t.Fatalf("staff figures: %d", code)
		}
		if code, _ := sup("GET", "/ratings/figures?by=staff&from=2026-02-30", ""); code != 422 {
			t.Fatalf("bad date: %d, want 422", code)
		}
		if code, body := sup("GET", "/ratings/figures.xlsx?by=item", ""); code != 200 || !strings.HasPrefix(body, "PK") {
			t.Fatalf("figures export: %d", code)
		}
		if code, body := sup("GET", "/api/v1/ratings/figures?by=staff", ""); code != 200 || !strings.Contains(body, `"good_permil"`) {
			t.Fatalf("figures API: %d %s", code, body)
		}
		code, body := sup("GET", "/api/v1/ratings/followups?status=open", "")
		if code != 200 || !strings.Contains(body, `"due_on"`) {
			t.Fatalf("follow-ups API: %d %s", code, body)
		}
		citizen := as("zhangsan")
		if code, _ := citizen("GET", "/ratings/followups", ""); code != 403 {
			t.Fatalf("citizen on the follow-ups: %d, want 403", code)
		}
		if code, _ := citizen("GET", "/api/v1/ratings/figures", ""); code != 403 {
			t.Fatalf("citizen on the figures API: %d, want 403", code)
		}
		if code, _ := citizen("GET", "/ratings/mine", ""); code != 200 {
			t.Fatalf("citizen's answers: %d", code)
		}
		// The citizen's own decided application, if the demo gave one an
		// account applicant: rated once online, refused the second time.
		mine, _, err := a.Casework.List(ctx, auth.System(), casework.Query{Status: casework.StatusApproved, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		u, err := a.Org.GetUserByUsername(ctx, "zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range mine {
			if c.ApplicantUserID != u.ID {
				continue
			}
			path := "/api/v1/ratings/applications/" + strconv.FormatInt(c.ID, 10)
			rated, _ := a.Rating.Of(ctx, rating.Subject{Kind: rating.KindCase, ID: c.ID, Event: "decided"})
			if code, _ := citizen("POST", path, `{"level": 4, "comment": "好\u0007"}`); code != 422 {
				t.Fatalf("control character: %d, want 422", code)
			}
			want := 201
			if rated != nil {
				want = 409
			}
			if code, body := citizen("POST", path, `{"level": 4}`); code != want {
				t.Fatalf("own application %d: %d %s, want %d", c.ID, code, body, want)
			}
			if code, _ := citizen("POST", path, `{"level": 4}`); code != 409 {
				t.Fatalf("second rating: %d, want 409", code)
			}
			if code, body := citizen("GET", "/applications/"+strconv.FormatInt(c.ID, 10), ""); code != 200 || !strings.Contains(body, "/ratings/applications/") {
				t.Fatalf("application page has no rating link: %d", code)
			}
			break
		}
	})
}
