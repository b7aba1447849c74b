package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

// counting is a handler that says how often it ran.
type counting struct {
	n    atomic.Int64
	body func(n int64) string
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.n.Add(1)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, c.body(n))
}

func do(t *testing.T, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// Anonymous answers are served from the cache with validators; a matching
// conditional GET gets 304 without a body; Forget drops the group so the
// next answer is fresh; signed-in visitors always reach the handler.
func TestPageCache(t *testing.T) {
	now := time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC)
	c := web.NewPageCache(1<<20, func() time.Time { return now })
	page := &counting{body: func(n int64) string { return fmt.Sprintf("<p>version %d</p>", n) }}
	h := c.Wrap("catalog", time.Minute, page)

	first := do(t, h, httptest.NewRequest("GET", "/catalog", nil))
	second := do(t, h, httptest.NewRequest("GET", "/catalog", nil))
	if page.n.Load() != 1 || second.Body.String() != "<p>version 1</p>" {
		t.Fatalf("handler ran %d times; second answer %q", page.n.Load(), second.Body.String())
	}
	etag := first.Header().Get("ETag")
	if etag == "" || second.Header().Get("ETag") != etag || first.Header().Get("Last-Modified") == "" {
		t.Fatalf("validators: ETag %q/%q, Last-Modified %q", etag, second.Header().Get("ETag"), first.Header().Get("Last-Modified"))
	}
	if cc := second.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache (store, but revalidate)", cc)
	}

	cond := httptest.NewRequest("GET", "/catalog", nil)
	cond.Header.Set("If-None-Match", etag)
	if w := do(t, h, cond); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d with %d bytes, want 304 and none", w.Code, w.Body.Len())
	}
	ims := httptest.NewRequest("GET", "/catalog", nil)
	ims.Header.Set("If-Modified-Since", now.Format(http.TimeFormat))
	if w := do(t, h, ims); w.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d, want 304", w.Code)
	}
	stale := httptest.NewRequest("GET", "/catalog", nil)
	stale.Header.Set("If-None-Match", `"other"`)
	if w := do(t, h, stale); w.Code != http.StatusOK || w.Body.String() != "<p>version 1</p>" {
		t.Errorf("non-matching If-None-Match: %d %q", w.Code, w.Body.String())
	}

	// Another page of the group, another query string: separate entries.
	do(t, h, httptest.NewRequest("GET", "/catalog?q=食品", nil))
	if page.n.Load() != 2 {
		t.Errorf("query string shared an entry: handler ran %d times", page.n.Load())
	}

	// Publishing: the group goes, the next answer is fresh and has a new
	// ETag, so a browser holding the old one gets the new page.
	c.Forget("catalog")
	cond = httptest.NewRequest("GET", "/catalog", nil)
	cond.Header.Set("If-None-Match", etag)
	w := do(t, h, cond)
	if w.Code != http.StatusOK || w.Body.String() != "<p>version 3</p>" || w.Header().Get("ETag") == etag {
		t.Errorf("after Forget: %d %q ETag %q (old %q)", w.Code, w.Body.String(), w.Header().Get("ETag"), etag)
	}
	// Forgetting another group leaves this one.
	c.Forget("faq")
	if w := do(t, h, httptest.NewRequest("GET", "/catalog", nil)); w.Body.String() != "<p>version 3</p>" {
		t.Errorf("Forget(faq) dropped a catalog page: %q", w.Body.String())
	}

	// A signed-in visitor is never served from, nor stored in, the cache.
	r := httptest.NewRequest("GET", "/catalog", nil)
	r = r.WithContext(auth.WithActor(r.Context(), &auth.Actor{UserID: 7, Roles: []auth.Role{auth.RoleCitizen}}))
	if w := do(t, h, r); w.Body.String() != "<p>version 4</p>" || w.Header().Get("ETag") != "" {
		t.Errorf("signed-in visitor got %q (ETag %q)", w.Body.String(), w.Header().Get("ETag"))
	}
	if w := do(t, h, httptest.NewRequest("GET", "/catalog", nil)); w.Body.String() != "<p>version 3</p>" {
		t.Errorf("a signed-in visitor's page was stored for anonymous ones: %q", w.Body.String())
	}

	// The time to live, and a handler's CacheUntil, bound an entry.
	now = now.Add(time.Minute)
	if w := do(t, h, httptest.NewRequest("GET", "/catalog", nil)); w.Body.String() != "<p>version 5</p>" {
		t.Errorf("after the TTL: %q", w.Body.String())
	}
	until := c.Wrap("verify", time.Hour, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.CacheUntil(w, now.Add(time.Second))
		fmt.Fprint(w, page.n.Add(1))
	}))
	do(t, until, httptest.NewRequest("GET", "/verify/x", nil))
	do(t, until, httptest.NewRequest("GET", "/verify/x", nil))
	if page.n.Load() != 6 {
		t.Errorf("CacheUntil entry not reused before its time: handler ran %d times", page.n.Load())
	}
	now = now.Add(time.Second)
	if w := do(t, until, httptest.NewRequest("GET", "/verify/x", nil)); w.Header().Get("X-Ys-Cache-Until") != "" || page.n.Load() != 7 {
		t.Errorf("CacheUntil: handler ran %d times, header leaked %q", page.n.Load(), w.Header().Get("X-Ys-Cache-Until"))
	}
}

// Errors, cookies and POSTs are not cached; memory stays under the bound.
func TestPageCacheRefuses(t *testing.T) {
	c := web.NewPageCache(1000, nil)
	var n atomic.Int64
	h := c.Wrap("g", time.Minute, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "x", Value: "y"})
			fmt.Fprint(w, "hello")
		default:
			fmt.Fprint(w, strings.Repeat("x", 300))
		}
	}))
	for _, p := range []string{"/missing", "/cookie"} {
		do(t, h, httptest.NewRequest("GET", p, nil))
		w := do(t, h, httptest.NewRequest("GET", p, nil))
		if w.Header().Get("ETag") != "" {
			t.Errorf("%s answered from the cache", p)
		}
	}
	if n.Load() != 4 {
		t.Errorf("handler ran %d times, want 4", n.Load())
	}
	do(t, h, httptest.NewRequest("POST", "/a", nil))
	do(t, h, httptest.NewRequest("POST", "/a", nil))
	if n.Load() != 6 {
		t.Errorf("POST answered from the cache")
	}
	// Ten pages of 300 bytes in a 1,000-byte cache: the oldest go.
	for i := range 10 {
		do(t, h, httptest.NewRequest("GET", fmt.Sprintf("/p%d", i), nil))
	}
	before := n.Load()
	do(t, h, httptest.NewRequest("GET", "/p9", nil))
	do(t, h, httptest.NewRequest("GET", "/p0", nil))
	if n.Load() != before+1 {
		t.Errorf("newest page not kept or oldest not dropped: %d handler runs, want 1", n.Load()-before)
	}
}
