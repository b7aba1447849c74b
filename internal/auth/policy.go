package auth

import (
	"errors"
	"fmt"
	"slices"

	"github.com/yingshang/yingshang/internal/ids"
)

// Errors returned by Authorize. The web layer maps ErrUnauthenticated to 401
// and ErrForbidden to 403.
var (
	ErrUnauthenticated = errors.New("auth: not signed in (未登录)")
	ErrForbidden       = errors.New("auth: forbidden (无权操作)")
)

// Action is what an actor wants to do to an object.
type Action string

// The actions every kind of object knows.
const (
	ActRead       Action = "read"       // see it
	ActAct        Action = "act"        // work on it: accept, handle, reply, escalate
	ActCreate     Action = "create"     // bring a new one into being
	ActAdminister Action = "administer" // change its configuration, roles, status
)

// Object describes what is being acted on, in the terms the policy needs:
// where it is, which departments hold it and whose it is. Handlers fill it
// from the row they loaded (or, for ActCreate, from the row they would write).
type Object struct {
	Kind          string
	RegionCode    string  // GB/T 2260 region the object belongs to
	DepartmentIDs []int64 // departments currently holding or owning it
	OwnerUserID   int64   // the citizen or enterprise user it belongs to
	OwnerUSCC     string  // the enterprise it belongs to
	// Confidential objects (保密件) hide their reporter from most staff; see
	// CanSeeReporter.
	Confidential bool
}

// Scope is how far a role's grant reaches. Scopes combine: a role granted
// ScopeDepartment|ScopeOwn may act on its departments' objects and on its own.
type Scope uint8

// The scopes a grant can have.
const (
	// ScopeRegion: the object's region lies within the actor's region
	// (ids.RegionContains), so a city supervisor reaches all its districts.
	ScopeRegion Scope = 1 << iota
	// ScopeDepartment: the object's departments intersect the actor's.
	ScopeDepartment
	// ScopeOwn: the object belongs to the actor (OwnerUserID), or for an
	// enterprise user to the actor's enterprise (OwnerUSCC).
	ScopeOwn
	// ScopeAll: anywhere.
	ScopeAll
)

// Grants says, for one action, which roles may take it and how far.
type Grants map[Role]Scope

// KindRules is the policy for one kind of object: action → role → scope.
// Actions and roles not listed are forbidden.
type KindRules map[Action]Grants

// Policy is the platform's authorisation table. Build it at start-up with
// NewPolicy, let each module Register its kinds, then share it read-only:
// Register must not run concurrently with Authorize.
type Policy struct {
	kinds map[string]KindRules
}

// NewPolicy returns a policy holding the core kinds: region, department,
// user, calendar, flow_definition, audit and case.
func NewPolicy() *Policy {
	p := &Policy{kinds: map[string]KindRules{}}
	for kind, rules := range coreRules() {
		p.kinds[kind] = rules
	}
	return p
}

// Register adds the rules for a module's kind. Registering a kind twice is
// an error, so two modules cannot silently fight over one name.
func (p *Policy) Register(kind string, rules KindRules) error {
	if kind == "" {
		return errors.New("auth: register policy: empty kind")
	}
	if _, dup := p.kinds[kind]; dup {
		return fmt.Errorf("auth: register policy: kind %q already registered", kind)
	}
	for act, grants := range rules {
		for r := range grants {
			if !r.Valid() {
				return fmt.Errorf("auth: register policy %s/%s: unknown role %q", kind, act, r)
			}
		}
	}
	p.kinds[kind] = rules
	return nil
}

// Kinds lists the registered kinds, sorted, for documentation pages.
func (p *Policy) Kinds() []string {
	ks := make([]string, 0, len(p.kinds))
	for k := range p.kinds {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Rules returns the rules of kind, or nil if it is not registered.
func (p *Policy) Rules(kind string) KindRules { return p.kinds[kind] }

// Authorize decides whether a may take act on obj. It returns nil when
// allowed, an error matching ErrUnauthenticated for a nil actor, and one
// matching ErrForbidden otherwise, including for kinds nobody registered:
// the policy fails closed. The system actor may do anything.
func (p *Policy) Authorize(a *Actor, act Action, obj Object) error {
	if a == nil {
		return ErrUnauthenticated
	}
	if a.Has(RoleSystem) {
		return nil
	}
	rules, ok := p.kinds[obj.Kind]
	if !ok {
		return fmt.Errorf("auth: %s %q: no policy for this kind: %w", act, obj.Kind, ErrForbidden)
	}
	grants := rules[act]
	for _, r := range a.Roles {
		if s, ok := grants[r]; ok && s.covers(a, obj) {
			return nil
		}
	}
	return fmt.Errorf("auth: user %d may not %s this %s: %w", a.UserID, act, obj.Kind, ErrForbidden)
}

// covers reports whether scope s reaches obj for actor a.
func (s Scope) covers(a *Actor, obj Object) bool {
	if s&ScopeAll != 0 {
		return true
	}
	if s&ScopeRegion != 0 && inRegion(a, obj) {
		return true
	}
	if s&ScopeDepartment != 0 {
		for _, id := range obj.DepartmentIDs {
			if a.InDepartment(id) {
				return true
			}
		}
	}
	if s&ScopeOwn != 0 && owns(a, obj) {
		return true
	}
	return false
}

func inRegion(a *Actor, obj Object) bool {
	return a.RegionCode != "" && obj.RegionCode != "" && ids.RegionContains(a.RegionCode, obj.RegionCode)
}

func owns(a *Actor, obj Object) bool {
	if a.UserID != 0 && obj.OwnerUserID == a.UserID {
		return true
	}
	return a.Has(RoleEnterprise) && a.USCC != "" && obj.OwnerUSCC == a.USCC
}

// CanSeeReporter reports whether a may see who reported or applied for obj.
// For a confidential object (保密件) only hotline operators, dispatchers and
// supervisors whose region contains the object, the owner and the system may;
// handling departments see the case without the person. For other objects
// every signed-in actor may (they must still be authorised to read obj).
func CanSeeReporter(a *Actor, obj Object) bool {
	if a == nil {
		return false
	}
	if !obj.Confidential || a.Has(RoleSystem) || owns(a, obj) {
		return true
	}
	return a.HasAny(RoleOperator, RoleDispatcher, RoleSupervisor) && inRegion(a, obj)
}

// Authorize decides with the core policy alone (NewPolicy without module
// kinds). Handlers of module kinds use the *Policy built at start-up.
func Authorize(a *Actor, act Action, obj Object) error {
	return corePolicy.Authorize(a, act, obj)
}

// corePolicy is never modified after initialisation.
var corePolicy = NewPolicy()

// CaseRules returns the default rules for case-like kinds (applications,
// hotline work orders, complaints): department staff reach their
// departments' cases, region-wide roles reach their region, the public
// reach their own. Modules register their kinds with it, or with a copy
// they adjust.
//
// Window clerks have region scope: a comprehensive window (综合窗口) takes in
// work for every department of its district, as the workflow engine's inbox
// also assumes.
func CaseRules() KindRules {
	dept := ScopeDepartment
	region := ScopeRegion
	own := ScopeOwn
	return KindRules{
		ActRead: {
			RoleCitizen: own, RoleEnterprise: own,
			RoleHandler: dept, RoleApprover: dept,
			RoleClerk: region, RoleOperator: region, RoleDispatcher: region, RoleSupervisor: region, RoleAdmin: region,
		},
		ActAct: {
			RoleCitizen: own, RoleEnterprise: own, // withdraw, supplement, rate
			RoleHandler: dept, RoleApprover: dept,
			RoleClerk: region, RoleOperator: region, RoleDispatcher: region, RoleSupervisor: region, RoleAdmin: region,
		},
		ActCreate: {
			RoleCitizen: own, RoleEnterprise: own,
			RoleHandler: dept,
			RoleClerk:   region, RoleOperator: region, RoleDispatcher: region,
		},
		ActAdminister: {
			RoleAdmin: region,
		},
	}
}

func everyone(s Scope) Grants {
	g := Grants{}
	for _, r := range Roles {
		g[r] = s
	}
	return g
}

func staff(s Scope) Grants {
	g := Grants{}
	for _, r := range Roles {
		if r.Staff() {
			g[r] = s
		}
	}
	return g
}

// coreRules is the policy of the core kinds. Region-wide configuration
// (calendar, workflow definitions) is administered within the region the
// object names: handlers pass the deployment's root region for platform-wide
// data, so only administrators of that region may change it.
func coreRules() map[string]KindRules {
	adminRegion := Grants{RoleAdmin: ScopeRegion}
	userAct := everyone(ScopeOwn) // change one's own display name or password
	userAct[RoleAdmin] = ScopeRegion | ScopeOwn
	userRead := everyone(ScopeOwn)
	for _, r := range []Role{RoleClerk, RoleHandler, RoleApprover} {
		userRead[r] = ScopeDepartment | ScopeOwn // colleagues
	}
	userRead[RoleSupervisor] = ScopeRegion | ScopeOwn
	userRead[RoleAdmin] = ScopeRegion | ScopeOwn
	return map[string]KindRules{
		"region": {
			ActRead:       everyone(ScopeAll),
			ActCreate:     adminRegion,
			ActAdminister: adminRegion,
		},
		"department": {
			ActRead:       everyone(ScopeAll),
			ActCreate:     adminRegion,
			ActAdminister: adminRegion,
		},
		"user": {
			ActRead:       userRead,
			ActAct:        userAct,
			ActCreate:     adminRegion,
			ActAdminister: adminRegion,
		},
		"calendar": {
			ActRead:       everyone(ScopeAll),
			ActCreate:     adminRegion,
			ActAdminister: adminRegion,
		},
		"flow_definition": {
			ActRead:       staff(ScopeAll),
			ActCreate:     adminRegion,
			ActAdminister: adminRegion,
		},
		"audit": {
			ActRead:       {RoleAdmin: ScopeRegion, RoleSupervisor: ScopeRegion},
			ActAdminister: adminRegion,
		},
		"case": CaseRules(),
	}
}
