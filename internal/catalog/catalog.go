// Package catalog is the service-item catalogue (政务服务事项目录): what each
// department does for applicants, on what legal basis, under which
// conditions, with which materials and form, within which limits, at what
// fee and where. Staff edit a working copy and publish it as an immutable
// numbered version; the public see the latest published version as a
// catalogue, a plain-language guide (办事指南) and a printable one-time
// notice (一次性告知单). Applications record the version they were made
// under and read it back with Version.
package catalog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/rules"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

//go:embed catalog.css
var stylesheet []byte

// ObjectKind is the authorisation kind of a catalogue item (its working copy;
// published versions are public).
const ObjectKind = "catalog_item"

// SearchKind is the kind of the catalogue's documents in the search index.
const SearchKind = "catalog_item"

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Org    *org.Service
	Policy *auth.Policy
	Audit  *audit.Log
	// Search is the full-text index the catalogue keeps its published items
	// in (kind SearchKind, document id the item id), ranked by BM25 for
	// Chinese. Nil matches the query as a substring of the published text.
	Search *search.Index
	// Rules type-checks approval rules; nil means a compiler of its own
	// with the default limits.
	Rules *rules.Compiler
	Now   func() time.Time
}

// Module is the catalogue: its service, pages and API.
type Module struct {
	d Deps
	s *web.Server
}

// PageGroup is the page-cache group of the public catalogue pages.
const PageGroup = "catalog"

// pageTTL bounds how long a cached public page lives; changes made through
// the module, or reported by other nodes, drop the pages at once.
const pageTTL = 10 * time.Minute

// forgetPages drops this node's cached public catalogue pages.
func (m *Module) forgetPages() {
	if m.s != nil {
		m.s.ForgetPages(PageGroup)
	}
}

// New returns the module and registers the catalogue's kind with the policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Org == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("catalog: DB, Org, Policy and Audit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rules == nil {
		d.Rules = rules.NewCompiler(rules.Options{})
	}
	if err := d.Policy.Register(ObjectKind, Rules()); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &Module{d: d}, nil
}

// Rules is the policy of catalogue items: administrators reach their
// region's items, a department's approvers their department's items;
// handlers read their department's, window clerks and supervisors their
// region's. Everyone may read published versions without the policy.
func Rules() auth.KindRules {
	write := auth.Grants{auth.RoleAdmin: auth.ScopeRegion, auth.RoleApprover: auth.ScopeDepartment}
	return auth.KindRules{
		auth.ActRead: {auth.RoleAdmin: auth.ScopeRegion, auth.RoleSupervisor: auth.ScopeRegion,
			auth.RoleClerk: auth.ScopeRegion, auth.RoleApprover: auth.ScopeDepartment, auth.RoleHandler: auth.ScopeDepartment},
		auth.ActCreate:     write,
		auth.ActAct:        write,
		auth.ActAdminister: write,
	}
}

// staffRoles may open the staff pages.
var staffRoles = []auth.Role{auth.RoleAdmin, auth.RoleApprover, auth.RoleHandler, auth.RoleClerk, auth.RoleSupervisor}

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("catalog", loc); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "catalog"); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	s.Handle("GET /catalog/assets/catalog.css", http.HandlerFunc(serveCSS))
	// The public pages are cached for anonymous visitors; publishing and
	// withdrawing drop them (forgetPages).
	s.Handle("GET /catalog", s.Public(PageGroup, pageTTL, http.HandlerFunc(m.listPage)))
	s.Handle("GET /catalog/items/{code}", s.Public(PageGroup, pageTTL, http.HandlerFunc(m.guidePage)))
	s.Handle("GET /catalog/items/{code}/notice", s.Public(PageGroup, pageTTL, http.HandlerFunc(m.noticePage)))
	s.HandleFunc("GET /catalog/files/{sha}", m.serveFile)
	staff := s.Require(staffRoles...)
	s.Handle("GET /catalog/manage", staff(http.HandlerFunc(m.manageList)))
	s.Handle("GET /catalog/manage/new", staff(http.HandlerFunc(m.newPage)))
	s.Handle("POST /catalog/manage/new", staff(http.HandlerFunc(m.createSubmit)))
	s.Handle("GET /catalog/manage/{id}", staff(http.HandlerFunc(m.editPage)))
	s.Handle("POST /catalog/manage/{id}", staff(http.HandlerFunc(m.editSubmit)))
	s.Handle("POST /catalog/manage/{id}/materials", staff(http.HandlerFunc(m.materialSubmit)))
	s.Handle("POST /catalog/manage/{id}/materials/{n}/file", staff(web.MaxBytes(MaxFileSize+1<<20)(http.HandlerFunc(m.fileSubmit))))
	s.Handle("POST /catalog/manage/{id}/fields", staff(http.HandlerFunc(m.fieldSubmit)))
	s.Handle("POST /catalog/manage/{id}/rule", staff(http.HandlerFunc(m.ruleSubmit)))
	s.Handle("POST /catalog/manage/{id}/publish", staff(http.HandlerFunc(m.publishSubmit)))
	s.Handle("POST /catalog/manage/{id}/withdraw", staff(http.HandlerFunc(m.withdrawSubmit)))
	s.Handle("GET /catalog/manage/{id}/versions", staff(http.HandlerFunc(m.versionsPage)))
	m.registerAPI(s)
	return nil
}

// Nav returns the catalogue links: the public catalogue for everyone, the
// editing pages for staff.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	links := []web.NavLink{{Path: "/catalog", Key: "catalog.nav.catalog"}}
	if a.HasAny(staffRoles...) {
		links = append(links, web.NavLink{Path: "/catalog/manage", Key: "catalog.nav.manage"})
	}
	return links
}

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(stylesheet)
}

// department returns department id (cached by org).
func (m *Module) department(ctx context.Context, id int64) (*org.Department, error) {
	return m.d.Org.Department(ctx, id)
}

// departmentName returns the name of department id, or "#id".
func (m *Module) departmentName(ctx context.Context, id int64) string {
	if d, err := m.department(ctx, id); err == nil {
		return d.Name
	}
	return fmt.Sprintf("#%d", id)
}

// object describes an item to the policy.
func object(region string, dept int64) auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: region, DepartmentIDs: []int64{dept}}
}
