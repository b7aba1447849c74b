package admin

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
)

// scopeRegions returns the regions within the actor's region, in tree
// order (by code, so every parent precedes its children). An actor with no
// region administers none.
func (m *Module) scopeRegions(ctx context.Context, a *auth.Actor) ([]org.Region, error) {
	if a.RegionCode == "" {
		return nil, nil
	}
	return m.d.Org.ListRegions(ctx, a.RegionCode)
}

// scopeDepartments returns the departments within the actor's region (at
// most maxPageSize, enough for the selection lists of one region).
func (m *Module) scopeDepartments(ctx context.Context, a *auth.Actor) ([]org.Department, error) {
	if a.RegionCode == "" {
		return nil, nil
	}
	ds, _, err := m.d.Org.ListDepartments(ctx, org.DepartmentFilter{RegionCode: a.RegionCode,
		Page: org.Page{Size: maxPageSize}})
	return ds, err
}

type roleCount struct {
	Role auth.Role
	N    int
}

type dashboardData struct {
	base
	Region      string
	Regions     int
	Departments int
	Users       int
	ByRole      []roleCount
	HeadSeq     int64
	HeadHash    string
}

func (m *Module) dashboard(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	d := &dashboardData{Region: a.RegionCode}
	if a.RegionCode != "" {
		rs, err := m.scopeRegions(ctx, a)
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Regions = len(rs)
		if _, d.Departments, err = m.d.Org.ListDepartments(ctx, org.DepartmentFilter{RegionCode: a.RegionCode, Page: org.Page{Size: 1}}); err != nil {
			m.fail(w, r, err)
			return
		}
		if _, d.Users, err = m.d.Org.ListUsers(ctx, org.UserFilter{RegionCode: a.RegionCode, Page: org.Page{Size: 1}}); err != nil {
			m.fail(w, r, err)
			return
		}
		for _, role := range auth.Roles {
			_, n, err := m.d.Org.ListUsers(ctx, org.UserFilter{RegionCode: a.RegionCode, Role: role, Page: org.Page{Size: 1}})
			if err != nil {
				m.fail(w, r, err)
				return
			}
			d.ByRole = append(d.ByRole, roleCount{Role: role, N: n})
		}
	}
	var err error
	if d.HeadSeq, d.HeadHash, err = audit.Head(ctx, m.d.DB); err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "admin/dashboard.html", d)
}

// Regions.

type regionRow struct {
	org.Region
	Indent int // 0 for the top of the actor's tree
}

type regionForm struct {
	Code, Name, NameEN, ParentCode string
}

type regionsData struct {
	base
	Q       string
	Rows    []regionRow
	Pager   pager
	Parents []org.Region
	Form    regionForm
	Errors  map[string]string
}

func (m *Module) regionsView(r *http.Request, a *auth.Actor, form regionForm, errs map[string]string) (*regionsData, error) {
	all, err := m.scopeRegions(r.Context(), a)
	if err != nil {
		return nil, err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	var rows []regionRow
	top := 0
	if len(all) > 0 {
		top = all[0].Level
	}
	for _, rg := range all {
		if q != "" && !strings.Contains(rg.Code, q) && !strings.Contains(rg.Name, q) &&
			!strings.Contains(strings.ToLower(rg.NameEN), strings.ToLower(q)) {
			continue
		}
		rows = append(rows, regionRow{Region: rg, Indent: max(rg.Level-top, 0)})
	}
	page, size := pageParams(r, 50)
	d := &regionsData{Q: q, Rows: slicePage(rows, page, size), Pager: newPager(r.URL, page, size, len(rows)),
		Form: form, Errors: errs}
	for _, rg := range all {
		if rg.Level < 3 {
			d.Parents = append(d.Parents, rg)
		}
	}
	return d, nil
}

func (m *Module) regionsPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	d, err := m.regionsView(r, a, regionForm{}, nil)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "admin/regions.html", d)
}

func (m *Module) regionCreate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	if !m.s.ParseForm(w, r) {
		return
	}
	form := regionForm{Code: trimmed(r, "code"), Name: trimmed(r, "name"), NameEN: trimmed(r, "name_en"),
		ParentCode: trimmed(r, "parent_code")}
	rg, err := m.createRegion(r.Context(), a, form)
	if err == nil {
		m.redirect(w, r, "/admin/regions?q="+rg.Code, "admin.flash.region_created")
		return
	}
	errs := formErrors(err)
	if errs == nil {
		m.fail(w, r, err)
		return
	}
	d, err := m.regionsView(r, a, form, errs)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusUnprocessableEntity, "admin/regions.html", d)
}

// createRegion adds a region within the actor's region, audited.
func (m *Module) createRegion(ctx context.Context, a *auth.Actor, form regionForm) (*org.Region, error) {
	// A malformed code is a validation error, reported beside the field;
	// a well-formed one must lie within the actor's region.
	if ids.ValidateRegionCode(form.Code) == nil {
		if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: "region", RegionCode: form.Code}); err != nil {
			return nil, err
		}
	}
	var rg *org.Region
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		rg, err = m.d.Org.CreateRegion(ctx, tx, org.Region{Code: form.Code, Name: form.Name, NameEN: form.NameEN,
			ParentCode: form.ParentCode})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "region.create", "region", rg.Code, rg.Code,
			map[string]any{"name": rg.Name, "name_en": rg.NameEN, "parent_code": rg.ParentCode}))
		return err
	})
	return rg, err
}

// Departments.

type departmentsData struct {
	base
	Q       string
	Region  string
	Regions []org.Region
	Rows    []org.Department
	Pager   pager
}

func (m *Module) departmentsPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	q := r.URL.Query()
	d := &departmentsData{Q: strings.TrimSpace(q.Get("q")), Region: strings.TrimSpace(q.Get("region"))}
	f, err := m.departmentFilter(a, d.Q, d.Region)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	page, size := pageParams(r, defaultPageSize)
	f.Page = org.Page{Number: page, Size: size}
	rows, total, err := m.d.Org.ListDepartments(ctx, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Regions, err = m.scopeRegions(ctx, a); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Rows, d.Pager = rows, newPager(r.URL, page, size, total)
	m.render(w, r, http.StatusOK, "admin/departments.html", d)
}

// departmentFilter limits a department listing to the actor's region; a
// region filter outside it is refused.
func (m *Module) departmentFilter(a *auth.Actor, q, region string) (org.DepartmentFilter, error) {
	f := org.DepartmentFilter{Q: q, RegionCode: a.RegionCode}
	if a.RegionCode == "" {
		return f, auth.ErrForbidden
	}
	if region != "" {
		if ids.ValidateRegionCode(region) != nil {
			return f, &FieldError{Name: "region", Message: "行政区划代码须为6位数字 (region code must be 6 digits)"}
		}
		if !within(a, region) {
			return f, auth.ErrForbidden
		}
		f.RegionCode = region
	}
	return f, nil
}

type departmentForm struct {
	Code, Name, NameEN, RegionCode string
	Active                         bool
}

type departmentData struct {
	base
	Dept    *org.Department // nil when creating
	Regions []org.Region
	Form    departmentForm
	Errors  map[string]string
}

func (m *Module) departmentNew(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	m.renderDepartment(w, r, a, http.StatusOK, nil, departmentForm{RegionCode: a.RegionCode, Active: true}, nil)
}

func (m *Module) renderDepartment(w http.ResponseWriter, r *http.Request, a *auth.Actor, status int,
	dept *org.Department, form departmentForm, errs map[string]string) {
	regions, err := m.scopeRegions(r.Context(), a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, status, "admin/department.html", &departmentData{Dept: dept, Regions: regions, Form: form, Errors: errs})
}

func (m *Module) departmentCreate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	if !m.s.ParseForm(w, r) {
		return
	}
	form := departmentForm{Code: trimmed(r, "code"), Name: trimmed(r, "name"), NameEN: trimmed(r, "name_en"),
		RegionCode: trimmed(r, "region_code"), Active: true}
	d, err := m.createDepartment(r.Context(), a, org.NewDepartment{Code: form.Code, Name: form.Name,
		NameEN: form.NameEN, RegionCode: form.RegionCode})
	if err == nil {
		m.redirect(w, r, "/admin/departments/"+strconv.FormatInt(d.ID, 10), "admin.flash.department_created")
		return
	}
	if errs := formErrors(err); errs != nil {
		m.renderDepartment(w, r, a, http.StatusUnprocessableEntity, nil, form, errs)
		return
	}
	m.fail(w, r, err)
}

// createDepartment adds a department in a region within the actor's,
// audited. An empty region is left to validation.
func (m *Module) createDepartment(ctx context.Context, a *auth.Actor, in org.NewDepartment) (*org.Department, error) {
	if in.RegionCode != "" {
		if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: "department", RegionCode: in.RegionCode}); err != nil {
			return nil, err
		}
	}
	var d *org.Department
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if d, err = m.d.Org.CreateDepartment(ctx, tx, in); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "department.create", "department", strconv.FormatInt(d.ID, 10),
			d.RegionCode, map[string]any{"code": d.Code, "name": d.Name, "name_en": d.NameEN}))
		return err
	})
	return d, err
}

// department loads a department the actor may administer.
func (m *Module) department(ctx context.Context, a *auth.Actor, id int64) (*org.Department, error) {
	d, err := m.d.Org.GetDepartment(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, d.Object()); err != nil {
		return nil, err
	}
	return d, nil
}

func (m *Module) departmentPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	d, err := m.department(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderDepartment(w, r, a, http.StatusOK, d,
		departmentForm{Code: d.Code, Name: d.Name, NameEN: d.NameEN, RegionCode: d.RegionCode, Active: d.Active}, nil)
}

func (m *Module) departmentUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok || !m.s.ParseForm(w, r) {
		return
	}
	name, nameEN, active := trimmed(r, "name"), trimmed(r, "name_en"), r.Form.Get("active") != ""
	d, err := m.updateDepartment(r.Context(), a, id, org.DepartmentUpdate{Name: &name, NameEN: &nameEN, Active: &active})
	if err == nil {
		m.redirect(w, r, "/admin/departments/"+strconv.FormatInt(d.ID, 10), "admin.flash.department_updated")
		return
	}
	if errs := formErrors(err); errs != nil {
		cur, gerr := m.department(r.Context(), a, id)
		if gerr != nil {
			m.fail(w, r, gerr)
			return
		}
		m.renderDepartment(w, r, a, http.StatusUnprocessableEntity, cur,
			departmentForm{Code: cur.Code, Name: name, NameEN: nameEN, RegionCode: cur.RegionCode, Active: active}, errs)
		return
	}
	m.fail(w, r, err)
}

// updateDepartment changes a department the actor may administer, audited.
func (m *Module) updateDepartment(ctx context.Context, a *auth.Actor, id int64, up org.DepartmentUpdate) (*org.Department, error) {
	if _, err := m.department(ctx, a, id); err != nil {
		return nil, err
	}
	var d *org.Department
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if d, err = m.d.Org.UpdateDepartment(ctx, tx, id, up); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "department.update", "department", strconv.FormatInt(d.ID, 10),
			d.RegionCode, map[string]any{"name": d.Name, "name_en": d.NameEN, "active": d.Active}))
		return err
	})
	return d, err
}
