package casework

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/web"
)

// bundleRoutes registers the pages of bundles: the public guide, applying,
// the bundle application's status and combined result, and the pages
// where the root region's administrators and approvers define bundles.
func (m *Module) bundleRoutes(s *web.Server) {
	apply := s.Require(applyRoles...)
	manage := s.Require(auth.RoleAdmin, auth.RoleApprover)
	s.HandleFunc("GET /bundles", m.bundleListPage)
	s.Handle("GET /bundle-admin", manage(http.HandlerFunc(m.bundleManagePage)))
	s.Handle("POST /bundle-admin", manage(http.HandlerFunc(m.bundleManageSubmit)))
	s.Handle("GET /bundle-admin/{code}", manage(http.HandlerFunc(m.bundleEditPage)))
	s.Handle("POST /bundle-admin/{code}", manage(http.HandlerFunc(m.bundleEditSubmit)))
	s.HandleFunc("GET /bundles/{code}", m.bundleGuidePage)
	s.Handle("GET /bundles/{code}/apply", apply(http.HandlerFunc(m.bundleApplyPage)))
	s.Handle("POST /bundles/{code}/apply", apply(web.MaxBytes(maxForm)(http.HandlerFunc(m.bundleApplySubmit))))
	s.Handle("GET /bundle-applications", s.RequireActor(http.HandlerFunc(m.bundleAppsPage)))
	s.Handle("GET /bundle-applications/{id}", s.RequireActor(http.HandlerFunc(m.bundleAppPage)))
}

// bundleListData is the public list of bundles.
type bundleListData struct {
	Bundles []Bundle
	CanApply,
	CanManage bool
}

func (m *Module) bundleListPage(w http.ResponseWriter, r *http.Request) {
	bs, err := m.Bundles(r.Context(), false)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	a := auth.FromContext(r.Context())
	d := bundleListData{Bundles: bs}
	if a != nil {
		d.CanApply = a.HasAny(applyRoles...)
		d.CanManage = a.HasAny(auth.RoleAdmin, auth.RoleApprover)
	}
	m.s.Render(w, r, "casework/bundle_list.html", d)
}

// bundleGuideData is a bundle's guide and its application form.
type bundleGuideData struct {
	Bundle   *Bundle
	Merged   *Merged
	Problem  string // why it cannot be applied for now
	CanApply bool
	// Apply form.
	Clerk    bool
	Form     url.Values
	Problems []*FieldError
	Due      string
	Dates    map[int]string    // shortfall entry position → the date it would be due by
	Held     map[int]*heldCert // merged material position → certificate held
}

type heldCert struct {
	ID     int64
	Number string
}

// Problem returns the message for path, if any.
func (d bundleGuideData) ProblemFor(path string) string {
	var out []string
	for _, p := range d.Problems {
		if p.Path == path {
			out = append(out, p.Message)
		}
	}
	return strings.Join(out, "；")
}

// ItemName names an item of the bundle by code.
func (d bundleGuideData) ItemName(code string) string {
	if d.Merged != nil {
		return d.Merged.itemName(code)
	}
	return code
}

// FieldInput returns the input name of a merged form field.
func (bundleGuideData) FieldInput(key string) string { return "f_" + key }

func (m *Module) bundleGuide(w http.ResponseWriter, r *http.Request) (bundleGuideData, bool) {
	b, mg, err := m.BundleGuide(r.Context(), r.PathValue("code"))
	if b == nil {
		m.fail(w, r, err)
		return bundleGuideData{}, false
	}
	d := bundleGuideData{Bundle: b, Merged: mg}
	if err != nil {
		if fes := FieldErrors(err); len(fes) > 0 {
			d.Problem = fes[0].Message
		} else {
			m.fail(w, r, err)
			return d, false
		}
	}
	if a := auth.FromContext(r.Context()); a != nil {
		d.CanApply = mg != nil && a.HasAny(applyRoles...)
	}
	return d, true
}

func (m *Module) bundleGuidePage(w http.ResponseWriter, r *http.Request) {
	d, ok := m.bundleGuide(w, r)
	if !ok {
		return
	}
	m.s.Render(w, r, "casework/bundle_guide.html", d)
}

func (m *Module) bundleApplyPage(w http.ResponseWriter, r *http.Request) {
	m.renderBundleApply(w, r, http.StatusOK, url.Values{}, nil)
}

func (m *Module) renderBundleApply(w http.ResponseWriter, r *http.Request, status int, form url.Values, probs []*FieldError) {
	d, ok := m.bundleGuide(w, r)
	if !ok {
		return
	}
	if d.Merged == nil {
		m.s.Error(w, r, http.StatusConflict, d.Problem)
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	d.Clerk, d.Form, d.Problems, d.Due, d.Held = a.Has(auth.RoleClerk), form, probs, m.DefaultShortfallDue(), map[int]*heldCert{}
	d.Dates = map[int]string{}
	for i, mm := range d.Merged.Materials {
		if mm.SupplyDays > 0 {
			d.Dates[i] = m.supplyDate(mm.SupplyDays)
		}
	}
	if !d.Clerk {
		var p problems
		who, err := m.resolveApplicant(ctx, a, &SubmitInput{}, &p)
		if err == nil && len(p) == 0 {
			for i, mm := range d.Merged.Materials {
				if mm.Class != catalog.ClassShared {
					continue
				}
				if c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, mm.CertificateType, m.now()); err == nil {
					d.Held[i] = &heldCert{ID: c.ID, Number: c.Number}
				}
			}
		}
	}
	m.s.RenderStatus(w, r, status, "casework/bundle_apply.html", d)
}

func (m *Module) bundleApplySubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	if r.PostForm == nil && !m.s.ParseForm(w, r) {
		return
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return
	}
	_, mg, err := m.BundleGuide(ctx, r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f := r.PostForm
	in := BundleInput{BundleCode: r.PathValue("code"), Form: map[string]string{}, ShortfallDue: f.Get("shortfall_due"),
		Delivery: Delivery(f.Get("delivery")), DeliveryAddress: f.Get("delivery_address"),
		EnterpriseName: f.Get("enterprise_name")}
	for _, fld := range mg.Fields {
		if v := formValue(f, fld.FormField); v != "" {
			in.Form[fld.Key] = v
		}
	}
	if a.Has(auth.RoleClerk) {
		in.Applicant = &ApplicantInput{Kind: ApplicantKind(f.Get("applicant_kind")), Name: f.Get("applicant_name"),
			IDNumber: f.Get("applicant_id"), USCC: f.Get("applicant_uscc")}
	}
	for i, mm := range mg.Materials {
		g := BundleMaterialInput{Key: mm.Key, Shortfall: f.Get(fmt.Sprintf("shortfall_%d", i)) == "1"}
		if id, err := strconv.ParseInt(f.Get(fmt.Sprintf("consent_%d", i)), 10, 64); err == nil && id > 0 {
			g.Consent, g.CertificateID = true, id
		}
		up, err := formFile(r, fmt.Sprintf("file_%d", i))
		if err != nil {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return
		}
		g.File = up
		in.Materials = append(in.Materials, g)
	}
	ba, err := m.SubmitBundle(ctx, a, in)
	if err != nil {
		if fes := FieldErrors(err); len(fes) > 0 {
			m.renderBundleApply(w, r, http.StatusUnprocessableEntity, f, fes)
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/bundle-applications/"+itoa(ba.ID)+"?ok=submitted", http.StatusSeeOther)
}

// bundleAppsData lists bundle applications.
type bundleAppsData struct {
	Rows  []BundleApplication
	Pager web.Pager
}

func (m *Module) bundleAppsPage(w http.ResponseWriter, r *http.Request) {
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	rows, pg, err := m.BundleApplications(r.Context(), auth.FromContext(r.Context()), pageSize, after)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "casework/bundle_apps.html", bundleAppsData{Rows: rows, Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String())})
}

// bundleChild is one application on the bundle page.
type bundleChild struct {
	Application
	Department string
	CertNumber string
	CertToken  string
	Readable   bool
}

// bundleAppData is the bundle application page.
type bundleAppData struct {
	*BundleApplication
	Rows  []bundleChild
	Flash bool
}

// StatusName is for the templates.
func (bundleAppData) StatusName(s Status) string { return s.Name() }

func (m *Module) bundleAppPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	ba, err := m.GetBundleApplication(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := bundleAppData{BundleApplication: ba, Flash: r.URL.Query().Get("ok") == "submitted"}
	for _, c := range ba.Children {
		row := bundleChild{Application: c, Department: m.departmentName(ctx, c.DepartmentID),
			Readable: m.d.Policy.Authorize(a, auth.ActRead, c.object()) == nil}
		if c.CertificateID != 0 {
			if cert, err := m.d.Certs.Get(ctx, c.CertificateID, a); err == nil {
				row.CertNumber, row.CertToken = cert.Number, cert.Token
			}
		}
		d.Rows = append(d.Rows, row)
	}
	m.s.Render(w, r, "casework/bundle_view.html", d)
}

// bundleManageData is the management list and the new-bundle form.
type bundleManageData struct {
	Bundles []Bundle
	// Manageable holds the codes of the bundles the actor may edit: the
	// others (another region's) are listed without a link.
	Manageable map[string]bool
	Edit       *Bundle
	Form       url.Values
	Problems   []*FieldError
	Flash      string
}

// ProblemFor returns the messages for path.
func (d bundleManageData) ProblemFor(path string) string {
	var out []string
	for _, p := range d.Problems {
		if p.Path == path || strings.HasPrefix(p.Path, path+"[") {
			out = append(out, p.Message)
		}
	}
	return strings.Join(out, "；")
}

// ItemsText returns the item codes of the form, one a line.
func (d bundleManageData) ItemsText() string {
	if d.Form != nil && d.Form.Has("items") {
		return d.Form.Get("items")
	}
	if d.Edit != nil {
		return strings.Join(d.Edit.Items, "\n")
	}
	return ""
}

// Value returns the form value of key, or the bundle's.
func (d bundleManageData) Value(key string) string {
	if d.Form != nil && d.Form.Has(key) {
		return d.Form.Get(key)
	}
	if d.Edit == nil {
		return ""
	}
	switch key {
	case "code":
		return d.Edit.Code
	case "name":
		return d.Edit.Name
	case "description":
		return d.Edit.Description
	}
	return ""
}

func (m *Module) bundleManagePage(w http.ResponseWriter, r *http.Request) {
	m.renderBundleManage(w, r, http.StatusOK, bundleManageData{Flash: r.URL.Query().Get("ok")})
}

func (m *Module) renderBundleManage(w http.ResponseWriter, r *http.Request, status int, d bundleManageData) {
	var err error
	if d.Bundles, err = m.Bundles(r.Context(), true); err != nil {
		m.fail(w, r, err)
		return
	}
	a := auth.FromContext(r.Context())
	d.Manageable = map[string]bool{}
	for _, b := range d.Bundles {
		if m.d.Policy.Authorize(a, auth.ActAdminister, bundleObject(b.RegionCode)) == nil {
			d.Manageable[b.Code] = true
		}
	}
	m.s.RenderStatus(w, r, status, "casework/bundle_manage.html", d)
}

func specFromForm(f url.Values) BundleSpec {
	items := strings.FieldsFunc(f.Get("items"), func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '，' })
	return BundleSpec{Code: f.Get("code"), Name: f.Get("name"), Description: f.Get("description"), Items: items}
}

func (m *Module) bundleManageSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	b, err := m.SaveBundle(r.Context(), a, specFromForm(r.PostForm))
	if fes := FieldErrors(err); len(fes) > 0 {
		m.renderBundleManage(w, r, http.StatusUnprocessableEntity, bundleManageData{Form: r.PostForm, Problems: fes})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/bundle-admin/"+url.PathEscape(b.Code)+"?ok=saved", http.StatusSeeOther)
}

func (m *Module) bundleEditPage(w http.ResponseWriter, r *http.Request) {
	b, err := m.ManagedBundle(r.Context(), auth.FromContext(r.Context()), r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderBundleManage(w, r, http.StatusOK, bundleManageData{Edit: b, Flash: r.URL.Query().Get("ok")})
}

func (m *Module) bundleEditSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	b, err := m.ManagedBundle(ctx, a, r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f := r.PostForm
	switch f.Get("do") {
	case "publish":
		_, err = m.SetBundleStatus(ctx, a, b.Code, BundlePublished)
	case "withdraw":
		_, err = m.SetBundleStatus(ctx, a, b.Code, BundleWithdrawn)
	default:
		spec := specFromForm(f)
		spec.Code = b.Code
		_, err = m.SaveBundle(ctx, a, spec)
	}
	if fes := FieldErrors(err); len(fes) > 0 {
		m.renderBundleManage(w, r, http.StatusUnprocessableEntity, bundleManageData{Edit: b, Form: f, Problems: fes})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/bundle-admin/"+url.PathEscape(b.Code)+"?ok=saved", http.StatusSeeOther)
}
