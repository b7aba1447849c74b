package entity

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// mountPages registers the page of one business: its register entry and
// the facts departments shared, for staff on a laptop and for the
// business itself on a phone.
func (s *Service) mountPages(srv *web.Server) error {
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := srv.Bundle().Add("entity", loc); err != nil {
		return fmt.Errorf("entity: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := srv.AddPages(tpl, "entity"); err != nil {
		return fmt.Errorf("entity: %w", err)
	}
	s.srv = srv
	srv.Handle("GET /entities/{uscc}", srv.RequireActor(http.HandlerFunc(s.businessPage)))
	staff := srv.Require(auth.RoleAdmin, auth.RoleHandler, auth.RoleApprover, auth.RoleClerk, auth.RoleSupervisor)
	srv.Handle("GET /entities/import", staff(http.HandlerFunc(s.importPage)))
	srv.Handle("POST /entities/import", staff(web.MaxBytes(MaxImportPageBytes)(http.HandlerFunc(s.importSubmit))))
	return nil
}

// Nav links an enterprise user to its own business.
func (s *Service) Nav(a *auth.Actor) []web.NavLink {
	if a == nil || !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return nil
	}
	return []web.NavLink{{Path: "/entities/" + a.USCC, Key: "entity.nav.mine"}}
}

type factView struct {
	Fact
	LabelEn    string
	Department string
}

type businessData struct {
	Entity *Entity
	Facts  []factView
	AsOf   string
	Staff  bool
}

func (s *Service) businessPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	var asOf calendar.Date
	if q := r.URL.Query().Get("as_of"); q != "" {
		d, err := calendar.ParseDate(q)
		if err != nil {
			s.srv.Error(w, r, http.StatusBadRequest, "entity.error.as_of")
			return
		}
		asOf = d
	}
	e, err := s.Get(ctx, a, r.PathValue("uscc"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	facts, err := s.FactsOf(ctx, a, e.USCC, asOf)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if asOf.IsZero() {
		asOf = calendar.DateOf(s.d.Now())
	}
	d := businessData{Entity: e, AsOf: asOf.String(), Staff: a.IsStaff()}
	for _, f := range facts {
		v := factView{Fact: f}
		if def, ok := s.catalogue().Def(f.Name); ok {
			v.LabelEn = def.LabelEn
		}
		if f.DepartmentID != 0 && s.d.DepartmentCode != nil {
			v.Department, _ = s.d.DepartmentCode(ctx, f.DepartmentID)
		}
		d.Facts = append(d.Facts, v)
	}
	s.srv.Render(w, r, "entity/business.html", d)
}

func (s *Service) pageError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		s.srv.Error(w, r, http.StatusNotFound, "entity.error.not_found")
		return
	}
	s.srv.Logger().ErrorContext(r.Context(), "entity: page failed", "request_id", web.RequestID(r.Context()), "err", err)
	s.srv.Error(w, r, http.StatusInternalServerError, "")
}
