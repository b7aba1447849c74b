// Package enforcement runs administrative penalty cases (行政处罚案件) of
// 行政处罚法 and 市场监督管理行政处罚程序规定 on the flow engine: a lead
// (线索) is checked within 15 working days (extendable by 15) whether to
// open a case; an opened case is investigated with evidence stored by
// content hash, the party is given prior notice (事先告知) with the right
// to state and defend and, for large fines, to ask for a hearing within 5
// working days; heavy decisions pass legal review (法制审核) and, where
// required, collective discussion (集体讨论); the decision comes within 90
// days of opening (extendable by 30 with approval, further only by a
// collective decision), is delivered within 7 working days, and a fine is
// paid within 15 days or enforced. The simple procedure (简易程序) decides a
// warning or a small fine on the spot.
//
// The limitation period (第三十六条) is checked when a lead is recorded: a
// violation found after it cannot be penalised, and the system says so.
// At the intended penalty, the discretion engine's proposal (level, range,
// trace) is shown; the officer follows it or departs with a reason, which
// legal review and the decision see. A first violation (首违不罚) ends with
// 不予处罚 and the education given recorded. Decisions reach the credit
// module through the outbox (TopicDecided).
package enforcement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of penalty cases.
const ObjectKind = "enforcement_case"

// SubjectType is the flow subject type of penalty cases.
const SubjectType = "enforcement_case"

// The flow definitions.
const (
	LeadFlow   = "enforcement.lead"
	CaseFlow   = "enforcement.case"
	SimpleFlow = "enforcement.simple"
)

// TopicDecided is written when a decision is made (either procedure); the
// app writes the credit record from it (Module.RecordCredit).
const TopicDecided = "enforcement.decided"

// Errors.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	// ErrTimeBarred: the violation is past the limitation period (第三十六条);
	// only 不予处罚 is possible.
	ErrTimeBarred = conflict{"enforcement: past the limitation period, no penalty may be given (超过行政处罚法第三十六条规定的追责时效，不得给予行政处罚)"}
	// ErrLegalReview: a heavy decision needs legal review first (第五十八条).
	ErrLegalReview = conflict{"enforcement: a heavy decision needs legal review first (须经法制审核后方可作出决定)"}
	// ErrCollective: the heads must decide collectively (第五十七条第二款).
	ErrCollective = conflict{"enforcement: the heads must discuss collectively first (须经负责人集体讨论决定)"}
	// ErrState: the action is not possible in the case's current state.
	ErrState = conflict{"enforcement: not possible in the current state (当前状态不允许此操作)"}
	// ErrPeriod: a period the party has is still running or already over.
	ErrPeriod = conflict{"enforcement: outside the period the law gives (不在法定期限内)"}
)

type notFound struct{}

func (notFound) Error() string  { return "enforcement: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type conflict struct{ msg string }

func (e conflict) Error() string { return e.msg }
func (conflict) Conflict() bool  { return true }

// Discretion is what the module needs from the discretion engine
// (package discretion): a proposal for a case's facts, and the outcome
// recorded in the decision's transaction.
type Discretion interface {
	Propose(ctx context.Context, q discretion.Query) (discretion.Proposal, error)
	RecordOutcome(ctx context.Context, tx store.IDB, o Outcome) error
}

// Outcome is what the officer did with a proposal, for the engine's
// figures (departures, 首违不罚 counts, cases by level).
type Outcome struct {
	CaseNumber     string
	DepartmentCode string
	MatterCode     string
	Proposed       discretion.Level
	Level          discretion.Level
	FineFen        int64
	Departed       bool
	Reason         string
	FirstViolation bool
	Education      bool
	Version        string
	DecidedOn      string
}

// Credit is what the module needs from the credit module.
type Credit interface {
	RecordOnce(ctx context.Context, a *auth.Actor, in credit.RecordInput) (*credit.Record, bool, error)
}

// Deps are the services the module uses.
type Deps struct {
	DB         *store.DB
	Flow       *flow.Engine
	Org        *org.Service
	Policy     *auth.Policy
	Audit      *audit.Log
	Box        *pii.Box
	Discretion Discretion
	Credit     Credit
	// Rules are the province's rules; nil means the national defaults.
	Rules *Rules
	Now   func() time.Time
}

// Module is the penalty-case service, its pages and API.
type Module struct {
	d Deps
	s *web.Server
}

// New checks d and returns the module, registering its kind.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Flow == nil || d.Org == nil || d.Policy == nil || d.Audit == nil || d.Box == nil || d.Discretion == nil {
		return nil, errors.New("enforcement: DB, Flow, Org, Policy, Audit, Box and Discretion are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rules == nil {
		d.Rules = DefaultRules()
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("enforcement: %w", err)
	}
	return &Module{d: d}, nil
}

// PolicyRules: officers of the department holding a case read it and act
// on it (inspectors and handlers investigate, approvers open and decide,
// legal reviewers review); supervisors and administrators of the region
// read; a business reads its own cases' notices and decisions.
func PolicyRules() auth.KindRules {
	dept, region := auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleInspector: dept, auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleLegal: dept,
			auth.RoleSupervisor: region, auth.RoleAdmin: region, auth.RoleEnterprise: auth.ScopeOwn},
		auth.ActCreate: {auth.RoleInspector: dept, auth.RoleHandler: dept},
		auth.ActAct:    {auth.RoleInspector: dept, auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleLegal: dept},
	}
}

// Rules returns the rules in force.
func (m *Module) Rules() *Rules { return m.d.Rules }

func (m *Module) now() time.Time { return store.Time(m.d.Now()) }

func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }
