package risk

import (
	"embed"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
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
	if err := s.Bundle().Add("risk", loc); err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "risk"); err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	staff := s.Require(staffRoles...)
	admins := s.Require(auth.RoleAdmin)
	s.Handle("GET /risk", staff(http.HandlerFunc(m.overviewPage)))
	s.Handle("GET /risk/export.xlsx", staff(http.HandlerFunc(m.export)))
	s.Handle("GET /risk/classes/{uscc}", staff(http.HandlerFunc(m.classPage)))
	s.Handle("GET /risk/models", admins(http.HandlerFunc(m.modelsPage)))
	s.Handle("GET /risk/models/new", admins(http.HandlerFunc(m.newModelPage)))
	s.Handle("POST /risk/models", admins(http.HandlerFunc(m.createModel)))
	s.Handle("GET /risk/models/{version}", admins(http.HandlerFunc(m.modelPage)))
	s.Handle("POST /risk/models/{version}/trial", admins(http.HandlerFunc(m.tryModel)))
	s.Handle("POST /risk/models/{version}/publish", admins(http.HandlerFunc(m.publishModel)))
	m.registerAPI(s)
	return nil
}

// Nav links supervision staff to the classes and administrators to the
// models.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if !a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) {
		return nil
	}
	return []web.NavLink{{Path: "/risk", Key: "risk.nav"}}
}

// fail answers err as a page: 404 for what the caller may not see.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "")
	case errors.Is(err, ErrState):
		m.s.Error(w, r, http.StatusConflict, "risk.error.state")
	default:
		m.s.Error(w, r, web.StatusOf(err), "")
	}
}

// classColours are the fills of A to D, light to dark so that print in
// grey keeps the order; each bar also carries its class as text.
var classColours = map[string]string{ClassA: "#2e7d32", ClassB: "#9e9d24", ClassC: "#ef6c00", ClassD: "#b71c1c"}

// stackChart draws one stacked horizontal bar per row (the share of each
// class) with the row's label and total.
func stackChart(id, title string, rows []Row, label func(string) string) template.HTML {
	const labelW, barW, rowH, top = 200.0, 420.0, 26.0, 8.0
	h := top*2 + rowH*float64(max(len(rows), 1))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t">`,
		labelW+barW+80, h, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, html.EscapeString(title))
	y := top
	for _, r := range rows {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" font-size="13">%s</text>`, labelW-8, y+17, html.EscapeString(label(r.Key)))
		x := labelW
		for _, c := range Classes {
			if r.Total == 0 || r.Counts[c] == 0 {
				continue
			}
			wd := barW * float64(r.Counts[c]) / float64(r.Total)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s"><title>%s %s: %d (%d%%)</title></rect>`,
				x, y+4, wd, rowH-8, classColours[c], html.EscapeString(label(r.Key)), c, r.Counts[c], r.Percent[c])
			if wd >= 18 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#fff">%s</text>`, x+4, y+17, c)
			}
			x += wd
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="13">%d</text>`, labelW+barW+6, y+17, r.Total)
		y += rowH
	}
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<text x="10" y="%.0f" font-size="13">—</text>`, top+17)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

type overviewData struct {
	D                         *Distribution
	ByClass                   Row
	Total, Region, Industry   template.HTML
	Months                    template.HTML
	Summary                   []MoveSummary
	Classes                   []string
	CanAdminister             bool
	RegionNames, IndustryName map[string]string
}

func (m *Module) overviewPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if u := strings.TrimSpace(r.URL.Query().Get("uscc")); u != "" {
		u = ids.NormalizeUSCC(u)
		if ids.ValidateUSCC(u) != nil {
			m.s.Error(w, r, http.StatusUnprocessableEntity, "risk.error.uscc")
			return
		}
		http.Redirect(w, r, "/risk/classes/"+url.PathEscape(u), http.StatusSeeOther)
		return
	}
	d, err := m.Distribution(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	summary, err := m.MovesSummary(r.Context(), a, "")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	lang := i18n.LangFrom(r.Context())
	t := func(k string) string { return m.s.Bundle().T(lang, k) }
	all := Row{Key: t("risk.overview.all"), Counts: d.ByClass, Total: d.Total, Percent: map[string]int{}}
	all = sorted(map[string]*Row{"": &all})[0]
	regionName := func(code string) string { return code + " " + m.regionName(r, code) }
	industryName := func(s string) string { return s + " " + t("risk.industry."+s) }
	m.s.Render(w, r, "risk/overview.html", overviewData{D: d, ByClass: all, Classes: Classes,
		Total:         stackChart("total", t("risk.overview.total"), []Row{all}, func(k string) string { return k }),
		Region:        stackChart("region", t("risk.overview.by_region"), d.ByRegion, regionName),
		Industry:      stackChart("industry", t("risk.overview.by_industry"), d.ByIndustry, industryName),
		Months:        stackChart("month", t("risk.overview.by_month"), d.ByMonth, func(k string) string { return k }),
		Summary:       summary,
		CanAdminister: m.canAdminister(r.Context(), a)})
}

// regionName names a region through Deps.RegionName, "" when unknown.
func (m *Module) regionName(r *http.Request, code string) string {
	if m.d.RegionName == nil {
		return ""
	}
	return m.d.RegionName(r.Context(), code)
}

// export writes the distribution and the movements as a workbook.
func (m *Module) export(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	d, err := m.Distribution(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// Every movement, page by page: the workbook is the full record.
	var moves []Move
	for offset := 0; ; offset += MaxMovesPage {
		page, total, err := m.Moves(r.Context(), a, "", offset, MaxMovesPage)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		moves = append(moves, page...)
		if len(page) == 0 || offset+len(page) >= total {
			break
		}
	}
	lang := i18n.LangFrom(r.Context())
	t := func(k string) string { return m.s.Bundle().T(lang, k) }
	table := func(name, key string, rows []Row, label func(string) string) xlsx.Sheet {
		sh := xlsx.Sheet{Name: name, Header: []string{key, "A", "B", "C", "D", t("risk.field.total")}}
		for _, row := range rows {
			sh.Rows = append(sh.Rows, []any{label(row.Key), row.Counts["A"], row.Counts["B"], row.Counts["C"], row.Counts["D"], row.Total})
		}
		return sh
	}
	mv := xlsx.Sheet{Name: t("risk.overview.moves"), Header: []string{t("risk.field.month"), t("risk.field.region"),
		t("risk.field.industry"), t("risk.field.from"), t("risk.field.to"), t("risk.field.count")}}
	for _, x := range moves {
		mv.Rows = append(mv.Rows, []any{x.Month, x.Region, x.Industry, x.From, x.To, x.N})
	}
	regionName := func(code string) string { return code + " " + m.regionName(r, code) }
	industryName := func(s string) string { return s + " " + t("risk.industry."+s) }
	same := func(k string) string { return k }
	if err := xlsx.Serve(w, t("risk.export.filename"),
		table(t("risk.overview.by_region"), t("risk.field.region"), d.ByRegion, regionName),
		table(t("risk.overview.by_industry"), t("risk.field.industry"), d.ByIndustry, industryName),
		table(t("risk.overview.by_month"), t("risk.field.month"), d.ByMonth, same), mv); err != nil {
		m.d.Log.Warn("risk: export", "err", err)
	}
}

func (m *Module) classPage(w http.ResponseWriter, r *http.Request) {
	c, err := m.Explain(r.Context(), auth.FromContext(r.Context()), r.PathValue("uscc"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "risk/class.html", c)
}

func (m *Module) modelsPage(w http.ResponseWriter, r *http.Request) {
	list, err := m.Versions(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "risk/models.html", list)
}

type newModelData struct {
	Content  string
	Problems []*valid.FieldError
}

func (m *Module) newModelPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if !m.canAdminister(r.Context(), a) {
		m.fail(w, r, ErrNotFound)
		return
	}
	content := string(DefaultModelJSON())
	from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	if from == 0 {
		if c, err := m.published(r.Context()); err == nil && c != nil {
			from = c.version
		}
	}
	if from > 0 {
		if v, err := m.GetVersion(r.Context(), a, from); err == nil {
			content = string(v.Content)
		}
	}
	m.s.Render(w, r, "risk/new.html", newModelData{Content: content})
}

func (m *Module) createModel(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if err := r.ParseForm(); err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	content := r.PostForm.Get("model")
	v, err := m.CreateDraft(r.Context(), a, []byte(content))
	if errors.Is(err, ErrInvalid) {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "risk/new.html", newModelData{Content: content, Problems: valid.Fields(err)})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/risk/models/"+strconv.FormatInt(v.Version, 10), http.StatusSeeOther)
}

type modelData struct {
	V       *Version
	Model   *Model
	Draft   template.HTML
	Pub     template.HTML
	Classes []string
}

func (m *Module) modelPage(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	v, err := m.GetVersion(r.Context(), auth.FromContext(r.Context()), n)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	model, err := v.Model()
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := modelData{V: v, Model: model, Classes: Classes}
	if t := v.Trial; t != nil {
		lang := i18n.LangFrom(r.Context())
		tr := func(k string) string { return m.s.Bundle().T(lang, k) }
		rows := map[string]*Row{}
		for c, n := range t.Draft {
			add(rows, tr("risk.model.draft_label"), c, n)
		}
		for c, n := range t.Published {
			add(rows, tr("risk.model.published_label"), c, n)
		}
		d.Draft = stackChart("trial", tr("risk.model.trial"), sorted(rows), func(k string) string { return k })
	}
	m.s.Render(w, r, "risk/model.html", d)
}

func (m *Module) tryModel(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if _, err := m.Try(r.Context(), auth.FromContext(r.Context()), n, 0); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/risk/models/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
}

func (m *Module) publishModel(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if _, err := m.Publish(r.Context(), auth.FromContext(r.Context()), n); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/risk/models/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
}
