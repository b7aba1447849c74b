package certificate

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Module serves the certificate pages and API on top of the Service,
// whose methods it exposes.
type Module struct {
	*Service
	s *web.Server
}

// New builds the service and the module.
func New(d Deps) (*Module, error) {
	svc, err := NewService(d)
	if err != nil {
		return nil, err
	}
	return &Module{Service: svc}, nil
}

// PageGroup is the page-cache group of the public verification pages.
const PageGroup = "verify"

// pageTTL bounds how long a cached verification page lives (it shows when
// the check was made).
const pageTTL = time.Minute

// staffRoles may open the issuing department's pages.
var staffRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleClerk}

// Mount registers the pages, messages and API operations.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("certificate", loc); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "certificate"); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	// Public: anyone holding a printed or shown certificate may check it.
	s.HandleFunc("GET /verify", m.verifyForm)
	// Answers to anonymous visitors are cached; a revocation (Forget) drops
	// them, and a "valid" answer is kept only until the certificate expires.
	m.forgotten = func() { s.ForgetPages(PageGroup) }
	s.Handle("GET /verify/{token}", s.Public(PageGroup, pageTTL, http.HandlerFunc(m.verifyPage)))
	s.HandleFunc("GET /verify/{token}/qr", m.qrCode)

	holders := s.Require(auth.RoleCitizen, auth.RoleEnterprise)
	s.Handle("GET /my/certificates", holders(http.HandlerFunc(m.myPage)))
	s.Handle("POST /my/certificates/consents", holders(http.HandlerFunc(m.grantConsent)))
	s.Handle("POST /my/certificates/consents/{id}/revoke", holders(http.HandlerFunc(m.revokeConsent)))

	staff := s.Require(staffRoles...)
	s.Handle("GET /certificates", staff(http.HandlerFunc(m.listPage)))
	s.Handle("GET /certificates/new", s.Require(auth.RoleHandler, auth.RoleApprover)(http.HandlerFunc(m.newPage)))
	s.Handle("POST /certificates", s.Require(auth.RoleHandler, auth.RoleApprover)(http.HandlerFunc(m.issue)))
	s.Handle("GET /certificates/{id}", s.RequireActor(http.HandlerFunc(m.viewPage)))
	s.Handle("POST /certificates/{id}/revoke", s.Require(auth.RoleHandler, auth.RoleApprover)(http.HandlerFunc(m.revoke)))
	s.Handle("GET /certificates/verifications", staff(http.HandlerFunc(m.verificationsPage)))
	s.Handle("POST /certificates/verifications", staff(http.HandlerFunc(m.requestVerification)))
	s.Handle("GET /certificates/verifications/{id}", s.RequireActor(http.HandlerFunc(m.verificationPage)))
	s.Handle("POST /certificates/verifications/{id}/answer", s.Require(auth.RoleHandler, auth.RoleApprover)(http.HandlerFunc(m.answer)))
	m.registerAPI(s)
	return nil
}

// Nav returns the certificate links the actor's roles may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) {
		links = append(links, web.NavLink{Path: "/my/certificates", Key: "certificate.nav.my"})
	}
	if a.HasAny(staffRoles...) && len(a.DepartmentIDs) > 0 {
		links = append(links, web.NavLink{Path: "/certificates", Key: "certificate.nav.issued"},
			web.NavLink{Path: "/certificates/verifications", Key: "certificate.nav.verifications"})
	}
	return links
}
