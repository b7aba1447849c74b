// Package admin is the administration console: regions, departments and
// users, the holiday calendar, workflow definitions and the audit log, as
// server-rendered pages under /admin and a JSON API under /api/v1.
//
// Every change goes the same way: the policy decides (role and region
// scope), the input is validated, and the change and its audit entry are
// written in one transaction; pages then redirect with a flash message
// (POST-redirect-GET) or show the form again with its errors and status 422.
package admin

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed templates/admin/*.html
var templatesFS embed.FS

//go:embed locales/*.json
var localesFS embed.FS

//go:embed admin.css
var stylesheet []byte

// Flows is what the console needs from the workflow engine; *flow.Engine
// provides it.
type Flows interface {
	// LoadDefinition validates raw and stores it as the next version of
	// its key, recording the load in the audit log itself.
	LoadDefinition(ctx context.Context, raw []byte, by *auth.Actor) (def *flow.Definition, created bool, err error)
	// Definitions lists every stored version, by key then newest first.
	Definitions(ctx context.Context) ([]flow.DefinitionInfo, error)
	// Definition returns one version of a definition; 0 means the latest.
	Definition(ctx context.Context, key string, version int) (*flow.Definition, error)
	// Recount moves, in tx, the open deadlines counted into year from
	// calendar old to next: entering a year's holiday arrangement ends
	// the provisional count of its deadlines (Monday to Friday).
	Recount(ctx context.Context, tx store.IDB, old, next *calendar.Calendar, year int, actor *auth.Actor) (int, error)
}

// Deps holds what the console is built from.
type Deps struct {
	DB       *store.DB
	Org      *org.Service
	Auth     *auth.Service // optional: removes a disabled user's sessions
	Policy   *auth.Policy
	Calendar *calendar.Service
	Audit    *audit.Log
	// Heads signs the audit tree heads; when set, verifying the audit log
	// also checks it against every signed head (database and head file).
	Heads *audit.HeadSigner
	// Flows is the workflow engine; nil hides the workflow pages.
	Flows Flows
	// RootRegion is the GB/T 2260 code of the region the deployment
	// serves. Platform-wide data (the calendar, workflow definitions) is
	// administered in its name, so only its administrators may change it,
	// and its administrators see the whole audit log. Empty means the
	// top-most stored region (no parent, lowest level, then lowest code).
	RootRegion string
	// Revisions keeps the earlier versions of the sets the console
	// replaces (calendar years, workflow definitions) and serves their
	// versions and preview pages. nil means the console makes and mounts
	// its own.
	Revisions *revision.Pages
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Module is the administration console. It implements web.Module and
// web.Navigator.
type Module struct {
	d Deps
	s *web.Server
	// ownRevisions is set when the console made Deps.Revisions itself and
	// so mounts it.
	ownRevisions bool

	rootMu sync.Mutex
	root   string
}

// New returns the console over deps.
func New(deps Deps) *Module {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Policy == nil {
		deps.Policy = auth.NewPolicy()
	}
	own := deps.Revisions == nil
	if own {
		deps.Revisions = revision.NewPages(deps.DB, revision.Store{Now: deps.Now})
	}
	return &Module{d: deps, root: deps.RootRegion, ownRevisions: own}
}

// Nav returns the console's links: all of them for administrators, the
// audit log for supervisors.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	switch {
	case a.Has(auth.RoleAdmin):
		links := []web.NavLink{
			{Path: "/admin", Key: "admin.nav.dashboard"},
			{Path: "/admin/regions", Key: "admin.nav.regions"},
			{Path: "/admin/departments", Key: "admin.nav.departments"},
			{Path: "/admin/users", Key: "admin.nav.users"},
			{Path: "/admin/calendar", Key: "admin.nav.calendar"},
		}
		if m.d.Flows != nil {
			links = append(links, web.NavLink{Path: "/admin/flows", Key: "admin.nav.flows"})
		}
		return append(links, web.NavLink{Path: "/admin/audit", Key: "admin.nav.audit"})
	case a.Has(auth.RoleSupervisor):
		return []web.NavLink{{Path: "/admin/audit", Key: "admin.nav.audit"}}
	}
	return nil
}

// Mount registers the console's messages, templates, pages and API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localesFS, "locales")
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if err := s.Bundle().Add("admin", loc); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	tpl, err := fs.Sub(templatesFS, "templates")
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if err := s.AddPages(tpl, "admin"); err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if m.ownRevisions {
		if err := m.d.Revisions.Mount(s); err != nil {
			return fmt.Errorf("admin: %w", err)
		}
	}
	m.d.Revisions.Register(revCalendar, calendarSet{m})
	m.routes(s)
	m.registerAPI(s)
	return nil
}

// handlerFunc is a page handler that runs for a signed-in actor.
type handlerFunc func(w http.ResponseWriter, r *http.Request, a *auth.Actor)

// page guards h with the roles allowed to reach it.
func (m *Module) page(h handlerFunc, roles ...auth.Role) http.Handler {
	return m.s.Require(roles...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, auth.FromContext(r.Context()))
	}))
}

func (m *Module) routes(s *web.Server) {
	admin := auth.RoleAdmin
	s.Handle("GET /admin/assets/admin.css", http.HandlerFunc(serveCSS))
	s.Handle("GET /admin", m.page(m.dashboard, admin))

	s.Handle("GET /admin/regions", m.page(m.regionsPage, admin))
	s.Handle("POST /admin/regions", m.page(m.regionCreate, admin))

	s.Handle("GET /admin/departments", m.page(m.departmentsPage, admin))
	s.Handle("GET /admin/departments/new", m.page(m.departmentNew, admin))
	s.Handle("POST /admin/departments", m.page(m.departmentCreate, admin))
	s.Handle("GET /admin/departments/{id}", m.page(m.departmentPage, admin))
	s.Handle("POST /admin/departments/{id}", m.page(m.departmentUpdate, admin))

	s.Handle("GET /admin/users", m.page(m.usersPage, admin))
	s.Handle("GET /admin/users/new", m.page(m.userNew, admin))
	s.Handle("POST /admin/users", m.page(m.userCreate, admin))
	s.Handle("GET /admin/users/{id}", m.page(m.userPage, admin))
	s.Handle("POST /admin/users/{id}", m.page(m.userUpdate, admin))
	s.Handle("POST /admin/users/{id}/disable", m.page(m.userDisable, admin))
	s.Handle("POST /admin/users/{id}/enable", m.page(m.userEnable, admin))
	s.Handle("POST /admin/users/{id}/password", m.page(m.userPassword, admin))
	s.Handle("POST /admin/users/{id}/reveal", m.page(m.userReveal, admin))
	s.Handle("POST /admin/users/{id}/tokens", m.page(m.tokenCreate, admin))
	s.Handle("POST /admin/users/{id}/tokens/{token}/revoke", m.page(m.tokenRevoke, admin))

	s.Handle("GET /admin/calendar", m.page(m.calendarPage, admin))
	s.Handle("GET /admin/calendar/{year}", m.page(m.calendarYearPage, admin))
	s.Handle("POST /admin/calendar/{year}", m.page(m.calendarYearSave, admin))

	if m.d.Flows != nil {
		s.Handle("GET /admin/flows", m.page(m.flowsPage, admin))
		s.Handle("POST /admin/flows", web.MaxBytes(maxDefinitionBytes+64<<10)(m.page(m.flowUpload, admin)))
		s.Handle("GET /admin/flows/{key}", m.page(m.flowPage, admin))
		s.Handle("POST /admin/flows/{key}/restore", m.page(m.flowRestore, admin))
	}

	s.Handle("GET /admin/audit", m.page(m.auditPage, admin, auth.RoleSupervisor))
	s.Handle("POST /admin/audit/verify", m.page(m.auditVerify, admin, auth.RoleSupervisor))
	s.Handle("GET /admin/audit/export.csv", m.page(m.auditExport, admin, auth.RoleSupervisor))
}

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(stylesheet)
}

// rootRegion returns the deployment's root region (see Deps.RootRegion).
func (m *Module) rootRegion(ctx context.Context) (string, error) {
	m.rootMu.Lock()
	defer m.rootMu.Unlock()
	if m.root != "" {
		return m.root, nil
	}
	var code string
	err := m.d.DB.NewSelect().Table("regions").Column("code").
		Where("parent_code IS NULL OR parent_code = ''").
		Order("level", "code").Limit(1).Scan(ctx, &code)
	if err != nil {
		return "", fmt.Errorf("admin: root region: %w", err)
	}
	m.root = code
	return code, nil
}

// platformObject is the object of platform-wide data of kind (calendar,
// flow_definition): it belongs to the root region.
func (m *Module) platformObject(ctx context.Context, kind string) (auth.Object, error) {
	root, err := m.rootRegion(ctx)
	if err != nil {
		return auth.Object{}, err
	}
	return auth.Object{Kind: kind, RegionCode: root}, nil
}

// auditScope returns the region filter of an actor's audit listing: none
// for someone whose region contains the root region, their region
// otherwise.
func (m *Module) auditScope(ctx context.Context, a *auth.Actor) (string, error) {
	if err := m.d.Policy.Authorize(a, auth.ActRead, auth.Object{Kind: "audit", RegionCode: a.RegionCode}); err != nil {
		return "", err
	}
	root, err := m.rootRegion(ctx)
	if err != nil {
		return "", err
	}
	if root != "" && ids.RegionContains(a.RegionCode, root) {
		return "", nil
	}
	return a.RegionCode, nil
}

// within reports whether region lies in the actor's region.
func within(a *auth.Actor, region string) bool {
	return a.RegionCode != "" && region != "" && ids.RegionContains(a.RegionCode, region)
}

// entry returns an audit entry by the actor.
func entry(a *auth.Actor, action, objectType, objectID, region string, detail any) audit.Entry {
	return audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: action, ObjectType: objectType,
		ObjectID: objectID, RegionCode: region, Detail: detail}
}

// lang returns the language of the request.
func lang(r *http.Request) string { return i18n.LangFrom(r.Context()) }

// t translates key in the request's language.
func (m *Module) t(r *http.Request, key string, args ...any) string {
	return m.s.Bundle().T(lang(r), key, args...)
}

// pathID reads the numeric path value name, or writes a 404.
func (m *Module) pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		m.s.Error(w, r, http.StatusNotFound, "")
		return 0, false
	}
	return id, true
}

// trimmed returns the trimmed form value.
func trimmed(r *http.Request, name string) string { return strings.TrimSpace(r.Form.Get(name)) }

// base holds what every console page shows besides its own content.
type base struct {
	// Flash is the message key of the change just made, shown once.
	Flash string
	// MissingYear is next year, when its holiday arrangement is missing
	// (shown to administrators); zero otherwise.
	MissingYear int
}

func (b *base) common() *base { return b }

type pageData interface{ common() *base }

const flashCookie = "ys_admin_flash"

// redirect answers a successful change: it remembers the flash message key
// for the next page and sends the browser there (POST-redirect-GET).
func (m *Module) redirect(w http.ResponseWriter, r *http.Request, to, flashKey string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: flashKey, Path: "/admin", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// render writes a console page with status, filling in the common parts.
func (m *Module) render(w http.ResponseWriter, r *http.Request, status int, page string, data pageData) {
	b := data.common()
	if c, err := r.Cookie(flashCookie); err == nil {
		// Only the console's own messages: the cookie is not trusted to
		// choose arbitrary text.
		if strings.HasPrefix(c.Value, "admin.flash.") && m.s.Bundle().Has(i18n.Default, c.Value) {
			b.Flash = c.Value
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/admin", MaxAge: -1,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	if a := auth.FromContext(r.Context()); a.Has(auth.RoleAdmin) && m.d.Calendar != nil {
		if y, missing := m.d.Calendar.NextYearMissing(); missing {
			b.MissingYear = y
		}
	}
	m.s.RenderStatus(w, r, status, page, data)
}

// fail answers a page request that could not be served: 403, 404 and the
// like with the standard error page, unknown errors logged as 500.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		m.s.Logger().ErrorContext(r.Context(), "admin", "request_id", web.RequestID(r.Context()), "route", r.Pattern, "err", err)
	}
	m.s.Error(w, r, status, "")
}
