// Package knowledge is the 12345 knowledge base (知识库): answers that
// hotline operators read out while a caller is on the line, and that the
// public read as FAQ pages.
//
// An article has a working copy that its department edits and immutable
// numbered versions, one per publish; operators, the search index and the
// public only ever see the latest published version, and only while it is
// valid (between valid_from and valid_until). Suggest finds the best answers
// for whatever the caller said, however they phrased it (see suggest.go);
// the hotline's intake page uses it through hotline.Knowledge, and any page
// can show typing-time suggestions with the htmx fragment at
// GET /knowledge/suggest?q=… (see the "suggest_box" template).
package knowledge

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
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// ObjectKind is the authorisation kind of an article's working copy.
// Published versions are public and need no policy.
const ObjectKind = "kb_article"

// SearchKind is the kind of the knowledge base's documents in the search
// index: the latest published version of each article, by article id.
const SearchKind = "kb.article"

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Org    *org.Service
	Policy *auth.Policy
	Audit  *audit.Log
	// Search is the full-text index; nil means a zero search.Index.
	Search *search.Index
	Now    func() time.Time
}

// Module is the knowledge base: its service, pages and API.
type Module struct {
	d Deps
	s *web.Server
}

// PageGroup is the page-cache group of the public FAQ pages.
const PageGroup = "faq"

// pageTTL bounds how long a cached FAQ page lives; changes made through the
// module, or reported by other nodes, drop the pages at once.
const pageTTL = 10 * time.Minute

// forgetPages drops this node's cached FAQ pages.
func (m *Module) forgetPages() {
	if m.s != nil {
		m.s.ForgetPages(PageGroup)
	}
}

// New returns the module and registers the article kind with the policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Org == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("knowledge: DB, Org, Policy and Audit are required")
	}
	if d.Search == nil {
		d.Search = &search.Index{}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.Policy.Register(ObjectKind, Rules()); err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	return &Module{d: d}, nil
}

// Rules is the policy of articles' working copies: department handlers and
// approvers write their department's articles, administrators their
// region's; operators, dispatchers, window clerks and supervisors read
// their region's (an operator of the city centre reads the whole city).
func Rules() auth.KindRules {
	write := auth.Grants{auth.RoleAdmin: auth.ScopeRegion,
		auth.RoleHandler: auth.ScopeDepartment, auth.RoleApprover: auth.ScopeDepartment}
	return auth.KindRules{
		auth.ActRead: {auth.RoleAdmin: auth.ScopeRegion, auth.RoleSupervisor: auth.ScopeRegion,
			auth.RoleOperator: auth.ScopeRegion, auth.RoleDispatcher: auth.ScopeRegion, auth.RoleClerk: auth.ScopeRegion,
			auth.RoleHandler: auth.ScopeDepartment, auth.RoleApprover: auth.ScopeDepartment},
		auth.ActCreate:     write,
		auth.ActAct:        write,
		auth.ActAdminister: write,
	}
}

// staffRoles may open the staff pages.
var staffRoles = []auth.Role{auth.RoleAdmin, auth.RoleSupervisor, auth.RoleOperator, auth.RoleDispatcher,
	auth.RoleClerk, auth.RoleHandler, auth.RoleApprover}

// editorRoles may create articles (within their scope).
var editorRoles = []auth.Role{auth.RoleAdmin, auth.RoleHandler, auth.RoleApprover}

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("knowledge", loc); err != nil {
		return fmt.Errorf("knowledge: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "knowledge"); err != nil {
		return fmt.Errorf("knowledge: %w", err)
	}
	// Public: the FAQ and the typing-time suggestions (they show only
	// published, valid answers, which are public anyway).
	// The FAQ list is cached for anonymous visitors; publishing and
	// archiving drop it (forgetPages). An article's page is not: opening
	// it counts a view.
	s.Handle("GET /faq", s.Public(PageGroup, pageTTL, http.HandlerFunc(m.faqPage)))
	s.HandleFunc("GET /faq/{id}", m.faqArticlePage)
	s.HandleFunc("GET /knowledge/suggest", m.suggestFragment)

	staff := s.Require(staffRoles...)
	editors := s.Require(editorRoles...)
	s.Handle("GET /knowledge", staff(http.HandlerFunc(m.listPage)))
	s.Handle("GET /knowledge/new", editors(http.HandlerFunc(m.newPage)))
	s.Handle("POST /knowledge", editors(http.HandlerFunc(m.create)))
	s.Handle("GET /knowledge/{id}", staff(http.HandlerFunc(m.articlePage)))
	s.Handle("GET /knowledge/{id}/edit", editors(http.HandlerFunc(m.editPage)))
	s.Handle("POST /knowledge/{id}", editors(http.HandlerFunc(m.update)))
	s.Handle("POST /knowledge/{id}/publish", editors(http.HandlerFunc(m.publish)))
	s.Handle("POST /knowledge/{id}/archive", editors(http.HandlerFunc(m.archive)))
	s.Handle("GET /knowledge/{id}/versions/{v}", staff(http.HandlerFunc(m.versionPage)))
	m.registerAPI(s)
	return nil
}

// Nav returns the knowledge-base links: the staff list for staff, the FAQ
// for everyone else signed in.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if a.HasAny(staffRoles...) {
		return []web.NavLink{{Path: "/knowledge", Key: "knowledge.nav.staff"}}
	}
	return []web.NavLink{{Path: "/faq", Key: "knowledge.nav.faq"}}
}

// department returns department id (cached by org).
func (m *Module) department(ctx context.Context, id int64) (*org.Department, error) {
	return m.d.Org.Department(ctx, id)
}

// departmentName returns the name of department id, or "#id".
func (m *Module) departmentName(ctx context.Context, id int64) string {
	d, err := m.department(ctx, id)
	if err != nil {
		return fmt.Sprintf("#%d", id)
	}
	return d.Name
}
