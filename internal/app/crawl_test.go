package app

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// hrefs finds the targets of links in a page.
var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// crawlSkip are links a crawler must not follow: signing out ends the
// session being crawled, and static files are not pages.
var crawlSkip = []string{"/signout", "/static/", "/api/"}

// TestEveryLinkLeadsSomewhere follows every link on every page that each
// demo account (and an anonymous visitor) can reach from its home, and fails
// on a link that answers 404, 403 or a server error: a link a page offers
// must lead somewhere for the person it is offered to. On the way it reads
// every Chinese page as its reader sees it and fails on a Latin word
// outside the allow-lists of language_test.go: messages on a zh-CN page are
// Chinese only (identifiers belong in <code>, English in lang="en"). Pages whose paths differ
// only in their query are visited for at most two distinct query shapes, so
// that pagination and filters do not make the crawl endless.
func TestEveryLinkLeadsSomewhere(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls the whole demo")
	}
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
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()

		users := []string{""}
		for _, acc := range seeded.Accounts {
			if !slices.Contains(users, acc.Username) {
				users = append(users, acc.Username)
			}
		}
		for _, user := range users {
			crawl(t, srv, user, a.Web.HomeFor(actorOf(seeded, user)))
		}
	})
}

// actorOf returns an actor with the roles of the demo account named user
// (nil for anonymous), enough to find its home.
func actorOf(seeded *demo.Seeded, user string) *auth.Actor {
	if user == "" {
		return nil
	}
	var roles []auth.Role
	for _, acc := range seeded.Accounts {
		if acc.Username == user {
			roles = append(roles, acc.Role)
		}
	}
	return &auth.Actor{Roles: roles}
}

// crawl walks the links reachable from start for user, breadth first, up
// to a bound of pages, and reports every broken link with the page that
// offered it.
func crawl(t *testing.T, srv *httptest.Server, user, start string) {
	t.Helper()
	do := session(t, srv, user)
	const maxPages = 1000
	who := user
	if who == "" {
		who = "anonymous"
	}
	type link struct{ target, from string }
	queue := []link{{start, "(home)"}, {"/", "(front door)"}}
	seen := map[string]bool{}
	shapes := map[string]map[string]bool{} // path → query shapes visited
	visited, refused := 0, 0
	latin := map[string]bool{} // word and path reported
	for len(queue) > 0 && visited < maxPages {
		l := queue[0]
		queue = queue[1:]
		if seen[l.target] {
			continue
		}
		seen[l.target] = true
		u, err := url.Parse(l.target)
		if err != nil {
			t.Errorf("%s: %s offers a malformed link %q", who, l.from, l.target)
			continue
		}
		shape := queryShape(u.Query())
		if shapes[u.Path] == nil {
			shapes[u.Path] = map[string]bool{}
		}
		if !shapes[u.Path][shape] && len(shapes[u.Path]) >= 2 {
			continue
		}
		shapes[u.Path][shape] = true
		visited++
		code, loc, body := do(http.MethodGet, u.RequestURI(), nil)
		switch {
		case code == http.StatusNotFound || code >= 500:
			t.Errorf("%s: %s links to %s, which answers %d", who, l.from, l.target, code)
			continue
		case code >= 300 && code < 400:
			if loc != "" && strings.HasPrefix(loc, "/") {
				queue = append(queue, link{loc, l.target + " (redirect)"})
			}
			continue
		case code == http.StatusForbidden:
			refused++
			t.Errorf("%s: %s offers a link to %s, which refuses them (403)", who, l.from, l.target)
			continue
		case code != http.StatusOK:
			continue
		}
		if strings.Contains(body, `<html lang="zh-CN">`) {
			for _, w := range latinWords(body) {
				if !syntaxAllowed(u.Path, w) && !latin[w+" "+u.Path] {
					latin[w+" "+u.Path] = true
					t.Errorf("%s: the Chinese page %s shows the Latin word %q: «%s»", who, l.target, w, latinContext(body, w))
				}
			}
		}
		for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
			target := html.UnescapeString(m[1])
			if i := strings.IndexByte(target, '#'); i >= 0 {
				target = target[:i]
			}
			if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "//") || skipped(target) {
				continue
			}
			if !seen[target] {
				queue = append(queue, link{target, l.target})
			}
		}
	}
	t.Logf("%s: %d pages from %s, %d links refused", who, visited, start, refused)
	if visited == 0 {
		t.Errorf("%s: crawled nothing from %s", who, start)
	}
}

func skipped(target string) bool {
	for _, p := range crawlSkip {
		if strings.HasPrefix(target, p) {
			return true
		}
	}
	return false
}

// queryShape names a query by its keys, so that page=2 and page=3 are the
// same shape.
func queryShape(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, "&")
}
