// Package risk is credit risk classification (信用风险分类): every business
// in the register gets a class A (信用风险低), B (一般), C (较高) or D (高)
// from an indicator model that is data (model.go), recomputed in full on a
// schedule and for one business whenever the credit module records or
// lists something about it. Each class keeps the model version and the
// values of its indicators, so it explains itself as it was decided.
//
// The class steers supervision (how often a business is inspected, whether
// an application is approved at once); it is an internal reference, never
// published: only supervision staff read it, and a business does not see
// its own.
//
// The module reads the register (package entity) and credit information
// (package credit) through the small interfaces Register and Credit, in
// chunks of the register in code order, one query per table and chunk, so
// that a million businesses are classified in seconds (docs/PERFORMANCE.md).
package risk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of classes and models.
const ObjectKind = "risk"

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "risk: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "risk: not allowed in the model's current state (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// Register is what the module reads of the register of businesses
// (*entity.Service).
type Register interface {
	ScanBasics(ctx context.Context, after string, limit int, fn func(b *entity.Basic) error) (int, error)
	BasicOf(ctx context.Context, uscc string) (*entity.Basic, error)
	ScanFacts(ctx context.Context, lo, hi string, names []string, asOf string, fn func(uscc, name, typ, value string) error) error
	LegalRepIndexes(ctx context.Context, usccs []string) (map[string]string, error)
	SharingLegalRep(ctx context.Context, uscc string) ([]string, error)
}

// Credit is what the module reads of credit information (*credit.Module).
type Credit interface {
	ScanRecords(ctx context.Context, lo, hi string, since, asOf calendar.Date, fn func(uscc, kind, decided []byte) error) error
	ScanListings(ctx context.Context, lo, hi string, asOf calendar.Date, fn func(uscc, list string) error) error
}

// Deps are what the module uses.
type Deps struct {
	DB       *store.DB
	Register Register
	Credit   Credit
	Policy   *auth.Policy
	Audit    *audit.Log
	// RootRegion is the region whose administrators edit the models;
	// empty means the top-most stored region.
	RootRegion string
	// RegionName names a region on the pages; nil shows codes only.
	RegionName func(ctx context.Context, code string) string
	Log        *slog.Logger
	Now        func() time.Time
	// ClassChanged, when set, is called in the transaction that stores a
	// business's new class (previous "" when it had none), so that what
	// follows from the change (the early warnings of internal/warning)
	// commits or fails with it.
	ClassChanged func(ctx context.Context, tx store.IDB, uscc, region, previous, current string) error
	// ClassesChanged, when set, is called instead of ClassChanged, once for
	// each transaction that stores classes (a chunk of a full run, one
	// update), with all its changes in register code order, so that what
	// follows from them is done for the chunk at once: a full run of a
	// million businesses would otherwise raise a warning at a time.
	ClassesChanged func(ctx context.Context, tx store.IDB, changes []ClassChange) error
}

// ClassChange is a business's class moving from Previous ("" when it had
// none) to Current.
type ClassChange struct {
	USCC, Region      string
	Previous, Current string
}

// Module is the classification service, its pages and API.
type Module struct {
	d Deps
	s *web.Server

	mu       sync.Mutex
	root     string
	models   map[int64]*compiled // by version; versions never change
	runMu    sync.Mutex          // one full run at a time in this process
	progress func(done int)      // set by tests and the bench
}

// New checks d and returns the module, registering its kind with the
// policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Register == nil || d.Credit == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("risk: DB, Register, Credit, Policy and Audit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("risk: %w", err)
	}
	return &Module{d: d, root: d.RootRegion, models: map[int64]*compiled{}}, nil
}

// PolicyRules: supervision staff (department handlers and approvers,
// supervisors, administrators) read the classes of businesses in their
// region; administrators of the root region edit, try and publish models.
// Nobody else reads a class: not the public, not the business itself.
func PolicyRules() auth.KindRules {
	reg := auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead:       {auth.RoleHandler: reg, auth.RoleApprover: reg, auth.RoleSupervisor: reg, auth.RoleAdmin: reg},
		auth.ActAdminister: {auth.RoleAdmin: reg},
	}
}

// staffRoles may open the module's pages; the policy then decides by region.
var staffRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

// today is the current date in China.
func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }

// rootRegion returns the region of the models.
func (m *Module) rootRegion(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.root != "" {
		return m.root, nil
	}
	var code string
	err := m.d.DB.QueryRowContext(ctx, `SELECT code FROM regions WHERE parent_code IS NULL OR parent_code = ''
		ORDER BY level, code LIMIT 1`).Scan(&code)
	if err != nil {
		return "", fmt.Errorf("risk: root region: %w", err)
	}
	m.root = code
	return code, nil
}

// canAdminister reports whether a may edit, try and publish models.
func (m *Module) canAdminister(ctx context.Context, a *auth.Actor) bool {
	if a.Has(auth.RoleSystem) {
		return true
	}
	root, err := m.rootRegion(ctx)
	if err != nil {
		return false
	}
	return m.d.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: ObjectKind, RegionCode: root}) == nil
}

// canRead reports whether a may read the class of a business of region.
func (m *Module) canRead(a *auth.Actor, region string) bool {
	if a == nil {
		return false
	}
	return a.Has(auth.RoleSystem) || m.d.Policy.Authorize(a, auth.ActRead, auth.Object{Kind: ObjectKind, RegionCode: region}) == nil
}
