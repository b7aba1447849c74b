// Package inspection is 双随机、一公开: random inspections the public can
// check. Departments keep their inspection items (抽查事项清单, 一般 or
// 重点) and inspectors (执法检查人员名录库); a task takes items, a scope
// over the register (检查对象名录库: region, industry, licence held, risk
// class), a window and inspection ratios per risk class; its participants
// commit to secrets before the pool is frozen and reveal them at the draw,
// which selects businesses and inspectors by HMAC scores anyone can
// recompute from the published draw (draw.go). The selection is handed to
// the visit module as assignments.
package inspection

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/visit"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of items, inspectors and tasks.
const ObjectKind = "inspection"

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "inspection: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "inspection: not allowed in the current state (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// Register is what the module reads of the register (*entity.Service).
type Register interface {
	ScanBasics(ctx context.Context, after string, limit int, fn func(b *entity.Basic) error) (int, error)
}

// Classes gives a business's credit risk class (*risk.Module).
type ClassSource interface {
	ClassOf(ctx context.Context, uscc string) (string, error)
}

// Licences says whether a business holds a valid licence (certificate) of
// a type (internal/certificate, adapted in internal/app).
type Licences interface {
	Holds(ctx context.Context, uscc, typeCode string, at time.Time) (bool, error)
}

// Org is what the module reads of departments (*org.Service).
type Org interface {
	Department(ctx context.Context, id int64) (*org.Department, error)
}

// Deps are what the module uses.
type Deps struct {
	DB       *store.DB
	Policy   *auth.Policy
	Audit    *audit.Log
	Org      Org
	Register Register
	Classes  ClassSource
	Licences Licences // nil: the licence filter is refused
	// Ratios is a province's ratios file (JSON, the shape of ratios.json);
	// nil keeps the national default.
	Ratios []byte
	// Assign hands a published draw's selection to the visit module in the
	// draw's transaction; nil skips it.
	Assign func(ctx context.Context, tx store.IDB, as []visit.Assignment) error
	Log    *slog.Logger
	Now    func() time.Time
}

// Module is the service, its pages and API.
type Module struct {
	d      Deps
	s      *web.Server
	ratios map[string]float64
}

//go:embed ratios.json
var defaultRatios []byte

// ParseRatios reads a ratios file: {"ratios": {"A": 0.05, …}} with every
// class A–D in [0, 1].
func ParseRatios(b []byte) (map[string]float64, error) {
	var f struct {
		Ratios map[string]float64 `json:"ratios"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("inspection: ratios: %w", err)
	}
	if err := checkRatios("ratios", f.Ratios); err != nil {
		return nil, err
	}
	return f.Ratios, nil
}

func checkRatios(path string, r map[string]float64) error {
	var p valid.Problems
	for _, c := range Classes {
		v, ok := r[c]
		if !ok || math.IsNaN(v) || v < 0 || v > 1 {
			p.Add(path+"."+c, "抽查比例须在0到1之间 (the ratio of class %s must be in [0, 1])", c)
		}
	}
	for k := range r {
		if len(k) != 1 || k < "A" || k > "D" {
			p.Add(path+"."+k, "未知的风险等级 (unknown risk class %q)", k)
		}
	}
	return p.Err()
}

// New checks d and returns the module, registering its kind with the
// policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Policy == nil || d.Audit == nil || d.Org == nil || d.Register == nil || d.Classes == nil {
		return nil, errors.New("inspection: DB, Policy, Audit, Org, Register and Classes are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	src := defaultRatios
	if d.Ratios != nil {
		src = d.Ratios
	}
	r, err := ParseRatios(src)
	if err != nil {
		return nil, err
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("inspection: %w", err)
	}
	return &Module{d: d, ratios: r}, nil
}

// Ratios returns the configured ratios per risk class.
func (m *Module) Ratios() map[string]float64 {
	out := make(map[string]float64, len(m.ratios))
	for k, v := range m.ratios {
		out[k] = v
	}
	return out
}

// PolicyRules: department staff (handlers, approvers, inspectors) read
// their departments' items, inspectors and tasks; handlers and approvers
// edit them and organise draws; supervisors read and witness (ActAct) the
// tasks of their region; administrators read and keep the inspector
// directory of their region.
func PolicyRules() auth.KindRules {
	dept, reg := auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleInspector: dept,
			auth.RoleSupervisor: reg, auth.RoleAdmin: reg},
		auth.ActCreate:     {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAct:        {auth.RoleSupervisor: reg},
		auth.ActAdminister: {auth.RoleAdmin: reg, auth.RoleApprover: dept},
	}
}

// staffRoles may open the staff pages; the policy then decides.
var staffRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleInspector, auth.RoleSupervisor, auth.RoleAdmin}

func (m *Module) object(ctx context.Context, deptIDs ...int64) (auth.Object, error) {
	o := auth.Object{Kind: ObjectKind, DepartmentIDs: deptIDs}
	if len(deptIDs) > 0 {
		dp, err := m.d.Org.Department(ctx, deptIDs[0])
		if err != nil || dp == nil {
			return o, fmt.Errorf("inspection: department %d: %w", deptIDs[0], ErrNotFound)
		}
		o.RegionCode = dp.RegionCode
	}
	return o, nil
}

// allowed reports whether a may do act on an object of the departments.
func (m *Module) allowed(ctx context.Context, a *auth.Actor, act auth.Action, deptIDs ...int64) bool {
	if a == nil {
		return false
	}
	if a.Has(auth.RoleSystem) {
		return true
	}
	for _, id := range deptIDs {
		o, err := m.object(ctx, id)
		if err != nil {
			continue
		}
		if m.d.Policy.Authorize(a, act, o) == nil {
			return true
		}
	}
	return false
}
