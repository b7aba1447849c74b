package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// searchFilter reads a user search box: an exact mobile number or identity
// number is looked up through the blind index (the numbers are encrypted,
// so no partial match is possible); anything else matches part of the
// username or display name.
func searchFilter(q string) org.UserFilter {
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		return org.UserFilter{}
	case ids.ValidateMobile(q) == nil:
		return org.UserFilter{Phone: q}
	case ids.ValidateCitizenID(ids.NormalizeCitizenID(q)) == nil:
		return org.UserFilter{CitizenID: q}
	}
	return org.UserFilter{Q: q}
}

// userFilter builds the filter of a user listing, limited to the actor's
// region.
func userFilter(a *auth.Actor, q, role string, dept int64) (org.UserFilter, error) {
	f := searchFilter(q)
	if a.RegionCode == "" {
		return f, auth.ErrForbidden
	}
	f.RegionCode = a.RegionCode
	if role != "" {
		if !auth.Role(role).Valid() {
			return f, &FieldError{Name: "role", Message: "未知角色 (unknown role)"}
		}
		f.Role = auth.Role(role)
	}
	f.DepartmentID = dept
	return f, nil
}

type usersData struct {
	base
	Q         string
	Role      string
	Dept      int64
	Roles     []auth.Role
	Depts     []org.Department
	DeptNames map[int64]string
	Rows      []org.User
	Pager     pager
}

func deptNames(ds []org.Department) map[int64]string {
	names := make(map[int64]string, len(ds))
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	return names
}

func (m *Module) usersPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	q := r.URL.Query()
	d := &usersData{Q: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Roles: auth.Roles}
	d.Dept, _ = strconv.ParseInt(q.Get("department"), 10, 64)
	if !auth.Role(d.Role).Valid() {
		d.Role = "" // a list page shows everything rather than fail on a stale link
	}
	f, err := userFilter(a, d.Q, d.Role, d.Dept)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	page, size := pageParams(r, defaultPageSize)
	f.Page = org.Page{Number: page, Size: size}
	rows, total, err := m.d.Org.ListUsers(ctx, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Depts, err = m.scopeDepartments(ctx, a); err != nil {
		m.fail(w, r, err)
		return
	}
	d.DeptNames = deptNames(d.Depts)
	d.Rows, d.Pager = rows, newPager(r.URL, page, size, total)
	m.render(w, r, http.StatusOK, "admin/users.html", d)
}

// userForm is the user form as typed. Phone and CitizenID are new numbers:
// the stored ones are never put back into a form.
type userForm struct {
	Username, DisplayName, RegionCode, USCC, Phone, CitizenID string
	Roles                                                     map[string]bool
	Depts                                                     map[int64]bool
	ClearPhone, ClearCitizenID                                bool
}

type userData struct {
	base
	User      *org.User // nil when creating
	Form      userForm
	Errors    map[string]string
	Revealed  *org.Revealed
	Tokens    []auth.APIToken
	NewToken  string // shown once, right after it is created
	AllRoles  []auth.Role
	Regions   []org.Region
	Depts     []org.Department
	DeptNames map[int64]string
	Self      bool
}

func formOf(u *org.User) userForm {
	f := userForm{Username: u.Username, DisplayName: u.DisplayName, RegionCode: u.RegionCode, USCC: u.USCC,
		Roles: map[string]bool{}, Depts: map[int64]bool{}}
	for _, r := range u.Roles {
		f.Roles[string(r)] = true
	}
	for _, d := range u.DepartmentIDs {
		f.Depts[d] = true
	}
	return f
}

func (m *Module) renderUser(w http.ResponseWriter, r *http.Request, a *auth.Actor, status int, d *userData) {
	ctx := r.Context()
	var err error
	if d.Regions, err = m.scopeRegions(ctx, a); err != nil {
		m.fail(w, r, err)
		return
	}
	if d.Depts, err = m.scopeDepartments(ctx, a); err != nil {
		m.fail(w, r, err)
		return
	}
	d.DeptNames = deptNames(d.Depts)
	d.AllRoles = auth.Roles
	if d.User != nil {
		d.Self = d.User.ID == a.UserID
	}
	m.render(w, r, status, "admin/user.html", d)
}

func (m *Module) userNew(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	m.renderUser(w, r, a, http.StatusOK, &userData{Form: userForm{RegionCode: a.RegionCode,
		Roles: map[string]bool{}, Depts: map[int64]bool{}}})
}

// readUserForm reads the user form; bad department ids are field errors.
func readUserForm(r *http.Request) (userForm, []int64, error) {
	f := userForm{Username: trimmed(r, "username"), DisplayName: trimmed(r, "display_name"),
		RegionCode: trimmed(r, "region_code"), USCC: trimmed(r, "uscc"), Phone: trimmed(r, "phone"),
		CitizenID: trimmed(r, "citizen_id"), Roles: map[string]bool{}, Depts: map[int64]bool{},
		ClearPhone: r.Form.Get("clear_phone") != "", ClearCitizenID: r.Form.Get("clear_citizen_id") != ""}
	for _, role := range r.Form["roles"] {
		f.Roles[role] = true
	}
	var depts []int64
	var err error
	for _, s := range r.Form["department_ids"] {
		id, perr := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if perr != nil || id <= 0 {
			err = &FieldError{Name: "department_ids", Message: "部门选择有误 (invalid department)"}
			continue
		}
		f.Depts[id] = true
		depts = append(depts, id)
	}
	return f, depts, err
}

func (f userForm) roles() []auth.Role {
	var rs []auth.Role
	for r, on := range f.Roles {
		if on {
			rs = append(rs, auth.Role(r))
		}
	}
	slices.Sort(rs)
	return rs
}

func (m *Module) userCreate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	if !m.s.ParseForm(w, r) {
		return
	}
	form, depts, err := readUserForm(r)
	if err == nil {
		var u *org.User
		u, err = m.createUser(r.Context(), a, org.NewUser{Username: form.Username, DisplayName: form.DisplayName,
			Password: r.Form.Get("password"), Roles: form.roles(), RegionCode: form.RegionCode, DepartmentIDs: depts,
			USCC: form.USCC, CitizenID: form.CitizenID, Phone: form.Phone})
		if err == nil {
			m.redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), "admin.flash.user_created")
			return
		}
	}
	if errs := formErrors(err); errs != nil {
		// The typed numbers go back into the form so they can be fixed;
		// they are the administrator's own input, not stored data.
		m.renderUser(w, r, a, http.StatusUnprocessableEntity, &userData{Form: form, Errors: errs})
		return
	}
	m.fail(w, r, err)
}

// checkAssign refuses to place a user in a region or department outside
// the actor's. Unknown departments and an empty region are left to
// validation, which names the field.
func (m *Module) checkAssign(ctx context.Context, a *auth.Actor, region string, depts []int64) error {
	if region != "" {
		if err := m.d.Policy.Authorize(a, auth.ActCreate, auth.Object{Kind: "user", RegionCode: region}); err != nil {
			return err
		}
	}
	for _, id := range depts {
		d, err := m.d.Org.GetDepartment(ctx, id)
		if errors.Is(err, org.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := m.d.Policy.Authorize(a, auth.ActAdminister, d.Object()); err != nil {
			return err
		}
	}
	return nil
}

// createUser adds a user within the actor's region, audited. The audit
// detail never holds the personal numbers or the password. The password is
// the administrator's choice, so the user must change it at first sign-in.
func (m *Module) createUser(ctx context.Context, a *auth.Actor, in org.NewUser) (*org.User, error) {
	in.ChangeAtSignIn = true
	if err := m.checkAssign(ctx, a, strings.TrimSpace(in.RegionCode), in.DepartmentIDs); err != nil {
		return nil, err
	}
	var u *org.User
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if u, err = m.d.Org.CreateUser(ctx, tx, in); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "user.create", "user", strconv.FormatInt(u.ID, 10), u.RegionCode,
			map[string]any{"username": u.Username, "roles": u.Roles, "department_ids": u.DepartmentIDs, "uscc": u.USCC}))
		return err
	})
	return u, err
}

// user loads a user the actor may administer.
func (m *Module) user(ctx context.Context, a *auth.Actor, id int64) (*org.User, error) {
	u, err := m.d.Org.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, u.Object()); err != nil {
		return nil, err
	}
	return u, nil
}

func (m *Module) userPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	u, err := m.user(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderUser(w, r, a, http.StatusOK, &userData{User: u, Form: formOf(u), Tokens: m.tokens(r.Context(), u.ID)})
}

func (m *Module) userUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	// The form replaces the user's roles and departments: a body that is
	// not the whole form must not read as "none".
	if err := revision.ParseForm(r, 1<<20, "display_name", "region_code"); err != nil {
		m.s.Error(w, r, err.(*revision.FormError).Status, "")
		return
	}
	cur, err := m.user(r.Context(), a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	form, depts, err := readUserForm(r)
	form.Username = cur.Username
	if err == nil {
		roles := form.roles()
		up := org.UserUpdate{DisplayName: &form.DisplayName, Roles: &roles, RegionCode: &form.RegionCode,
			DepartmentIDs: &depts, USCC: &form.USCC}
		up.Phone = numberUpdate(form.Phone, form.ClearPhone)
		up.CitizenID = numberUpdate(form.CitizenID, form.ClearCitizenID)
		if _, err = m.updateUser(r.Context(), a, id, up); err == nil {
			m.redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "admin.flash.user_updated")
			return
		}
	}
	if errs := formErrors(err); errs != nil {
		m.renderUser(w, r, a, http.StatusUnprocessableEntity, &userData{User: cur, Form: form, Errors: errs})
		return
	}
	m.fail(w, r, err)
}

// numberUpdate turns a number field of the edit form into an update: a
// typed number replaces the stored one, "clear" removes it, and an empty
// field keeps it.
func numberUpdate(typed string, clear bool) *string {
	switch {
	case clear:
		empty := ""
		return &empty
	case typed != "":
		return &typed
	}
	return nil
}

// updateUser changes a user the actor may administer, audited with the
// names of the fields that changed (never the numbers themselves).
func (m *Module) updateUser(ctx context.Context, a *auth.Actor, id int64, up org.UserUpdate) (*org.User, error) {
	before, err := m.user(ctx, a, id)
	if err != nil {
		return nil, err
	}
	region := ""
	if up.RegionCode != nil {
		region = strings.TrimSpace(*up.RegionCode)
	}
	var depts []int64
	if up.DepartmentIDs != nil {
		depts = *up.DepartmentIDs
	}
	if err := m.checkAssign(ctx, a, region, depts); err != nil {
		return nil, err
	}
	var u *org.User
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if u, err = m.d.Org.UpdateUser(ctx, tx, id, up); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "user.update", "user", strconv.FormatInt(id, 10), u.RegionCode,
			map[string]any{"changed": changedFields(before, u, up)}))
		return err
	})
	return u, err
}

func changedFields(before, after *org.User, up org.UserUpdate) []string {
	var out []string
	if before.DisplayName != after.DisplayName {
		out = append(out, "display_name")
	}
	if !slices.Equal(before.Roles, after.Roles) {
		out = append(out, "roles")
	}
	if before.RegionCode != after.RegionCode {
		out = append(out, "region_code")
	}
	if !slices.Equal(before.DepartmentIDs, after.DepartmentIDs) {
		out = append(out, "department_ids")
	}
	if before.USCC != after.USCC {
		out = append(out, "uscc")
	}
	if up.Phone != nil {
		out = append(out, "phone")
	}
	if up.CitizenID != nil {
		out = append(out, "citizen_id")
	}
	return out
}

func (m *Module) userDisable(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	m.userStatus(w, r, a, org.StatusDisabled)
}

func (m *Module) userEnable(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	m.userStatus(w, r, a, org.StatusActive)
}

func (m *Module) userStatus(w http.ResponseWriter, r *http.Request, a *auth.Actor, status org.Status) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	err := m.setUserStatus(r.Context(), a, id, status)
	switch {
	case err == nil && status == org.StatusDisabled:
		m.redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "admin.flash.user_disabled")
	case err == nil:
		m.redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "admin.flash.user_enabled")
	case errors.Is(err, errSelfDisable):
		m.s.Error(w, r, http.StatusConflict, "admin.user.self_disable")
	default:
		m.fail(w, r, err)
	}
}

var errSelfDisable = conflict{errors.New("admin: an administrator cannot disable their own account")}

// setUserStatus disables or enables a user the actor may administer,
// audited. Administrators cannot lock themselves out.
func (m *Module) setUserStatus(ctx context.Context, a *auth.Actor, id int64, status org.Status) error {
	u, err := m.user(ctx, a, id)
	if err != nil {
		return err
	}
	if status == org.StatusDisabled && u.ID == a.UserID {
		return errSelfDisable
	}
	action, change := "user.enable", m.d.Org.EnableUser
	if status == org.StatusDisabled {
		action, change = "user.disable", m.d.Org.DisableUser
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := change(ctx, tx, id); err != nil {
			return err
		}
		if status == org.StatusActive && m.d.Auth != nil {
			if err := m.d.Auth.ClearFailures(ctx, tx, u.Username); err != nil {
				return err
			}
		}
		_, err := m.d.Audit.Append(ctx, tx, entry(a, action, "user", strconv.FormatInt(id, 10), u.RegionCode,
			map[string]any{"username": u.Username}))
		return err
	})
	if err == nil && status == org.StatusDisabled && m.d.Auth != nil {
		// The raised auth epoch already refuses the sessions; deleting
		// them also takes them off the user's session list.
		if err := m.d.Auth.SignOutUser(ctx, id); err != nil {
			m.s.Logger().WarnContext(ctx, "admin: sign out disabled user", "user_id", id, "err", err)
		}
	}
	return err
}

func (m *Module) userPassword(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok || !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, err := m.user(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	err = m.resetPassword(ctx, a, u, r.Form.Get("password"))
	if err == nil {
		m.redirect(w, r, "/admin/users/"+strconv.FormatInt(id, 10), "admin.flash.password_reset")
		return
	}
	if errs := formErrors(err); errs != nil {
		m.renderUser(w, r, a, http.StatusUnprocessableEntity, &userData{User: u, Form: formOf(u), Errors: errs})
		return
	}
	m.fail(w, r, err)
}

// resetPassword sets a user's password to one the administrator chose,
// which the user must change at their next sign-in, and forgets the failed
// sign-ins counted against the account (its locks included). Audited.
func (m *Module) resetPassword(ctx context.Context, a *auth.Actor, u *org.User, password string) error {
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := m.d.Org.SetPassword(ctx, tx, u.ID, password, true); err != nil {
			return err
		}
		if m.d.Auth != nil {
			if err := m.d.Auth.ClearFailures(ctx, tx, u.Username); err != nil {
				return err
			}
		}
		_, err := m.d.Audit.Append(ctx, tx, entry(a, "user.reset_password", "user", strconv.FormatInt(u.ID, 10),
			u.RegionCode, map[string]any{"username": u.Username, "change_at_sign_in": true}))
		return err
	})
}

// userReveal shows a user's full numbers once, to an administrator of the
// user's region, recording the read. The answer is a page, not a redirect:
// the numbers are never stored anywhere to be shown again.
func (m *Module) userReveal(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, err := m.user(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// Why the numbers are read is part of the record: a reveal without a
	// purpose shows nothing and records nothing.
	purpose := strings.TrimSpace(r.PostForm.Get("purpose"))
	if n := utf8.RuneCountInString(purpose); n < 2 || n > 200 {
		m.renderUser(w, r, a, http.StatusUnprocessableEntity, &userData{User: u, Form: formOf(u),
			Errors: map[string]string{"purpose": m.t(r, "admin.user.reveal_purpose_required")}})
		return
	}
	var rev *org.Revealed
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if rev, err = m.d.Org.Reveal(ctx, tx, id); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "user.reveal_pii", "user", strconv.FormatInt(id, 10),
			u.RegionCode, map[string]any{"fields": []string{"phone", "citizen_id"}, "purpose": purpose}))
		return err
	})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderUser(w, r, a, http.StatusOK, &userData{User: u, Form: formOf(u), Revealed: rev})
}
