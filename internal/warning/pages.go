package warning

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// A warning is also a case in its department's inbox (/work, see flow.go),
// which links here: this page is where it is verified and decided, and the
// lists below keep what the inbox does not, the closed warnings and the
// business's risk prompts.
func (m *Module) mountPages(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("warning", loc); err != nil {
		return fmt.Errorf("warning: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "warning"); err != nil {
		return fmt.Errorf("warning: %w", err)
	}
	staff := s.Require(staffRoles...)
	handlers := s.Require(auth.RoleHandler, auth.RoleApprover)
	s.Handle("GET /warnings", staff(http.HandlerFunc(m.listPage)))
	s.Handle("GET /warnings/figures", staff(http.HandlerFunc(m.figuresPage)))
	s.Handle("GET /warnings/my", s.Require(auth.RoleEnterprise)(http.HandlerFunc(m.myPage)))
	s.Handle("GET /warnings/{id}", s.RequireActor(http.HandlerFunc(m.warningPage)))
	s.Handle("POST /warnings/{id}/verification", handlers(http.HandlerFunc(m.verifyPage)))
	s.Handle("POST /warnings/{id}/decision", handlers(http.HandlerFunc(m.decidePage)))
	return nil
}

// Nav returns the warning links the actor may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		links = append(links, web.NavLink{Path: "/warnings/my", Key: "warning.nav.my"})
	}
	if a.HasAny(staffRoles...) {
		links = append(links, web.NavLink{Path: "/warnings", Key: "warning.nav.list"})
	}
	return links
}

// item is a warning as a page shows it.
type item struct {
	*Warning
	RuleName, Department, Text string
}

// local picks the language of a text written "中文 (English)".
func local(ctx context.Context, s string) string {
	if i := strings.LastIndex(s, " ("); i > 0 && strings.HasSuffix(s, ")") {
		if i18n.LangFrom(ctx) == i18n.EN {
			return s[i+2 : len(s)-1]
		}
		return s[:i]
	}
	return s
}

func (m *Module) item(ctx context.Context, w *Warning) item {
	it := item{Warning: w, RuleName: w.RuleID, Department: m.deptName(ctx, w.DepartmentID), Text: local(ctx, w.Detail)}
	if r := m.d.Rules.Rule(w.RuleID); r != nil {
		it.RuleName = r.Name
		if i18n.LangFrom(ctx) == i18n.EN && r.NameEn != "" {
			it.RuleName = r.NameEn
		}
	}
	return it
}

func (m *Module) deptName(ctx context.Context, id int64) string {
	var name string
	if err := m.d.DB.QueryRowContext(ctx, `SELECT name FROM departments WHERE id = ?`, id).Scan(&name); err != nil {
		return strconv.FormatInt(id, 10)
	}
	return name
}

type listData struct {
	Items  []item
	Status string
	USCC   string
	Pager  web.Pager
}

func (m *Module) list(w http.ResponseWriter, r *http.Request, page string) {
	ctx := r.Context()
	status := r.URL.Query().Get("status")
	switch status {
	case "", StatusOpen, StatusVerifying, StatusConfirmed, StatusExcluded:
	default:
		m.s.Error(w, r, http.StatusUnprocessableEntity, "warning.error.status")
		return
	}
	uscc := ids.NormalizeUSCC(r.URL.Query().Get("uscc"))
	if uscc != "" && ids.ValidateUSCC(uscc) != nil {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "warning.error.uscc")
		return
	}
	after, err := store.ParseCursor(r.URL.Query().Get("cursor"))
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	ws, pg, err := m.ListPage(ctx, auth.FromContext(ctx), Filter{Status: status, USCC: uscc, After: after.ID, Limit: 50})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := listData{Status: status, USCC: uscc, Pager: web.KeysetPager(r, "cursor", pg.Count, pg.Next.String())}
	for _, x := range ws {
		d.Items = append(d.Items, m.item(ctx, x))
	}
	m.s.Render(w, r, page, d)
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) { m.list(w, r, "warning/list.html") }
func (m *Module) myPage(w http.ResponseWriter, r *http.Request)   { m.list(w, r, "warning/my.html") }

type pageData struct {
	Item     item
	CanAct   bool
	Problems []string
}

func (m *Module) render(w http.ResponseWriter, r *http.Request, status int, x *Warning, problems []string) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	d := pageData{Item: m.item(ctx, x), Problems: problems,
		CanAct: x.ClosedOn == nil && m.d.Policy.Authorize(a, auth.ActAct, x.object()) == nil}
	m.s.RenderStatus(w, r, status, "warning/warning.html", d)
}

func (m *Module) warningPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	x, err := m.Get(ctx, auth.FromContext(ctx), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, x, nil)
}

func (m *Module) verifyPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !m.s.ParseForm(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, err := m.Verify(ctx, auth.FromContext(ctx), id); err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/warnings/"+strconv.FormatInt(id, 10)+"?ok=verifying", http.StatusSeeOther)
}

func (m *Module) decidePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.s.ParseForm(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var confirm bool
	var err error
	switch r.PostForm.Get("decision") {
	case "confirm":
		confirm = true
	case "exclude":
	default:
		err = &valid.FieldError{Path: "decision", Message: "请选择确认或排除 (choose confirm or exclude)"}
	}
	if err == nil {
		_, err = m.Decide(ctx, a, id, confirm, r.PostForm.Get("note"))
	}
	if err != nil {
		if fields := valid.Fields(err); len(fields) > 0 {
			if x, err2 := m.Get(ctx, a, id); err2 == nil {
				var ps []string
				for _, f := range fields {
					ps = append(ps, local(ctx, f.Message))
				}
				m.render(w, r, http.StatusUnprocessableEntity, x, ps)
				return
			}
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/warnings/"+strconv.FormatInt(id, 10)+"?ok=decided", http.StatusSeeOther)
}

type figuresData struct {
	From, To string
	Items    []figureRow
}

type figureRow struct {
	Figure
	RuleName, Department string
}

func (m *Module) figuresPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	today := m.today()
	from, to := q.Get("from"), q.Get("to")
	if from == "" {
		from = fmt.Sprintf("%04d-01", today.Year())
	}
	if to == "" {
		to = today.String()[:7]
	}
	if !monthPattern.MatchString(from) || !monthPattern.MatchString(to) {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "warning.error.month")
		return
	}
	figs, err := m.Figures(ctx, auth.FromContext(ctx), from, to)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if q.Get("format") == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", xlsx.ContentDisposition("预警统计-"+from+"-"+to+".xlsx"))
		if err := m.WriteFigures(w, figs, func(id int64) string { return m.deptName(ctx, id) }); err != nil {
			m.s.Logger().ErrorContext(ctx, "warning figures", "err", err)
		}
		return
	}
	d := figuresData{From: from, To: to}
	for _, f := range figs {
		row := figureRow{Figure: f, RuleName: f.RuleID, Department: m.deptName(ctx, f.DepartmentID)}
		if rule := m.d.Rules.Rule(f.RuleID); rule != nil {
			row.RuleName = rule.Name
			if i18n.LangFrom(ctx) == i18n.EN && rule.NameEn != "" {
				row.RuleName = rule.NameEn
			}
		}
		d.Items = append(d.Items, row)
	}
	m.s.Render(w, r, "warning/figures.html", d)
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); st {
	case http.StatusNotFound, http.StatusForbidden, http.StatusUnauthorized:
		m.s.Error(w, r, st, "web.problem."+strconv.Itoa(st))
	case http.StatusConflict:
		m.s.Error(w, r, st, "warning.error.state")
	case http.StatusUnprocessableEntity:
		m.s.Error(w, r, st, "warning.error.invalid")
	default:
		m.s.Logger().ErrorContext(r.Context(), "warning", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}
