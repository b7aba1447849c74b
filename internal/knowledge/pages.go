package knowledge

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

// pageSize is the number of articles on one page of a list.
const pageSize = 20

// Option is one choice of a select element.
type Option struct {
	Value, Label string
}

// listData is what the staff list renders.
type listData struct {
	Items       []*Article
	Pager       web.Pager
	Query       Query
	Categories  []Category
	Departments []Option
	CanCreate   bool
	Now         time.Time
	Statuses    []Status
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	v := r.URL.Query()
	q := Query{Q: strings.TrimSpace(v.Get("q")), CategoryCode: v.Get("category"), Status: Status(v.Get("status")),
		Expiring: v.Get("expiring") == "1", Limit: pageSize}
	var err error
	if q.After, err = web.Cursor(r, "after"); err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	if len([]rune(q.Q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "knowledge.error.query_too_long")
		return
	}
	switch q.Status {
	case "", StatusDraft, StatusPublished, StatusArchived:
	default:
		q.Status = ""
	}
	q.DepartmentID, _ = strconv.ParseInt(v.Get("department"), 10, 64)
	items, pg, err := m.List(r.Context(), a, q)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "knowledge/list.html", listData{Items: items, Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String()), Query: q,
		Categories: Categories, Departments: m.departmentOptions(r, a, false), CanCreate: a.HasAny(editorRoles...),
		Now: m.d.Now(), Statuses: []Status{StatusDraft, StatusPublished, StatusArchived}})
}

// departmentOptions lists the departments a may pick: for editing, those it
// may write for; for filtering, those of its region or its own.
func (m *Module) departmentOptions(r *http.Request, a *auth.Actor, forEdit bool) []Option {
	var out []Option
	seen := map[int64]bool{}
	add := func(d *org.Department) {
		if seen[d.ID] || !d.Active {
			return
		}
		obj := auth.Object{Kind: ObjectKind, RegionCode: d.RegionCode, DepartmentIDs: []int64{d.ID}}
		act := auth.ActRead
		if forEdit {
			act = auth.ActCreate
		}
		if m.d.Policy.Authorize(a, act, obj) == nil {
			seen[d.ID] = true
			out = append(out, Option{Value: strconv.FormatInt(d.ID, 10), Label: d.Name})
		}
	}
	for _, id := range a.DepartmentIDs {
		if d, err := m.department(r.Context(), id); err == nil {
			add(d)
		}
	}
	if a.RegionCode != "" && a.HasAny(auth.RoleAdmin, auth.RoleSupervisor, auth.RoleOperator, auth.RoleDispatcher, auth.RoleClerk) {
		ds, _, err := m.d.Org.ListDepartments(r.Context(), org.DepartmentFilter{RegionCode: a.RegionCode, Page: org.Page{Size: 200}})
		if err == nil {
			for i := range ds {
				add(&ds[i])
			}
		}
	}
	return out
}

// formData is what the create and edit form renders.
type formData struct {
	Article     *Article // nil when creating
	Form        url.Values
	Problems    map[string]string
	Error       string // message key
	Categories  []Category
	Departments []Option
}

func (m *Module) newPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	form := url.Values{}
	if len(a.DepartmentIDs) > 0 {
		form.Set("department_id", strconv.FormatInt(a.DepartmentIDs[0], 10))
	}
	m.renderForm(w, r, http.StatusOK, formData{Form: form})
}

func (m *Module) renderForm(w http.ResponseWriter, r *http.Request, status int, d formData) {
	a := auth.FromContext(r.Context())
	d.Categories, d.Departments = Categories, m.departmentOptions(r, a, true)
	m.s.RenderStatus(w, r, status, "knowledge/form.html", d)
}

// draftFromForm reads a Draft from the posted form. Dates are days in
// China Standard Time; "valid until" names the last valid day, stored as
// the start of the next.
func draftFromForm(f url.Values) (Draft, map[string]string) {
	bad := map[string]string{}
	d := Draft{Title: f.Get("title"), Answer: f.Get("answer"), CategoryCode: f.Get("category_code"),
		RegionCode: f.Get("region_code"), Questions: strings.Split(f.Get("questions"), "\n"),
		Tags: strings.FieldsFunc(f.Get("tags"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })}
	d.DepartmentID, _ = strconv.ParseInt(f.Get("department_id"), 10, 64)
	parse := func(key string) time.Time {
		s := strings.TrimSpace(f.Get(key))
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", s, web.CST)
		if err != nil {
			bad[key] = "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)"
		}
		return t
	}
	d.ValidFrom = parse("valid_from")
	if t := parse("valid_until"); !t.IsZero() {
		d.ValidUntil = t.AddDate(0, 0, 1)
	}
	return d, bad
}

// formOf fills a form from an article, for editing.
func formOf(a *Article) url.Values {
	f := url.Values{}
	f.Set("title", a.Title)
	f.Set("questions", strings.Join(a.Questions, "\n"))
	f.Set("answer", a.Answer)
	f.Set("category_code", a.CategoryCode)
	f.Set("department_id", strconv.FormatInt(a.DepartmentID, 10))
	f.Set("region_code", a.RegionCode)
	f.Set("tags", strings.Join(a.Tags, " "))
	f.Set("rev", strconv.FormatInt(a.Rev, 10))
	if !a.ValidFrom.IsZero() {
		f.Set("valid_from", a.ValidFrom.In(web.CST).Format("2006-01-02"))
	}
	if !a.ValidUntil.IsZero() {
		f.Set("valid_until", a.ValidUntil.Add(-time.Second).In(web.CST).Format("2006-01-02"))
	}
	return f
}

// problemsOf maps field errors to messages by form field.
func problemsOf(err error, bad map[string]string) map[string]string {
	out := map[string]string{}
	for _, fe := range FieldErrors(err) {
		key, _, _ := strings.Cut(fe.Path, "[")
		if _, dup := out[key]; !dup {
			out[key] = fe.Message
		}
	}
	for k, v := range bad {
		out[k] = v
	}
	return out
}

func (m *Module) create(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	d, bad := draftFromForm(r.PostForm)
	if len(bad) > 0 {
		m.renderForm(w, r, http.StatusUnprocessableEntity, formData{Form: r.PostForm, Problems: bad})
		return
	}
	art, err := m.Create(r.Context(), auth.FromContext(r.Context()), d)
	if err != nil {
		m.failForm(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/knowledge/"+strconv.FormatInt(art.ID, 10)+"?ok=created", http.StatusSeeOther)
}

func (m *Module) editPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	art, err := m.Get(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if err := m.d.Policy.Authorize(a, auth.ActAct, art.Object()); err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderForm(w, r, http.StatusOK, formData{Article: art, Form: formOf(art)})
}

func (m *Module) update(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	art, err := m.Get(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d, bad := draftFromForm(r.PostForm)
	if len(bad) > 0 {
		m.renderForm(w, r, http.StatusUnprocessableEntity, formData{Article: art, Form: r.PostForm, Problems: bad})
		return
	}
	rev, _ := strconv.ParseInt(r.PostForm.Get("rev"), 10, 64)
	if _, err := m.Update(r.Context(), a, id, rev, d); err != nil {
		m.failForm(w, r, art, err)
		return
	}
	http.Redirect(w, r, "/knowledge/"+strconv.FormatInt(id, 10)+"?ok=saved", http.StatusSeeOther)
}

// failForm shows a refused save on the form with the reasons.
func (m *Module) failForm(w http.ResponseWriter, r *http.Request, art *Article, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		m.renderForm(w, r, http.StatusUnprocessableEntity, formData{Article: art, Form: r.PostForm, Problems: problemsOf(err, nil)})
	case errors.Is(err, ErrConflict):
		m.renderForm(w, r, http.StatusConflict, formData{Article: art, Form: r.PostForm, Error: "knowledge.error.conflict"})
	default:
		m.fail(w, r, err)
	}
}

// articleData is what the staff article page renders.
type articleData struct {
	Article  *Article
	Versions []*Version
	CanEdit  bool
	Public   bool // the public page shows it now
	Flash    string
	Error    string
}

func (m *Module) articlePage(w http.ResponseWriter, r *http.Request) {
	m.renderArticle(w, r, http.StatusOK, flashKey(r.URL.Query().Get("ok")), "")
}

func flashKey(v string) string {
	switch v {
	case "created", "saved", "published", "archived":
		return "knowledge.flash." + v
	}
	return ""
}

func (m *Module) renderArticle(w http.ResponseWriter, r *http.Request, status int, flash, errKey string) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	art, err := m.Get(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	vs, err := m.Versions(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	_, perr := m.PublicArticle(ctx, id, false)
	m.s.RenderStatus(w, r, status, "knowledge/article.html", articleData{Article: art, Versions: vs,
		CanEdit: m.d.Policy.Authorize(a, auth.ActAct, art.Object()) == nil, Public: perr == nil, Flash: flash, Error: errKey})
}

func (m *Module) publish(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rev, _ := strconv.ParseInt(r.PostForm.Get("rev"), 10, 64)
	if _, err := m.Publish(r.Context(), auth.FromContext(r.Context()), id, rev, r.PostForm.Get("note")); err != nil {
		m.failAction(w, r, err)
		return
	}
	http.Redirect(w, r, "/knowledge/"+strconv.FormatInt(id, 10)+"?ok=published", http.StatusSeeOther)
}

func (m *Module) archive(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rev, _ := strconv.ParseInt(r.PostForm.Get("rev"), 10, 64)
	if _, err := m.Archive(r.Context(), auth.FromContext(r.Context()), id, rev); err != nil {
		m.failAction(w, r, err)
		return
	}
	http.Redirect(w, r, "/knowledge/"+strconv.FormatInt(id, 10)+"?ok=archived", http.StatusSeeOther)
}

// failAction shows a refused publish or archive on the article page.
func (m *Module) failAction(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrConflict):
		m.renderArticle(w, r, http.StatusConflict, "", "knowledge.error.conflict")
	case errors.Is(err, ErrState):
		m.renderArticle(w, r, http.StatusConflict, "", "knowledge.error.state")
	case errors.Is(err, ErrInvalid):
		m.renderArticle(w, r, http.StatusUnprocessableEntity, "", "knowledge.error.note")
	default:
		m.fail(w, r, err)
	}
}

func (m *Module) versionPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err := strconv.Atoi(r.PathValue("v"))
	if err != nil || n < 1 {
		m.fail(w, r, ErrNotFound)
		return
	}
	d, err := m.VersionWithDiff(r.Context(), a, id, n)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "knowledge/version.html", d)
}

// fail answers an error that leaves no page to show.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "knowledge.error.not_found")
	case errors.Is(err, auth.ErrForbidden):
		m.s.Error(w, r, http.StatusForbidden, "knowledge.error.forbidden")
	case errors.Is(err, ErrConflict), errors.Is(err, ErrState):
		m.s.Error(w, r, http.StatusConflict, "knowledge.error.state")
	default:
		m.s.Logger().ErrorContext(r.Context(), "knowledge", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "web.problem.500")
	}
}
