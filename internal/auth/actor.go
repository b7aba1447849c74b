// Package auth answers who is acting and what they may do: sign-in with
// passwords, sessions and API tokens, and the single authorisation decision
// every handler asks for ("may this actor do X to this object").
package auth

import (
	"context"
	"slices"
)

// Role is what a user does on the platform. A user may hold several.
type Role string

// The roles of the platform.
const (
	RoleCitizen    Role = "citizen"            // 群众
	RoleEnterprise Role = "enterprise"         // 企业
	RoleClerk      Role = "window_clerk"       // 窗口人员
	RoleOperator   Role = "hotline_operator"   // 坐席
	RoleDispatcher Role = "dispatcher"         // 派单员
	RoleHandler    Role = "department_handler" // 承办人
	RoleApprover   Role = "approver"           // 审批人
	RoleSupervisor Role = "supervisor"         // 督办
	RoleAdmin      Role = "admin"              // 管理员
	// RoleInspector is a law-enforcement officer (执法人员) holding a 执法证:
	// they carry out inspections and investigate penalty cases for their
	// departments.
	RoleInspector Role = "inspector"
	// RoleLegal is a legal reviewer (法制审核人员) of a department or of the
	// justice bureau: legal review of penalty decisions and the second review
	// (双审制) of fair-competition conclusions.
	RoleLegal Role = "legal_reviewer"
	// RoleSystem is the platform itself (timer worker, instant approval). No
	// user holds it; only code creates a system actor.
	RoleSystem Role = "system"
)

// Roles lists the roles a user can be given, in display order.
var Roles = []Role{RoleCitizen, RoleEnterprise, RoleClerk, RoleOperator,
	RoleDispatcher, RoleHandler, RoleApprover, RoleInspector, RoleLegal, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a role a user can hold.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff reports whether r is a government staff role (not the public).
func (r Role) Staff() bool { return r != RoleCitizen && r != RoleEnterprise && r.Valid() }

// Actor is the authenticated caller of one request.
type Actor struct {
	UserID int64
	Name   string
	Roles  []Role
	// RegionCode is the GB/T 2260 region the user works in or lives in; staff
	// scope is limited to it and the regions it contains.
	RegionCode string
	// DepartmentIDs are the departments the user acts for (may be several).
	DepartmentIDs []int64
	// USCC is the unified social credit code of the enterprise an enterprise
	// user acts for; empty otherwise.
	USCC string
	// MustChangePassword is set while the user's password is one an
	// administrator set: their sessions may do nothing but change it.
	MustChangePassword bool
}

// Has reports whether the actor holds role r.
func (a *Actor) Has(r Role) bool { return a != nil && slices.Contains(a.Roles, r) }

// HasAny reports whether the actor holds any of rs.
func (a *Actor) HasAny(rs ...Role) bool {
	for _, r := range rs {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// InDepartment reports whether the actor acts for department id.
func (a *Actor) InDepartment(id int64) bool {
	return a != nil && slices.Contains(a.DepartmentIDs, id)
}

// IsStaff reports whether the actor holds any staff role.
func (a *Actor) IsStaff() bool {
	if a == nil {
		return false
	}
	for _, r := range a.Roles {
		if r.Staff() || r == RoleSystem {
			return true
		}
	}
	return false
}

// SystemName is how the platform's own actions are signed where people read
// them (histories, decisions, the audit log): 系统（自动）, not a person.
const SystemName = "系统（自动）"

// System returns the actor the platform uses for its own actions, such as
// firing escalations or deciding by rule. It is never stored as a user.
func System() *Actor {
	return &Actor{Name: SystemName, Roles: []Role{RoleSystem}}
}

type ctxKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the actor carried by ctx, or nil for an anonymous
// request.
func FromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(ctxKey{}).(*Actor)
	return a
}
