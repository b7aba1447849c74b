package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// PageCache keeps rendered public pages for anonymous visitors, so that the
// catalogue, the guides, the FAQ, the ranking and verification answers cost
// a map lookup instead of queries and a template. Pages are grouped ("catalog",
// "faq", …); a change to what a group shows drops the whole group with
// Forget (publishing an item, withdrawing an article, revoking a
// certificate), on this node at once and on the others through package
// cluster. Entries also expire after their group's time to live, which
// bounds what a missed change can cost.
//
// Every answer from the cache carries an ETag and Last-Modified, and a
// conditional GET that matches is answered 304 without a body.
//
// Only GET and HEAD requests without a signed-in actor are cached, and only
// 200 answers that set no cookie; the key holds the host, the language, the
// htmx flag and the request URI. Memory is bounded by MaxBytes (the bodies'
// total); when full, entries are dropped, oldest first.
type PageCache struct {
	// MaxBytes bounds the bodies kept; MaxPage bounds one body.
	MaxBytes, MaxPage int

	now func() time.Time

	mu     sync.Mutex
	pages  map[string]*cachedPage
	groups map[string]uint64 // generation per group, raised by Forget
	size   int
	seq    uint64
	hits   uint64
	misses uint64
}

type cachedPage struct {
	group    string
	body     []byte
	header   http.Header // the handler's headers, less cookies and caching
	etag     string
	modified time.Time
	expires  time.Time
	seq      uint64 // order of storing, for dropping the oldest
}

// NewPageCache returns a cache holding up to maxBytes of pages. now is the
// clock for expiry (nil: time.Now).
func NewPageCache(maxBytes int, now func() time.Time) *PageCache {
	if now == nil {
		now = time.Now
	}
	return &PageCache{MaxBytes: maxBytes, MaxPage: 1 << 20, now: now,
		pages: map[string]*cachedPage{}, groups: map[string]uint64{}}
}

// cacheUntilHeader carries a handler's CacheUntil to the cache; it is never
// sent.
const cacheUntilHeader = "X-Ys-Cache-Until"

// CacheUntil tells the page cache (if the handler runs under one) not to
// keep this answer past t: a verification answer saying "valid" must turn
// "expired" on time.
func CacheUntil(w http.ResponseWriter, t time.Time) {
	w.Header().Set(cacheUntilHeader, t.UTC().Format(time.RFC3339Nano))
}

// Forget drops every page of group.
func (c *PageCache) Forget(group string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups[group]++
	for k, p := range c.pages {
		if p.group == group {
			c.size -= len(p.body)
			delete(c.pages, k)
		}
	}
}

// ForgetAll drops every page.
func (c *PageCache) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for g := range c.groups {
		c.groups[g]++
	}
	clear(c.pages)
	c.size = 0
}

// Stats returns the hits and misses so far.
func (c *PageCache) Stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// Wrap caches next's anonymous answers in group for up to ttl.
func (c *PageCache) Wrap(group string, ttl time.Duration, next http.Handler) http.Handler {
	c.mu.Lock()
	if _, ok := c.groups[group]; !ok {
		c.groups[group] = 0
	}
	c.mu.Unlock()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || auth.FromContext(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		key := pageKey(r)
		now := c.now()
		c.mu.Lock()
		p, ok := c.pages[key]
		if ok && !now.Before(p.expires) {
			c.size -= len(p.body)
			delete(c.pages, key)
			ok = false
		}
		gen := c.groups[group]
		if ok {
			c.hits++
		} else {
			c.misses++
		}
		c.mu.Unlock()
		if ok {
			p.serve(w, r)
			return
		}
		rec := &pageRecorder{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		until := rec.header.Get(cacheUntilHeader)
		rec.header.Del(cacheUntilHeader)
		if rec.status != http.StatusOK || len(rec.body.Bytes()) > c.MaxPage ||
			rec.header.Get("Set-Cookie") != "" || w.Header().Get("Set-Cookie") != "" {
			rec.replay(w)
			return
		}
		sum := sha256.Sum256(rec.body.Bytes())
		hdr := rec.header.Clone()
		hdr.Del("Cache-Control")
		p = &cachedPage{group: group, body: bytes.Clone(rec.body.Bytes()), header: hdr,
			etag:     `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`,
			modified: now.UTC().Truncate(time.Second), expires: now.Add(ttl)}
		if t, err := time.Parse(time.RFC3339Nano, until); err == nil && t.Before(p.expires) {
			p.expires = t
		}
		if now.Before(p.expires) {
			c.put(key, gen, p)
		}
		p.serve(w, r)
	})
}

// put stores p unless group's pages were forgotten since the request began
// (gen), making room first.
func (c *PageCache) put(key string, gen uint64, p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups[p.group] != gen {
		return
	}
	if old, ok := c.pages[key]; ok {
		c.size -= len(old.body)
		delete(c.pages, key)
	}
	for c.size+len(p.body) > c.MaxBytes && len(c.pages) > 0 {
		var oldest string
		var at uint64
		for k, q := range c.pages {
			if oldest == "" || q.seq < at {
				oldest, at = k, q.seq
			}
		}
		c.size -= len(c.pages[oldest].body)
		delete(c.pages, oldest)
	}
	if len(p.body) > c.MaxBytes {
		return
	}
	c.seq++
	p.seq = c.seq
	c.pages[key] = p
	c.size += len(p.body)
}

// pageKey is what a cached answer depends on besides the group.
func pageKey(r *http.Request) string {
	hx := ""
	if r.Header.Get("HX-Request") != "" {
		hx = "hx"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.Join([]string{scheme, r.Host, i18n.LangFrom(r.Context()), hx, r.URL.RequestURI()}, "\x00")
}

// serve writes p, or 304 when the request's validators match it.
func (p *cachedPage) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range p.header {
		h[k] = slices.Clone(v) // later layers may append
	}
	h.Set("ETag", p.etag)
	h.Set("Last-Modified", p.modified.Format(http.TimeFormat))
	// Browsers may keep the page but must ask again; the page differs for
	// signed-in visitors, who carry a cookie.
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Cookie")
	if notModified(r, p) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(p.body)
	}
}

// notModified applies RFC 9110's precedence: If-None-Match when present,
// else If-Modified-Since.
func notModified(r *http.Request, p *cachedPage) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == p.etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !p.modified.After(t) {
			return true
		}
	}
	return false
}

// pageRecorder buffers a handler's answer so the cache can hash and keep it.
type pageRecorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *pageRecorder) Header() http.Header { return r.header }

func (r *pageRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}

func (r *pageRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}

// replay writes the buffered answer unchanged.
func (r *pageRecorder) replay(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	w.WriteHeader(r.status)
	w.Write(r.body.Bytes())
}
