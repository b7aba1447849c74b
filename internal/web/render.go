package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/pii"
)

//go:embed templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

func localesFS() fs.FS {
	sub, _ := fs.Sub(localeFS, "locales")
	return sub
}

// CST is China Standard Time, in which the platform shows every date and
// time. A fixed zone avoids depending on the host's tz database.
var CST = time.FixedZone("CST", 8*3600)

// Page is the value every page template executes with. The layout uses its
// fields; a page's own values are in Data.
type Page struct {
	Lang      string
	Actor     *auth.Actor
	Nav       []NavItem
	Path      string
	RequestID string
	Now       time.Time
	Data      any
	// Public are the footer's links to public pages, labelled.
	Public []NavItem

	bundle *i18n.Bundle
	query  url.Values
}

// LangHref is the link that shows this same page, with its query, in lang:
// switching language must not drop the filters or the item being viewed.
func (p *Page) LangHref(lang string) string {
	q := url.Values{}
	for k, v := range p.query {
		if k != "lang" {
			q[k] = v
		}
	}
	q.Set("lang", lang)
	return p.Path + "?" + q.Encode()
}

// T translates key into the page's language: {{$.T "hotline.title"}}.
func (p *Page) T(key string, args ...any) string { return p.bundle.T(p.Lang, key, args...) }

// Text shows a text recorded in both languages, "中文 (English)" as the
// platform's engines write reasons and history lines that are stored and
// read later (when the page's language is not yet known), in the page's
// language: the Chinese part on a Chinese page, the English part in the
// closing parentheses on an English one. Any other text is shown as it is.
func (p *Page) Text(s string) string { return Pick(p.Lang, s) }

// SplitBilingual splits "中文 (English)" into its two parts: the text before
// the last parenthesis must hold Chinese, the parenthesised part only
// printable ASCII. ok is false for any other text.
func SplitBilingual(s string) (zh, en string, ok bool) {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	depth, open := 0, -1
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
		}
		if depth == 0 {
			open = i
			break
		}
	}
	if open <= 0 {
		return "", "", false
	}
	zh, en = strings.TrimSpace(s[:open]), s[open+1:len(s)-1]
	for _, r := range en {
		if r < 0x20 || r > 0x7e {
			return "", "", false
		}
	}
	hasHan := false
	for _, r := range zh {
		if unicode.Is(unicode.Han, r) {
			hasHan = true
			break
		}
	}
	if !hasHan || en == "" {
		return "", "", false
	}
	return zh, en, true
}

// NavItem is one resolved entry of the navigation bar.
type NavItem struct {
	Path, Label string
	Current     bool
}

// Pick shows a text recorded in both languages ("中文 (English)", as
// validation messages and the engines' reasons are written) in lang: the
// Chinese part in Chinese, the parenthesised English part in English. Any
// other text comes back as it is. Page.Text and the templates' msg use it.
func Pick(lang, s string) string {
	zh, en, ok := SplitBilingual(s)
	if !ok {
		return s
	}
	if lang == i18n.EN {
		return en
	}
	return zh
}

// funcs are available in every template. Each language has its own set of
// templates (see initTemplates), so msg, bound to the set's language, shows
// a bilingual message in the page's language wherever a template prints
// one, partials included, where $ is not the page.
func (s *Server) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"msg":       func(v any) string { return Pick(lang, fmt.Sprint(v)) }, // {{msg .Message}}
		"t":         s.bundle.T,                                              // {{t $.Lang "key" args...}}
		"list":      func(xs ...any) []any { return xs },                     // {{range list .A .B}}
		"args":      args,                                                    // {{$.T "key" (args "n" 3)}}
		"date":      func(t time.Time) string { return fmtTime(t, "2006-01-02") },
		"datetime":  func(t time.Time) string { return fmtTime(t, "2006-01-02 15:04") },
		"time":      func(t time.Time) string { return fmtTime(t, "15:04") },
		"isodate":   func(t time.Time) string { return fmtTime(t, time.RFC3339) },
		"static":    staticURL,
		"maskPhone": pii.MaskPhone,
		"maskID":    pii.MaskID,
		"maskName":  pii.MaskName,
	}
}

// args builds named message arguments from key, value pairs.
func args(kv ...any) (i18n.Args, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("args: odd number of arguments")
	}
	a := make(i18n.Args, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("args: key %v is not a string", kv[i])
		}
		a[k] = kv[i+1]
	}
	return a, nil
}

func fmtTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(CST).Format(layout)
}

func (s *Server) initTemplates() error {
	for _, lang := range i18n.Locales() {
		layout, err := template.New("layout").Funcs(s.funcs(lang)).ParseFS(templateFS, "templates/layout.html")
		if err != nil {
			return fmt.Errorf("web: layout: %w", err)
		}
		s.layouts[lang] = layout
	}
	sub, _ := fs.Sub(templateFS, "templates")
	return s.AddPages(sub, "web")
}

// AddPages registers the page templates found in directory dir of fsys.
// Each "name.html" becomes the page "dir/name.html" and must define
// "content" (and may define "title"); files whose names begin with "_" are
// partials parsed into every page of dir. A module typically embeds
// "templates/<module>/*.html" and calls s.AddPages(templatesFS, "hotline"),
// then renders "hotline/list.html". Embed with "//go:embed all:templates":
// without all:, go:embed leaves out the "_" partials.
func (s *Server) AddPages(fsys fs.FS, dir string) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return fmt.Errorf("web: pages %s: %w", dir, err)
	}
	var partials, pages []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".html" {
			continue
		}
		if strings.HasPrefix(name, "_") {
			partials = append(partials, path.Join(dir, name))
		} else {
			pages = append(pages, path.Join(dir, name))
		}
	}
	for _, p := range pages {
		if _, dup := s.pages[p]; dup {
			return fmt.Errorf("web: page %s registered twice", p)
		}
		set := map[string]*template.Template{}
		for lang, layout := range s.layouts {
			t, err := layout.Clone()
			if err != nil {
				return fmt.Errorf("web: page %s: %w", p, err)
			}
			if t, err = t.ParseFS(fsys, append(partials, p)...); err != nil {
				return fmt.Errorf("web: page %s: %w", p, err)
			}
			if t.Lookup("content") == nil {
				return fmt.Errorf("web: page %s defines no \"content\"", p)
			}
			set[lang] = t
		}
		s.pages[p] = set
	}
	return nil
}

// Render writes page with status 200. data is available to the template as
// .Data.
func (s *Server) Render(w http.ResponseWriter, r *http.Request, page string, data any) {
	s.RenderStatus(w, r, http.StatusOK, page, data)
}

// RenderStatus writes page, inside the layout, with the given status.
func (s *Server) RenderStatus(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	s.execute(w, r, status, page, "layout", data)
}

// RenderFragment writes only the template name defined by page, without
// the layout: the answer to an htmx request that swaps part of a page.
func (s *Server) RenderFragment(w http.ResponseWriter, r *http.Request, page, name string, data any) {
	s.execute(w, r, http.StatusOK, page, name, data)
}

func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, page, name string, data any) {
	pg := s.page(r, data)
	t, ok := s.pages[page][pg.Lang]
	if !ok {
		t, ok = s.pages[page][i18n.Default]
	}
	if !ok {
		s.log.ErrorContext(r.Context(), "render: no such page", "page", page, "request_id", RequestID(r.Context()))
		http.Error(w, "internal error: "+RequestID(r.Context()), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, pg); err != nil {
		// Rendering into a buffer means a failed template never sends
		// half a page.
		s.log.ErrorContext(r.Context(), "render", "page", page, "request_id", RequestID(r.Context()), "err", err)
		http.Error(w, "internal error: "+RequestID(r.Context()), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) page(r *http.Request, data any) *Page {
	a := auth.FromContext(r.Context())
	return &Page{
		Lang:      i18n.LangFrom(r.Context()),
		Actor:     a,
		Nav:       s.nav(r, a),
		Path:      r.URL.Path,
		RequestID: RequestID(r.Context()),
		Now:       s.now(),
		Data:      data,
		Public:    s.publicLinks(r),
		bundle:    s.bundle,
		query:     r.URL.Query(),
	}
}

// publicLinks labels Config.PublicLinks in the request's language.
func (s *Server) publicLinks(r *http.Request) []NavItem {
	lang := i18n.LangFrom(r.Context())
	out := make([]NavItem, 0, len(s.cfg.PublicLinks))
	for _, l := range s.cfg.PublicLinks {
		out = append(out, NavItem{Path: l.Path, Label: s.bundle.T(lang, l.Key), Current: r.URL.Path == l.Path})
	}
	return out
}
