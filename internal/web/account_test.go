package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// accountEnv is a server on the real sign-in service and a database, with
// user "zhaoliu" whose password an administrator set.
type accountEnv struct {
	s    *Server
	db   *store.DB
	auth *auth.Service
	org  *org.Service
	uid  int64
}

const tempPassword = "Temp-pass-2026"

func newAccountEnv(t *testing.T, db *store.DB) *accountEnv {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	box, err := pii.New([]byte("test secret key, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	o := org.NewService(db, box, now)
	o.Password = auth.TestPasswordParams
	if _, err := o.CreateRegion(ctx, db, org.Region{Code: "440300", Name: "深圳市"}); err != nil {
		t.Fatal(err)
	}
	u, err := o.CreateUser(ctx, db, org.NewUser{Username: "zhaoliu", DisplayName: "赵六", Password: tempPassword,
		Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "440300", ChangeAtSignIn: true})
	if err != nil {
		t.Fatal(err)
	}
	a := auth.NewService(db, now, auth.Options{Password: auth.TestPasswordParams, Audit: audit.New(now)})
	s, err := New(Config{Sessions: a, Modules: []Module{testModule}})
	if err != nil {
		t.Fatal(err)
	}
	return &accountEnv{s: s, db: db, auth: a, org: o, uid: u.ID}
}

// signIn signs in through the page from addr and returns the cookie and
// where the page sent the browser.
func (e *accountEnv) signIn(t *testing.T, password, addr string) (*http.Cookie, string) {
	t.Helper()
	r := signinPost(url.Values{"username": {"zhaoliu"}, "password": {password}})
	r.RemoteAddr = addr + ":1234"
	r.Header.Set("User-Agent", "Phone browser/1.0")
	w := do(e.s, r)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == SessionCookie {
			return c, w.Header().Get("Location")
		}
	}
	t.Fatal("no session cookie")
	return nil, ""
}

func (e *accountEnv) req(method, target string, c *http.Cookie, form url.Values) *http.Request {
	var r *http.Request
	if form != nil {
		r = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	if c != nil {
		r.AddCookie(c)
	}
	return r
}

// A password an administrator set confines the session to the account page
// until it is changed; the page enforces the rules and then lets the user
// through, keeping the session.
func TestForcedPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAccountEnv(t, db)
		c, loc := e.signIn(t, tempPassword, "198.51.100.20")
		if loc != "/account?must=1" {
			t.Errorf("first sign-in goes to %q, want the account page", loc)
		}
		w := do(e.s, e.req("GET", "/t/staff", c, nil))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?must=1" {
			t.Errorf("other page before the change: %d %q", w.Code, w.Header().Get("Location"))
		}
		r := e.req("GET", "/api/v1/t/supervise", nil, nil)
		r.Header.Set("Authorization", "Bearer "+c.Value)
		decodeProblem(t, do(e.s, r), http.StatusForbidden)
		r = e.req("GET", "/api/v1/me", nil, nil)
		r.Header.Set("Authorization", "Bearer "+c.Value)
		if w := do(e.s, r); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"must_change_password":true`) {
			t.Errorf("me before the change: %d %s", w.Code, w.Body)
		}
		w = do(e.s, e.req("GET", "/account", c, nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="must-change"`) {
			t.Fatalf("account page: %d", w.Code)
		}
		for _, tc := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"current_password": {"wrong"}, "new_password": {"Brand-new-9"}, "confirm_password": {"Brand-new-9"}}, "current_password"},
			{url.Values{"current_password": {tempPassword}, "new_password": {"Brand-new-9"}, "confirm_password": {"Brand-new-8"}}, "confirm_password"},
			{url.Values{"current_password": {tempPassword}, "new_password": {"abcdefghij"}, "confirm_password": {"abcdefghij"}}, "new_password"},
			{url.Values{"current_password": {tempPassword}, "new_password": {"Zhaoliu-2026"}, "confirm_password": {"Zhaoliu-2026"}}, "new_password"},
			{url.Values{"current_password": {tempPassword}, "new_password": {"Woaini1314!"}, "confirm_password": {"Woaini1314!"}}, "new_password"},
		} {
			w := do(e.s, e.req("POST", "/account/password", c, tc.form))
			if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="`+tc.field+`-error"`) {
				t.Errorf("%v: %d, want 422 naming %s", tc.form, w.Code, tc.field)
			}
		}
		w = do(e.s, e.req("POST", "/account/password", c, url.Values{"current_password": {tempPassword},
			"new_password": {"Brand-new-9"}, "confirm_password": {"Brand-new-9"}}))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?changed=1" {
			t.Fatalf("change: %d %s", w.Code, w.Body)
		}
		if w := do(e.s, e.req("GET", "/t/staff", c, nil)); w.Code != http.StatusOK {
			t.Errorf("after the change, same session: %d", w.Code)
		}
	})
}

// The account page lists the person's sessions, the current one marked,
// and ends them; the API does the same, and another person's session is
// not found.
func TestAccountSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAccountEnv(t, db)
		ctx := context.Background()
		if err := e.org.SetPassword(ctx, db, e.uid, "Own-choice-77", false); err != nil {
			t.Fatal(err)
		}
		phone, _ := e.signIn(t, "Own-choice-77", "198.51.100.20")
		laptop, _ := e.signIn(t, "Own-choice-77", "203.0.113.7")
		w := do(e.s, e.req("GET", "/account", laptop, nil))
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, "198.51.100.20") || !strings.Contains(body, "Phone browser/1.0") ||
			strings.Count(body, `class="session current"`) != 1 || strings.Contains(body, `id="must-change"`) {
			t.Fatalf("account page: %d %s", w.Code, body)
		}
		ids := regexp.MustCompile(`action="/account/sessions/(\d+)/end"`).FindAllStringSubmatch(body, -1)
		if len(ids) != 2 {
			t.Fatalf("end buttons: %v", ids)
		}
		// The API lists the same two, the caller's marked.
		r := e.req("GET", "/api/v1/account/sessions", nil, nil)
		r.Header.Set("Authorization", "Bearer "+phone.Value)
		w = do(e.s, r)
		var out struct{ Sessions []auth.Session }
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK || len(out.Sessions) != 2 ||
			out.Sessions[0].Current || !out.Sessions[1].Current || out.Sessions[1].IP != "198.51.100.20" {
			t.Fatalf("API sessions: %d %s", w.Code, w.Body)
		}
		// The laptop ends the phone's session (the older one, listed second).
		w = do(e.s, e.req("POST", "/account/sessions/"+ids[1][1]+"/end", laptop, url.Values{}))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/account?ended=1" {
			t.Errorf("end other: %d %q", w.Code, w.Header().Get("Location"))
		}
		if w := do(e.s, e.req("GET", "/t/staff", phone, nil)); w.Code != http.StatusSeeOther {
			t.Errorf("ended session still works: %d", w.Code)
		}
		// Another person's session id is not found, through page and API.
		if w := do(e.s, e.req("POST", "/account/sessions/999999/end", laptop, url.Values{})); w.Code != http.StatusNotFound {
			t.Errorf("ending an unknown session: %d", w.Code)
		}
		r = e.req("DELETE", "/api/v1/account/sessions/999999", nil, nil)
		r.Header.Set("Authorization", "Bearer "+laptop.Value)
		decodeProblem(t, do(e.s, r), http.StatusNotFound)
		// The API changes the password; the rules are 422 with the field.
		change := func(body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest("POST", "/api/v1/account/password", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+laptop.Value)
			return do(e.s, r)
		}
		p := decodeProblem(t, change(`{"current_password":"Own-choice-77","new_password":"P@ssw0rd"}`), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Location != "body.new_password" {
			t.Errorf("common password problem: %+v", p)
		}
		if w := change(`{"current_password":"Own-choice-77","new_password":"Better-one-88"}`); w.Code != http.StatusNoContent {
			t.Errorf("API change: %d %s", w.Code, w.Body)
		}
		// Ending the current session signs out.
		id := regexp.MustCompile(`action="/account/sessions/(\d+)/end"`).FindStringSubmatch(
			do(e.s, e.req("GET", "/account", laptop, nil)).Body.String())
		w = do(e.s, e.req("POST", "/account/sessions/"+id[1]+"/end", laptop, url.Values{}))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin" {
			t.Errorf("end current: %d %q", w.Code, w.Header().Get("Location"))
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{})
		seen := map[string]int{}
		for _, r := range recs {
			seen[r.Action]++
		}
		if seen["auth.signin"] != 2 || seen["auth.session_end"] != 2 || seen["auth.password_change"] != 1 {
			t.Errorf("audit actions %v", seen)
		}
	})
}

// Through the page and the API, a throttled address gets 429 with
// Retry-After, and the rightful user elsewhere is not affected.
func TestSignInThrottledEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newAccountEnv(t, db)
		api := func(user, pw, addr string) *httptest.ResponseRecorder {
			b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
			r := httptest.NewRequest("POST", "/api/v1/sessions", strings.NewReader(string(b)))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = addr + ":999"
			return do(e.s, r)
		}
		var first *httptest.ResponseRecorder
		for i := range 10 {
			user := "zhaoliu"
			if i%2 == 1 {
				user = "nobody"
			}
			w := api(user, "wrong", "203.0.113.66")
			p := decodeProblem(t, w, http.StatusUnauthorized)
			if first == nil {
				first = w
			} else if p.Detail != decodeProblem(t, first, http.StatusUnauthorized).Detail {
				t.Errorf("attempt %d (%s): detail %q differs", i+1, user, p.Detail)
			}
		}
		w := api("zhaoliu", tempPassword, "203.0.113.66")
		decodeProblem(t, w, http.StatusTooManyRequests)
		if w.Header().Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1", w.Header().Get("Retry-After"))
		}
		r := signinPost(url.Values{"username": {"zhaoliu"}, "password": {tempPassword}})
		r.RemoteAddr = "203.0.113.66:999"
		if w := do(e.s, r); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Errorf("page while throttled: %d", w.Code)
		}
		if w := api("zhaoliu", tempPassword, "198.51.100.20"); w.Code != http.StatusCreated {
			t.Errorf("owner from home: %d %s", w.Code, w.Body)
		}
	})
}
