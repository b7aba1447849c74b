// Package casework is the application module (办件): an enterprise or a
// citizen applies for a service item of the catalogue online, or a window
// clerk applies on their behalf (帮办代办); the window takes it in (受理,
// 不予受理, 一次性告知补正, 容缺受理), the owning department reviews and
// decides with reasons, and an approval issues the item's e-certificate.
//
// An application is judged under the catalogue version it was made on. Its
// state, deadlines, clock pauses, extensions and escalations are those of a
// workflow instance (package flow); this package keeps what the workflow
// does not know: the form, the materials, the commitment, the decision, the
// certificate and the delivery.
//
// Three reforms live here besides the ordinary path:
//   - 容缺受理: a secondary material may be missing at intake on a written
//     promise to supply it by a date; Sweep withdraws the application
//     automatically when the date passes without it.
//   - 告知承诺制: the applicant signs a commitment instead of proving some
//     conditions; an approval opens a verification task (核查), and a
//     commitment found false revokes the decision and the certificate and
//     writes a credit record. Applicants on the serious-violations list, or
//     with a past false commitment, may not use it.
//   - 秒批 and 免证办: a rule may approve at once with no human, and a
//     shared (共享) material is satisfied by the applicant's e-certificate,
//     used with their consent and logged, or checked with its owning
//     department (部门核验) when there is none.
package casework

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Kind is the authorisation kind of an application.
const Kind = "casework_application"

// SubjectType is the flow subject type of an application's instance;
// SubjectVerification that of a commitment verification task.
const (
	SubjectType         = "application"
	SubjectVerification = "application_verification"
)

// Deps are the services the module uses.
type Deps struct {
	DB      *store.DB
	Flow    *flow.Engine
	Org     *org.Service
	Policy  *auth.Policy
	Audit   *audit.Log
	Catalog *catalog.Module
	// Certs issues, finds, uses and revokes e-certificates
	// (certificate.Module embeds it).
	Certs *certificate.Service
	Box   *pii.Box
	// Calendar gives the working-day calendar (default shortfall dates);
	// nil uses the official calendar.
	Calendar func() *calendar.Calendar
	// Rules decides instant approvals; nil means NewCEL (package rules).
	Rules RuleEvaluator
	// Credit answers whether an applicant is on the serious-violations list
	// and their credit class; nil uses the store-backed StoreCredit.
	Credit CreditChecker
	// Recorder writes credit records (false commitments); nil uses
	// StoreCredit.
	Recorder CreditRecorder
	// Reports finds the applicant business's signed 专用信用报告, which
	// satisfies a shared material naming a report type of ReportRules;
	// nil leaves such materials to the department (部门核验).
	Reports CreditReports
	// ReportRules are the report types a material may name and what each
	// accepts; nil means DefaultReportRules.
	ReportRules map[string]ReportRule
	// Notices issues the documents the applicant receives (受理通知书,
	// 补正材料通知书, 延期通知, decisions …); nil issues none.
	Notices Notices
	Now     func() time.Time
}

// Module is the application service, its pages and its API.
type Module struct {
	d Deps
	s *web.Server

	mu      sync.Mutex
	loaded  map[limits]bool // per-limit definitions loaded on this node
	credits *StoreCredit
}

// New checks d and returns the module, registering the application kind
// with the policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Flow == nil || d.Org == nil || d.Policy == nil || d.Audit == nil ||
		d.Catalog == nil || d.Certs == nil || d.Box == nil {
		return nil, errors.New("casework: DB, Flow, Org, Policy, Audit, Catalog, Certs and Box are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Calendar == nil {
		official := calendar.New(calendar.Official())
		d.Calendar = func() *calendar.Calendar { return official }
	}
	if d.Rules == nil {
		d.Rules = NewCEL()
	}
	if d.ReportRules == nil {
		d.ReportRules = DefaultReportRules
	}
	m := &Module{d: d, loaded: map[limits]bool{}}
	m.credits = &StoreCredit{DB: d.DB, Box: d.Box, Audit: d.Audit, Now: d.Now}
	if m.d.Credit == nil {
		m.d.Credit = m.credits
	}
	if m.d.Recorder == nil {
		m.d.Recorder = m.credits
	}
	if err := d.Policy.Register(Kind, Rules()); err != nil {
		return nil, fmt.Errorf("casework: %w", err)
	}
	if err := registerBundleKinds(d.Policy); err != nil {
		return nil, err
	}
	return m, nil
}

// Rules is the policy of applications: the applicant (and, for an
// enterprise, its other users) reach their own; the owning department's
// handlers and approvers reach its applications and no other department's;
// window clerks reach what was taken in within their region; supervisors
// and administrators read their region's.
func Rules() auth.KindRules {
	own, dept, region := auth.ScopeOwn, auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleHandler: dept, auth.RoleApprover: dept,
			auth.RoleClerk: region, auth.RoleSupervisor: region, auth.RoleAdmin: region},
		auth.ActAct: {auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleHandler: dept, auth.RoleApprover: dept,
			auth.RoleClerk: region},
		auth.ActCreate:     {auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleClerk: region},
		auth.ActAdminister: {auth.RoleAdmin: region, auth.RoleSupervisor: region},
	}
}

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("casework", loc); err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "casework"); err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	m.routes(s)
	m.bundleRoutes(s)
	m.crossRoutes(s)
	m.figureRoutes(s)
	m.registerAPI(s)
	m.registerBundleAPI(s)
	return nil
}

// Nav returns the application links the actor's roles may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk) {
		links = append(links, web.NavLink{Path: "/apply", Key: "casework.nav.apply"})
	}
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk, auth.RoleHandler, auth.RoleApprover,
		auth.RoleSupervisor, auth.RoleAdmin) {
		links = append(links, web.NavLink{Path: "/applications", Key: "casework.nav.applications"})
	}
	if a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) {
		links = append(links, web.NavLink{Path: "/applications/credit-list", Key: "casework.nav.credit_list"})
	}
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise, auth.RoleClerk) ||
		(a.HasAny(auth.RoleAdmin, auth.RoleApprover) && strings.HasSuffix(a.RegionCode, "00")) {
		links = append(links, web.NavLink{Path: "/bundles", Key: "casework.nav.bundles"})
	}
	if a.HasAny(crossRoles...) {
		links = append(links, web.NavLink{Path: "/cross-region", Key: "casework.nav.cross"})
	}
	if a.HasAny(figureRoles...) {
		links = append(links, web.NavLink{Path: "/applications/figures", Key: "casework.nav.figures"})
	}
	return links
}

func (m *Module) now() time.Time { return store.Time(m.d.Now()) }

// departmentName returns the name of department id (cached by org).
func (m *Module) departmentName(ctx context.Context, id int64) string {
	return m.d.Org.DepartmentName(ctx, id)
}
