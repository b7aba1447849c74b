// Package policy is policies that find the business (政策找人、免申即享).
//
// A department keeps its policies in a library: the source document, the
// validity dates, the clauses of eligibility as written and, for each, a
// rule in CEL over the register's fields and facts (package entity), the
// business's credit (risk class and lists), the certificates it holds and
// the policies already granted to it. Rules are type-checked against the
// register's fact catalogue when saved, so a rule naming an unknown fact
// or comparing a number with text is refused (422) naming the clause.
//
// When a policy is published, and whenever a fact, a credit record or a
// listing of a business changes (the entity and credit outbox topics),
// the businesses are matched: every business's inputs (each value with
// its source department and as-of date) are stored once, and each
// eligible pair is stored with the clauses it held, so every answer is
// explained exactly as it was decided. The eligible businesses are told
// (package notify). A policy marked 免申即享 then grants without an
// application: the list is published for a publicity period (公示, in
// working days), objections are answered, the grant is decided (after
// 信用核查) and its payment recorded; the business may decline. Other
// policies are 即申即享: one prefilled step, decided by the rule at once.
package policy

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

// ObjectKind is the authorisation kind of policies and grants.
const ObjectKind = "policy"

// TopicNotice is the outbox topic of a message to a business (payload:
// uscc, title, title_en, body, body_en, link, object_id), delivered by
// package notify.
const TopicNotice = "policy.notice"

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "policy: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "policy: not allowed in the current state (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// Register is what the module reads of the register of businesses
// (*entity.Service).
type Register interface {
	Catalogue() *entity.Catalogue
	ScanBasics(ctx context.Context, after string, limit int, fn func(b *entity.Basic) error) (int, error)
	BasicOf(ctx context.Context, uscc string) (*entity.Basic, error)
	ScanFactsFull(ctx context.Context, lo, hi string, asOf string, fn func(f FactRow) error) error
}

// FactRow is one stored fact as the matcher reads it.
type FactRow struct {
	USCC, Name, Type, Value, AsOf string
	DepartmentID                  int64
}

// Credit is what the module reads of credit: the current listings of a
// range of businesses and 信用核查 before a grant.
type Credit interface {
	ScanListings(ctx context.Context, lo, hi string, asOf calendar.Date, fn func(uscc, list string) error) error
	// Check is 信用核查 for purpose "subsidy": allowed false means a
	// listing refuses it; reasons say which.
	Check(ctx context.Context, uscc string) (allowed bool, reasons []string, err error)
}

// Classes reads the credit risk classes of a range of businesses
// (*risk.Module).
type Classes interface {
	ScanClasses(ctx context.Context, lo, hi string, fn func(uscc, class string) error) error
}

// Certificates reads the valid certificates (type codes) of a range of
// businesses (*certificate.Service).
type Certificates interface {
	ScanHeld(ctx context.Context, lo, hi string, at time.Time, fn func(uscc, typeCode string) error) error
}

// Deps are what the module uses.
type Deps struct {
	DB           *store.DB
	Register     Register
	Credit       Credit
	Classes      Classes      // optional: without it no business has a class
	Certificates Certificates // optional: without it no business holds one
	Policy       *auth.Policy
	Audit        *audit.Log
	Calendar     func() *calendar.Calendar
	// DepartmentCode and DepartmentName describe a department by id
	// (source departments of facts, issuing departments).
	DepartmentCode func(ctx context.Context, id int64) (string, error)
	DepartmentName func(ctx context.Context, id int64) string
	// PublicityDays is the default publicity period (公示) in working
	// days; 0 means 5.
	PublicityDays int
	Log           *slog.Logger
	Now           func() time.Time
}

// Module is the policy library, the matcher, grants, pages and API.
type Module struct {
	d Deps
	s *web.Server

	mu    sync.Mutex
	cache map[int64]*compiled // published policies by id; a version never changes
	envMu sync.Mutex
	env   *envir
}

// New checks d and returns the module, registering its kind.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Register == nil || d.Credit == nil || d.Policy == nil || d.Audit == nil || d.Calendar == nil {
		return nil, errors.New("policy: DB, Register, Credit, Policy, Audit and Calendar are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.PublicityDays <= 0 {
		d.PublicityDays = 5
	}
	if d.DepartmentCode == nil {
		d.DepartmentCode = func(context.Context, int64) (string, error) { return "", nil }
	}
	if d.DepartmentName == nil {
		d.DepartmentName = func(_ context.Context, id int64) string { return fmt.Sprint(id) }
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return &Module{d: d, cache: map[int64]*compiled{}}, nil
}

// PolicyRules: the issuing department's handlers and approvers write and
// publish its policies and decide its grants; supervisors and
// administrators read every policy of their region; a business reads its
// own results and grants.
func PolicyRules() auth.KindRules {
	dept, reg, own := auth.ScopeDepartment, auth.ScopeRegion, auth.ScopeOwn
	return auth.KindRules{
		auth.ActRead: {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleSupervisor: reg, auth.RoleAdmin: reg,
			auth.RoleEnterprise: own},
		auth.ActCreate:     {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAdminister: {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAct:        {auth.RoleEnterprise: own},
	}
}

// staffRoles may open the staff pages; the policy then decides by
// department or region.
var staffRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }

// envir returns the rule environment over the register's catalogue.
func (m *Module) envir() (*envir, error) {
	m.envMu.Lock()
	defer m.envMu.Unlock()
	if m.env == nil {
		e, err := newEnvir(m.d.Register.Catalogue())
		if err != nil {
			return nil, err
		}
		m.env = e
	}
	return m.env, nil
}
