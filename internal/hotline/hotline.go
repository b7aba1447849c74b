// Package hotline is the 12345 citizen hotline (接诉即办): intake of work
// orders from every channel with duplicate offers and a dispatch suggestion,
// dispatch by the dispatch directory (派单目录), sign-for, send-back,
// co-handling, extensions, reply and closure against per-type limits on the
// working-day calendar with the 三单一函 ladder, the return visit (回访) and
// reopening (重办), and two-way transfer with 110.
//
// Other modules use the service methods on *Module: the Open311 endpoint
// creates orders with Intake and reads them with Get, List and Order.Open;
// the knowledge base implements Knowledge; the figures page computes the
// response, resolution and satisfaction rates from the hotline_orders table
// (see the doc comment of the Rates type for the columns).
package hotline

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// Kind is the authorisation kind of work orders, and the subject type of
// their workflow instances.
const Kind = "hotline_order"

// KnowledgeHit is one knowledge-base answer offered to the operator.
type KnowledgeHit struct {
	ID     int64   `json:"id"`
	Title  string  `json:"title"`
	Answer string  `json:"answer"`
	URL    string  `json:"url,omitempty"`
	Score  float64 `json:"score"`
}

// Knowledge finds answers for what a caller asks; the knowledge-base
// module implements it. The intake page offers its hits so a consultation
// can be answered on the spot and closed at intake (直接办结).
type Knowledge interface {
	Suggest(ctx context.Context, text string) ([]KnowledgeHit, error)
}

// Config holds the hotline's settings.
type Config struct {
	// DuplicateDays is how far back intake looks for duplicates (default 7).
	DuplicateDays int
	// DuplicateSimilarity is the bigram Jaccard similarity from which an
	// order at the same place counts as a duplicate (default 0.5).
	DuplicateSimilarity float64
	// Webhook110 receives orders transferred to 110 (POST, JSON, signed
	// with HMAC-SHA256 of the body in the X-Yingshang-Signature header as
	// "sha256=<hex>"). Empty disables the outbound transfer call.
	Webhook110 string
	// Webhook110Secret is the HMAC key shared with 110.
	Webhook110Secret []byte
	// HTTPClient makes the webhook calls; nil means a client with a
	// 10-second timeout.
	HTTPClient *http.Client
	// BaseURL is the public address citizens' return-visit links start
	// with, e.g. "https://12345.yunlan.gov.cn". Empty gives relative links.
	BaseURL string
	// VisitLinkTTL is how long a return-visit link works (default 15 days).
	VisitLinkTTL time.Duration
	// LookupLimit is how many lookups by number and phone one IP address
	// may make per LookupWindow (defaults 10 per 10 minutes).
	LookupLimit  int
	LookupWindow time.Duration
	// SubmitLimit is how many requests one address may file without
	// signing in per SubmitWindow (defaults 5 per hour).
	SubmitLimit  int
	SubmitWindow time.Duration
	// MapTiles is the tile URL template of the submission form's map
	// ("https://tiles.example/{z}/{x}/{y}.png"); empty shows no map, and
	// the form asks for the district and address only.
	MapTiles string
	// MapAttribution is shown on the map (the tile provider's terms).
	MapAttribution string
	// MapCentre is where the map opens: "lat,lng,zoom" (the city centre).
	MapCentre string
	// CityRegion is the region whose districts the public form offers;
	// empty offers every region.
	CityRegion string
	// Settings is a province's override of the settings in hotline.json
	// (co-handling limit, standard send-back reasons); nil keeps the
	// national default. See ParseSettings.
	Settings []byte
	// RankingMinSample is the fewest orders a department must have taken
	// in a month to be ranked publicly (default 5): a rate over two or
	// three orders says little, so such a department is shown as 样本不足
	// and not ranked. A negative value is refused.
	RankingMinSample int
}

// Deps are the services the module uses.
type Deps struct {
	DB       *store.DB
	Flow     *flow.Engine
	Org      *org.Service
	Policy   *auth.Policy
	Audit    *audit.Log
	Box      *pii.Box             // encrypts callers' phone numbers; keys visit links
	Calendar func() flow.Calendar // the working-day calendar (for SeedDemo's own engine)
	// Knowledge, when set, offers knowledge-base answers at intake.
	Knowledge Knowledge
	// Revisions keeps the earlier versions of the directory, the limits
	// and the category tree and serves their versions pages; nil keeps
	// them without the pages.
	Revisions *revision.Pages
	// Relay places calls to callers through privacy numbers (隐私号);
	// nil offers no call button.
	Relay  Relay
	Config Config
	Now    func() time.Time
}

// Module is the hotline service and its pages and API.
type Module struct {
	d    Deps
	s    *web.Server
	revs revision.Store
	set  Settings

	mu      sync.RWMutex
	cats    map[string]Category
	dir     map[dirKey]int64
	dirAt   time.Time
	ix      *simIndex
	ixAt    time.Time
	ixBuild sync.Mutex

	lookups *limiter
	// submits counts anonymous submissions per client address in the
	// database, so that every node shares the limit.
	submits *store.Limiter

	grams gramCache // bigrams of recent orders' text, for Duplicates
}

// New returns the module and registers its authorisation rules. Call Start
// before serving.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Flow == nil || d.Org == nil || d.Policy == nil || d.Audit == nil || d.Box == nil {
		return nil, fmt.Errorf("hotline: DB, Flow, Org, Policy, Audit and Box are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	c := &d.Config
	if c.DuplicateDays <= 0 {
		c.DuplicateDays = 7
	}
	if c.DuplicateSimilarity <= 0 {
		c.DuplicateSimilarity = 0.5
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.VisitLinkTTL <= 0 {
		c.VisitLinkTTL = 15 * 24 * time.Hour
	}
	if c.RankingMinSample < 0 {
		return nil, fmt.Errorf("hotline: RankingMinSample %d must not be negative", c.RankingMinSample)
	}
	if c.RankingMinSample == 0 {
		c.RankingMinSample = 5
	}
	if c.LookupLimit <= 0 {
		c.LookupLimit = 10
	}
	if c.LookupWindow <= 0 {
		c.LookupWindow = 10 * time.Minute
	}
	if c.SubmitLimit <= 0 {
		c.SubmitLimit = 5
	}
	if c.SubmitWindow <= 0 {
		c.SubmitWindow = time.Hour
	}
	set, err := ParseSettings(c.Settings)
	if err != nil {
		return nil, err
	}
	revs := revision.Store{Now: d.Now}
	if d.Revisions != nil {
		revs = d.Revisions.Store()
	}
	m := &Module{d: d, revs: revs, set: set, cats: map[string]Category{},
		lookups: newLimiter(c.LookupLimit, c.LookupWindow), submits: store.NewLimiter(d.DB, "hotline.submit", c.SubmitLimit, c.SubmitWindow)}
	if d.Policy.Rules(Kind) == nil {
		if err := d.Policy.Register(Kind, rules()); err != nil {
			return nil, fmt.Errorf("hotline: %w", err)
		}
	}
	return m, nil
}

// rules says who may do what with a work order: the public their own,
// handling departments theirs, the hotline centre and supervisors their
// region's; administrators edit limits and categories.
func rules() auth.KindRules {
	own, dept, region := auth.ScopeOwn, auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {
			auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleHandler: dept,
			auth.RoleOperator: region, auth.RoleDispatcher: region, auth.RoleSupervisor: region, auth.RoleAdmin: region,
		},
		auth.ActAct: {
			auth.RoleHandler: dept, auth.RoleOperator: region, auth.RoleDispatcher: region,
			auth.RoleSupervisor: region, auth.RoleAdmin: region,
		},
		auth.ActCreate: {
			auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleOperator: region, auth.RoleDispatcher: region,
		},
		auth.ActAdminister: {auth.RoleAdmin: region},
	}
}

// Start prepares the module: it seeds the category tree and the default
// limits where missing, loads the workflow definitions derived from the
// limits (each in its own transaction) and reads the caches. The lead calls
// it once at start-up, outside any transaction.
func (m *Module) Start(ctx context.Context) error {
	if err := m.seedCategories(ctx); err != nil {
		return err
	}
	if err := m.seedLimits(ctx); err != nil {
		return err
	}
	if err := m.LoadDefinitions(ctx); err != nil {
		return err
	}
	return m.loadCategories(ctx)
}

// departmentName returns the name of department id (cached by org), "" for
// none.
func (m *Module) departmentName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	return m.d.Org.DepartmentName(ctx, id)
}

// staffRoles may use the hotline's staff pages.
var staffRoles = []auth.Role{auth.RoleOperator, auth.RoleDispatcher, auth.RoleHandler, auth.RoleSupervisor, auth.RoleAdmin}

// Nav returns the hotline links the actor's roles may use.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	var links []web.NavLink
	if a.HasAny(auth.RoleOperator) {
		links = append(links, web.NavLink{Path: "/hotline/intake", Key: "hotline.nav.intake"},
			web.NavLink{Path: "/hotline/visits", Key: "hotline.nav.visits"})
	}
	if a.HasAny(auth.RoleDispatcher, auth.RoleOperator) {
		links = append(links, web.NavLink{Path: "/hotline/dispatch", Key: "hotline.nav.dispatch"})
	}
	if a.HasAny(auth.RoleDispatcher) {
		links = append(links, web.NavLink{Path: "/hotline/extensions", Key: "hotline.nav.extensions"})
	}
	if a.HasAny(auth.RoleDispatcher, auth.RoleOperator, auth.RoleSupervisor) {
		links = append(links, web.NavLink{Path: "/hotline/disputes", Key: "hotline.nav.disputes"})
	}
	if a.HasAny(auth.RoleHandler) {
		links = append(links, web.NavLink{Path: "/hotline/handling", Key: "hotline.nav.handling"})
	}
	if a.HasAny(auth.RoleDispatcher, auth.RoleAdmin) {
		links = append(links, web.NavLink{Path: "/hotline/directory", Key: "hotline.nav.directory"})
	}
	if a.HasAny(auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDispatcher) {
		links = append(links, web.NavLink{Path: "/hotline/overdue", Key: "hotline.nav.overdue"},
			web.NavLink{Path: "/hotline/figures", Key: "hotline.nav.figures"})
	}
	if a.HasAny(auth.RoleDispatcher, auth.RoleAdmin) {
		links = append(links, web.NavLink{Path: "/hotline/categories", Key: "hotline.nav.categories"})
	}
	if a.HasAny(auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDispatcher) {
		links = append(links, web.NavLink{Path: "/hotline/limits", Key: "hotline.nav.limits"})
	}
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) {
		links = append(links, web.NavLink{Path: "/hotline/my", Key: "hotline.nav.my"})
	}
	return links
}
