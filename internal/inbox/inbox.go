// Package inbox is where staff and the public meet the cases the workflow
// engine runs: the staff inbox ("what waits for me and my department, by
// time left"), the supervisor's view of overdue work, a citizen's or
// enterprise's own cases, and the case page on which every allowed action,
// extension request and decision is taken. Modules with their own pages
// (hotline, service hall) link to the same case page or replace it.
package inbox

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Flow   *flow.Engine
	Org    *org.Service
	Policy *auth.Policy
	Audit  *audit.Log
	Now    func() time.Time
}

// Module serves the inbox pages and API.
type Module struct {
	d Deps
	s *web.Server

	owned map[string]Subject // by flow subject type; set before serving, read-only after
}

// New returns the module.
func New(d Deps) *Module {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Module{d: d, owned: map[string]Subject{}}
}

// Subject is implemented by a module whose records are the subjects of
// workflow cases, such as a hotline order or an application. The inbox
// authorises such a case as its subject, with the module's own kind, record
// and policy, so a case is never readable (or workable) through the inbox
// where the record is not through the module's own routes.
type Subject interface {
	// SubjectTypes lists the flow subject types whose cases the module owns.
	SubjectTypes() []string
	// AuthorizeSubject decides whether a may take act (auth.ActRead or
	// auth.ActAct) on record subjectID of subjectType, as the module's own
	// routes decide. It returns nil when allowed; any error hides the case,
	// which then answers 404.
	AuthorizeSubject(ctx context.Context, a *auth.Actor, act auth.Action, subjectType string, subjectID int64) error
	// SubjectPage returns the module's page of the record, or "" when the
	// inbox's case page and its generic actions serve it.
	SubjectPage(subjectType string, subjectID int64) string
}

// ExtensionWatcher is a Subject that records its own consequences of an
// extension decision in the decision's transaction: casework issues the
// 延长审查期限通知书 the applicant must receive (行政许可法 第四十二条).
type ExtensionWatcher interface {
	ExtensionDecided(ctx context.Context, tx store.IDB, in *flow.Instance, x *flow.Extension, a *auth.Actor) error
}

// Own hands the cases of s's subject types to the module behind s: they are
// authorised as s decides, inbox rows link to s's page, the generic case
// page redirects there and the generic actions refuse them, so that the
// module's own rules (and its records) are never bypassed. Call it while
// wiring, before serving.
func (m *Module) Own(s Subject) {
	for _, t := range s.SubjectTypes() {
		m.owned[t] = s
	}
}

// ownerPage returns the owning module's page of in, or "" when the inbox
// handles it.
func (m *Module) ownerPage(in *flow.Instance) string {
	if s, ok := m.owned[in.SubjectType]; ok {
		return s.SubjectPage(in.SubjectType, in.SubjectID)
	}
	return ""
}

// authorize decides whether a may take act on case in: as its subject when
// a module owns the subject type, else as the generic kind "case".
func (m *Module) authorize(ctx context.Context, a *auth.Actor, act auth.Action, in *flow.Instance) error {
	if s, ok := m.owned[in.SubjectType]; ok {
		if a == nil {
			return auth.ErrUnauthenticated
		}
		if err := s.AuthorizeSubject(ctx, a, act, in.SubjectType, in.SubjectID); err != nil {
			return fmt.Errorf("inbox: case %d: %w: %w", in.ID, auth.ErrForbidden, err)
		}
		return nil
	}
	return m.d.Policy.Authorize(a, act, object(in))
}

// caseKind is the authorisation kind of a workflow case seen through the
// inbox: staff by department or region, the public their own.
const caseKind = "case"

// staffRoles may open the staff inbox.
var staffRoles = []auth.Role{auth.RoleClerk, auth.RoleOperator, auth.RoleDispatcher,
	auth.RoleHandler, auth.RoleApprover, auth.RoleInspector, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin}

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("inbox", loc); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "inbox"); err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	s.Handle("GET /work", s.Require(staffRoles...)(httpFunc(m.workPage)))
	s.Handle("GET /supervision", s.Require(auth.RoleSupervisor, auth.RoleAdmin)(httpFunc(m.supervisionPage)))
	s.Handle("GET /supervision/cases/{id}", s.Require(auth.RoleSupervisor)(httpFunc(m.supervisePage)))
	s.Handle("POST /supervision/cases/{id}/records", s.Require(auth.RoleSupervisor)(httpFunc(m.addRecord)))
	s.Handle("GET /supervision/records/{record}", s.RequireActor(httpFunc(m.recordPage)))
	s.Handle("POST /supervision/records/{record}/answer", s.RequireActor(httpFunc(m.answerRecord)))
	s.Handle("GET /my", s.Require(auth.RoleCitizen, auth.RoleEnterprise)(httpFunc(m.myPage)))
	s.Handle("GET /cases/{id}", s.RequireActor(httpFunc(m.casePage)))
	s.Handle("POST /cases/{id}/act", s.RequireActor(httpFunc(m.act)))
	s.Handle("POST /cases/{id}/extensions", s.RequireActor(httpFunc(m.requestExtension)))
	s.Handle("POST /cases/{id}/extensions/{ext}", s.RequireActor(httpFunc(m.decideExtension)))
	m.registerAPI(s)
	m.registerSupervisionAPI(s)
	return nil
}

// Nav returns the inbox links the actor's roles may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.HasAny(staffRoles...) {
		links = append(links, web.NavLink{Path: "/work", Key: "inbox.nav.work"})
	}
	if a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) {
		links = append(links, web.NavLink{Path: "/supervision", Key: "inbox.nav.supervision"})
	}
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) {
		links = append(links, web.NavLink{Path: "/my", Key: "inbox.nav.my"})
	}
	return links
}

// object describes a case to the authorisation policy.
func object(in *flow.Instance) auth.Object {
	return auth.Object{Kind: caseKind, RegionCode: in.RegionCode,
		DepartmentIDs: in.DepartmentIDs, OwnerUserID: in.OwnerUserID}
}

// departmentName returns the name of department id (cached by org).
func (m *Module) departmentName(ctx context.Context, id int64) string {
	return m.d.Org.DepartmentName(ctx, id)
}
