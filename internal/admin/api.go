package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/web"
)

// The API's views of the console's objects. Personal numbers appear
// masked only; the full numbers are shown on the console's reveal page,
// which audits the read.

// AdminRegion is a GB/T 2260 region.
type AdminRegion struct {
	Code       string `json:"code" doc:"GB/T 2260 region code"`
	Name       string `json:"name"`
	NameEN     string `json:"name_en,omitempty"`
	ParentCode string `json:"parent_code,omitempty"`
	Level      int    `json:"level" doc:"1 province, 2 prefecture-level city, 3 county-level district"`
}

// AdminDepartment is a government department within a region.
type AdminDepartment struct {
	ID         int64     `json:"id"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	NameEN     string    `json:"name_en,omitempty"`
	RegionCode string    `json:"region_code"`
	Active     bool      `json:"active"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// AdminUser is an account as administrators see it.
type AdminUser struct {
	ID              int64       `json:"id"`
	Username        string      `json:"username"`
	DisplayName     string      `json:"display_name"`
	Roles           []auth.Role `json:"roles"`
	RegionCode      string      `json:"region_code"`
	DepartmentIDs   []int64     `json:"department_ids"`
	USCC            string      `json:"uscc,omitempty" doc:"Unified social credit code (enterprise accounts)"`
	PhoneMasked     string      `json:"phone_masked,omitempty" doc:"Mobile number, masked"`
	CitizenIDMasked string      `json:"citizen_id_masked,omitempty" doc:"Identity number, masked"`
	Status          string      `json:"status" enum:"active,disabled"`
	CreatedAt       time.Time   `json:"created_at"`
	UpdatedAt       time.Time   `json:"updated_at"`
}

// CalendarDay is one special day of a year.
type CalendarDay struct {
	Date string `json:"date" doc:"YYYY-MM-DD" example:"2027-01-01"`
	Kind string `json:"kind" enum:"holiday,workday" doc:"holiday: day off; workday: a Saturday or Sunday worked (调休上班)"`
	Name string `json:"name" example:"元旦"`
}

// CalendarYear summarises one stored year.
type CalendarYear struct {
	Year      int       `json:"year"`
	Note      string    `json:"note,omitempty"`
	Holidays  int       `json:"holidays"`
	Workdays  int       `json:"workdays"`
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id"`
	ActorName  string    `json:"actor_name"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	RegionCode string    `json:"region_code,omitempty"`
	Detail     any       `json:"detail"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

func regionOf(r *org.Region) AdminRegion {
	return AdminRegion{Code: r.Code, Name: r.Name, NameEN: r.NameEN, ParentCode: r.ParentCode, Level: r.Level}
}

func departmentOf(d *org.Department) AdminDepartment {
	return AdminDepartment{ID: d.ID, Code: d.Code, Name: d.Name, NameEN: d.NameEN, RegionCode: d.RegionCode,
		Active: d.Active, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

func userOf(u *org.User) AdminUser {
	return AdminUser{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
		DepartmentIDs: u.DepartmentIDs, USCC: u.USCC, PhoneMasked: u.PhoneMasked, CitizenIDMasked: u.CitizenIDMasked,
		Status: string(u.Status), CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// Inputs and outputs.

// page normalises the page and page size of a list request.
func pageOf(number, size int) (int, int) {
	if size <= 0 {
		size = defaultPageSize
	}
	return max(number, 1), min(size, maxPageSize)
}

type listBody[T any] struct {
	Items    []T `json:"items"`
	Total    int `json:"total"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

type listOutput[T any] struct{ Body listBody[T] }

func list[T any](items []T, total, page, size int) *listOutput[T] {
	if items == nil {
		items = []T{}
	}
	return &listOutput[T]{Body: listBody[T]{Items: items, Total: total, Page: page, PageSize: size}}
}

type listRegionsInput struct {
	Q        string `query:"q" maxLength:"64" doc:"Part of the code or name"`
	Page     int    `query:"page" minimum:"1" default:"1"`
	PageSize int    `query:"page_size" minimum:"1" maximum:"200" default:"20"`
}

type createRegionInput struct {
	Body struct {
		Code       string `json:"code" maxLength:"6"`
		Name       string `json:"name" maxLength:"64"`
		NameEN     string `json:"name_en,omitempty" maxLength:"64"`
		ParentCode string `json:"parent_code,omitempty" maxLength:"6"`
	}
}

type regionOutput struct{ Body AdminRegion }

type listDepartmentsInput struct {
	Q          string `query:"q" maxLength:"64" doc:"Part of the code or name"`
	RegionCode string `query:"region_code" doc:"Within this region (and the regions it contains)"`
	Page       int    `query:"page" minimum:"1" default:"1"`
	PageSize   int    `query:"page_size" minimum:"1" maximum:"200" default:"20"`
}

type createDepartmentInput struct {
	Body struct {
		Code       string `json:"code" maxLength:"64"`
		Name       string `json:"name" maxLength:"64"`
		NameEN     string `json:"name_en,omitempty" maxLength:"64"`
		RegionCode string `json:"region_code" maxLength:"6"`
	}
}

type updateDepartmentInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Name   *string `json:"name,omitempty" maxLength:"64"`
		NameEN *string `json:"name_en,omitempty" maxLength:"64"`
		Active *bool   `json:"active,omitempty"`
	}
}

type departmentOutput struct{ Body AdminDepartment }

type listUsersInput struct {
	Q            string `query:"q" maxLength:"64" doc:"Part of the username or display name, or an exact mobile or identity number"`
	Role         string `query:"role"`
	DepartmentID int64  `query:"department_id"`
	Page         int    `query:"page" minimum:"1" default:"1"`
	PageSize     int    `query:"page_size" minimum:"1" maximum:"200" default:"20"`
}

type createUserInput struct {
	Body struct {
		Username      string      `json:"username" maxLength:"32"`
		DisplayName   string      `json:"display_name" maxLength:"64"`
		Password      string      `json:"password" maxLength:"256"`
		Roles         []auth.Role `json:"roles"`
		RegionCode    string      `json:"region_code" maxLength:"6"`
		DepartmentIDs []int64     `json:"department_ids,omitempty"`
		USCC          string      `json:"uscc,omitempty" maxLength:"18"`
		Phone         string      `json:"phone,omitempty" maxLength:"20"`
		CitizenID     string      `json:"citizen_id,omitempty" maxLength:"18"`
	}
}

type userIDInput struct {
	ID int64 `path:"id"`
}

type updateUserInput struct {
	ID   int64 `path:"id"`
	Body struct {
		DisplayName   *string      `json:"display_name,omitempty" maxLength:"64"`
		Roles         *[]auth.Role `json:"roles,omitempty"`
		RegionCode    *string      `json:"region_code,omitempty" maxLength:"6"`
		DepartmentIDs *[]int64     `json:"department_ids,omitempty"`
		USCC          *string      `json:"uscc,omitempty" maxLength:"18"`
		Phone         *string      `json:"phone,omitempty" maxLength:"20" doc:"New mobile number; empty removes it"`
		CitizenID     *string      `json:"citizen_id,omitempty" maxLength:"18" doc:"New identity number; empty removes it"`
		Status        *string      `json:"status,omitempty" enum:"active,disabled"`
	}
}

type userOutput struct{ Body AdminUser }

type yearsOutput struct {
	Body struct {
		Items           []CalendarYear `json:"items"`
		NextYear        int            `json:"next_year"`
		NextYearMissing bool           `json:"next_year_missing" doc:"Next year's arrangement has not been entered"`
	}
}

type yearInput struct {
	Year int `path:"year" minimum:"1949" maximum:"9999"`
}

type yearBody struct {
	Year int           `json:"year"`
	Note string        `json:"note,omitempty"`
	Days []CalendarDay `json:"days"`
}

type yearOutput struct {
	ETag string `header:"ETag" doc:"The year's version tag; send it as If-Match when replacing the year"`
	Body yearBody
}

type putYearInput struct {
	Year    int    `path:"year" minimum:"1949" maximum:"9999"`
	DryRun  bool   `query:"dry_run" doc:"Only compute the changes: nothing is saved"`
	IfMatch string `header:"If-Match" doc:"The ETag read with the year; when it no longer matches, the replacement is refused with 412"`
	Body    struct {
		Note  string        `json:"note,omitempty" maxLength:"500"`
		Days  []CalendarDay `json:"days" maxItems:"366" doc:"The whole arrangement: days not listed are removed"`
		Clear bool          `json:"clear,omitempty" doc:"Must be true, with days empty, to remove every special day of the year"`
	}
}

type putYearOutput struct {
	ETag string `header:"ETag"`
	Body struct {
		yearBody
		Changes  []revision.Change `json:"changes" doc:"What the replacement changes (or would, with dry_run)"`
		Saved    bool              `json:"saved"`
		Revision int               `json:"revision,omitempty" doc:"The version number kept of the new arrangement"`
	}
}

type dueInput struct {
	From string `query:"from" required:"true" doc:"Date of the event, YYYY-MM-DD (not counted)" example:"2026-09-30"`
	Days int    `query:"days" minimum:"0" maximum:"3650" doc:"Working days"`
}

type dueOutput struct {
	Body struct {
		From       string `json:"from"`
		Days       int    `json:"days"`
		Due        string `json:"due" doc:"The limit ends at the close of this date (CST)"`
		Incomplete bool   `json:"incomplete" doc:"A year in the range has no holiday arrangement; Monday to Friday were counted"`
	}
}

type listAuditInput struct {
	Action     string `query:"action" doc:"Exact action, or a prefix such as user or flow.*"`
	ObjectType string `query:"object_type"`
	ObjectID   string `query:"object_id"`
	Actor      string `query:"actor" doc:"User id or username"`
	From       string `query:"from" doc:"First day, YYYY-MM-DD (CST)"`
	To         string `query:"to" doc:"Last day, YYYY-MM-DD (CST)"`
	Page       int    `query:"page" minimum:"1" default:"1"`
	PageSize   int    `query:"page_size" minimum:"1" maximum:"500" default:"50"`
}

type verifyOutput struct {
	Body struct {
		Intact   bool   `json:"intact"`
		Checked  int64  `json:"checked" doc:"Entries checked"`
		BrokenAt int64  `json:"broken_at,omitempty" doc:"First bad entry"`
		Reason   string `json:"reason,omitempty"`
	}
}

func (m *Module) registerAPI(s *web.Server) {
	api := s.API()
	op := func(id, method, path, summary string, tags ...string) huma.Operation {
		return huma.Operation{OperationID: id, Method: method, Path: web.APIPrefix + path, Summary: summary,
			Tags: tags, Security: web.Secured(),
			Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity}}
	}
	created := func(o huma.Operation) huma.Operation {
		o.DefaultStatus = http.StatusCreated
		o.Errors = append(o.Errors, http.StatusConflict)
		return o
	}
	admin := func(ctx context.Context) (*auth.Actor, error) { return s.Actor(ctx, auth.RoleAdmin) }

	huma.Register(api, op("list-admin-regions", http.MethodGet, "/admin/regions", "List regions", "admin"),
		func(ctx context.Context, in *listRegionsInput) (*listOutput[AdminRegion], error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			rs, err := m.scopeRegions(ctx, a)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			var items []AdminRegion
			for i := range rs {
				if q := strings.TrimSpace(in.Q); q == "" || strings.Contains(rs[i].Code, q) || strings.Contains(rs[i].Name, q) ||
					strings.Contains(strings.ToLower(rs[i].NameEN), strings.ToLower(q)) {
					items = append(items, regionOf(&rs[i]))
				}
			}
			page, size := pageOf(in.Page, in.PageSize)
			return list(slicePage(items, page, size), len(items), page, size), nil
		})

	huma.Register(api, created(op("create-admin-region", http.MethodPost, "/admin/regions", "Create a region", "admin")),
		func(ctx context.Context, in *createRegionInput) (*regionOutput, error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			rg, err := m.createRegion(ctx, a, regionForm{Code: strings.TrimSpace(b.Code), Name: b.Name, NameEN: b.NameEN,
				ParentCode: strings.TrimSpace(b.ParentCode)})
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			return &regionOutput{Body: regionOf(rg)}, nil
		})

	huma.Register(api, op("list-admin-departments", http.MethodGet, "/admin/departments", "List departments", "admin"),
		func(ctx context.Context, in *listDepartmentsInput) (*listOutput[AdminDepartment], error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			f, err := m.departmentFilter(a, strings.TrimSpace(in.Q), strings.TrimSpace(in.RegionCode))
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			page, size := pageOf(in.Page, in.PageSize)
			f.Page = org.Page{Number: page, Size: size}
			ds, total, err := m.d.Org.ListDepartments(ctx, f)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			items := make([]AdminDepartment, len(ds))
			for i := range ds {
				items[i] = departmentOf(&ds[i])
			}
			return list(items, total, page, size), nil
		})

	huma.Register(api, created(op("create-admin-department", http.MethodPost, "/admin/departments", "Create a department", "admin")),
		func(ctx context.Context, in *createDepartmentInput) (*web.Created[AdminDepartment], error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			d, err := m.createDepartment(ctx, a, org.NewDepartment{Code: b.Code, Name: b.Name, NameEN: b.NameEN,
				RegionCode: strings.TrimSpace(b.RegionCode)})
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			return &web.Created[AdminDepartment]{Location: web.Location("/admin/departments", d.ID), Body: departmentOf(d)}, nil
		})

	patchDept := op("update-admin-department", http.MethodPatch, "/admin/departments/{id}", "Change a department", "admin")
	patchDept.Errors = append(patchDept.Errors, http.StatusNotFound)
	huma.Register(api, patchDept,
		func(ctx context.Context, in *updateDepartmentInput) (*departmentOutput, error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			d, err := m.updateDepartment(ctx, a, in.ID, org.DepartmentUpdate{Name: in.Body.Name, NameEN: in.Body.NameEN,
				Active: in.Body.Active})
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			return &departmentOutput{Body: departmentOf(d)}, nil
		})

	huma.Register(api, op("list-admin-users", http.MethodGet, "/admin/users", "List users", "admin"),
		func(ctx context.Context, in *listUsersInput) (*listOutput[AdminUser], error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			f, err := userFilter(a, in.Q, in.Role, in.DepartmentID)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			page, size := pageOf(in.Page, in.PageSize)
			f.Page = org.Page{Number: page, Size: size}
			us, total, err := m.d.Org.ListUsers(ctx, f)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			items := make([]AdminUser, len(us))
			for i := range us {
				items[i] = userOf(&us[i])
			}
			return list(items, total, page, size), nil
		})

	huma.Register(api, created(op("create-admin-user", http.MethodPost, "/admin/users", "Create a user", "admin")),
		func(ctx context.Context, in *createUserInput) (*web.Created[AdminUser], error) {
			a, err := admin(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			u, err := m.createUser(ctx, a, org.NewUser{Username: b.Username, DisplayName: b.DisplayName, Password: b.Password,
				Roles: b.Roles, RegionCode: b.RegionCode, DepartmentIDs: b.DepartmentIDs, USCC: b.USCC,
				CitizenID: b.CitizenID, Phone: b.Phone})
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			return &web.Created[AdminUser]{Location: web.Location("/admin/users", u.ID), Body: userOf(u)}, nil
		})

	getUser := op("get-admin-user", http.MethodGet, "/admin/users/{id}", "Get a user", "admin")
	getUser.Errors = append(getUser.Errors, http.StatusNotFound)
	huma.Register(api, getUser, func(ctx context.Context, in *userIDInput) (*userOutput, error) {
		a, err := admin(ctx)
		if err != nil {
			return nil, err
		}
		u, err := m.user(ctx, a, in.ID)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		return &userOutput{Body: userOf(u)}, nil
	})

	patchUser := op("update-admin-user", http.MethodPatch, "/admin/users/{id}", "Change a user",
		"admin")
	patchUser.Description = "Changes the fields given. status disables or enables the account; an administrator cannot disable their own."
	patchUser.Errors = append(patchUser.Errors, http.StatusNotFound, http.StatusConflict)
	huma.Register(api, patchUser, func(ctx context.Context, in *updateUserInput) (*userOutput, error) {
		a, err := admin(ctx)
		if err != nil {
			return nil, err
		}
		b := in.Body
		up := org.UserUpdate{DisplayName: b.DisplayName, Roles: b.Roles, RegionCode: b.RegionCode,
			DepartmentIDs: b.DepartmentIDs, USCC: b.USCC, Phone: b.Phone, CitizenID: b.CitizenID}
		if up != (org.UserUpdate{}) {
			if _, err := m.updateUser(ctx, a, in.ID, up); err != nil {
				return nil, m.problem(ctx, err)
			}
		}
		if b.Status != nil {
			if err := m.setUserStatus(ctx, a, in.ID, org.Status(*b.Status)); err != nil {
				return nil, m.problem(ctx, err)
			}
		}
		u, err := m.user(ctx, a, in.ID)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		return &userOutput{Body: userOf(u)}, nil
	})

	huma.Register(api, op("list-calendar-years", http.MethodGet, "/calendar/years", "List holiday calendar years", "calendar"),
		func(ctx context.Context, _ *struct{}) (*yearsOutput, error) {
			if _, err := s.Actor(ctx); err != nil {
				return nil, err
			}
			infos, err := m.d.Calendar.Store.ListYears(ctx, m.d.DB)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			out := &yearsOutput{}
			out.Body.Items = make([]CalendarYear, len(infos))
			for i, y := range infos {
				out.Body.Items[i] = CalendarYear{Year: y.Year, Note: y.Note, Holidays: y.Holidays, Workdays: y.Workdays,
					UpdatedBy: y.UpdatedBy, UpdatedAt: y.UpdatedAt}
			}
			out.Body.NextYear, out.Body.NextYearMissing = m.d.Calendar.NextYearMissing()
			return out, nil
		})

	getYear := op("get-calendar-year", http.MethodGet, "/calendar/years/{year}", "Get a year's holidays and make-up workdays", "calendar")
	getYear.Errors = append(getYear.Errors, http.StatusNotFound)
	huma.Register(api, getYear, func(ctx context.Context, in *yearInput) (*yearOutput, error) {
		if _, err := s.Actor(ctx); err != nil {
			return nil, err
		}
		y, err := m.d.Calendar.Store.GetYear(ctx, m.d.DB, in.Year)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		h, err := revision.Hash(yearSnapshot(y))
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		return &yearOutput{ETag: etag(h), Body: yearBodyOf(y)}, nil
	})

	putYear := op("put-calendar-year", http.MethodPut, "/calendar/years/{year}", "Set a year's holidays and make-up workdays", "calendar")
	putYear.Description = "Replaces the year's arrangement with days (days not listed are removed; an empty list needs clear: true). " +
		"Make-up workdays must fall on a Saturday or Sunday; a refused day is named in the problem. With dry_run the changes are returned and nothing is saved. " +
		"Send the ETag read as If-Match: a year changed meanwhile is refused with 412. The previous arrangement is kept and can be restored. " +
		"Administrators of the deployment's root region only."
	putYear.Errors = append(putYear.Errors, http.StatusPreconditionFailed, http.StatusConflict)
	huma.Register(api, putYear, func(ctx context.Context, in *putYearInput) (*putYearOutput, error) {
		a, err := admin(ctx)
		if err != nil {
			return nil, err
		}
		y := calendar.Year{Year: in.Year, Note: strings.TrimSpace(in.Body.Note)}
		for _, d := range in.Body.Days {
			y.Days = append(y.Days, calendar.Day{Date: strings.TrimSpace(d.Date), Kind: calendar.Kind(d.Kind), Name: strings.TrimSpace(d.Name)})
		}
		if err := m.authorizeCalendar(ctx, a); err != nil {
			return nil, m.problem(ctx, err)
		}
		if err := errors.Join(y.Validate(), checkClear(y, in.Body.Clear)); err != nil {
			return nil, m.problem(ctx, err)
		}
		cur, _, err := m.storedYear(ctx, m.d.DB, in.Year)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		base, err := revision.Hash(cur)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		match := ifMatch(in.IfMatch)
		if match != "" && match != base {
			return nil, huma.Error412PreconditionFailed("the year was changed since it was read; read it again (its ETag) and review the changes")
		}
		out := &putYearOutput{}
		out.Body.Changes = revision.Diff(yearRows(cur), yearRows(yearSnapshot(y)))
		if in.DryRun {
			out.ETag = etag(base)
			out.Body.yearBody = yearBodyOf(cur)
			return out, nil
		}
		rev, err := m.replaceYear(ctx, a, y, base, revision.ReasonSave, 0)
		if errors.Is(err, revision.ErrStale) {
			return nil, huma.Error412PreconditionFailed("the year was changed meanwhile; read it again and review the changes")
		}
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		stored, _, err := m.storedYear(ctx, m.d.DB, in.Year)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		out.ETag, out.Body.yearBody, out.Body.Saved, out.Body.Revision = etag(rev.Hash), yearBodyOf(stored), true, rev.Seq
		return out, nil
	})

	huma.Register(api, op("calendar-due", http.MethodGet, "/calendar/due", "Compute a due date in working days", "calendar"),
		func(ctx context.Context, in *dueInput) (*dueOutput, error) {
			if _, err := s.Actor(ctx); err != nil {
				return nil, err
			}
			due, err := m.due(in.From, strconv.Itoa(in.Days))
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			out := &dueOutput{}
			out.Body.From, out.Body.Days, out.Body.Due = strings.TrimSpace(in.From), in.Days, due
			cal := m.d.Calendar.Current()
			first, _ := strconv.Atoi(out.Body.From[:4])
			last, _ := strconv.Atoi(due[:4])
			for y := first; y <= last; y++ {
				out.Body.Incomplete = out.Body.Incomplete || cal.Missing(y)
			}
			return out, nil
		})

	huma.Register(api, op("list-audit", http.MethodGet, "/audit", "List audit log entries", "audit"),
		func(ctx context.Context, in *listAuditInput) (*listOutput[AuditEntry], error) {
			a, err := s.Actor(ctx, auth.RoleAdmin, auth.RoleSupervisor)
			if err != nil {
				return nil, err
			}
			region, err := m.auditScope(ctx, a)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			f, err := m.auditFilter(ctx, auditQuery{Action: strings.TrimSpace(in.Action), ObjectType: strings.TrimSpace(in.ObjectType),
				ObjectID: strings.TrimSpace(in.ObjectID), Actor: strings.TrimSpace(in.Actor), From: strings.TrimSpace(in.From),
				To: strings.TrimSpace(in.To)}, region)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			page, size := max(in.Page, 1), min(max(in.PageSize, 1), audit.MaxLimit)
			f.Limit, f.Offset = size, (page-1)*size
			recs, total, err := audit.List(ctx, m.d.DB, f)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			items := make([]AuditEntry, len(recs))
			for i, r := range recs {
				var detail any
				if len(r.Detail) > 0 {
					_ = json.Unmarshal(r.Detail, &detail) // stored by Append as valid JSON
				}
				items[i] = AuditEntry{Seq: r.Seq, At: r.At, ActorID: r.ActorID, ActorName: r.ActorName, Action: r.Action,
					ObjectType: r.ObjectType, ObjectID: r.ObjectID, RegionCode: r.RegionCode, Detail: detail,
					PrevHash: r.PrevHash, Hash: r.Hash}
			}
			return list(items, total, page, size), nil
		})

	huma.Register(api, op("verify-audit", http.MethodPost, "/audit/verify", "Verify the audit chain", "audit"),
		func(ctx context.Context, _ *struct{}) (*verifyOutput, error) {
			a, err := s.Actor(ctx, auth.RoleAdmin, auth.RoleSupervisor)
			if err != nil {
				return nil, err
			}
			v, err := m.verifyChain(ctx, a)
			if err != nil {
				return nil, m.problem(ctx, err)
			}
			out := &verifyOutput{}
			out.Body.Intact, out.Body.Checked, out.Body.BrokenAt, out.Body.Reason = v.Intact, v.Checked, v.BrokenAt, v.Reason
			return out, nil
		})
}

// etag quotes a revision hash as an entity tag.
func etag(hash string) string { return `"` + hash + `"` }

// ifMatch returns the hash an If-Match header names, "" for none or *.
func ifMatch(h string) string {
	h = strings.TrimPrefix(strings.TrimSpace(h), "W/")
	if h == "*" {
		return ""
	}
	return strings.Trim(h, `"`)
}

func yearBodyOf(y calendar.Year) yearBody {
	b := yearBody{Year: y.Year, Note: y.Note, Days: make([]CalendarDay, len(y.Days))}
	for i, d := range y.Days {
		b.Days[i] = CalendarDay{Date: d.Date, Kind: string(d.Kind), Name: d.Name}
	}
	return b
}
