package hotline

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// The administration pages of the hotline's configuration: the category
// tree (/hotline/categories) and the per-type limits (/hotline/limits).
// Both are city-wide settings, so only administrators of a top region (one
// without a parent, normally the city) change them; dispatchers, and for
// the limits supervisors, may read them. Every change goes through the
// service (SaveCategory, SetLimits) or, for deactivating a branch of the
// tree, through deactivateCategory below, and each is audited in its own
// transaction.

// mountConfig registers the configuration pages.
func (m *Module) mountConfig(s *web.Server) {
	if m.d.Revisions != nil {
		m.d.Revisions.Register(RevisionDirectory, directorySet{m})
		m.d.Revisions.Register(RevisionLimits, limitsSet{m})
		m.d.Revisions.Register(RevisionCategories, categoriesSet{m})
	}
	admin := s.Require(auth.RoleAdmin)
	readCats := s.Require(auth.RoleAdmin, auth.RoleDispatcher)
	readLimits := s.Require(auth.RoleAdmin, auth.RoleDispatcher, auth.RoleSupervisor)
	s.Handle("GET /hotline/categories", readCats(http.HandlerFunc(m.categoriesPage)))
	s.Handle("POST /hotline/categories", admin(http.HandlerFunc(m.categoryAdd)))
	s.Handle("GET /hotline/categories/{code}", readCats(http.HandlerFunc(m.categoryPage)))
	s.Handle("POST /hotline/categories/{code}", admin(http.HandlerFunc(m.categoryChange)))
	s.Handle("GET /hotline/limits", readLimits(http.HandlerFunc(m.limitsPage)))
	s.Handle("GET /hotline/limits/{type}", admin(http.HandlerFunc(m.limitsEditPage)))
	s.Handle("POST /hotline/limits/{type}", admin(http.HandlerFunc(m.limitsSubmit)))
}

// canConfigure reports whether a may change the city-wide configuration:
// an administrator whose region is the top of the region tree. A district
// administrator passes the policy's region check for his own region, but
// the tree and the limits apply to the whole city, so he may only read.
func (m *Module) canConfigure(ctx context.Context, a *auth.Actor) bool {
	if a == nil || !a.Has(auth.RoleAdmin) {
		return false
	}
	r, err := m.d.Org.GetRegion(ctx, a.RegionCode)
	return err == nil && r.ParentCode == ""
}

// flashKeys are the messages a redirect after a change may ask for; any
// other value of ?ok= is ignored.
var flashKeys = map[string]string{
	"added":       "hotline.cat.flash.added",
	"renamed":     "hotline.cat.flash.renamed",
	"deactivated": "hotline.cat.flash.deactivated",
	"activated":   "hotline.cat.flash.activated",
	"limits":      "hotline.limits.flash.saved",
}

func flash(r *http.Request) string { return flashKeys[r.URL.Query().Get("ok")] }

// fieldErrorMap turns the service's field errors into a map for a template.
func fieldErrorMap(err error) map[string]string {
	out := map[string]string{}
	for _, fe := range FieldErrors(err) {
		if _, seen := out[fe.Name]; !seen {
			out[fe.Name] = fe.Message
		}
	}
	return out
}

// Categories.

// categoryRow is one line of the tree as the page shows it.
type categoryRow struct {
	Category
	Level        int
	Path         string
	Open         int  // orders under the category (and its sub-categories) still being handled
	ParentActive bool // false when an ancestor is inactive
}

// categoriesData is what categories.html renders. With One set, the page
// shows that category; otherwise the tree.
type categoriesData struct {
	Rows    []categoryRow
	Parents []categoryRow // the categories a new one may be added under
	Q       string
	CanEdit bool
	Flash   string
	Errors  map[string]string
	Form    url.Values

	One          *categoryRow
	Children     []categoryRow
	NextCode     string // a free code for a new child of One
	ChildPattern string // the codes of One's children, e.g. "0101ZZ"
}

// openStatuses are the states in which an order is still being handled.
var openStatuses = []Status{StatusNew, StatusDispatched, StatusHandling, StatusReplied}

// openByCategory counts the orders still being handled per category code.
func (m *Module) openByCategory(ctx context.Context) (map[string]int, error) {
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(openStatuses)), ", ")
	args := make([]any, len(openStatuses))
	for i, s := range openStatuses {
		args[i] = s
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT category_code, COUNT(*) FROM hotline_orders
		WHERE status IN (`+ph+`) GROUP BY category_code`, args...)
	if err != nil {
		return nil, fmt.Errorf("hotline: open orders by category: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, fmt.Errorf("hotline: open orders by category: %w", err)
		}
		out[code] = n
	}
	return out, rows.Err()
}

// codePrefix is the part of code its descendants share: "01" for 010000,
// "0101" for 010100, the whole code for a matter.
func codePrefix(c Category) string {
	switch c.Level() {
	case 1:
		return c.Code[:2]
	case 2:
		return c.Code[:4]
	}
	return c.Code
}

// within reports whether code is c or lies below it in the tree.
func within(c Category, code string) bool {
	return code == c.Code || (c.Level() < 3 && strings.HasPrefix(code, codePrefix(c)))
}

// categoryRows returns the tree with paths, open-order counts and whether
// each ancestor is active.
func (m *Module) categoryRows(ctx context.Context) ([]categoryRow, error) {
	open, err := m.openByCategory(ctx)
	if err != nil {
		return nil, err
	}
	cats := m.Categories()
	rows := make([]categoryRow, 0, len(cats))
	for _, c := range cats {
		row := categoryRow{Category: c, Level: c.Level(), Path: m.CategoryPath(c.Code), ParentActive: true}
		for p := parentOf(c.Code); p != ""; p = parentOf(p) {
			if pc, ok := m.Category(p); ok && !pc.Active {
				row.ParentActive = false
			}
		}
		for code, n := range open {
			if within(c, code) {
				row.Open += n
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (m *Module) categoriesPage(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > 50 {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	d := categoriesData{Q: q, Flash: flash(r), Errors: map[string]string{}, Form: url.Values{}}
	m.renderCategories(w, r, http.StatusOK, d)
}

// renderCategories fills the tree and the parents list and renders the
// tree page with status.
func (m *Module) renderCategories(w http.ResponseWriter, r *http.Request, status int, d categoriesData) {
	ctx := r.Context()
	rows, err := m.categoryRows(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.CanEdit = m.canConfigure(ctx, auth.FromContext(ctx))
	lq := strings.ToLower(d.Q)
	for _, row := range rows {
		if row.Level < 3 {
			d.Parents = append(d.Parents, row)
		}
		if lq == "" || strings.Contains(row.Code, lq) || strings.Contains(row.Path, d.Q) ||
			strings.Contains(strings.ToLower(row.NameEn), lq) {
			d.Rows = append(d.Rows, row)
		}
	}
	m.s.RenderStatus(w, r, status, "hotline/categories.html", d)
}

// checkNewCode checks that code is a free code directly below parent in
// the two-digits-per-level scheme: XX0000 at the top, XXYY00 below XX0000,
// XXYYZZ below XXYY00, with no level's digits "00". SaveCategory only
// checks that some parent exists, which would accept 010001 under 010000
// (a matter skipping the field level); the page holds the stricter rule.
func (m *Module) checkNewCode(parent, code string) problems {
	var p problems
	var par Category
	if parent != "" {
		var ok bool
		if par, ok = m.Category(parent); !ok {
			p.add("parent", "上级分类不存在 (the parent category does not exist)")
			return p
		}
		if par.Level() == 3 {
			p.add("parent", "事项（第三级）下不能再设分类 (a third-level matter cannot have sub-categories)")
			return p
		}
	}
	if len(code) != 6 || !digits(code) {
		p.add("code", "分类代码须为6位数字 (code must be 6 digits)")
		return p
	}
	switch {
	case parent == "":
		if code[2:] != "0000" || code[:2] == "00" {
			p.add("code", "一级领域代码须为 XX0000，XX 不为 00 (a top-level code is XX0000 with XX not 00)")
		}
	case par.Level() == 1:
		if code[:2] != parent[:2] || code[4:] != "00" || code[2:4] == "00" {
			p.add("code", fmt.Sprintf("须为 %sYY00，YY 不为 00 (must be %sYY00 with YY not 00)", parent[:2], parent[:2]))
		}
	default:
		if code[:4] != parent[:4] || code[4:] == "00" {
			p.add("code", fmt.Sprintf("须为 %sZZ，ZZ 不为 00 (must be %sZZ with ZZ not 00)", parent[:4], parent[:4]))
		}
	}
	if len(p) == 0 {
		if _, exists := m.Category(code); exists {
			p.add("code", "该分类代码已存在 (the code is already in use)")
		}
	}
	return p
}

// nextCode returns the lowest free code directly below parent, or "".
func (m *Module) nextCode(parent Category) string {
	for i := 1; i <= 99; i++ {
		var code string
		switch parent.Level() {
		case 1:
			code = fmt.Sprintf("%s%02d00", parent.Code[:2], i)
		case 2:
			code = fmt.Sprintf("%s%02d", parent.Code[:4], i)
		default:
			return ""
		}
		if _, used := m.Category(code); !used {
			return code
		}
	}
	return ""
}

func (m *Module) categoryAdd(w http.ResponseWriter, r *http.Request) {
	missing, ok := m.configForm(w, r, "parent", "code", "name")
	if !ok {
		return
	}
	if missing != nil {
		m.renderCategories(w, r, http.StatusUnprocessableEntity, categoriesData{Errors: missing, Form: r.PostForm})
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.canConfigure(ctx, a) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	f := r.PostForm
	parent, code := strings.TrimSpace(f.Get("parent")), strings.TrimSpace(f.Get("code"))
	// Every bad field is named at once; SaveCategory checks the name again.
	p := m.checkNewCode(parent, code)
	if n := utf8.RuneCountInString(strings.TrimSpace(f.Get("name"))); n == 0 || n > 50 {
		p.add("name", "分类名称须为1至50字 (name must be 1–50 characters)")
	}
	if utf8.RuneCountInString(strings.TrimSpace(f.Get("name_en"))) > 100 {
		p.add("name_en", "英文名称不超过100个字符 (English name up to 100 characters)")
	}
	err := p.err()
	if err == nil {
		err = m.SaveCategory(ctx, a, Category{Code: code, Name: f.Get("name"), NameEn: f.Get("name_en"), Active: true})
	}
	if fes := fieldErrorMap(err); len(fes) > 0 {
		m.renderCategories(w, r, http.StatusUnprocessableEntity, categoriesData{Errors: fes, Form: f})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hotline/categories/"+code+"?ok=added", http.StatusSeeOther)
}

func (m *Module) categoryPage(w http.ResponseWriter, r *http.Request) {
	m.renderCategory(w, r, http.StatusOK, categoriesData{Flash: flash(r), Errors: map[string]string{}, Form: url.Values{}})
}

// renderCategory renders the page of the category named in the path.
func (m *Module) renderCategory(w http.ResponseWriter, r *http.Request, status int, d categoriesData) {
	ctx := r.Context()
	code := r.PathValue("code")
	rows, err := m.categoryRows(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	for i := range rows {
		switch {
		case rows[i].Code == code:
			d.One = &rows[i]
		case parentOf(rows[i].Code) == code:
			d.Children = append(d.Children, rows[i])
		}
	}
	if d.One == nil {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	d.CanEdit = m.canConfigure(ctx, auth.FromContext(ctx))
	d.NextCode = m.nextCode(d.One.Category)
	switch d.One.Level {
	case 1:
		d.ChildPattern = code[:2] + "YY00"
	case 2:
		d.ChildPattern = code[:4] + "ZZ"
	}
	if d.Form.Get("name") == "" && d.Form.Get("name_en") == "" {
		d.Form.Set("name", d.One.Name)
		d.Form.Set("name_en", d.One.NameEn)
	}
	m.s.RenderStatus(w, r, status, "hotline/categories.html", d)
}

func (m *Module) categoryChange(w http.ResponseWriter, r *http.Request) {
	missing, ok := m.configForm(w, r, "action")
	if !ok {
		return
	}
	if missing != nil {
		m.renderCategory(w, r, http.StatusUnprocessableEntity, categoriesData{Errors: missing, Form: r.PostForm})
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.canConfigure(ctx, a) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	c, ok := m.Category(r.PathValue("code"))
	if !ok {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	f := r.PostForm
	var err error
	var ok2 string
	switch f.Get("action") {
	case "rename":
		c.Name, c.NameEn, ok2 = f.Get("name"), f.Get("name_en"), "renamed"
		if utf8.RuneCountInString(strings.TrimSpace(c.NameEn)) > 100 {
			err = &FieldError{Name: "name_en", Message: "英文名称不超过100个字符 (English name up to 100 characters)"}
		} else {
			err = m.SaveCategory(ctx, a, c)
		}
	case "deactivate":
		ok2 = "deactivated"
		err = m.deactivateCategory(ctx, a, c.Code)
	case "activate":
		ok2 = "activated"
		if par, has := m.Category(parentOf(c.Code)); has && !par.Active {
			err = &FieldError{Name: "active", Message: "上级分类已停用，请先启用上级分类 (activate the parent category first)"}
		} else {
			c.Active = true
			err = m.SaveCategory(ctx, a, c)
		}
	default:
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	if fes := fieldErrorMap(err); len(fes) > 0 {
		m.renderCategory(w, r, http.StatusUnprocessableEntity, categoriesData{Errors: fes, Form: f})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hotline/categories/"+c.Code+"?ok="+ok2, http.StatusSeeOther)
}

// deactivateCategory stops code and every active category below it from
// being chosen for new orders (administrators), in one audited
// transaction. Orders already filed under them are not touched: they keep
// their category and run to the end. Deactivating only the parent would
// leave its matters selectable at intake, which checks the matter alone.
func (m *Module) deactivateCategory(ctx context.Context, a *auth.Actor, code string) error {
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: Kind, RegionCode: m.region(a)}); err != nil {
		return err
	}
	c, ok := m.Category(code)
	if !ok {
		return ErrNotFound
	}
	var codes []string
	for _, x := range m.Categories() {
		if x.Active && within(c, x.Code) {
			codes = append(codes, x.Code)
		}
	}
	if len(codes) == 0 {
		return nil // already inactive: nothing to change or record
	}
	open, err := m.openByCategory(ctx)
	if err != nil {
		return err
	}
	n := 0
	for k, v := range open {
		if within(c, k) {
			n += v
		}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := m.changeCategories(ctx, tx, a, func(ctx context.Context, tx store.IDB) error {
			for _, x := range codes {
				if _, err := store.Exec(ctx, tx, "UPDATE hotline_categories SET active = FALSE WHERE code = ?", x); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.deactivate_category",
			ObjectType: "hotline_category", ObjectID: code,
			Detail: map[string]any{"codes": codes, "open_orders": n, "revision": rev.Seq}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: deactivate category %s: %w", code, err)
	}
	return m.loadCategories(ctx)
}

// Limits.

// limitRow is one request type's limits as the page shows them, with the
// deadlines they would give if counting started now.
type limitRow struct {
	Limits
	Default   Limits
	IsDefault bool
	// The deadlines of the three limits counted from now, as examples.
	SignEx, UrgentEx, HandleEx example
	// Version and UrgentVersion are the workflow definition versions new
	// orders of the type start on.
	Version, UrgentVersion int
}

// example is the deadline a limit gives when counting starts now; Wall
// says it is on the wall clock (shown with the time) rather than the end of
// a working day (shown as a date).
type example struct {
	Due  time.Time
	Wall bool
}

// limitField is one limit of the edit form.
type limitField struct {
	Name    string      // sign_for, urgent_sign_for or handle
	Units   []flow.Unit // the units the rule allows
	Default flow.Limit  // the installation's default
	Example example     // the deadline the stored value gives from now
}

// limitsData is what limits.html renders. With Edit set, the page is the
// form for that type.
type limitsData struct {
	Rows    []limitRow
	Start   time.Time // when the example deadlines start counting
	CanEdit bool
	Flash   string
	Changed Type

	Edit   *limitRow
	Fields []limitField
	Form   url.Values
	Errors map[string]string
	// Set are the province's settings the tiers, the return visit and
	// jurisdiction disputes run on (hotline.json, Config.Settings).
	Set Settings
}

// limitRows returns the limits of every type with their examples.
func (m *Module) limitRows(ctx context.Context) ([]limitRow, time.Time, error) {
	ls, err := m.AllLimits(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	defs := map[Type]Limits{}
	for _, l := range DefaultLimits() {
		defs[l.Type] = l
	}
	now := m.d.Now()
	var cal flow.Calendar
	if m.d.Calendar != nil {
		cal = m.d.Calendar()
	}
	out := make([]limitRow, 0, len(ls))
	for _, l := range ls {
		dl := defs[l.Type]
		row := limitRow{Limits: l, Default: dl,
			IsDefault: l.SignFor == dl.SignFor && l.UrgentSignFor == dl.UrgentSignFor && l.Handle == dl.Handle}
		if cal != nil {
			ex := func(x flow.Limit) example {
				return example{Due: cal.Deadline(now, x.Calendar()), Wall: x.Unit != flow.WorkDays}
			}
			row.SignEx, row.UrgentEx, row.HandleEx = ex(l.SignFor), ex(l.UrgentSignFor), ex(l.Handle)
		}
		if d, err := m.d.Flow.Definition(ctx, DefinitionKey(l.Type, false), 0); err == nil {
			row.Version = d.Version
		}
		if d, err := m.d.Flow.Definition(ctx, DefinitionKey(l.Type, true), 0); err == nil {
			row.UrgentVersion = d.Version
		}
		out = append(out, row)
	}
	return out, now, nil
}

func (m *Module) limitsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rows, start, err := m.limitRows(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := limitsData{Rows: rows, Start: start, CanEdit: m.canConfigure(ctx, auth.FromContext(ctx)), Flash: flash(r), Set: m.set}
	if t := Type(r.URL.Query().Get("type")); t.Valid() {
		d.Changed = t
	}
	m.s.Render(w, r, "hotline/limits.html", d)
}

func (m *Module) limitsEditPage(w http.ResponseWriter, r *http.Request) {
	m.renderLimitsEdit(w, r, http.StatusOK, nil, nil)
}

// renderLimitsEdit renders the form of the type in the path; form nil
// means the stored values.
func (m *Module) renderLimitsEdit(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs map[string]string) {
	ctx := r.Context()
	if !m.canConfigure(ctx, auth.FromContext(ctx)) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	rows, start, err := m.limitRows(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := limitsData{Start: start, CanEdit: true, Form: form, Errors: errs}
	for i := range rows {
		if rows[i].Type == Type(r.PathValue("type")) {
			d.Edit = &rows[i]
		}
	}
	if d.Edit == nil {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	e := d.Edit
	defs := []flow.Limit{e.Default.SignFor, e.Default.UrgentSignFor, e.Default.Handle}
	exs := []example{e.SignEx, e.UrgentEx, e.HandleEx}
	for i, name := range limitFields {
		d.Fields = append(d.Fields, limitField{Name: name, Units: limitRules[name].units, Default: defs[i], Example: exs[i]})
	}
	if d.Form == nil {
		d.Form = limitsForm(d.Edit.Limits)
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	m.s.RenderStatus(w, r, status, "hotline/limits.html", d)
}

// limitFields are the three limits of a type, by form field name.
var limitFields = []string{"sign_for", "urgent_sign_for", "handle"}

func limitsForm(l Limits) url.Values {
	f := url.Values{}
	for i, x := range []flow.Limit{l.SignFor, l.UrgentSignFor, l.Handle} {
		f.Set(limitFields[i]+"_n", strconv.Itoa(x.N))
		f.Set(limitFields[i]+"_unit", string(x.Unit))
	}
	return f
}

// parseLimits reads the edit form of type t; the values are checked by
// SetLimits against limitRules.
func parseLimits(t Type, f url.Values) (Limits, error) {
	l := Limits{Type: t}
	dst := []*flow.Limit{&l.SignFor, &l.UrgentSignFor, &l.Handle}
	var p problems
	for i, name := range limitFields {
		n, err := strconv.Atoi(strings.TrimSpace(f.Get(name + "_n")))
		if err != nil {
			p.add(name, "须填写正整数 (must be a whole number). "+limitRules[name].msg)
		}
		*dst[i] = flow.Limit{N: n, Unit: flow.Unit(f.Get(name + "_unit"))}
	}
	return l, p.err()
}

func (m *Module) limitsSubmit(w http.ResponseWriter, r *http.Request) {
	missing, ok := m.configForm(w, r, "sign_for_n", "sign_for_unit", "urgent_sign_for_n", "urgent_sign_for_unit", "handle_n", "handle_unit")
	if !ok {
		return
	}
	if missing != nil {
		m.renderLimitsEdit(w, r, http.StatusUnprocessableEntity, r.PostForm, missing)
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if !m.canConfigure(ctx, a) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	t := Type(r.PathValue("type"))
	if !t.Valid() {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	l, err := parseLimits(t, r.PostForm)
	if err == nil {
		err = m.SetLimits(ctx, a, l)
	}
	if fes := fieldErrorMap(err); len(fes) > 0 {
		m.renderLimitsEdit(w, r, http.StatusUnprocessableEntity, r.PostForm, fes)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hotline/limits?ok=limits&type="+url.QueryEscape(string(t)), http.StatusSeeOther)
}
