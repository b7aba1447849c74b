// Package credit keeps the credit information (信用信息) of businesses: the
// records other departments and the platform's modules write (licences,
// penalties, inspection results, …), the lists (经营异常名录 and
// 严重违法失信名单), and the state of a business on any date, with each
// record's publication computed by the rules (rules.go) on the
// working-day calendar and the Civil Code's periods.
//
// Businesses are keyed by their 统一社会信用代码. Who may write: a
// department writes only the kinds it was granted (credit_grants), so a
// tax bureau records 欠税 and not penalties of market regulation; who may
// read: staff of every department (credit information is shared across
// departments by design) and the business itself.
package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of credit records and listings.
const ObjectKind = "credit"

// Outbox topics the module writes.
const (
	TopicRecorded = "credit.recorded"
	TopicListed   = "credit.listed"
	TopicRemoved  = "credit.removed"
)

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{}
	// ErrNotGranted: the caller's department may not write this kind.
	ErrNotGranted = fmt.Errorf("credit: %w: the department may not write this kind of record (本部门无权报送此类信用信息)", auth.ErrForbidden)
)

type notFound struct{}

func (notFound) Error() string  { return "credit: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "credit: not allowed in the current state (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Org    *org.Service
	Policy *auth.Policy
	Audit  *audit.Log
	// Calendar returns the working-day calendar in force.
	Calendar func() *calendar.Calendar
	// Rules are the province's rules; nil means the national defaults.
	Rules *Rules
	Now   func() time.Time
	// Register is the register of businesses (internal/entity): the staff
	// file and the public query show a business's entry and search by name.
	Register Register
	// Signer signs the 专用信用报告 and Verifier checks them (the
	// e-certificates' key and key ring); without them no report is issued.
	Signer   certificate.Signer
	Verifier certificate.Verifier
	// BaseURL is the public address written into a report's QR code;
	// empty uses the request's host.
	BaseURL string
	// PublicLimit is how many public credit queries one client address may
	// make per PublicWindow (defaults 30 per minute).
	PublicLimit  int
	PublicWindow time.Duration
}

// Module is the credit service and its API.
type Module struct {
	d Deps
	s *web.Server
	// public limits the anonymous queries per client address.
	public *store.Limiter
}

// New checks d and returns the module, registering its kind with the
// policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Org == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("credit: DB, Org, Policy and Audit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Rules == nil {
		d.Rules = DefaultRules()
	}
	if d.Calendar == nil {
		official := calendar.New(calendar.Official())
		d.Calendar = func() *calendar.Calendar { return official }
	}
	if d.Verifier == nil {
		if es, ok := d.Signer.(*certificate.Ed25519Signer); ok {
			d.Verifier = certificate.NewKeyRing(es.PublicKey())
		}
	}
	if d.PublicLimit <= 0 {
		d.PublicLimit = 30
	}
	if d.PublicWindow <= 0 {
		d.PublicWindow = time.Minute
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("credit: %w", err)
	}
	return &Module{d: d, public: store.NewLimiter(d.DB, "credit.public", d.PublicLimit, d.PublicWindow)}, nil
}

// PolicyRules is the policy of credit information: every department's
// staff read it (it is shared by design), a business reads its own;
// departments' handlers and approvers write records in their department,
// and act on their department's records and listings.
func PolicyRules() auth.KindRules {
	all, own, dept := auth.ScopeAll, auth.ScopeOwn, auth.ScopeDepartment
	return auth.KindRules{
		auth.ActRead: {auth.RoleClerk: all, auth.RoleHandler: all, auth.RoleApprover: all, auth.RoleSupervisor: all,
			auth.RoleAdmin: all, auth.RoleEnterprise: own},
		auth.ActCreate:     {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAct:        {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAdminister: {auth.RoleAdmin: auth.ScopeRegion},
	}
}

// Rules returns the rules in force.
func (m *Module) Rules() *Rules { return m.d.Rules }

// today returns the current date in China.
func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }

// writer resolves the department a writes kind for: the first of a's
// departments granted kind. The system actor (events of the platform's
// own modules) writes for department 0 in the root region.
func (m *Module) writer(ctx context.Context, db store.IDB, a *auth.Actor, kind string) (*org.Department, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if a.Has(auth.RoleSystem) {
		return &org.Department{}, nil
	}
	for _, id := range a.DepartmentIDs {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_grants WHERE department_id = ? AND kind = ?`,
			id, kind).Scan(&n); err != nil {
			return nil, fmt.Errorf("credit: grants: %w", err)
		}
		if n == 0 {
			continue
		}
		d, err := m.d.Org.Department(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("credit: department %d: %w", id, err)
		}
		if err := m.d.Policy.Authorize(a, auth.ActCreate, object(d.RegionCode, d.ID, "")); err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, ErrNotGranted
}

// Grant lets department write the kinds (record kinds, or the lists
// "abnormal" and "serious"). Administrators of the department's region may.
func (m *Module) Grant(ctx context.Context, a *auth.Actor, department int64, kinds ...string) error {
	d, err := m.d.Org.Department(ctx, department)
	if err != nil {
		return fmt.Errorf("credit: grant: %w", err)
	}
	if !a.Has(auth.RoleSystem) {
		if err := m.d.Policy.Authorize(a, auth.ActAdminister, object(d.RegionCode, d.ID, "")); err != nil {
			return err
		}
	}
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, k := range kinds {
			if !Kind(k).Valid() && k != ListAbnormal && k != ListSerious {
				return &valid.FieldError{Path: "kinds", Message: "未知的信用信息类别 " + k + " (unknown kind)"}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO credit_grants (department_id, kind) VALUES (?, ?)
				ON CONFLICT DO NOTHING`, department, k); err != nil {
				return fmt.Errorf("credit: grant: %w", err)
			}
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.grant",
			ObjectType: "department", ObjectID: fmt.Sprint(department), RegionCode: d.RegionCode,
			Detail: map[string]any{"kinds": kinds}})
		return err
	})
}

// object describes credit information written by department dept of
// region about the business uscc.
func object(region string, dept int64, uscc string) auth.Object {
	o := auth.Object{Kind: ObjectKind, RegionCode: region, OwnerUSCC: uscc}
	if dept != 0 {
		o.DepartmentIDs = []int64{dept}
	}
	return o
}

// nullDate stores a date, NULL for none.
func nullDate(d calendar.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// scanDate reads a stored date.
func scanDate(s sql.NullString) calendar.Date {
	if !s.Valid || s.String == "" {
		return calendar.Date{}
	}
	d, _ := calendar.ParseDate(s.String)
	return d
}
