package notify_test

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

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

type site struct {
	*world
	srv *httptest.Server
}

func serve(t *testing.T, w *world) *site {
	t.Helper()
	sessions := auth.NewService(w.db, w.clock.Now, auth.Options{Password: auth.TestPasswordParams})
	s, err := web.New(web.Config{Sessions: sessions, DB: w.db, Modules: []web.Module{w.svc}, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &site{world: w, srv: srv}
}

type jar struct{ cookies []*http.Cookie }

func (j *jar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *jar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

func (s *site) client(t *testing.T, username string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &jar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp := s.post(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	return c
}

func (s *site) post(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (s *site) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := serve(t, setup(t, db))
		ctx := context.Background()
		for i, p := range []map[string]any{
			{"id": 11, "number": "YL-N11", "status": "submitted", "applicant_user_id": s.users["cit1"]},
			{"id": 11, "number": "YL-N11", "status": "review", "applicant_user_id": s.users["cit1"]},
			{"id": 12, "number": "YL-N12", "status": "submitted", "applicant_user_id": s.users["cit2"]},
		} {
			if err := s.svc.Handle(ctx, event(int64(i+1), "casework.changed", p)); err != nil {
				t.Fatal(err)
			}
		}
		c1 := s.client(t, "cit1")
		code, body := s.get(t, c1, "/messages")
		if code != 200 || !strings.Contains(body, "YL-N11") || strings.Contains(body, "YL-N12") {
			t.Fatalf("/messages for cit1: %d, own %v, other's %v", code, strings.Contains(body, "YL-N11"), strings.Contains(body, "YL-N12"))
		}
		if !strings.Contains(body, "未读消息 2 条") || !strings.Contains(body, `href="/messages"`) {
			t.Errorf("unread count or navigation link missing")
		}
		if i, j := strings.Index(body, "审查中"), strings.Index(body, "待受理"); i < 0 || j < 0 || i > j {
			t.Errorf("not newest first (review at %d, submitted at %d)", i, j)
		}

		// The API lists the same, with the unread count.
		var list notify.MessageList
		apiGet(t, s, c1, "/api/v1/messages", &list)
		if list.Total != 2 || list.Unread != 2 || len(list.Items) != 2 || list.Items[0].ObjectID != "11" {
			t.Fatalf("API list %+v", list)
		}
		newest, older := list.Items[0].ID, list.Items[1].ID

		// Another user's message: 404 on the page form and the API.
		var other notify.MessageList
		c2 := s.client(t, "cit2")
		apiGet(t, s, c2, "/api/v1/messages", &other)
		foreign := strconv.FormatInt(other.Items[0].ID, 10)
		if resp := s.post(t, c1, "/messages/"+foreign+"/read", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("reading another's message by form: %d, want 404", resp.StatusCode)
		}
		if resp := s.post(t, c1, "/api/v1/messages/"+foreign+"/read", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("reading another's message by API: %d, want 404", resp.StatusCode)
		}

		// Marking read by form returns to the list; opening follows the link.
		resp := s.post(t, c1, "/messages/"+strconv.FormatInt(older, 10)+"/read", url.Values{"back": {"/messages?page=1"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/messages?page=1&ok=read" {
			t.Errorf("mark read: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp = s.post(t, c1, "/messages/"+strconv.FormatInt(newest, 10)+"/read", url.Values{"open": {"1"}})
		if resp.Header.Get("Location") != "/applications/11" {
			t.Errorf("open: → %s", resp.Header.Get("Location"))
		}
		if resp := s.post(t, c1, "/messages/read-all", url.Values{"back": {"https://evil.example/"}}); resp.Header.Get("Location") != "/messages?ok=read_all" {
			t.Errorf("read-all redirects to %s", resp.Header.Get("Location"))
		}
		if _, body := s.get(t, c1, "/messages"); !strings.Contains(body, "没有未读消息") {
			t.Error("page still shows unread messages")
		}
		if n, _ := s.svc.Unread(ctx, s.actor("cit2")); n != 1 {
			t.Errorf("cit2 unread %d after cit1 read everything, want 1", n)
		}

		// Read-all by API counts what it marked.
		req, _ := http.NewRequest("POST", s.srv.URL+"/api/v1/messages/read-all", nil)
		req.Header.Set("Origin", s.srv.URL)
		r2, err := c2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var res notify.ReadAllResult
		json.NewDecoder(r2.Body).Decode(&res)
		r2.Body.Close()
		if r2.StatusCode != 200 || res.Marked != 1 {
			t.Errorf("API read-all: %d %+v", r2.StatusCode, res)
		}

		// Anonymous callers are sent to sign in, or refused.
		anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if code, _ := s.get(t, anon, "/api/v1/messages"); code != http.StatusUnauthorized {
			t.Errorf("anonymous API: %d", code)
		}
		if code, _ := s.get(t, anon, "/messages"); code != http.StatusSeeOther && code != http.StatusUnauthorized {
			t.Errorf("anonymous page: %d", code)
		}
	})
}

func apiGet(t *testing.T, s *site, c *http.Client, path string, v any) {
	t.Helper()
	code, body := s.get(t, c, path)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatal(err)
	}
}
