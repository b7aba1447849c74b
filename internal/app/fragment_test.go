package app_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
)

// hxURL finds the URLs htmx fetches: hx-get and hx-post attributes.
var hxURL = regexp.MustCompile(`hx-(get|post)="([^"{]+)"`)

// fragmentRoutes returns the htmx fragment routes, found in every module's
// templates, as "METHOD /path".
func fragmentRoutes(t *testing.T) []string {
	var out []string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range hxURL.FindAllStringSubmatch(string(b), -1) {
			r := strings.ToUpper(m[1]) + " " + m[2]
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// tagRE matches start and end tags.
var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>`)

var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true,
	"hr": true, "img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// saneFragment reports what is wrong with an HTML fragment: a whole page
// instead of a part, template text left over, or unbalanced elements.
func saneFragment(body string) string {
	if strings.TrimSpace(body) == "" {
		return "empty"
	}
	lower := strings.ToLower(body)
	if strings.Contains(lower, "<html") || strings.Contains(lower, "<body") {
		return "a whole page, not a fragment"
	}
	if strings.Contains(body, "{{") || strings.Contains(body, "<no value>") {
		return "template text left over"
	}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		name := strings.ToLower(m[2])
		switch {
		case voidElements[name] || m[3] == "/":
		case m[1] == "":
			stack = append(stack, name)
		case len(stack) == 0 || stack[len(stack)-1] != name:
			return "unbalanced </" + name + ">"
		default:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return "unclosed <" + stack[len(stack)-1] + ">"
	}
	return ""
}

// checkFragments checks that every htmx fragment the templates fetch is a
// registered route that answers 200 with a well-formed HTML fragment to
// some demo account, and 5xx to none. The dispatch suggestion at intake
// once answered 500 on every call and no test noticed. TestRouteMatrix runs
// it on its demo platform.
func checkFragments(t *testing.T, a *app.App, seeded *demo.Seeded, srv *httptest.Server) {
	frags := fragmentRoutes(t)
	if len(frags) < 2 {
		t.Fatalf("found only %v: the template walk is broken", frags)
	}
	ctx := context.Background()
	var category string
	if err := a.DB.QueryRowContext(ctx, "SELECT code FROM hotline_categories ORDER BY code LIMIT 1").Scan(&category); err != nil {
		t.Fatal(err)
	}
	// What the forms that fetch fragments send.
	query := url.Values{"q": {"营业执照怎么办理"}, "title": {"噪音扰民"}, "content": {"夜间施工噪音扰民，营业执照"},
		"category_code": {category}, "region_code": {"990102"}}.Encode()
	tokens := []string{""}
	for _, acc := range seeded.Accounts {
		token, _, err := a.Auth.SignIn(ctx, acc.Username, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token)
	}
	routes := a.Web.Routes()
	for _, f := range frags {
		method, path, _ := strings.Cut(f, " ")
		if !slices.Contains(routes, f) {
			t.Errorf("templates fetch %s, which is not a registered route", f)
			continue
		}
		ok := 0
		for _, token := range tokens {
			req, _ := http.NewRequest(method, srv.URL+path+"?"+query, nil)
			req.Header.Set("HX-Request", "true")
			req.Header.Set("Origin", srv.URL)
			if token != "" {
				req.AddCookie(&http.Cookie{Name: "ys_session", Value: token})
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode >= 500:
				t.Errorf("%s: %d: %s", f, resp.StatusCode, b)
			case resp.StatusCode == http.StatusOK:
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("%s: Content-Type %q", f, ct)
				} else if bad := saneFragment(string(b)); bad != "" {
					t.Errorf("%s: %s: %s", f, bad, b)
				} else {
					ok++
				}
			}
		}
		if ok == 0 {
			t.Errorf("%s answered 200 to nobody", f)
		}
	}
}

func TestSaneFragment(t *testing.T) {
	for body, want := range map[string]string{
		`<div id="s"><p><strong>x</strong></p><br><input name="q"></div>`: "",
		``:                            "empty",
		`<html><body>x</body></html>`: "a whole page, not a fragment",
		`<div><p>x</div>`:             "unbalanced </div>",
		`<ul><li>x</li>`:              "unclosed <ul>",
		`<p>{{.Title}}</p>`:           "template text left over",
	} {
		if got := saneFragment(body); got != want {
			t.Errorf("saneFragment(%q) = %q, want %q", body, got, want)
		}
	}
}
