package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// fakeSessions is an in-memory sign-in service.
type fakeSessions struct {
	passwords map[string]string
	actors    map[string]*auth.Actor // by username
	locked    map[string]bool
	disabled  map[string]bool
	tokens    map[string]*auth.Actor
	signedOut []string
	lastMeta  auth.ClientMeta
}

func newFakeSessions() *fakeSessions {
	return &fakeSessions{
		passwords: map[string]string{"lihua": "secret-1", "wang": "secret-2", "locked": "x", "gone": "x"},
		actors: map[string]*auth.Actor{
			"lihua":  {UserID: 7, Name: "李华", Roles: []auth.Role{auth.RoleOperator}},
			"wang":   {UserID: 8, Name: "王芳", Roles: []auth.Role{auth.RoleCitizen, auth.RoleSupervisor}},
			"locked": {UserID: 9, Name: "锁定", Roles: []auth.Role{auth.RoleCitizen}},
			"gone":   {UserID: 10, Name: "停用", Roles: []auth.Role{auth.RoleCitizen}},
		},
		locked:   map[string]bool{"locked": true},
		disabled: map[string]bool{"gone": true},
		tokens:   map[string]*auth.Actor{},
	}
}

func (f *fakeSessions) SignIn(_ context.Context, username, password string, meta auth.ClientMeta) (string, *auth.Actor, error) {
	f.lastMeta = meta
	switch {
	case username == "busy":
		return "", nil, &auth.ThrottledError{RetryAfter: 1500 * time.Millisecond}
	case f.locked[username]:
		return "", nil, auth.ErrLocked
	case f.passwords[username] == "" || f.passwords[username] != password:
		return "", nil, auth.ErrBadCredentials
	case f.disabled[username]:
		return "", nil, auth.ErrDisabled
	}
	token := "tok-" + username
	f.tokens[token] = f.actors[username]
	return token, f.actors[username], nil
}

func (f *fakeSessions) Authenticate(_ context.Context, token string) (*auth.Actor, error) {
	if token == "boom" {
		return nil, errors.New("database is down")
	}
	if a, ok := f.tokens[token]; ok {
		return a, nil
	}
	return nil, auth.ErrUnauthenticated
}

func (f *fakeSessions) SignOut(_ context.Context, token string, _ auth.ClientMeta) error {
	delete(f.tokens, token)
	f.signedOut = append(f.signedOut, token)
	return nil
}

func (f *fakeSessions) ListSessions(context.Context, int64, string) ([]auth.Session, error) {
	return nil, nil
}

func (f *fakeSessions) EndSession(context.Context, int64, int64, auth.ClientMeta) error {
	return auth.ErrNotFound
}

func (f *fakeSessions) ChangePassword(context.Context, string, string, string, auth.ClientMeta) error {
	return auth.ErrWrongPassword
}

// testModule exercises the module hooks: pages, guarded routes, an upload
// route, a panicking route and navigation.
var testModule = ModuleFunc(func(s *Server) error {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	s.Handle("GET /t/open", ok)
	s.Handle("GET /t/staff", s.RequireActor(ok))
	s.Handle("GET /t/supervise", s.Require(auth.RoleSupervisor)(ok))
	s.Handle("GET /api/v1/t/supervise", s.Require(auth.RoleSupervisor)(ok))
	s.Handle("POST /t/form", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.ParseForm(w, r) {
			return
		}
		io.WriteString(w, "got "+r.PostForm.Get("a"))
	}))
	s.Handle("POST /t/upload", MaxBytes(4<<20)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			s.Error(w, r, StatusOf(err), "")
			return
		}
		io.WriteString(w, "read "+strconv.FormatInt(n, 10))
	})))
	s.Handle("GET /t/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	s.Handle("GET /api/v1/t/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }))
	return nil
})

type navModule struct{}

func (navModule) Mount(*Server) error { return nil }
func (navModule) Nav(a *auth.Actor) []NavLink {
	if a.Has(auth.RoleOperator) {
		return []NavLink{{Path: "/hotline/intake", Key: "web.nav.home"}, {Path: "/t/open", Key: "web.signin.title"}}
	}
	return nil
}

func newTestServer(t *testing.T, mod ...Module) (*Server, *fakeSessions) {
	t.Helper()
	fs := newFakeSessions()
	s, err := New(Config{Sessions: fs, Modules: append([]Module{testModule, navModule{}}, mod...)})
	if err != nil {
		t.Fatal(err)
	}
	return s, fs
}

func do(s *Server, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func signedIn(s *Server, fs *fakeSessions, username string, r *http.Request) *http.Request {
	token, _, err := fs.SignIn(context.Background(), username, fs.passwords[username], auth.ClientMeta{})
	if err != nil {
		panic(err)
	}
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: token})
	return r
}

func TestSecurityHeaders(t *testing.T) {
	s, _ := newTestServer(t)
	for _, target := range []string{"/signin", "/api/v1/me", "/nope"} {
		w := do(s, httptest.NewRequest("GET", target, nil))
		h := w.Header()
		want := map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "same-origin",
			"X-Frame-Options":        "DENY",
		}
		for k, v := range want {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", target, k, got, v)
			}
		}
		csp := h.Get("Content-Security-Policy")
		for _, part := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, part) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, part)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", target, csp)
		}
		if h.Get("Permissions-Policy") == "" {
			t.Errorf("%s: no Permissions-Policy", target)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent over plain HTTP", target)
		}
	}
	r := httptest.NewRequest("GET", "https://example.gov.cn/signin", nil)
	if w := do(s, r); !strings.Contains(w.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS over TLS: %v", w.Header())
	}
}

func TestNoInlineScript(t *testing.T) {
	s, fs := newTestServer(t)
	w := do(s, signedIn(s, fs, "lihua", httptest.NewRequest("GET", "/hotline/intake", nil)))
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("home: %d %s", w.Code, body)
	}
	// Every <script> must load a file: CSP forbids inline code.
	for _, chunk := range strings.Split(body, "<script")[1:] {
		if !strings.HasPrefix(chunk, " src=") {
			t.Errorf("inline script: <script%.60s", chunk)
		}
	}
	for _, want := range []string{`<html lang="zh-CN">`, `href="#main"`, `<main id="main"`, `action="/signout"`, "营商", "李华", `?lang=en`} {
		if !strings.Contains(body, want) {
			t.Errorf("layout lacks %q", want)
		}
	}
}

func TestRequestID(t *testing.T) {
	s, _ := newTestServer(t)
	r := httptest.NewRequest("GET", "/t/open", nil)
	r.Header.Set("X-Request-Id", "abc-123.DEF_456")
	if got := do(s, r).Header().Get("X-Request-Id"); got != "abc-123.DEF_456" {
		t.Errorf("safe incoming id not echoed: %q", got)
	}
	r = httptest.NewRequest("GET", "/t/open", nil)
	r.Header.Set("X-Request-Id", "<script>alert(1)</script>")
	got := do(s, r).Header().Get("X-Request-Id")
	if got == "" || strings.ContainsAny(got, "<>()") {
		t.Errorf("unsafe incoming id not replaced: %q", got)
	}
}

func TestCrossOriginPOSTRefused(t *testing.T) {
	s, fs := newTestServer(t)
	tests := []struct {
		name   string
		header map[string]string
		bearer bool
		want   int
	}{
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, false, http.StatusForbidden},
		{"foreign origin", map[string]string{"Origin": "https://evil.example"}, false, http.StatusForbidden},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, false, http.StatusSeeOther},
		{"no browser headers", nil, false, http.StatusSeeOther},
		{"bearer exempt", map[string]string{"Sec-Fetch-Site": "cross-site"}, true, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signedIn(s, fs, "lihua", httptest.NewRequest("POST", "/signout", nil))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if tt.bearer {
				r.Header.Set("Authorization", "Bearer tok-lihua")
			}
			w := do(s, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if tt.want == http.StatusForbidden && !strings.Contains(w.Body.String(), "其他网站") {
				t.Errorf("refusal does not explain itself: %s", w.Body)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t)
	big := "a=" + strings.Repeat("x", 1<<20+10)
	r := httptest.NewRequest("POST", "/t/form", strings.NewReader(big))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := do(s, r); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("over the default limit: status %d, want 413", w.Code)
	}

	r = httptest.NewRequest("POST", "/t/form", strings.NewReader("a=b"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := do(s, r); w.Code != http.StatusOK || w.Body.String() != "got b" {
		t.Errorf("small form: %d %q", w.Code, w.Body)
	}

	// An upload route lifts the limit to 4 MiB, not beyond.
	if w := do(s, httptest.NewRequest("POST", "/t/upload", strings.NewReader(strings.Repeat("x", 3<<20)))); w.Code != http.StatusOK {
		t.Errorf("3 MiB upload: status %d, want 200", w.Code)
	}
	if w := do(s, httptest.NewRequest("POST", "/t/upload", strings.NewReader(strings.Repeat("x", 5<<20)))); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("5 MiB upload: status %d, want 413", w.Code)
	}

	// The API enforces the same default.
	r = httptest.NewRequest("POST", "/api/v1/sessions", strings.NewReader(`{"username":"`+strings.Repeat("x", 1<<20)+`"}`))
	r.Header.Set("Content-Type", "application/json")
	if w := do(s, r); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("API body over limit: status %d, want 413", w.Code)
	}
}

func TestPanicBecomes500WithRequestID(t *testing.T) {
	s, _ := newTestServer(t)
	w := do(s, httptest.NewRequest("GET", "/t/panic", nil))
	id := w.Header().Get("X-Request-Id")
	if w.Code != http.StatusInternalServerError || id == "" || !strings.Contains(w.Body.String(), id) {
		t.Errorf("page panic: status %d, id %q, body lacks id: %s", w.Code, id, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("page panic: Content-Type %q", ct)
	}

	w = do(s, httptest.NewRequest("GET", "/api/v1/t/panic", nil))
	p := decodeProblem(t, w, http.StatusInternalServerError)
	id = w.Header().Get("X-Request-Id")
	if !strings.Contains(p.Detail, id) || !strings.Contains(p.Instance, id) {
		t.Errorf("API panic: problem does not carry request id %q: %+v", id, p)
	}
	if strings.Contains(w.Body.String(), "kaboom") {
		t.Error("panic value leaked to the client")
	}
}

type problem struct {
	Type, Title, Detail, Instance string
	Status                        int
	Errors                        []struct{ Message, Location string }
}

func decodeProblem(t *testing.T, w *httptest.ResponseRecorder, status int) problem {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, w.Body)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, w.Body)
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" {
		t.Errorf("problem %+v: want status %d, title %q and a detail", p, status, http.StatusText(status))
	}
	return p
}

func TestAPIErrorsAreProblems(t *testing.T) {
	s, fs := newTestServer(t)
	post := func(body string, lang string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/api/v1/sessions", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept-Language", lang)
		return do(s, r)
	}
	p := decodeProblem(t, post(`{"username":"lihua","password":"wrong"}`, "zh-CN"), http.StatusUnauthorized)
	if p.Detail != "用户名或密码不正确；多次失败后将暂时锁定。" {
		t.Errorf("bad credentials detail %q", p.Detail)
	}
	// Unknown, locked and disabled answer exactly as a wrong password.
	want := decodeProblem(t, post(`{"username":"lihua","password":"wrong"}`, "en"), http.StatusUnauthorized)
	for _, body := range []string{`{"username":"nobody","password":"wrong"}`, `{"username":"locked","password":"x"}`,
		`{"username":"gone","password":"x"}`} {
		if p := decodeProblem(t, post(body, "en"), http.StatusUnauthorized); p.Detail != want.Detail || p.Title != want.Title {
			t.Errorf("%s: problem %+v, want the same as a wrong password %+v", body, p, want)
		}
	}
	w := post(`{"username":"busy","password":"x"}`, "en")
	decodeProblem(t, w, http.StatusTooManyRequests)
	if w.Header().Get("Retry-After") != "2" {
		t.Errorf("throttled: Retry-After %q, want 2 (whole seconds, rounded up)", w.Header().Get("Retry-After"))
	}
	p = decodeProblem(t, post(`{"username":"","password":"x"}`, "en"), http.StatusUnprocessableEntity)
	if len(p.Errors) == 0 || p.Errors[0].Location != "body.username" {
		t.Errorf("validation problem lacks the field: %+v", p)
	}

	w = post(`{"username":"lihua","password":"secret-1"}`, "en")
	if w.Code != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	var out struct {
		Token string
		User  User
	}
	json.Unmarshal(w.Body.Bytes(), &out)
	if out.Token != "tok-lihua" || out.User.ID != 7 || out.User.Home != "/hotline/intake" {
		t.Errorf("sign-in output %+v", out)
	}
	if fs.lastMeta.IP != "192.0.2.1" {
		t.Errorf("client meta %+v, want the peer address", fs.lastMeta)
	}

	// The token works as a bearer token, then stops working after sign-out.
	me := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+out.Token)
		return do(s, r)
	}
	if w := me(); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"name":"李华"`) {
		t.Errorf("me: %d %s", w.Code, w.Body)
	}
	r := httptest.NewRequest("DELETE", "/api/v1/sessions/current", nil)
	r.Header.Set("Authorization", "Bearer "+out.Token)
	if w := do(s, r); w.Code != http.StatusNoContent {
		t.Errorf("sign-out: %d %s", w.Code, w.Body)
	}
	decodeProblem(t, me(), http.StatusUnauthorized)
}

func TestAPINotFoundIsProblem(t *testing.T) {
	s, _ := newTestServer(t)
	decodeProblem(t, do(s, httptest.NewRequest("GET", "/api/v1/nothing-here", nil)), http.StatusNotFound)
	w := do(s, httptest.NewRequest("GET", "/nothing-here", nil))
	if w.Code != http.StatusNotFound || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("page 404: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
}

func TestRequire(t *testing.T) {
	s, fs := newTestServer(t)

	w := do(s, httptest.NewRequest("GET", "/t/staff?x=1", nil))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin?next="+url.QueryEscape("/t/staff?x=1") {
		t.Errorf("anonymous page: %d Location %q", w.Code, w.Header().Get("Location"))
	}
	w = do(s, httptest.NewRequest("GET", "/api/v1/t/supervise", nil))
	decodeProblem(t, w, http.StatusUnauthorized)
	if w.Header().Get("WWW-Authenticate") == "" {
		t.Error("API 401 without WWW-Authenticate")
	}
	decodeProblem(t, do(s, httptest.NewRequest("GET", "/api/v1/me", nil)), http.StatusUnauthorized)

	if w := do(s, signedIn(s, fs, "lihua", httptest.NewRequest("GET", "/t/staff", nil))); w.Code != http.StatusOK {
		t.Errorf("signed-in page: %d", w.Code)
	}
	w = do(s, signedIn(s, fs, "lihua", httptest.NewRequest("GET", "/t/supervise", nil)))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "没有权限") {
		t.Errorf("wrong role page: %d %s", w.Code, w.Body)
	}
	decodeProblem(t, do(s, signedIn(s, fs, "lihua", httptest.NewRequest("GET", "/api/v1/t/supervise", nil))), http.StatusForbidden)
	if w := do(s, signedIn(s, fs, "wang", httptest.NewRequest("GET", "/t/supervise", nil))); w.Code != http.StatusOK {
		t.Errorf("right role: %d", w.Code)
	}

	// A stale cookie leaves the request anonymous and is cleared.
	r := httptest.NewRequest("GET", "/t/staff", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "expired"})
	w = do(s, r)
	if w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Set-Cookie"), SessionCookie+"=;") {
		t.Errorf("stale cookie: %d Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	// A failing sign-in service is an outage, not an anonymous request.
	r = httptest.NewRequest("GET", "/t/staff", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "boom"})
	if w := do(s, r); w.Code != http.StatusServiceUnavailable {
		t.Errorf("auth outage: %d", w.Code)
	}
}

func signinPost(form url.Values) *http.Request {
	r := httptest.NewRequest("POST", "/signin", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

func TestSignInPage(t *testing.T) {
	s, _ := newTestServer(t)

	w := do(s, signinPost(url.Values{"username": {"lihua"}, "password": {"secret-1"}}))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/hotline/intake" {
		t.Fatalf("success: %d Location %q", w.Code, w.Header().Get("Location"))
	}
	var c *http.Cookie
	for _, x := range w.Result().Cookies() {
		if x.Name == SessionCookie {
			c = x
		}
	}
	if c == nil || c.Value != "tok-lihua" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("session cookie %+v", c)
	}
	if c != nil && c.Secure {
		t.Error("Secure cookie on a plain-HTTP request without SecureCookies")
	}

	w = do(s, signinPost(url.Values{"username": {"wang"}, "password": {"secret-2"}, "next": {"/t/staff?x=1"}}))
	if got := w.Header().Get("Location"); got != "/t/staff?x=1" {
		t.Errorf("next not honoured: %q", got)
	}
	w = do(s, signinPost(url.Values{"username": {"wang"}, "password": {"secret-2"}, "next": {"//evil.example/"}}))
	if got := w.Header().Get("Location"); got != "/supervision" {
		t.Errorf("off-site next followed: %q", got)
	}

	generic := []url.Values{
		{"username": {"lihua"}, "password": {"wrong"}},
		{"username": {"nobody"}, "password": {"wrong"}},
		{"username": {"gone"}, "password": {"x"}},
	}
	for _, form := range generic {
		w := do(s, signinPost(form))
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "用户名或密码不正确") {
			t.Errorf("%v: %d, body lacks the generic message", form, w.Code)
		}
		if strings.Contains(w.Body.String(), "停用") || len(w.Result().Cookies()) > 0 {
			t.Errorf("%v: failure reveals the account or sets a cookie", form)
		}
	}
	r := signinPost(url.Values{"username": {"nobody"}, "password": {"wrong"}})
	r.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if w := do(s, r); !strings.Contains(w.Body.String(), "The username or password is incorrect; after repeated failures sign-in is locked for a while.") {
		t.Errorf("English failure message missing")
	}
	// A username locked for this address answers like a wrong password.
	locked := do(s, signinPost(url.Values{"username": {"locked"}, "password": {"x"}}))
	wrong := do(s, signinPost(url.Values{"username": {"lihua"}, "password": {"x"}}))
	if locked.Code != wrong.Code || strings.ReplaceAll(locked.Body.String(), "locked", "lihua") != wrong.Body.String() ||
		!strings.Contains(locked.Body.String(), "用户名或密码不正确") {
		t.Errorf("locked: %d %s", locked.Code, locked.Body)
	}
	w = do(s, signinPost(url.Values{"username": {"busy"}, "password": {"x"}}))
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), "2 秒后再试") {
		t.Errorf("throttled page: %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestSignOut(t *testing.T) {
	s, fs := newTestServer(t)
	r := signedIn(s, fs, "lihua", httptest.NewRequest("POST", "/signout", nil))
	w := do(s, r)
	if w.Code != http.StatusSeeOther || len(fs.signedOut) != 1 || fs.signedOut[0] != "tok-lihua" {
		t.Errorf("sign-out: %d, signed out %v", w.Code, fs.signedOut)
	}
	if !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("cookie not cleared: %q", w.Header().Get("Set-Cookie"))
	}
}

func TestRootAndHomes(t *testing.T) {
	s, fs := newTestServer(t)
	// Anonymous visitors get the public front door, with the ways in.
	w := do(s, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("anonymous /: %d, Location %q", w.Code, w.Header().Get("Location"))
	}
	for _, want := range []string{`action="/catalog"`, `name="q"`, `href="/apply"`, `href="tel:12345"`,
		`action="/hotline/lookup"`, `action="/verify"`, `href="/faq"`, `href="/hotline/ranking"`, `href="/signin"`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("front page lacks %s", want)
		}
	}
	// A citizen sees it too, with the way to their own cases instead of sign-in.
	fs.tokens["t-citizen-front"] = &auth.Actor{UserID: 7, Name: "张三", Roles: []auth.Role{auth.RoleCitizen}}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "t-citizen-front"})
	w = do(s, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `href="/my"`) || strings.Contains(w.Body.String(), `href="/signin"`) {
		t.Errorf("citizen /: %d, link to /my %v", w.Code, strings.Contains(w.Body.String(), `href="/my"`))
	}
	// Staff go on to their workspace.
	w = do(s, signedIn(s, fs, "wang", httptest.NewRequest("GET", "/", nil)))
	if w.Header().Get("Location") != "/supervision" {
		t.Errorf("/ for a supervisor: Location %q", w.Header().Get("Location"))
	}
	// Every role's home answers, even before its module exists.
	for _, role := range auth.Roles {
		a := &auth.Actor{UserID: 1, Name: "x", Roles: []auth.Role{role}}
		fs.tokens["t-"+string(role)] = a
		r := httptest.NewRequest("GET", HomeFor(a), nil)
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "t-" + string(role)})
		if w := do(s, r); w.Code != http.StatusOK {
			t.Errorf("%s home %s: %d", role, HomeFor(a), w.Code)
		}
	}
}

func TestHomeFor(t *testing.T) {
	for _, r := range auth.Roles {
		if homes[r] == "" || !strings.HasPrefix(homes[r], "/") {
			t.Errorf("role %s has no home", r)
		}
		if HomeFor(&auth.Actor{Roles: []auth.Role{r}}) != homes[r] {
			t.Errorf("HomeFor(%s) = %q", r, HomeFor(&auth.Actor{Roles: []auth.Role{r}}))
		}
	}
	tests := []struct {
		roles []auth.Role
		want  string
	}{
		{[]auth.Role{auth.RoleCitizen, auth.RoleAdmin}, "/admin"},
		{[]auth.Role{auth.RoleHandler, auth.RoleApprover}, "/approvals"},
		{[]auth.Role{auth.RoleClerk, auth.RoleOperator}, "/hotline/intake"},
		{nil, "/my"},
	}
	for _, tt := range tests {
		if got := HomeFor(&auth.Actor{Roles: tt.roles}); got != tt.want {
			t.Errorf("HomeFor(%v) = %q, want %q", tt.roles, got, tt.want)
		}
	}
	if HomeFor(nil) != "/signin" {
		t.Errorf("HomeFor(nil) = %q", HomeFor(nil))
	}
}

func TestNav(t *testing.T) {
	s, fs := newTestServer(t)
	w := do(s, signedIn(s, fs, "lihua", httptest.NewRequest("GET", "/hotline/intake", nil)))
	body := w.Body.String()
	if !strings.Contains(body, `<a href="/hotline/intake" aria-current="page">工作台</a>`) {
		t.Errorf("current home link missing:\n%s", body)
	}
	if strings.Count(body, `href="/hotline/intake"`) != 1 {
		t.Error("duplicate nav links not merged")
	}
	if !strings.Contains(body, `<a href="/t/open">登录</a>`) {
		t.Error("module nav link missing")
	}
	w = do(s, signedIn(s, fs, "wang", httptest.NewRequest("GET", "/supervision", nil)))
	if strings.Contains(w.Body.String(), `href="/t/open"`) {
		t.Error("operator link shown to a supervisor")
	}
}

func TestLanguage(t *testing.T) {
	s, _ := newTestServer(t)
	w := do(s, httptest.NewRequest("GET", "/signin?lang=en", nil))
	if !strings.Contains(w.Body.String(), `<html lang="en">`) || !strings.Contains(w.Body.String(), "Sign in") {
		t.Error("?lang=en did not switch the page to English")
	}
	c := w.Result().Cookies()
	if len(c) != 1 || c[0].Name != i18n.CookieName || c[0].Value != "en" {
		t.Errorf("language not remembered: %v", c)
	}
	r := httptest.NewRequest("GET", "/signin", nil)
	r.AddCookie(c[0])
	if w := do(s, r); !strings.Contains(w.Body.String(), `<html lang="en">`) {
		t.Error("cookie language ignored")
	}
}

// TestCatalogs checks that the web catalog is complete and that the pages
// ask for no message that does not exist, in either language.
func TestCatalogs(t *testing.T) {
	s, fs := newTestServer(t)
	if err := s.Bundle().Check(); err != nil {
		t.Fatal(err)
	}
	for _, lang := range i18n.Locales() {
		for _, target := range []string{"/signin", "/nothing", "/my", "/t/panic", "/t/supervise"} {
			r := httptest.NewRequest("GET", target+"?lang="+lang, nil)
			if target != "/signin" {
				r = signedIn(s, fs, "lihua", r)
			}
			do(s, r)
		}
		do(s, signinPost(url.Values{"username": {"x"}, "password": {"y"}, "lang": {lang}}))
	}
	if m := s.Bundle().Missed(); len(m) > 0 {
		t.Errorf("pages use undefined messages: %v", m)
	}
}

func TestOpenAPI(t *testing.T) {
	s, _ := newTestServer(t)
	w := do(s, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("openapi.json: %d", w.Code)
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	for _, p := range []string{"/api/v1/sessions", "/api/v1/sessions/current", "/api/v1/me",
		"/api/v1/account/sessions", "/api/v1/account/sessions/{id}", "/api/v1/account/password"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("paths lack %s", p)
		}
	}
	if w := do(s, httptest.NewRequest("GET", "/api/v1/docs", nil)); w.Code != http.StatusNotFound {
		t.Errorf("docs UI (needs CDN scripts) served: %d", w.Code)
	}
}

func TestMetricsCountRequests(t *testing.T) {
	s, _ := newTestServer(t)
	do(s, httptest.NewRequest("GET", "/t/open", nil))
	do(s, httptest.NewRequest("GET", "/no/such/page/123", nil))
	w := httptest.NewRecorder()
	s.MetricsHandler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`ys_http_requests_total{route="/t/open",method="GET",status="200"} 1`,
		`ys_http_requests_total{route="/",method="GET",status="404"} 1`,
		`ys_http_request_duration_seconds_count{route="/t/open"} 1`,
		"# TYPE ys_http_requests_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// The metrics describe the deployment (routes, load, pool): on the main
// address only a scraper holding the token reads them; without a token
// configured they are not there at all.
func TestMetricsNeedToken(t *testing.T) {
	for _, tc := range []struct {
		token, sent string
		want        int
	}{
		{"", "", http.StatusNotFound},
		{"", "anything", http.StatusNotFound},
		{"s3cret-scrape", "", http.StatusNotFound},
		{"s3cret-scrape", "s3cret-scrapf", http.StatusNotFound},
		{"s3cret-scrape", "s3cret-scrape", http.StatusOK},
	} {
		s, err := New(Config{MetricsToken: tc.token})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/metrics", nil)
		if tc.sent != "" {
			r.Header.Set("Authorization", "Bearer "+tc.sent)
		}
		w := do(s, r)
		if w.Code != tc.want || (tc.want == http.StatusOK) != strings.Contains(w.Body.String(), "ys_http_requests_total") {
			t.Errorf("token %q, sent %q: %d, want %d", tc.token, tc.sent, w.Code, tc.want)
		}
	}
}

func TestStatic(t *testing.T) {
	s, _ := newTestServer(t)
	u := staticURL("app.css")
	w := do(s, httptest.NewRequest("GET", u, nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/css") {
		t.Fatalf("%s: %d %s", u, w.Code, w.Header().Get("Content-Type"))
	}
	if !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("versioned asset not cacheable: %q", w.Header().Get("Cache-Control"))
	}
	r := httptest.NewRequest("GET", "/static/app.css", nil)
	r.Header.Set("If-None-Match", w.Header().Get("ETag"))
	if w := do(s, r); w.Code != http.StatusNotModified {
		t.Errorf("ETag revalidation: %d", w.Code)
	}
	w = do(s, httptest.NewRequest("GET", staticURL("htmx.min.js"), nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `version:"2.0.`) {
		t.Errorf("htmx 2.0 not served: %d", w.Code)
	}
}

type clashA struct{ N int }

// Anonymous response bodies of different modules get distinct schema names,
// qualified by the package of their fields' types.
func TestSchemaNameQualifies(t *testing.T) {
	named := schemaName(reflect.TypeFor[clashA](), "")
	if named != "WebClashA" {
		t.Errorf("named type: %q", named)
	}
	anonWeb := schemaName(reflect.TypeFor[struct{ Items []clashA }](), "ListOutputBody")
	anonTime := schemaName(reflect.TypeFor[struct{ At time.Time }](), "ListOutputBody")
	if anonWeb == anonTime || anonWeb != "WebListOutputBody" {
		t.Errorf("anonymous bodies: %q and %q", anonWeb, anonTime)
	}
}

type countingNav struct{}

func (countingNav) Mount(*Server) error { return nil }
func (countingNav) Nav(*auth.Actor) []NavLink {
	return []NavLink{{Path: "/messages", Key: "web.nav.home"}}
}
func (countingNav) NavCounts(context.Context, *auth.Actor) map[string]int {
	return map[string]int{"/messages": 3}
}

// A module's counts appear on its navigation links.
func TestNavCounts(t *testing.T) {
	s, err := New(Config{Modules: []Module{countingNav{}}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/x", nil)
	r = r.WithContext(auth.WithActor(r.Context(), &auth.Actor{UserID: 1, Roles: []auth.Role{auth.RoleCitizen}}))
	items := s.nav(r, auth.FromContext(r.Context()))
	found := false
	for _, it := range items {
		if it.Path == "/messages" {
			found = strings.HasSuffix(it.Label, " (3)")
		}
	}
	if !found {
		t.Errorf("nav items %+v: no count on /messages", items)
	}
}

// The access log names the route pattern, not the path: paths such as a
// satisfaction survey's /hotline/visit/{token} carry bearer tokens.
func TestAccessLogOmitsPathTokens(t *testing.T) {
	var logged bytes.Buffer
	// Debug: successful reads are logged at debug level.
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	s, err := New(Config{Logger: slog.New(slog.NewTextHandler(&logged, debug)), Modules: []Module{ModuleFunc(func(s *Server) error {
		s.Handle("GET /t/visit/{token}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		return nil
	})}})
	if err != nil {
		t.Fatal(err)
	}
	const token = "Zq7bearer-secret-9xk"
	for _, path := range []string{"/t/visit/" + token, "/no-such/" + token} {
		if w := do(s, httptest.NewRequest("GET", path, nil)); w.Code == 0 {
			t.Fatal("no answer")
		}
	}
	out := logged.String()
	if strings.Contains(out, token) {
		t.Errorf("the log holds the token:\n%s", out)
	}
	if !strings.Contains(out, "route=/t/visit/{token}") || !strings.Contains(out, "route=/ status=404") {
		t.Errorf("the log does not name the routes:\n%s", out)
	}
}

// A reason recorded in both languages shows in the page's language only;
// text that is not "中文 (English)" shows as it is.
func TestPageTextPicksLanguage(t *testing.T) {
	for _, c := range []struct{ in, zh, en string }{
		{"规则判定符合条件，系统自动审批 (the rule approved)", "规则判定符合条件，系统自动审批", "the rule approved"},
		{"没有申请人的信用信息 (no credit record: class (A–D))", "没有申请人的信用信息 (no credit record: class (A–D))", "没有申请人的信用信息 (no credit record: class (A–D))"},
		{"表单未填写 area (form field area has no value)", "表单未填写 area", "form field area has no value"},
		{"营业执照（副本）", "营业执照（副本）", "营业执照（副本）"},
		{"No Chinese here (none)", "No Chinese here (none)", "No Chinese here (none)"},
		{"派单目录 (dispatch directory) · 临江区", "派单目录 (dispatch directory) · 临江区", "派单目录 (dispatch directory) · 临江区"},
	} {
		zh, en := (&Page{Lang: "zh-CN"}).Text(c.in), (&Page{Lang: "en"}).Text(c.in)
		if zh != c.zh || en != c.en {
			t.Errorf("Text(%q) = %q / %q, want %q / %q", c.in, zh, en, c.zh, c.en)
		}
	}
}
