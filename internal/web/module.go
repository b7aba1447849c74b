package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// Module is a part of the platform with its own pages and API. New calls
// Mount once, after the core routes exist; in it a module typically calls
//
//	s.Bundle().Add("hotline", catalogFS)             // messages
//	s.AddPages(templatesFS, "hotline")                // templates
//	s.Handle("GET /hotline/orders", s.Require(auth.RoleOperator)(h))
//	huma.Register(s.API(), op, handler)               // JSON API
//
// A module that also implements Navigator contributes navigation links.
type Module interface {
	Mount(s *Server) error
}

// ModuleFunc adapts a function to Module.
type ModuleFunc func(s *Server) error

// Mount calls f(s).
func (f ModuleFunc) Mount(s *Server) error { return f(s) }

// Navigator contributes links to the navigation bar for an actor (never
// nil): a module returns the links the actor's roles may use.
type Navigator interface {
	Nav(a *auth.Actor) []NavLink
}

// NavCounter is implemented by a module some of whose navigation links
// carry a count, such as unread messages: NavCounts returns the counts by
// link path for the actor, and the bar shows "消息 (3)". It runs on every
// page, so it must be cheap (one indexed query).
type NavCounter interface {
	NavCounts(ctx context.Context, a *auth.Actor) map[string]int
}

// NavLink is a navigation entry: a path and the message key of its label.
type NavLink struct {
	Path string
	Key  string
}

// homes maps each role to the page a user with that role starts on.
var homes = map[auth.Role]string{
	auth.RoleAdmin:      "/admin",
	auth.RoleSupervisor: "/supervision",
	auth.RoleApprover:   "/approvals",
	auth.RoleHandler:    "/work",
	auth.RoleInspector:  "/work",
	auth.RoleLegal:      "/work",
	auth.RoleDispatcher: "/hotline/dispatch",
	auth.RoleOperator:   "/hotline/intake",
	auth.RoleClerk:      "/hall/intake",
	auth.RoleEnterprise: "/my",
	auth.RoleCitizen:    "/my",
}

// homeOrder decides the home of a user with several roles: the most
// demanding workspace first.
var homeOrder = []auth.Role{
	auth.RoleAdmin, auth.RoleSupervisor, auth.RoleApprover, auth.RoleLegal, auth.RoleHandler,
	auth.RoleInspector, auth.RoleDispatcher, auth.RoleOperator, auth.RoleClerk,
	auth.RoleEnterprise, auth.RoleCitizen,
}

// HomeFor returns the path a user lands on after signing in with the
// default homes: the home of the first of their roles in homeOrder,
// "/signin" for nobody. Server.HomeFor also applies Config.Homes.
func HomeFor(a *auth.Actor) string { return homeFor(a, nil) }

// HomeFor returns the path a user lands on after signing in on this server.
func (s *Server) HomeFor(a *auth.Actor) string { return homeFor(a, s.cfg.Homes) }

// homeOf returns the home of role on this server.
func (s *Server) homeOf(r auth.Role) string {
	if p, ok := s.cfg.Homes[r]; ok {
		return p
	}
	return homes[r]
}

func homeFor(a *auth.Actor, override map[auth.Role]string) string {
	if a == nil {
		return "/signin"
	}
	for _, r := range homeOrder {
		if a.Has(r) {
			if p, ok := override[r]; ok {
				return p
			}
			return homes[r]
		}
	}
	return "/my"
}

// nav resolves the navigation bar of a request: the actor's home, then
// each module's links, labelled in the request's language.
func (s *Server) nav(r *http.Request, a *auth.Actor) []NavItem {
	if a == nil {
		return nil
	}
	lang := i18n.LangFrom(r.Context())
	links := []NavLink{{Path: s.HomeFor(a), Key: "web.nav.home"}}
	counts := map[string]int{}
	for _, n := range s.navs {
		links = append(links, n.Nav(a)...)
		if c, ok := n.(NavCounter); ok {
			for path, k := range c.NavCounts(r.Context(), a) {
				counts[path] += k
			}
		}
	}
	items := make([]NavItem, 0, len(links))
	seen := map[string]bool{}
	for _, l := range links {
		if seen[l.Path] {
			continue
		}
		seen[l.Path] = true
		label := s.bundle.T(lang, l.Key)
		if k := counts[l.Path]; k > 0 {
			label += " (" + strconv.Itoa(k) + ")"
		}
		items = append(items, NavItem{
			Path:    l.Path,
			Label:   label,
			Current: r.URL.Path == l.Path || strings.HasPrefix(r.URL.Path, strings.TrimSuffix(l.Path, "/")+"/"),
		})
	}
	return items
}
