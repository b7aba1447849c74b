package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Status is whether a user may sign in.
type Status string

// User statuses.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = auth.StatusDisabled
)

// User is a person or enterprise account as the rest of the platform sees
// it. Personal numbers are held masked only (138****5678); Reveal returns
// the full numbers to a caller that has been authorised and audits the read.
type User struct {
	ID            int64
	Username      string
	DisplayName   string
	Roles         []auth.Role
	RegionCode    string
	DepartmentIDs []int64
	// USCC is the unified social credit code of the enterprise an
	// enterprise user acts for.
	USCC            string
	PhoneMasked     string
	CitizenIDMasked string
	Status          Status
	// FailedLogins and LockedUntil are the per-account lockout of earlier
	// versions, no longer set: failed sign-ins are now counted per address
	// and per (username, address) in signin_throttle (see auth.Throttle).
	FailedLogins int
	LockedUntil  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Has reports whether the user holds role r.
func (u *User) Has(r auth.Role) bool { return slices.Contains(u.Roles, r) }

// Object describes the user to auth.Authorize: the account belongs to the
// user (OwnerUserID) but not to their enterprise, so enterprise colleagues
// do not gain rights over each other's accounts.
func (u *User) Object() auth.Object {
	return auth.Object{Kind: "user", RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs, OwnerUserID: u.ID}
}

// userRow is the users table.
type userRow struct {
	bun.BaseModel  `bun:"table:users,alias:u"`
	ID             int64      `bun:"id,pk,autoincrement"`
	Username       string     `bun:"username"`
	DisplayName    string     `bun:"display_name"`
	PasswordHash   string     `bun:"password_hash"`
	AuthEpoch      int64      `bun:"auth_epoch"`
	RegionCode     string     `bun:"region_code"`
	USCC           string     `bun:"uscc"`
	CitizenIDEnc   string     `bun:"citizen_id_enc"`
	CitizenIDIndex string     `bun:"citizen_id_index"`
	PhoneEnc       string     `bun:"phone_enc"`
	PhoneIndex     string     `bun:"phone_index"`
	Status         string     `bun:"status"`
	FailedLogins   int        `bun:"failed_logins"`
	LockedUntil    *time.Time `bun:"locked_until"`
	// PasswordChangeRequired is set for a password an administrator set.
	PasswordChangeRequired bool      `bun:"password_change_required"`
	CreatedAt              time.Time `bun:"created_at"`
	UpdatedAt              time.Time `bun:"updated_at"`
}

type userRoleRow struct {
	bun.BaseModel `bun:"table:user_roles"`
	UserID        int64  `bun:"user_id,pk"`
	Role          string `bun:"role,pk"`
}

type userDepartmentRow struct {
	bun.BaseModel `bun:"table:user_departments"`
	UserID        int64 `bun:"user_id,pk"`
	DepartmentID  int64 `bun:"department_id,pk"`
}

// NewUser is the input to CreateUser.
type NewUser struct {
	Username    string // 3–32 of a-z 0-9 _ . - (upper case is folded)
	DisplayName string
	Password    string // must pass auth.CheckPassword
	// ChangeAtSignIn makes the user change the password at their first
	// sign-in: set for passwords an administrator chose.
	ChangeAtSignIn bool
	Roles          []auth.Role
	RegionCode     string
	DepartmentIDs  []int64
	USCC           string // required for, and only for, enterprise users
	CitizenID      string // optional
	Phone          string // optional, mainland mobile
}

// profile is the validated, normalised state of a user's editable fields.
type profile struct {
	DisplayName   string
	Roles         []auth.Role
	RegionCode    string
	DepartmentIDs []int64
	USCC          string
	CitizenID     string
	Phone         string
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9_.-]{3,32}$`)

// NormalizeUsername folds a username the way sign-in does.
func NormalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// deptRoles are the staff roles that act for departments and so need one.
var deptRoles = []auth.Role{auth.RoleClerk, auth.RoleHandler, auth.RoleApprover}

// normalize tidies the fields users type.
func (p *profile) normalize() {
	p.DisplayName = strings.TrimSpace(p.DisplayName)
	p.RegionCode = strings.TrimSpace(p.RegionCode)
	p.USCC = ids.NormalizeUSCC(p.USCC)
	p.CitizenID = ids.NormalizeCitizenID(p.CitizenID)
	p.Phone = strings.TrimSpace(p.Phone)
	roles := slices.Clone(p.Roles)
	slices.Sort(roles)
	p.Roles = slices.Compact(roles)
	depts := slices.Clone(p.DepartmentIDs)
	slices.Sort(depts)
	p.DepartmentIDs = slices.Compact(depts)
}

// check validates a normalised profile, looking up the region and
// departments in db.
func (p *profile) check(ctx context.Context, db bun.IDB, pr *problems) error {
	switch {
	case p.DisplayName == "":
		pr.add("display_name", CodeRequired, "姓名或名称必填 (display name is required)")
	case utf8.RuneCountInString(p.DisplayName) > 64:
		pr.add("display_name", CodeTooLong, "姓名或名称不超过64个字符 (display name is at most 64 characters)")
	}
	if len(p.Roles) == 0 {
		pr.add("roles", CodeRequired, "至少需要一个角色 (at least one role is required)")
	}
	for _, r := range p.Roles {
		if !r.Valid() {
			pr.add("roles", CodeUnknown, fmt.Sprintf("未知角色 %q (unknown role)", r))
		}
	}
	hasStaff := slices.ContainsFunc(p.Roles, auth.Role.Staff)
	needsDept := slices.ContainsFunc(p.Roles, func(r auth.Role) bool { return slices.Contains(deptRoles, r) })
	if err := checkRegion(ctx, db, pr, "region_code", p.RegionCode); err != nil {
		return err
	}
	switch {
	case needsDept && len(p.DepartmentIDs) == 0:
		pr.add("department_ids", CodeRequired, "窗口、承办、审批人员须至少属于一个部门 (clerks, handlers and approvers need a department)")
	case !hasStaff && len(p.DepartmentIDs) > 0:
		pr.add("department_ids", CodeNotAllowed, "群众和企业账号不属于部门 (citizen and enterprise accounts have no department)")
	}
	if len(p.DepartmentIDs) > 0 {
		var found []Department
		if err := db.NewSelect().Model(&found).Where("id IN (?)", bun.In(p.DepartmentIDs)).Scan(ctx); err != nil {
			return err
		}
		for _, id := range p.DepartmentIDs {
			i := slices.IndexFunc(found, func(d Department) bool { return d.ID == id })
			switch {
			case i < 0:
				pr.add("department_ids", CodeUnknown, fmt.Sprintf("部门 %d 不存在 (department does not exist)", id))
			case !found[i].Active:
				pr.add("department_ids", CodeNotAllowed, fmt.Sprintf("部门 %d 已停用 (department is inactive)", id))
			}
		}
	}
	isEnterprise := slices.Contains(p.Roles, auth.RoleEnterprise)
	switch {
	case isEnterprise && p.USCC == "":
		pr.add("uscc", CodeRequired, "企业账号须填写统一社会信用代码 (enterprise accounts need a unified social credit code)")
	case isEnterprise && ids.ValidateUSCC(p.USCC) != nil:
		pr.add("uscc", CodeFormat, "统一社会信用代码有误 (invalid unified social credit code, GB 32100)")
	case !isEnterprise && p.USCC != "":
		pr.add("uscc", CodeNotAllowed, "仅企业账号填写统一社会信用代码 (only enterprise accounts carry a USCC)")
	}
	if p.CitizenID != "" && ids.ValidateCitizenID(p.CitizenID) != nil {
		pr.add("citizen_id", CodeFormat, "身份证号码有误 (invalid resident identity number, GB 11643)")
	}
	if p.Phone != "" && ids.ValidateMobile(p.Phone) != nil {
		pr.add("phone", CodeFormat, "手机号码有误 (invalid mobile number)")
	}
	return nil
}

// CreateUser validates in and stores a new active user. It returns the
// user with masked numbers, or validation errors (matching ErrInvalid, and
// ErrConflict for a taken username) with nothing stored.
func (s *Service) CreateUser(ctx context.Context, tx store.IDB, in NewUser) (*User, error) {
	username := NormalizeUsername(in.Username)
	pf := profile{DisplayName: in.DisplayName, Roles: in.Roles, RegionCode: in.RegionCode,
		DepartmentIDs: in.DepartmentIDs, USCC: in.USCC, CitizenID: in.CitizenID, Phone: in.Phone}
	pf.normalize()
	var pr problems
	if !usernamePattern.MatchString(username) {
		pr.add("username", CodeFormat, "用户名须为3至32位小写字母、数字或 _ . - (username must be 3–32 of a-z 0-9 _ . -)")
	}
	if err := auth.CheckPassword(in.Password, username); err != nil {
		pr.add("password", CodeWeak, passwordProblem(err))
	}
	var id int64
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := pf.check(ctx, tx, &pr); err != nil {
			return err
		}
		if err := s.checkRegistered(ctx, tx, &pf, &pr); err != nil {
			return err
		}
		if usernamePattern.MatchString(username) {
			n, err := tx.NewSelect().Model((*userRow)(nil)).Where("username = ?", username).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				pr.add("username", CodeTaken, "用户名已被使用 (username is already taken)")
			}
		}
		if len(pr) > 0 {
			return pr.err()
		}
		hash, err := auth.HashPassword(in.Password, username, s.Password)
		if err != nil {
			return err
		}
		now := s.stamp()
		row := &userRow{Username: username, PasswordHash: hash, PasswordChangeRequired: in.ChangeAtSignIn,
			Status: string(StatusActive), CreatedAt: now, UpdatedAt: now}
		s.apply(row, &pf)
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return invalid("username", CodeTaken, "用户名已被使用 (username is already taken)")
			}
			return err
		}
		id = row.ID
		return writeMemberships(ctx, tx, id, &pf)
	})
	if err != nil {
		return nil, fmt.Errorf("org: create user %q: %w", username, err)
	}
	return s.getUser(ctx, tx, id)
}

// apply copies a validated profile onto a row, sealing the numbers.
func (s *Service) apply(row *userRow, pf *profile) {
	row.DisplayName = pf.DisplayName
	row.RegionCode = pf.RegionCode
	row.USCC = pf.USCC
	row.CitizenIDEnc = s.box.Seal(pf.CitizenID)
	row.CitizenIDIndex = s.box.Index(pf.CitizenID)
	row.PhoneEnc = s.box.Seal(pf.Phone)
	row.PhoneIndex = s.box.Index(pf.Phone)
}

func writeMemberships(ctx context.Context, tx bun.IDB, id int64, pf *profile) error {
	if _, err := tx.NewDelete().Model((*userRoleRow)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*userDepartmentRow)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	roles := make([]userRoleRow, 0, len(pf.Roles))
	for _, r := range pf.Roles {
		roles = append(roles, userRoleRow{UserID: id, Role: string(r)})
	}
	if len(roles) > 0 {
		if _, err := tx.NewInsert().Model(&roles).Exec(ctx); err != nil {
			return err
		}
	}
	depts := make([]userDepartmentRow, 0, len(pf.DepartmentIDs))
	for _, d := range pf.DepartmentIDs {
		depts = append(depts, userDepartmentRow{UserID: id, DepartmentID: d})
	}
	if len(depts) > 0 {
		if _, err := tx.NewInsert().Model(&depts).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// UserUpdate holds the fields UpdateUser changes; nil fields stay as they
// are. An empty CitizenID or Phone removes the number. The username and the
// password change elsewhere (never, and SetPassword).
type UserUpdate struct {
	DisplayName   *string
	Roles         *[]auth.Role
	RegionCode    *string
	DepartmentIDs *[]int64
	USCC          *string
	CitizenID     *string
	Phone         *string
}

// UpdateUser changes a user's profile, validating the result as a whole
// (removing the last department of a handler is refused, for example).
// Role and department changes apply to the user's next request.
func (s *Service) UpdateUser(ctx context.Context, tx store.IDB, id int64, up UserUpdate) (*User, error) {
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		row, err := getUserRow(ctx, tx, id)
		if err != nil {
			return err
		}
		cur, err := s.getUser(ctx, tx, id)
		if err != nil {
			return err
		}
		pf := profile{DisplayName: row.DisplayName, Roles: cur.Roles, RegionCode: row.RegionCode,
			DepartmentIDs: cur.DepartmentIDs, USCC: row.USCC}
		if pf.CitizenID, err = s.box.Open(row.CitizenIDEnc); err != nil {
			return err
		}
		if pf.Phone, err = s.box.Open(row.PhoneEnc); err != nil {
			return err
		}
		setIf(&pf.DisplayName, up.DisplayName)
		setIf(&pf.Roles, up.Roles)
		setIf(&pf.RegionCode, up.RegionCode)
		setIf(&pf.DepartmentIDs, up.DepartmentIDs)
		setIf(&pf.USCC, up.USCC)
		setIf(&pf.CitizenID, up.CitizenID)
		setIf(&pf.Phone, up.Phone)
		pf.normalize()
		var pr problems
		if err := pf.check(ctx, tx, &pr); err != nil {
			return err
		}
		if err := s.checkRegistered(ctx, tx, &pf, &pr); err != nil {
			return err
		}
		if len(pr) > 0 {
			return pr.err()
		}
		s.apply(row, &pf)
		row.UpdatedAt = s.stamp()
		if _, err := tx.NewUpdate().Model(row).
			Column("display_name", "region_code", "uscc", "citizen_id_enc", "citizen_id_index",
				"phone_enc", "phone_index", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		return writeMemberships(ctx, tx, id, &pf)
	})
	if err != nil {
		return nil, fmt.Errorf("org: update user %d: %w", id, err)
	}
	return s.getUser(ctx, tx, id)
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// SetPassword replaces a user's password and ends the user's existing
// sessions (API tokens stay valid). With changeAtSignIn (a password an
// administrator chose) the user must change it at their next sign-in. The
// password must pass auth.CheckPassword. Callers clear the sign-in
// failures counted against the user (auth.Service.ClearFailures).
func (s *Service) SetPassword(ctx context.Context, tx store.IDB, id int64, password string, changeAtSignIn bool) error {
	var username string
	if err := tx.NewSelect().Model((*userRow)(nil)).Column("username").Where("id = ?", id).Scan(ctx, &username); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("org: set password of user %d: %w", id, ErrNotFound)
		}
		return fmt.Errorf("org: set password of user %d: %w", id, err)
	}
	hash, err := auth.HashPassword(password, username, s.Password)
	if err != nil {
		return fmt.Errorf("org: set password of user %d: %w",
			id, errors.Join(invalid("password", CodeWeak, passwordProblem(err)), err))
	}
	res, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("password_hash = ?", hash).
		Set("password_change_required = ?", changeAtSignIn).
		Set("auth_epoch = auth_epoch + 1").
		Set("failed_logins = 0").
		Set("locked_until = NULL").
		Set("updated_at = ?", s.stamp()).
		Where("id = ?", id).Exec(ctx)
	return s.updated(res, err, "set password of", id)
}

// passwordProblem is the message for a password auth.CheckPassword refused.
func passwordProblem(err error) string {
	var weak *auth.WeakPasswordError
	if errors.As(err, &weak) {
		return weak.Text
	}
	return "密码不符合要求 (password does not meet the rules)"
}

// DisableUser stops a user from signing in; their sessions and API tokens
// stop working at once.
func (s *Service) DisableUser(ctx context.Context, tx store.IDB, id int64) error {
	res, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("status = ?", string(StatusDisabled)).
		Set("auth_epoch = auth_epoch + 1"). // re-enabling does not revive old sessions
		Set("updated_at = ?", s.stamp()).
		Where("id = ?", id).Exec(ctx)
	return s.updated(res, err, "disable", id)
}

// EnableUser lets a disabled user sign in again and clears any lockout.
func (s *Service) EnableUser(ctx context.Context, tx store.IDB, id int64) error {
	res, err := tx.NewUpdate().Model((*userRow)(nil)).
		Set("status = ?", string(StatusActive)).
		Set("failed_logins = 0").
		Set("locked_until = NULL").
		Set("updated_at = ?", s.stamp()).
		Where("id = ?", id).Exec(ctx)
	return s.updated(res, err, "enable", id)
}

func (s *Service) updated(res sql.Result, err error, what string, id int64) error {
	if err != nil {
		return fmt.Errorf("org: %s user %d: %w", what, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("org: %s user %d: %w", what, id, ErrNotFound)
	}
	return nil
}

// GetUser returns the user with id, numbers masked, or ErrNotFound.
func (s *Service) GetUser(ctx context.Context, id int64) (*User, error) {
	return s.getUser(ctx, s.db, id)
}

// GetUserByUsername returns the user with username, numbers masked, or
// ErrNotFound.
func (s *Service) GetUserByUsername(ctx context.Context, username string) (*User, error) {
	var id int64
	err := s.db.NewSelect().Model((*userRow)(nil)).Column("id").
		Where("username = ?", NormalizeUsername(username)).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("org: get user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("org: get user %q: %w", username, err)
	}
	return s.getUser(ctx, s.db, id)
}

func getUserRow(ctx context.Context, db bun.IDB, id int64) (*userRow, error) {
	row := new(userRow)
	err := db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return row, err
}

func (s *Service) getUser(ctx context.Context, db bun.IDB, id int64) (*User, error) {
	row, err := getUserRow(ctx, db, id)
	if err != nil {
		return nil, fmt.Errorf("org: get user %d: %w", id, err)
	}
	us, err := s.hydrate(ctx, db, []userRow{*row})
	if err != nil {
		return nil, fmt.Errorf("org: get user %d: %w", id, err)
	}
	return &us[0], nil
}

// Revealed holds a user's personal numbers in full.
type Revealed struct {
	CitizenID string
	Phone     string
}

// Reveal decrypts a user's personal numbers. Only call it for a caller the
// policy allows to see them, and record the read in the audit log in the
// same transaction tx (who, when, why): the holder can review that log.
func (s *Service) Reveal(ctx context.Context, tx store.IDB, id int64) (*Revealed, error) {
	row, err := getUserRow(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("org: reveal user %d: %w", id, err)
	}
	var r Revealed
	if r.CitizenID, err = s.box.Open(row.CitizenIDEnc); err != nil {
		return nil, fmt.Errorf("org: reveal user %d: %w", id, err)
	}
	if r.Phone, err = s.box.Open(row.PhoneEnc); err != nil {
		return nil, fmt.Errorf("org: reveal user %d: %w", id, err)
	}
	return &r, nil
}

// UserFilter selects users for ListUsers. Set fields combine with AND.
type UserFilter struct {
	Q            string    // part of the username or display name
	Role         auth.Role // holds this role
	RegionCode   string    // within this region
	DepartmentID int64     // acts for this department
	Phone        string    // exact mobile number (through the blind index)
	CitizenID    string    // exact identity number (through the blind index)
	USCC         string    // exact enterprise code
	Status       Status
	Page         Page
}

// ListUsers returns one page of users, ordered by id, and the number
// matching the filter. Numbers are masked.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	var rows []userRow
	q := s.db.NewSelect().Model(&rows)
	if f.Q != "" {
		pat, like := likePattern(f.Q), s.db.Like()
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("u.username "+like+" ? ESCAPE '!'", pat).
				WhereOr("u.display_name "+like+" ? ESCAPE '!'", pat)
		})
	}
	if f.Role != "" {
		q = q.Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ?)", string(f.Role))
	}
	if f.RegionCode != "" {
		q = q.Where("u.region_code LIKE ?", regionPrefixPattern(f.RegionCode))
	}
	if f.DepartmentID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM user_departments d WHERE d.user_id = u.id AND d.department_id = ?)", f.DepartmentID)
	}
	if f.Phone != "" {
		q = q.Where("u.phone_index = ?", s.box.Index(f.Phone))
	}
	if f.CitizenID != "" {
		q = q.Where("u.citizen_id_index = ?", s.box.Index(ids.NormalizeCitizenID(f.CitizenID)))
	}
	if f.USCC != "" {
		q = q.Where("u.uscc = ?", ids.NormalizeUSCC(f.USCC))
	}
	if f.Status != "" {
		q = q.Where("u.status = ?", string(f.Status))
	}
	limit, offset := f.Page.limitOffset()
	n, err := q.Order("u.id").Limit(limit).Offset(offset).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list users: %w", err)
	}
	us, err := s.hydrate(ctx, s.db, rows)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list users: %w", err)
	}
	return us, int(n), nil
}

// FindByPhone returns the users registered with a mobile number (a person
// may hold a citizen and a staff account).
func (s *Service) FindByPhone(ctx context.Context, phone string) ([]User, error) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return nil, nil
	}
	us, _, err := s.ListUsers(ctx, UserFilter{Phone: phone, Page: Page{Size: 200}})
	return us, err
}

// FindByCitizenID returns the users registered with an identity number.
func (s *Service) FindByCitizenID(ctx context.Context, id string) ([]User, error) {
	if strings.TrimSpace(id) == "" {
		return nil, nil
	}
	us, _, err := s.ListUsers(ctx, UserFilter{CitizenID: id, Page: Page{Size: 200}})
	return us, err
}

// hydrate turns rows into users, loading roles and departments in two
// queries and masking the numbers. Masking needs the decrypted value; it is
// done here so that plaintext never leaves the package by accident.
func (s *Service) hydrate(ctx context.Context, db bun.IDB, rows []userRow) ([]User, error) {
	if len(rows) == 0 {
		return []User{}, nil
	}
	idList := make([]int64, len(rows))
	for i, r := range rows {
		idList[i] = r.ID
	}
	var roles []userRoleRow
	if err := db.NewSelect().Model(&roles).Where("user_id IN (?)", bun.In(idList)).
		Order("user_id", "role").Scan(ctx); err != nil {
		return nil, err
	}
	var depts []userDepartmentRow
	if err := db.NewSelect().Model(&depts).Where("user_id IN (?)", bun.In(idList)).
		Order("user_id", "department_id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]User, len(rows))
	byID := make(map[int64]*User, len(rows))
	for i, r := range rows {
		out[i] = User{
			ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, RegionCode: r.RegionCode,
			USCC: r.USCC, Status: Status(r.Status), FailedLogins: r.FailedLogins, LockedUntil: r.LockedUntil,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			Roles: []auth.Role{}, DepartmentIDs: []int64{},
		}
		phone, err := s.box.Open(r.PhoneEnc)
		if err != nil {
			return nil, fmt.Errorf("user %d: phone: %w", r.ID, err)
		}
		citizenID, err := s.box.Open(r.CitizenIDEnc)
		if err != nil {
			return nil, fmt.Errorf("user %d: citizen id: %w", r.ID, err)
		}
		out[i].PhoneMasked, out[i].CitizenIDMasked = pii.MaskPhone(phone), pii.MaskID(citizenID)
		byID[r.ID] = &out[i]
	}
	for _, r := range roles {
		u := byID[r.UserID]
		u.Roles = append(u.Roles, auth.Role(r.Role))
	}
	for _, d := range depts {
		u := byID[d.UserID]
		u.DepartmentIDs = append(u.DepartmentIDs, d.DepartmentID)
	}
	return out, nil
}
