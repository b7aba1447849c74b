package catalog

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/web"
)

// manageListData is what the staff list renders.
type manageListData struct {
	Items   []*Item
	Pager   web.Pager
	Q       string
	Status  string
	CanEdit bool
}

func (m *Module) manageList(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "catalog.error.query_too_long")
		return
	}
	st := Status(r.URL.Query().Get("status"))
	if st != StatusDraft && st != StatusPublished && st != StatusWithdrawn {
		st = ""
	}
	items, total, err := m.StaffList(r.Context(), a, Query{Q: q, Status: st, Limit: pageSize, Offset: web.Offset(r, pageSize)})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "catalog/manage.html", manageListData{Items: items, Pager: web.Paginate(r, total, pageSize), Q: q, Status: string(st),
		CanEdit: a.HasAny(auth.RoleAdmin, auth.RoleApprover)})
}

// editData is what the new-item and edit pages render.
type editData struct {
	Item        *Item // nil on the new-item page
	Form        url.Values
	Types       []Option
	Kinds       []Option
	Departments []Option
	Classes     []Option
	PaperForms  []Option
	FieldTypes  []Option
	Problems    []*FieldError // from the last submission
	Unpublished []*FieldError // what keeps the item from being published
	CanEdit     bool
	Flash       string
	Rule        *ruleView // the rule section; nil on the new-item page
	Revisions   string    // the page of the working copy's earlier versions; "" when not kept
}

// formOf renders the basic fields of d as form values.
func formOf(d *Draft) url.Values {
	f := url.Values{}
	f.Set("code", d.Code)
	f.Set("name", d.Name)
	f.Set("short_name", d.ShortName)
	f.Set("department_id", strconv.FormatInt(d.DepartmentID, 10))
	f.Set("type", string(d.Type))
	f.Set("legal_basis", d.LegalBasis)
	f.Set("conditions", d.Conditions)
	f.Set("review_standard", d.ReviewStandard)
	f.Set("legal_limit_days", strconv.Itoa(d.LegalLimitDays))
	f.Set("promised_limit_days", strconv.Itoa(d.PromisedLimitDays))
	f.Set("kind", string(d.Kind))
	f.Set("fee_yuan", d.Fee.Yuan())
	f.Set("fee_basis", d.Fee.Basis)
	f.Set("window_address", d.Window.Address)
	f.Set("window_hours", d.Window.Hours)
	f.Set("window_phone", d.Window.Phone)
	f.Set("scope_regions", strings.Join(d.ScopeRegions, ","))
	f.Set("certificate_type", d.CertificateType)
	for k, b := range map[string]bool{"online": d.Online, "cross_region": d.CrossRegion, "commitment": d.Commitment} {
		if b {
			f.Set(k, "1")
		}
	}
	if d.Rule != nil {
		f.Set("rule_expr", d.Rule.Expr)
	}
	return f
}

// fillOptions adds the select boxes to d for actor a.
func (m *Module) fillOptions(r *http.Request, a *auth.Actor, d *editData) {
	dept, _ := strconv.ParseInt(d.Form.Get("department_id"), 10, 64)
	d.Types = typeOptions(ItemType(d.Form.Get("type")))
	d.Kinds = []Option{{Value: "", Label: "按承诺时限自动判断"}, {Value: string(KindInstant), Label: KindInstant.Name()}, {Value: string(KindPromised), Label: KindPromised.Name()}}
	for i := range d.Kinds {
		d.Kinds[i].Selected = d.Kinds[i].Value == d.Form.Get("kind")
	}
	d.Departments = m.departmentOptions(r, dept, func(dep *org.Department) bool {
		return m.d.Policy.Authorize(a, auth.ActCreate, object(dep.RegionCode, dep.ID)) == nil || dep.ID == dept
	})
	for _, c := range MaterialClasses {
		d.Classes = append(d.Classes, Option{Value: string(c), Label: c.Name()})
	}
	for _, f := range []PaperForm{FormOriginal, FormCopy, FormBoth} {
		d.PaperForms = append(d.PaperForms, Option{Value: string(f), Label: f.Name()})
	}
	for _, t := range FieldTypes {
		d.FieldTypes = append(d.FieldTypes, Option{Value: string(t), Label: t.Name()})
	}
}

func (m *Module) newPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if !a.HasAny(auth.RoleAdmin, auth.RoleApprover) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	d := editData{Form: url.Values{"legal_limit_days": {"20"}, "promised_limit_days": {"5"}}, CanEdit: true}
	m.fillOptions(r, a, &d)
	m.s.Render(w, r, "catalog/edit.html", d)
}

func (m *Module) createSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	draft, err := draftFromForm(r.PostForm, Draft{})
	var it *Item
	if err == nil {
		it, err = m.Create(r.Context(), a, draft)
	}
	if err != nil {
		if probs := FieldErrors(err); len(probs) > 0 || errors.Is(err, ErrConflict) {
			if len(probs) == 0 {
				probs = []*FieldError{{Path: "code", Message: "该区划下已有此编码的事项 (the code is already used in this region)"}}
			}
			d := editData{Form: r.PostForm, Problems: probs, CanEdit: true}
			m.fillOptions(r, a, &d)
			m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "catalog/edit.html", d)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/catalog/manage/"+strconv.FormatInt(it.ID, 10)+"?ok=created", http.StatusSeeOther)
}

func flashKey(v string) string {
	switch v {
	case "created", "saved", "published", "withdrawn":
		return "catalog.flash." + v
	}
	return ""
}

// itemID parses the {id} of a staff path.
func itemID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

// renderEdit shows the edit page of item id with status and problems.
// extra, when given, amends what is rendered.
func (m *Module) renderEdit(w http.ResponseWriter, r *http.Request, status int, form url.Values, probs []*FieldError, extra ...func(*editData)) {
	a := auth.FromContext(r.Context())
	it, err := m.Working(r.Context(), a, itemID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := editData{Item: it, Form: form, Problems: probs, Flash: flashKey(r.URL.Query().Get("ok")),
		CanEdit: m.d.Policy.Authorize(a, auth.ActAct, object(it.RegionCode, it.DepartmentID)) == nil}
	if d.Form == nil {
		d.Form = formOf(&it.Draft)
	}
	d.Unpublished = FieldErrors(check(&it.Draft, it.RegionCode, true))
	if len(d.Unpublished) == 0 {
		d.Unpublished = FieldErrors(m.checkRule(r.Context(), &it.Draft, true))
	}
	d.Rule = m.ruleView(r.Context(), it, nil, nil)
	// Restoring an earlier version is an administrator's act (the revision
	// pages are theirs); others are not offered a link they cannot follow.
	if m.d.Revisions != nil && d.CanEdit && a.Has(auth.RoleAdmin) {
		d.Revisions = revision.Link(RevisionKind, strconv.FormatInt(it.ID, 10))
	}
	m.fillOptions(r, a, &d)
	for _, f := range extra {
		f(&d)
	}
	m.s.RenderStatus(w, r, status, "catalog/edit.html", d)
}

func (m *Module) editPage(w http.ResponseWriter, r *http.Request) {
	m.renderEdit(w, r, http.StatusOK, nil, nil)
}

// save writes change applied to the working copy of the item in the path,
// then redirects back to the edit page, or shows the problems.
func (m *Module) save(w http.ResponseWriter, r *http.Request, form url.Values, change func(d *Draft) error) {
	a := auth.FromContext(r.Context())
	id := itemID(r)
	it, err := m.Working(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	rv, _ := strconv.ParseInt(r.FormValue("row_version"), 10, 64)
	d := it.Draft
	d.Materials, d.Fields = slices.Clone(d.Materials), slices.Clone(d.Fields)
	err = change(&d)
	if err == nil {
		_, err = m.Update(r.Context(), a, id, d, rv)
	}
	if err != nil {
		if probs := FieldErrors(err); len(probs) > 0 {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, form, probs)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/catalog/manage/"+strconv.FormatInt(id, 10)+"?ok=saved", http.StatusSeeOther)
}

func (m *Module) editSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parseSetForm(w, r, "code", "name", "department_id", "type", "rule_expr") {
		return
	}
	m.save(w, r, r.PostForm, func(d *Draft) error {
		nd, err := draftFromForm(r.PostForm, *d)
		*d = nd
		return err
	})
}

// index parses the position n of a material or field within a list of
// length n; -1 when it is out of range.
func index(s string, n int) int {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= n {
		return -1
	}
	return i
}

func (m *Module) materialSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parseSetForm(w, r, "op") {
		return
	}
	f := r.PostForm
	m.save(w, r, nil, func(d *Draft) error {
		copies, _ := strconv.Atoi(f.Get("copies"))
		days, err := strconv.Atoi(strings.TrimSpace(f.Get("shortfall_days")))
		if err != nil && strings.TrimSpace(f.Get("shortfall_days")) != "" {
			days = -1 // refused by the check, naming the field
		}
		mat := Material{Name: f.Get("name"), Class: MaterialClass(f.Get("class")), Copies: copies,
			Form: PaperForm(f.Get("form")), Note: f.Get("note"), CertificateType: f.Get("certificate_type"),
			CommitmentReplaceable: f.Get("commitment_replaceable") == "1", ShortfallDays: days}
		i := index(f.Get("n"), len(d.Materials))
		switch op := f.Get("op"); {
		case op == "add":
			d.Materials = append(d.Materials, mat)
		case i < 0:
			return ErrNotFound
		case op == "delete":
			d.Materials = slices.Delete(d.Materials, i, i+1)
		case op == "up" && i > 0:
			d.Materials[i-1], d.Materials[i] = d.Materials[i], d.Materials[i-1]
		case op == "save":
			mat.Template, mat.Example = d.Materials[i].Template, d.Materials[i].Example
			d.Materials[i] = mat
		}
		return nil
	})
}

func (m *Module) fileSubmit(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		if web.IsTooLarge(err) {
			m.renderEdit(w, r, http.StatusRequestEntityTooLarge, nil, []*FieldError{{Path: "file", Message: "文件不能超过 10 MiB (the file is larger than 10 MiB)"}})
			return
		}
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, []*FieldError{{Path: "file", Message: "请选择文件 (choose a file)"}})
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxFileSize+1))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// Check the item before storing anything.
	if _, err := m.Working(r.Context(), a, itemID(r)); err != nil {
		m.fail(w, r, err)
		return
	}
	ref, err := m.PutFile(r.Context(), a, hdr.Filename, data)
	if err != nil {
		if probs := FieldErrors(err); len(probs) > 0 {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, probs)
			return
		}
		m.fail(w, r, err)
		return
	}
	m.save(w, r, nil, func(d *Draft) error {
		i := index(r.PathValue("n"), len(d.Materials))
		if i < 0 {
			return ErrNotFound
		}
		if r.FormValue("which") == "example" {
			d.Materials[i].Example = ref
		} else {
			d.Materials[i].Template = ref
		}
		return nil
	})
}

func (m *Module) fieldSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.parseSetForm(w, r, "op") {
		return
	}
	f := r.PostForm
	m.save(w, r, nil, func(d *Draft) error {
		ff := FormField{Key: f.Get("key"), Label: f.Get("label"), LabelEn: f.Get("label_en"), Type: FieldType(f.Get("type")),
			Required: f.Get("required") == "1", Help: f.Get("help")}
		for _, o := range strings.Split(f.Get("options"), "\n") {
			if o = strings.TrimSpace(o); o != "" {
				ff.Options = append(ff.Options, o)
			}
		}
		i := index(f.Get("n"), len(d.Fields))
		switch op := f.Get("op"); {
		case op == "add":
			d.Fields = append(d.Fields, ff)
		case i < 0:
			return ErrNotFound
		case op == "delete":
			d.Fields = slices.Delete(d.Fields, i, i+1)
		case op == "up" && i > 0:
			d.Fields[i-1], d.Fields[i] = d.Fields[i], d.Fields[i-1]
		case op == "save":
			d.Fields[i] = ff
		}
		return nil
	})
}

func (m *Module) publishSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	rv, _ := strconv.ParseInt(r.PostForm.Get("row_version"), 10, 64)
	if _, err := m.Publish(r.Context(), a, itemID(r), rv); err != nil {
		if probs := FieldErrors(err); len(probs) > 0 {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, probs)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/catalog/manage/"+r.PathValue("id")+"?ok=published", http.StatusSeeOther)
}

func (m *Module) withdrawSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	if err := m.Withdraw(r.Context(), a, itemID(r), r.PostForm.Get("reason")); err != nil {
		if probs := FieldErrors(err); len(probs) > 0 {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, probs)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/catalog/manage/"+r.PathValue("id")+"?ok=withdrawn", http.StatusSeeOther)
}

// versionsData is what the version history renders.
type versionsData struct {
	Item     *Item
	Versions []VersionInfo
	A, B     string
	Changes  []Change
	Compared bool
}

// versionsPage lists the published versions of an item and compares two of
// them, or one with the working copy ("draft"), field by field.
func (m *Module) versionsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	it, err := m.Working(ctx, a, itemID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	vs, err := m.Versions(ctx, a, it.ID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := versionsData{Item: it, Versions: vs, A: r.URL.Query().Get("a"), B: r.URL.Query().Get("b")}
	pick := func(s string) (*Item, error) {
		if s == "draft" {
			return it, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, ErrNotFound
		}
		return m.Version(ctx, it.Code, n)
	}
	if d.A != "" && d.B != "" {
		va, err1 := pick(d.A)
		vb, err2 := pick(d.B)
		if err := errors.Join(err1, err2); err != nil {
			m.fail(w, r, err)
			return
		}
		d.Changes, d.Compared = Diff(va, vb), true
	}
	m.s.Render(w, r, "catalog/versions.html", d)
}
