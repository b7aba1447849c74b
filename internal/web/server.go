// Package web is the HTTP shell of the platform: the server and its
// middleware, the page layout and templates, static assets, the sign-in
// pages and the conventions of the JSON API under /api/v1.
//
// Modules plug in through [Module]: at start-up each one registers its pages
// with [Server.Handle], its API operations on [Server.API], its templates
// with [Server.AddPages], its messages on [Server.Bundle] and its
// navigation links through [Navigator].
package web

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/metrics"
)

// Sessions is what the web layer needs from the sign-in service
// (auth.Service satisfies it).
type Sessions interface {
	// SignIn checks a username and password and opens a session. It fails
	// with auth.ErrThrottled, auth.ErrBadCredentials, auth.ErrLocked or
	// auth.ErrDisabled (the last three answered alike).
	SignIn(ctx context.Context, username, password string, meta auth.ClientMeta) (token string, a *auth.Actor, err error)
	// Authenticate returns the actor of a session or API token, or
	// auth.ErrUnauthenticated.
	Authenticate(ctx context.Context, token string) (*auth.Actor, error)
	// SignOut ends the session of token.
	SignOut(ctx context.Context, token string, meta auth.ClientMeta) error
	// ListSessions returns a user's open sessions, marking currentToken's.
	ListSessions(ctx context.Context, userID int64, currentToken string) ([]auth.Session, error)
	// EndSession ends one of the user's sessions, or fails with
	// auth.ErrNotFound.
	EndSession(ctx context.Context, userID, sessionID int64, meta auth.ClientMeta) error
	// ChangePassword changes the password of currentToken's user.
	ChangePassword(ctx context.Context, currentToken, current, next string, meta auth.ClientMeta) error
}

// Pinger reports whether the database answers (*store.DB satisfies it).
type Pinger interface {
	PingContext(ctx context.Context) error
}

// Config holds what a Server is built from.
type Config struct {
	// Addr is the TCP address to listen on, such as ":8080".
	Addr string
	// Logger receives the access log and errors. Nil discards them.
	Logger *slog.Logger
	// Sessions signs users in and authenticates requests. Nil makes every
	// request anonymous and sign-in fail.
	Sessions Sessions
	// DB is pinged by /healthz. Nil reports healthy.
	DB Pinger
	// Bundle holds the messages; modules add their catalogs to it. Nil
	// creates one with the core catalogs.
	Bundle *i18n.Bundle
	// Metrics receives the HTTP metrics. Nil creates a registry. It is
	// served by MetricsHandler (on a listen address of its own) and, on the
	// main address, at /metrics only to requests carrying MetricsToken.
	Metrics *metrics.Registry
	// MetricsToken, when set, lets a scraper read /metrics on the main
	// address with "Authorization: Bearer <token>". Empty: /metrics is
	// not served there (404), since the figures describe the deployment
	// to anyone who can read them.
	MetricsToken string
	// Modules are mounted, in order, by New.
	Modules []Module
	// SecureCookies marks cookies Secure even on plain-HTTP requests, for
	// a server behind a proxy that terminates TLS.
	SecureCookies bool
	// TrustedProxies are the proxies and load balancers whose
	// X-Forwarded-For and X-Real-IP headers name the client (see
	// ClientIP). Empty trusts none: the client is the direct peer.
	TrustedProxies []netip.Prefix
	// TrustedOrigins may send cross-origin unsafe requests (such as
	// "https://portal.example.gov.cn"). Most deployments need none.
	TrustedOrigins []string
	// MaxBodyBytes limits request bodies unless a route says otherwise
	// (see MaxBytes). Zero means 1 MiB.
	MaxBodyBytes int64
	// ShutdownTimeout bounds how long ListenAndServe waits for in-flight
	// requests after its context ends. Zero means 15 seconds.
	ShutdownTimeout time.Duration
	// Version is reported in the OpenAPI document.
	Version string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Homes overrides the page a role lands on after signing in (see
	// HomeFor), for roles whose own workspace is not installed.
	Homes map[auth.Role]string
	// PublicLinks are shown in every page's footer: the pages anyone may
	// open without signing in (service guide, FAQ, rankings).
	PublicLinks []NavLink
	// PageCacheBytes bounds the memory the rendered public pages may take
	// (see PageCache). Zero means 32 MiB; negative disables the cache.
	PageCacheBytes int
}

// Server serves the platform's HTTP interface.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  *routeList
	api     huma.API
	bundle  *i18n.Bundle
	metrics *metrics.Registry
	cop     *http.CrossOriginProtection
	handler http.Handler
	// pages holds each page's templates per language (msg is bound to it).
	pages    map[string]map[string]*template.Template
	layouts  map[string]*template.Template
	navs     []Navigator
	requests *metrics.Counter
	duration *metrics.Histogram
	inflight *metrics.Gauge
	now      func() time.Time
	cache    *PageCache // nil when disabled
	// textRefusals answer refused text for endpoints with their own
	// error format (OnBadText).
	textRefusals []textRefusal
}

// New builds a server, registers the core routes and mounts cfg.Modules.
func New(cfg Config) (*Server, error) {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		mux:     http.NewServeMux(),
		routes:  &routeList{},
		bundle:  cfg.Bundle,
		metrics: cfg.Metrics,
		cop:     http.NewCrossOriginProtection(),
		pages:   make(map[string]map[string]*template.Template),
		layouts: make(map[string]*template.Template),
		now:     cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.bundle == nil {
		s.bundle = i18n.New()
	}
	if s.metrics == nil {
		s.metrics = metrics.NewRegistry()
	}
	if cfg.PageCacheBytes == 0 {
		cfg.PageCacheBytes = 32 << 20
	}
	if cfg.PageCacheBytes > 0 {
		// Expiry runs on the business clock, which CacheUntil's times
		// (a certificate's expiry) are on.
		s.cache = NewPageCache(cfg.PageCacheBytes, s.now)
	}
	for _, o := range cfg.TrustedOrigins {
		if err := s.cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web: trusted origin: %w", err)
		}
	}
	if err := s.bundle.Add("web", localesFS()); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.requests = s.metrics.Counter("ys_http_requests_total", "HTTP requests served, by route pattern, method and status.", "route", "method", "status")
	s.duration = s.metrics.Histogram("ys_http_request_duration_seconds", "Time to serve HTTP requests, by route pattern.", nil, "route")
	s.inflight = s.metrics.Gauge("ys_http_requests_in_flight", "HTTP requests being served.")
	if st, ok := cfg.DB.(interface{ Stats() sql.DBStats }); ok {
		registerPoolMetrics(s.metrics, st.Stats)
	}

	if err := s.initTemplates(); err != nil {
		return nil, err
	}
	s.api = newAPI(recordingMux{s.mux, s.routes}, cfg.Version)
	s.coreRoutes()
	for _, m := range cfg.Modules {
		if err := m.Mount(s); err != nil {
			return nil, fmt.Errorf("web: mount module: %w", err)
		}
		if n, ok := m.(Navigator); ok {
			s.navs = append(s.navs, n)
		}
	}
	s.placeholderHomes()
	s.handler = s.middleware(s.mux)
	return s, nil
}

// Public caches h's answers to anonymous visitors in the page cache group
// for up to ttl (see PageCache). Whatever changes what the group shows must
// call ForgetPages(group).
func (s *Server) Public(group string, ttl time.Duration, h http.Handler) http.Handler {
	if s.cache == nil {
		return h
	}
	return s.cache.Wrap(group, ttl, h)
}

// ForgetPages drops the cached pages of group on this node.
func (s *Server) ForgetPages(group string) {
	if s.cache != nil {
		s.cache.Forget(group)
	}
}

// ForgetAllPages drops every cached page on this node.
func (s *Server) ForgetAllPages() {
	if s.cache != nil {
		s.cache.ForgetAll()
	}
}

// Handler returns the server's root handler, with all middleware applied.
func (s *Server) Handler() http.Handler { return s.handler }

// API returns the huma API on which modules register JSON operations under
// /api/v1.
func (s *Server) API() huma.API { return s.api }

// Bundle returns the message bundle; modules add their catalogs to it.
func (s *Server) Bundle() *i18n.Bundle { return s.bundle }

// Metrics returns the registry served at /metrics.
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// MetricsHandler serves the metrics without any check, for a listen
// address of their own (--metrics-addr) that only scrapers can reach.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.Handler())
	return mux
}

// metricsBehindToken serves the metrics on the main address to requests
// bearing Config.MetricsToken, and answers 404 to everyone else (and to
// everyone when no token is configured), as for any unknown page.
func (s *Server) metricsBehindToken() http.Handler {
	want := []byte(s.cfg.MetricsToken)
	h := s.metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := bearer(r)
		if len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			s.notFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Handle registers h for pattern (http.ServeMux syntax, such as
// "GET /hotline/orders/{id}") behind the server's middleware. Wrap h with
// RequireActor or Require to restrict it.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.routes.add(pattern)
}

// HandleFunc is Handle for a function.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, http.HandlerFunc(h))
}

// Routes returns every registered pattern (pages, API operations, the
// core's own routes) in registration order, such as "GET /hotline/orders/{id}"
// or "/" for the catch-all. Tests walk them to check that no route is left
// without authorisation.
func (s *Server) Routes() []string { return slices.Clone(s.routes.patterns) }

// routeList records the patterns registered on the mux.
type routeList struct{ patterns []string }

func (l *routeList) add(pattern string) { l.patterns = append(l.patterns, pattern) }

// recordingMux is the mux as huma sees it: every operation it registers is
// also recorded, so Routes lists the API too.
type recordingMux struct {
	mux    *http.ServeMux
	routes *routeList
}

func (m recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.mux.HandleFunc(pattern, h)
	m.routes.add(pattern)
}

func (m recordingMux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// ListenAndServe serves on cfg.Addr until ctx ends, then stops accepting
// connections and waits up to cfg.ShutdownTimeout for in-flight requests.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	return nil
}

// coreRoutes registers the platform's own routes.
func (s *Server) coreRoutes() {
	s.Handle("GET /static/", staticHandler())
	s.HandleFunc("GET /healthz", s.healthz)
	s.Handle("GET /metrics", s.metricsBehindToken())
	s.HandleFunc("GET /signin", s.signinPage)
	s.HandleFunc("POST /signin", s.signinSubmit)
	s.HandleFunc("POST /signout", s.signout)
	s.Handle("GET /account", s.RequireActor(http.HandlerFunc(s.accountPage)))
	s.Handle("POST /account/password", s.RequireActor(http.HandlerFunc(s.accountPassword)))
	s.Handle("POST /account/sessions/{id}/end", s.RequireActor(http.HandlerFunc(s.accountEndSession)))
	s.HandleFunc("GET /{$}", s.root)
	s.HandleFunc("/", s.notFound)
	s.HandleFunc("/api/", s.notFound)
	registerCoreAPI(s)
	registerAccountAPI(s)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.cfg.DB != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.DB.PingContext(ctx); err != nil {
			s.log.ErrorContext(r.Context(), "healthz: database", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "database unavailable")
			return
		}
	}
	fmt.Fprintln(w, "ok")
}

// frontPage is the data of the public home.
type frontPage struct {
	// Workspace is the signed-in citizen's or enterprise's own page, empty
	// for an anonymous visitor.
	Workspace string
}

// root is the public front door (门户首页): search the catalogue, apply,
// reach 12345, look up a request, verify a certificate, read the FAQ and
// the ranking, sign in. Citizens and enterprises see it too, with a link to
// their own cases; staff go straight on to their workspace, as the brand
// link has always taken them.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if a.IsStaff() {
		http.Redirect(w, r, s.HomeFor(a), http.StatusSeeOther)
		return
	}
	var d frontPage
	if a != nil {
		d.Workspace = s.HomeFor(a)
	}
	s.Render(w, r, "web/front.html", d)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, http.StatusNotFound, "")
}

// placeholderHomes registers a placeholder page at every role's home that
// no module has claimed, so "/" never redirects to a 404.
func (s *Server) placeholderHomes() {
	seen := map[string]bool{}
	for _, role := range auth.Roles {
		path := s.homeOf(role)
		if seen[path] {
			continue
		}
		seen[path] = true
		_, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Host: "localhost"})
		if pattern != "/" && pattern != "" {
			continue
		}
		s.Handle("GET "+path, s.RequireActor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.Render(w, r, "web/home.html", nil)
		})))
	}
}

// registerPoolMetrics exposes the database connection pool, read at each
// scrape.
func registerPoolMetrics(m *metrics.Registry, stats func() sql.DBStats) {
	m.GaugeFunc("ys_db_open_connections", "Database connections open.", func() float64 { return float64(stats().OpenConnections) })
	m.GaugeFunc("ys_db_in_use_connections", "Database connections in use.", func() float64 { return float64(stats().InUse) })
	m.GaugeFunc("ys_db_idle_connections", "Database connections idle.", func() float64 { return float64(stats().Idle) })
	m.CounterFunc("ys_db_wait_total", "Times a request waited for a database connection.", func() float64 { return float64(stats().WaitCount) })
	m.CounterFunc("ys_db_wait_seconds_total", "Time spent waiting for database connections.", func() float64 { return stats().WaitDuration.Seconds() })
}
