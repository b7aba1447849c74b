package fairscreen

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Mount registers the module's messages, pages and API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("fairscreen", loc); err != nil {
		return fmt.Errorf("fairscreen: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "fairscreen"); err != nil {
		return fmt.Errorf("fairscreen: %w", err)
	}
	staff := s.Require(StaffRoles...)
	admins := s.Require(auth.RoleAdmin)
	s.Handle("GET /fair-review/screen", staff(http.HandlerFunc(m.screenPage)))
	s.Handle("POST /fair-review/screen", staff(http.HandlerFunc(m.screenPage)))
	s.Handle("POST /fair-review/screen/feedback", staff(http.HandlerFunc(m.feedbackPage)))
	s.Handle("GET /fair-review/rules", admins(http.HandlerFunc(m.rulesPage)))
	s.Handle("POST /fair-review/rules", admins(http.HandlerFunc(m.createLibrary)))
	s.Handle("GET /fair-review/rules/{version}", admins(http.HandlerFunc(m.libraryPage)))
	s.Handle("POST /fair-review/rules/{version}/publish", admins(http.HandlerFunc(m.publishLibrary)))
	m.registerAPI(s)
	return nil
}

// Nav links staff to the screening page.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if !a.HasAny(StaffRoles...) {
		return nil
	}
	return []web.NavLink{{Path: "/fair-review/screen", Key: "fairscreen.nav"}}
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "")
	case errors.Is(err, ErrState):
		m.s.Error(w, r, http.StatusConflict, "fairscreen.error.state")
	default:
		m.s.Error(w, r, web.StatusOf(err), "")
	}
}

// ShownFinding is a finding placed in the whole text.
type ShownFinding struct {
	Finding
	N      int    // its number on the page
	Clause string // the clause's text
	Quote  string // the words that triggered it
}

type screenData struct {
	Text     string
	Marked   template.HTML
	Findings []ShownFinding
	Clauses  int
	Problems []*valid.FieldError
	Done     bool
	Saved    bool
}

func (m *Module) screenPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	d := screenData{Saved: r.URL.Query().Get("saved") == "1"}
	if r.Method == http.MethodPost {
		if !m.s.ParseForm(w, r) {
			return
		}
		d.Text = r.PostForm.Get("text")
		if err := CheckText(d.Text); err != nil {
			d.Problems = valid.Fields(err)
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "fairscreen/screen.html", d)
			return
		}
		if !canScreen(a) {
			m.fail(w, r, ErrNotFound)
			return
		}
		sc, err := m.Screener(r.Context())
		if err != nil {
			m.fail(w, r, err)
			return
		}
		segs := Split(d.Text)
		cs, err := sc.ScreenSegments(r.Context(), segs)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Marked, d.Findings = Mark(d.Text, segs, cs)
		d.Clauses, d.Done = len(cs), true
	}
	m.s.Render(w, r, "fairscreen/screen.html", d)
}

// Mark renders text with every finding's words in a <mark> numbered like
// the list of findings; overlapping spans are merged into the first. segs
// are Split(text) and cs the clauses screened from them, one per segment;
// the fair-competition review shows its drafts with it.
func Mark(text string, segs []Segment, cs []Clause) (template.HTML, []ShownFinding) {
	runes := []rune(text)
	type span struct{ s, e, n int }
	var spans []span
	var list []ShownFinding
	for i, c := range cs {
		cr := []rune(c.Text)
		for _, f := range c.Findings {
			n := len(list) + 1
			list = append(list, ShownFinding{Finding: f, N: n, Clause: c.Text, Quote: string(cr[f.Span[0]:f.Span[1]])})
			spans = append(spans, span{segs[i].Start + f.Span[0], segs[i].Start + f.Span[1], n})
		}
	}
	var b strings.Builder
	pos := 0
	for _, sp := range spans {
		if sp.s < pos {
			continue
		}
		b.WriteString(html.EscapeString(string(runes[pos:sp.s])))
		fmt.Fprintf(&b, `<mark id="m%d" title="%s"><a href="#f%d">%s<sup>%d</sup></a></mark>`, sp.n,
			html.EscapeString(list[sp.n-1].Article+" "+list[sp.n-1].Category), sp.n, html.EscapeString(string(runes[sp.s:sp.e])), sp.n)
		pos = sp.e
	}
	b.WriteString(html.EscapeString(string(runes[pos:])))
	return template.HTML(b.String()), list
}

func (m *Module) feedbackPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if !m.s.ParseForm(w, r) {
		return
	}
	confirmed := r.PostForm.Get("decision") == "confirm"
	err := m.Feedback(r.Context(), m.d.DB, r.PostForm.Get("rule"), r.PostForm.Get("clause"), confirmed, r.PostForm.Get("reason"), a.UserID)
	if err != nil {
		m.s.RenderStatus(w, r, web.StatusOf(err), "fairscreen/screen.html", screenData{Problems: valid.Fields(err)})
		return
	}
	http.Redirect(w, r, "/fair-review/screen?saved=1", http.StatusSeeOther)
}

type rulesData struct {
	Versions []Version
	Stats    []RuleStat
	Content  string
	Problems []*valid.FieldError
}

func (m *Module) rulesPage(w http.ResponseWriter, r *http.Request) {
	m.renderRules(w, r, http.StatusOK, "", nil)
}

func (m *Module) renderRules(w http.ResponseWriter, r *http.Request, status int, content string, problems []*valid.FieldError) {
	a := auth.FromContext(r.Context())
	vs, err := m.Versions(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	stats, err := m.RuleStats(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if content == "" {
		for _, v := range vs {
			if v.Status == StatusPublished {
				content = string(v.Content)
				break
			}
		}
	}
	m.s.RenderStatus(w, r, status, "fairscreen/rules.html", rulesData{Versions: vs, Stats: stats, Content: content, Problems: problems})
}

func (m *Module) createLibrary(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	content := r.PostForm.Get("library")
	v, err := m.CreateDraft(r.Context(), auth.FromContext(r.Context()), []byte(content))
	if errors.Is(err, ErrInvalid) {
		m.renderRules(w, r, http.StatusUnprocessableEntity, content, valid.Fields(err))
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/fair-review/rules/"+strconv.FormatInt(v.Version, 10), http.StatusSeeOther)
}

type libraryData struct {
	V       *Version
	Library *Library
}

func (m *Module) libraryPage(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	v, err := m.GetVersion(r.Context(), auth.FromContext(r.Context()), n)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	lib, err := ParseLibrary(v.Content)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "fairscreen/library.html", libraryData{V: v, Library: lib})
}

func (m *Module) publishLibrary(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if _, err := m.Publish(r.Context(), auth.FromContext(r.Context()), n); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/fair-review/rules/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
}
