// Package app assembles the platform from its packages: it opens the
// database, builds every service, mounts the modules on the web server and
// runs the background workers. cmd/yingshang and the end-to-end tests both
// start the platform through it, so they run the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/cluster"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/edkey"
	"github.com/yingshang/yingshang/internal/enforcement"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/fairreview"
	"github.com/yingshang/yingshang/internal/fairscreen"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/inbox"
	"github.com/yingshang/yingshang/internal/inspection"
	"github.com/yingshang/yingshang/internal/knowledge"
	"github.com/yingshang/yingshang/internal/monitoring"
	"github.com/yingshang/yingshang/internal/notice"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/open311"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
	"github.com/yingshang/yingshang/internal/warning"
	"github.com/yingshang/yingshang/internal/web"
)

// Config is what the platform needs to start.
type Config struct {
	DatabaseURL   string // postgres://… or a SQLite file path
	Addr          string
	DataDir       string
	SecretKey     string // empty → key file in DataDir
	SecureCookies bool
	// TrustedProxies are the load balancers and proxies whose
	// X-Forwarded-For names the client (web.ClientIP); empty trusts none.
	TrustedProxies []netip.Prefix
	Workers        bool // run timer and outbox workers in this process
	// RootRegion is the GB/T 2260 code of the region the deployment serves;
	// its administrators manage platform-wide data (calendar, workflows).
	// Empty means the top-most stored region.
	RootRegion string
	Logger     *slog.Logger
	Version    string
	// Now is the clock; nil means time.Now. Tests and the demo set it.
	Now func() time.Time
	// BaseURL is the public address of the platform (https://zwfw.example.gov.cn),
	// written into QR codes and links sent to people; empty uses relative links.
	BaseURL string
	// CertificateKey is the hex seed of the Ed25519 key signing e-certificates;
	// empty → a key file generated in DataDir.
	CertificateKey string
	// AuditKey is the hex seed of the Ed25519 key signing audit tree
	// heads; empty → a key file generated in DataDir.
	AuditKey string
	// AuditHeadInterval is how often the audit tree head is signed when
	// the log has grown (by the workers); 0 signs only when the node stops
	// and on demand.
	AuditHeadInterval time.Duration
	// Webhook110 and Webhook110Secret configure the hotline's transfer of
	// orders to 110; empty disables the outbound call.
	Webhook110       string
	Webhook110Secret string
	// RelayURL and RelaySecret configure the privacy-number service
	// (隐私号) through which handlers call callers back; DemoRelay uses a
	// stand-in that places no call (the demo). Neither: no call button.
	RelayURL, RelaySecret string
	DemoRelay             bool
	// MapTiles and MapAttribution configure the map of the hotline's
	// public form; empty shows no map.
	MapTiles, MapAttribution, MapCentre string
	// HotlineSettings is a province's hotline settings (JSON over the
	// national default in hotline.json); nil keeps the default.
	HotlineSettings []byte
	// RankingMinSample is the fewest orders a department must have taken
	// in a month to be ranked in the public 12345 ranking (0: 5).
	RankingMinSample int
	// SMSURL and SMSSecret configure the SMS gateway notifications are
	// sent through; empty logs SMS instead of sending.
	SMSURL    string
	SMSSecret string
	// MetricsAddr, when set, is a listen address of its own serving
	// /metrics to scrapers (keep it off the public network).
	MetricsAddr string
	// MetricsToken, when set, also serves /metrics on Addr to requests
	// with "Authorization: Bearer <token>"; empty keeps it off Addr.
	MetricsToken string
	// CreditPublicLimit is how many anonymous credit queries (信用公示) one
	// client address may make per CreditPublicWindow; 0 keeps the
	// module's defaults (30 a minute).
	CreditPublicLimit  int
	CreditPublicWindow time.Duration
	// DiscretionLists are a province's or city's published 包容审慎 lists
	// and discretion benchmarks; nil keeps the national default.
	DiscretionLists *discretion.Lists
	// PasswordParams overrides the argon2id cost (tests use cheaper ones).
	PasswordParams *auth.PasswordParams
	// NoChangeListener keeps Serve from listening for other nodes' changes
	// (package cluster); the two-node test sets it to show what the
	// listener is for. Production never does.
	NoChangeListener bool
	// FairScreenRules is a city's fair-competition screening rule library
	// (JSON, see internal/fairscreen/rules.json), stored as the first
	// version; nil keeps the national default.
	FairScreenRules []byte
	// PolicyPublicityDays is the default publicity period (公示) of
	// 免申即享 grants in working days (0: 5).
	PolicyPublicityDays int
	// InspectionRatios is a province's inspection ratios file (JSON in the
	// shape of internal/inspection/ratios.json); nil keeps the national
	// default.
	InspectionRatios []byte
	// CreditReportRules are which credit reports a 共享 material accepts
	// (casework.ParseReportRules); nil keeps casework.DefaultReportRules.
	CreditReportRules map[string]casework.ReportRule
	// VisitPublishWorkingDays is the limit, in working days after
	// completion, for publishing an inspection's results (0: 20).
	VisitPublishWorkingDays int
	// MonitoringRules is a province's monitoring rule file (JSON in the
	// shape of internal/monitoring/data/rules.json); nil keeps the
	// national default.
	MonitoringRules []byte
	// WarningRules are the province's early-warning rules (预警, JSON in
	// the shape of internal/warning/rules.json, over the national
	// default); nil keeps the national default.
	WarningRules *warning.Rules
}

// App is a running platform: its database, services and web server.
type App struct {
	Config   Config
	Log      *slog.Logger
	DB       *store.DB
	Box      *pii.Box
	Calendar *calendar.Service
	// Revisions keeps the earlier versions of the sets administrators
	// replace as a whole and serves their versions pages.
	Revisions *revision.Pages
	Audit     *audit.Log
	Heads     *audit.HeadSigner
	Flow      *flow.Engine
	Org       *org.Service
	Auth      *auth.Service
	Policy    *auth.Policy
	Outbox    *outbox.Dispatcher
	Search    *search.Index
	Catalog   *catalog.Module
	Certs     *certificate.Module
	Hotline   *hotline.Module
	KB        *knowledge.Module
	Casework  *casework.Module
	// Notices are the documents an applicant receives (受理通知书 …).
	Notices  *notice.Module
	Inbox    *inbox.Module // the inbox, supervision by hand
	Credit   *credit.Module
	Warnings *warning.Module
	// Discretion proposes penalty levels from the published 包容审慎 lists.
	Discretion *discretion.Module
	Rating     *rating.Service
	Entities   *entity.Service
	Risk       *risk.Module
	Notify     *notify.Service
	Web        *web.Server
	// Changes hears, on PostgreSQL, which cached rows other nodes changed.
	Changes *cluster.Listener

	// AnnualReports are the businesses' annual reports (年度报告).
	AnnualReports *annualreport.Module

	// FairScreen is the automatic fair-competition screening of drafts.
	FairScreen *fairscreen.Module
	// FairReview is the fair-competition review of draft measures.
	FairReview *fairreview.Module
	// Policies are policies that find the business (政策找人、免申即享).
	Policies *policy.Module
	// Inspections is 双随机、一公开 (random inspections).
	Inspections *inspection.Module
	// Enforcement are the administrative penalty cases (行政处罚案件).
	Enforcement *enforcement.Module
	// Visits are the on-site inspections (检查实施) and the 监管宝 pages.
	Visits *visit.Module
	// Monitoring are the devices, readings and graded alerts (智能监测).
	Monitoring *monitoring.Module
}

// staffHomes are the start pages of staff roles: the hotline's workspaces
// for its operators and dispatchers, the service hall's applications for
// window clerks, and the shared inbox for department staff.
var staffHomes = map[auth.Role]string{
	auth.RoleApprover:   "/work",
	auth.RoleHandler:    "/work",
	auth.RoleDispatcher: "/hotline/dispatch",
	auth.RoleOperator:   "/hotline/intake",
	auth.RoleClerk:      "/applications",
}

// publicLinks are the pages anyone may open, shown in every page's footer.
var publicLinks = []web.NavLink{
	{Path: "/catalog", Key: "catalog.nav.catalog"},
	{Path: "/faq", Key: "knowledge.nav.faq"},
	{Path: "/hotline/ranking", Key: "hotline.nav.ranking"},
	{Path: "/credit/public", Key: "credit.nav.public"},
	{Path: "/fair-review/public", Key: "fairreview.nav.public"},
}

// New opens and migrates the database and builds every service. Close
// releases what it opened.
func New(ctx context.Context, cfg Config) (*App, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	a, err := WithDB(ctx, db, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	if cfg.DataDir != "" {
		if err := PrivateDataDir(cfg.DataDir); err != nil {
			db.Close()
			return nil, err
		}
	}
	return a, nil
}

// PrivateDataDir makes everything under dir readable by the owner only:
// directories 0700, files 0600. The data directory holds the SQLite
// database and its -wal and -shm files, the key files and backups, all of
// them personal data or the keys to it; an installation made before this
// rule (files 0644) is tightened at start.
func PrivateDataDir(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Chmod(path, 0o700)
		case d.Type().IsRegular():
			return os.Chmod(path, 0o600)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	return nil
}

// WithDB builds the platform on an open database (tests pass one per
// engine). Close closes db.
func WithDB(ctx context.Context, db *store.DB, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &App{Config: cfg, Log: cfg.Logger, DB: db}
	if err := a.build(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	cfg := a.Config
	n, err := a.DB.Migrate(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.Info("database migrated", "applied", n, "engine", a.DB.Kind())
	}
	secret, err := pii.LoadSecret(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	if a.Box, err = pii.New(secret); err != nil {
		return err
	}
	a.Calendar = calendar.NewService(a.DB, cfg.Now, a.Log)
	if err := a.Calendar.Init(ctx); err != nil {
		return fmt.Errorf("calendar: %w", err)
	}
	a.Audit = audit.New(cfg.Now)
	auditKey, err := edkey.Load(cfg.AuditKey, filepath.Join(cfg.DataDir, audit.KeyFileName), true)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a.Heads = &audit.HeadSigner{DB: a.DB, Key: auditKey, File: filepath.Join(cfg.DataDir, audit.HeadFileName), Now: cfg.Now}
	a.Flow = flow.New(a.DB, func() flow.Calendar { return a.Calendar.Current() }, a.Audit, cfg.Now)
	a.Org = org.NewService(a.DB, a.Box, cfg.Now)
	opts := auth.Options{Audit: a.Audit}
	if cfg.PasswordParams != nil {
		a.Org.Password = *cfg.PasswordParams
		opts.Password = *cfg.PasswordParams
	}
	a.Auth = auth.NewService(a.DB, cfg.Now, opts)
	a.Policy = auth.NewPolicy()
	a.Outbox = outbox.NewDispatcher(a.DB, a.Log, cfg.Now)

	a.Revisions = revision.NewPages(a.DB, revision.Store{Now: cfg.Now})
	a.Search = &search.Index{}
	work := inbox.New(inbox.Deps{DB: a.DB, Flow: a.Flow, Org: a.Org, Policy: a.Policy, Audit: a.Audit, Now: cfg.Now})
	a.Inbox = work
	if a.Catalog, err = catalog.New(catalog.Deps{DB: a.DB, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Search: a.Search, Revisions: a.Revisions, Now: cfg.Now}); err != nil {
		return err
	}
	signer, err := certificate.LoadKey(cfg.CertificateKey, cfg.DataDir)
	if err != nil {
		return err
	}
	// The certificate page offers the renewal (延续) of an expiring
	// certificate under the catalogue item that renews it.
	renewal := func(ctx context.Context, typ string) (string, string, bool) {
		it, err := a.Catalog.RenewalItem(ctx, typ)
		if err != nil {
			return "", "", false
		}
		return it.Code, it.Name, true
	}
	if a.Certs, err = certificate.New(certificate.Deps{DB: a.DB, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Flow: a.Flow, Box: a.Box, Signer: signer, BaseURL: cfg.BaseURL, RenewalItem: renewal, Now: cfg.Now}); err != nil {
		return err
	}
	if err := a.Certs.LoadDefinitions(ctx); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	if a.KB, err = knowledge.New(knowledge.Deps{DB: a.DB, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Search: a.Search, Now: cfg.Now}); err != nil {
		return err
	}
	if a.Hotline, err = hotline.New(hotline.Deps{DB: a.DB, Flow: a.Flow, Org: a.Org, Policy: a.Policy,
		Audit: a.Audit, Box: a.Box, Calendar: func() flow.Calendar { return a.Calendar.Current() },
		Knowledge: a.KB, Revisions: a.Revisions, Relay: relayOf(cfg),
		Config: hotline.Config{Webhook110: cfg.Webhook110, Webhook110Secret: []byte(cfg.Webhook110Secret), BaseURL: cfg.BaseURL,
			MapTiles: cfg.MapTiles, MapAttribution: cfg.MapAttribution, MapCentre: cfg.MapCentre, CityRegion: cfg.RootRegion,
			Settings: cfg.HotlineSettings, RankingMinSample: cfg.RankingMinSample},
		Now: cfg.Now}); err != nil {
		return err
	}
	if err := a.Hotline.Start(ctx); err != nil {
		return fmt.Errorf("hotline: %w", err)
	}
	a.Outbox.Subscribe(hotline.TopicTransfer110, a.Hotline.Deliver110)
	work.Own(a.Hotline)
	if a.Entities, err = entity.New(entity.Deps{DB: a.DB, Box: a.Box, Policy: a.Policy, Now: cfg.Now,
		DepartmentCode: a.departmentCode, Registrars: func(ctx context.Context) ([]int64, error) {
			// The departments keeping the abnormal list are the registration
			// authority (市场监管).
			return a.Credit.Keepers(ctx, credit.ListAbnormal)
		}}); err != nil {
		return err
	}
	if a.Credit, err = credit.New(credit.Deps{DB: a.DB, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Calendar: a.Calendar.Current, Now: cfg.Now, Register: a.Entities, Signer: signer,
		Verifier: certificate.NewKeyRing(signer.PublicKey()), BaseURL: cfg.BaseURL,
		PublicLimit: cfg.CreditPublicLimit, PublicWindow: cfg.CreditPublicWindow}); err != nil {
		return err
	}
	if a.Warnings, err = warning.New(warning.Deps{DB: a.DB, Policy: a.Policy, Audit: a.Audit,
		Calendar: a.Calendar.Current, Now: cfg.Now, Flow: a.Flow, Rules: cfg.WarningRules}); err != nil {
		return err
	}
	if err := a.Warnings.LoadDefinitions(ctx); err != nil {
		return err
	}
	work.Own(a.Warnings)
	if err := a.buildRisk(ctx); err != nil {
		return err
	}
	if err := a.buildDiscretion(ctx); err != nil {
		return err
	}
	if a.Notices, err = notice.New(notice.Deps{DB: a.DB, Audit: a.Audit, Signer: signer,
		Department: a.Org.DepartmentName, BaseURL: cfg.BaseURL, Now: cfg.Now,
		CanRead: func(ctx context.Context, who *auth.Actor, id int64) error {
			_, err := a.Casework.Get(ctx, who, id)
			return err
		}}); err != nil {
		return err
	}
	caseCredit := &casework.StoreCredit{DB: a.DB, Box: a.Box, Audit: a.Audit, Now: cfg.Now}
	if a.Casework, err = casework.New(casework.Deps{DB: a.DB, Flow: a.Flow, Org: a.Org, Policy: a.Policy,
		Audit: a.Audit, Catalog: a.Catalog, Certs: a.Certs.Service, Box: a.Box,
		Credit: creditChecker{StoreCredit: caseCredit, credit: a.Credit, risk: a.Risk, now: cfg.Now}, Recorder: caseCredit,
		Reports: creditReports{credit: a.Credit}, Notices: a.Notices,
		Calendar: a.Calendar.Current, Now: cfg.Now}); err != nil {
		return err
	}
	if err := a.Casework.LoadDefinitions(ctx); err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	work.Own(a.Casework)
	work.Own(a.Certs.Service)
	o311, err := open311.New(open311.Deps{Hotline: a.Hotline, Auth: a.Auth, Org: a.Org, CityRegion: cfg.RootRegion,
		BaseURL: cfg.BaseURL, Now: cfg.Now})
	if err != nil {
		return err
	}
	if err := a.buildNotify(); err != nil {
		return err
	}
	if err := a.buildAnnualReports(); err != nil {
		return err
	}
	a.subscribeReminders()
	a.Outbox.Subscribe(notify.TopicWarningRaised, a.Notify.WarningRaised())
	if err := a.buildInspection(); err != nil {
		return err
	}
	if err := a.buildEnforcement(); err != nil {
		return err
	}
	if err := a.Enforcement.LoadDefinitions(ctx); err != nil {
		return err
	}
	work.Own(a.Enforcement)
	if err := a.buildPolicies(); err != nil {
		return err
	}
	if err := a.buildRating(); err != nil {
		return err
	}
	modules := []web.Module{work, a.Revisions, a.adminModule(), a.auditModule(), a.Catalog, a.Certs, a.Hotline, a.KB, a.Casework, a.Notices, a.Entities, a.Credit, a.Risk, a.Warnings, a.Discretion, o311, a.Notify, a.AnnualReports, rating.NewPages(a.Rating, ratingDepartments{org: a.Org})}
	modules = append(modules, a.Inspections, a.Enforcement, a.Visits)
	if err := a.buildFairScreen(ctx); err != nil {
		return err
	}
	modules = append(modules, a.FairScreen)
	if err := a.buildFairReview(ctx); err != nil {
		return err
	}
	modules = append(modules, a.FairReview, a.Policies)
	if err := a.buildMonitoring(); err != nil {
		return err
	}
	modules = append(modules, a.Monitoring)
	a.Web, err = web.New(web.Config{
		Addr: cfg.Addr, Logger: a.Log, Sessions: a.Auth, DB: a.DB,
		Modules: modules, SecureCookies: cfg.SecureCookies, TrustedProxies: cfg.TrustedProxies, Version: cfg.Version,
		Now: cfg.Now, Homes: staffHomes, PublicLinks: publicLinks, MetricsToken: cfg.MetricsToken,
	})
	if err != nil {
		return err
	}
	a.Changes = cluster.New(a.DB, a.Log)
	a.listenForChanges()
	m := a.Web.Metrics()
	if a.DB.Kind() == store.Postgres {
		m.GaugeFunc("ys_cluster_listening", "1 while this node hears other nodes' changes (LISTEN/NOTIFY), else 0.", func() float64 {
			if a.Changes.Listening() {
				return 1
			}
			return 0
		})
	}
	m.GaugeFunc("ys_outbox_pending", "Outbox events not yet delivered.", func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := outbox.Pending(ctx, a.DB)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	return nil
}

// Serve runs the web server on ln (or on Config.Addr when ln is nil) and,
// when Config.Workers is set, the background workers, until ctx ends.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if a.Config.Workers {
		a.runWorkers(ctx, &wg)
	}
	if a.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: listen on %s: %w", a.Config.MetricsAddr, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.serveMetrics(ctx, mln); err != nil {
				a.Log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	if !a.Config.NoChangeListener {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Changes.Run(ctx)
		}()
	}
	var err error
	if ln != nil {
		err = a.Web.Serve(ctx, ln)
	} else {
		err = a.Web.ListenAndServe(ctx)
	}
	cancel()
	wg.Wait()
	// The last head covers everything this node recorded before it
	// stopped, so a cut made while it is down shows.
	sctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	a.signHead(sctx)
	stop()
	return err
}

// signHead signs the audit tree head if the log grew, and logs the outcome.
func (a *App) signHead(ctx context.Context) {
	h, grew, err := a.Heads.Sign(ctx)
	switch {
	case err != nil:
		a.Log.Error("audit tree head not signed", "err", err)
	case grew:
		a.Log.Info("audit tree head signed", "tree_size", h.TreeSize, "root", h.RootHash)
	}
}

// signHeads signs the audit tree head every interval while the log grows.
func (a *App) signHeads(ctx context.Context) error {
	if a.Config.AuditHeadInterval <= 0 {
		return nil
	}
	t := time.NewTicker(a.Config.AuditHeadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			a.signHead(ctx)
		}
	}
}

// serveMetrics serves /metrics on ln until ctx ends.
func (a *App) serveMetrics(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: a.Web.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	a.Log.Info("metrics listening", "addr", ln.Addr().String())
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runWorkers starts the background loops. Each is safe to run on every
// node: timers and outbox rows are claimed with SKIP LOCKED on PostgreSQL.
func (a *App) runWorkers(ctx context.Context, wg *sync.WaitGroup) {
	loops := []struct {
		name string
		run  func(context.Context) error
	}{
		{"flow timers", func(ctx context.Context) error { return a.Flow.Run(ctx, 15*time.Second) }},
		{"outbox", func(ctx context.Context) error { return a.Outbox.Run(ctx, 2*time.Second) }},
		{"shortfall sweep", func(ctx context.Context) error { return a.Casework.Run(ctx, time.Minute) }},
		{"credit repair reminders", func(ctx context.Context) error { return a.Credit.RunReminders(ctx, time.Hour) }},
		{"warning sweep", func(ctx context.Context) error { return a.Warnings.Run(ctx, time.Hour) }},
		{"housekeeping", a.housekeeping},
		{"audit tree heads", a.signHeads},
		{"risk classes", func(ctx context.Context) error { return a.Risk.Run(ctx, time.Minute) }},
		{"policy expiry", func(ctx context.Context) error { return a.Policies.Run(ctx, time.Hour) }},
		{"annual reports", a.sweepAnnualReports},
		{"monitoring gap sweep", a.sweepMonitoring},
		{"visit publication sweep", func(ctx context.Context) error { return a.Visits.Run(ctx, time.Hour) }},
	}
	for _, l := range loops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.Log.Error("worker stopped", "worker", l.name, "err", err)
			}
		}()
	}
}

// housekeeping deletes expired sessions and reloads the holiday calendar, so
// an administrator's edit on one node reaches every node within minutes.
func (a *App) housekeeping(ctx context.Context) error {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := a.Auth.DeleteExpired(ctx); err != nil {
			a.Log.Warn("delete expired sessions", "err", err)
		}
		if err := a.Calendar.Reload(ctx); err != nil {
			a.Log.Warn("reload calendar", "err", err)
		}
	}
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// relayOf returns the privacy-number relay cfg configures, or nil.
func relayOf(cfg Config) hotline.Relay {
	switch {
	case cfg.RelayURL != "":
		return &hotline.HTTPRelay{URL: cfg.RelayURL, Secret: []byte(cfg.RelaySecret)}
	case cfg.DemoRelay:
		return hotline.DemoRelay{Now: cfg.Now}
	}
	return nil
}
