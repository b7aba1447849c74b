// Package warning raises the early warnings (预警) of credit supervision:
// rules kept as data (rules.json, a province's override) are evaluated over
// credit records, the lists, certificates, the register and annual reports,
// and over risk classes the risk module reports through ClassSink. Each
// warning goes to one department's warning list with a limit on the
// working-day calendar, and, where the rule says so, to the business as a
// risk prompt (风险提示). A department verifies (核实) a warning, then
// confirms (确认) or excludes (排除) it with a note.
//
// The sweep is idempotent: at most one open warning per rule and business
// (a unique partial index), so running it twice raises nothing new.
package warning

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of warnings.
const ObjectKind = "warning"

// Statuses of a warning.
const (
	StatusOpen      = "open"      // 待核实
	StatusVerifying = "verifying" // 核实中
	StatusConfirmed = "confirmed" // 已确认
	StatusExcluded  = "excluded"  // 已排除
)

// Errors.
var (
	ErrNotFound = notFound{}
	ErrState    = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "warning: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "warning: not allowed in the current state (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Policy *auth.Policy
	Audit  *audit.Log
	// Calendar returns the working-day calendar in force.
	Calendar func() *calendar.Calendar
	// Rules are the province's rules; nil means the national defaults.
	Rules *Rules
	// Flow runs each warning as a case in its department's inbox (/work)
	// with the rule's limit; nil keeps warnings on the module's own lists.
	Flow *flow.Engine
	Now  func() time.Time
}

// Module is the warning service.
type Module struct {
	d Deps
	s *web.Server
}

// New checks d and returns the module, registering its kind with the
// policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("warning: DB, Policy and Audit are required")
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
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("warning: %w", err)
	}
	return &Module{d: d}, nil
}

// PolicyRules: a department's staff read and handle their department's
// warnings, supervisors and administrators read those of their region, a
// business reads its own risk prompts (the list filters prompt = true).
func PolicyRules() auth.KindRules {
	dept, own, region := auth.ScopeDepartment, auth.ScopeOwn, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleClerk: dept, auth.RoleHandler: dept, auth.RoleApprover: dept,
			auth.RoleSupervisor: region, auth.RoleAdmin: region, auth.RoleEnterprise: own},
		auth.ActAct: {auth.RoleHandler: dept, auth.RoleApprover: dept},
	}
}

// Rules returns the rules in force.
func (m *Module) Rules() *Rules { return m.d.Rules }

func (m *Module) today() calendar.Date { return calendar.DateOf(m.d.Now()) }

// Warning is a stored warning.
type Warning struct {
	ID           int64   `json:"id"`
	RuleID       string  `json:"rule_id"`
	Kind         string  `json:"kind"`
	USCC         string  `json:"uscc"`
	DepartmentID int64   `json:"department_id"`
	RegionCode   string  `json:"region_code"`
	Prompt       bool    `json:"prompt"`
	Detail       string  `json:"detail"`
	RaisedOn     string  `json:"raised_on"`
	DueOn        string  `json:"due_on"`
	Status       string  `json:"status"`
	Note         string  `json:"note,omitempty"`
	ClosedOn     *string `json:"closed_on"`
	// Overdue says the limit passed while the warning was not closed.
	Overdue bool `json:"overdue"`
}

func (w *Warning) object() auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: w.RegionCode, DepartmentIDs: []int64{w.DepartmentID}, OwnerUSCC: w.USCC}
}

// hit is one finding of a rule: the business, who gets it and why.
type hit struct {
	uscc, region string
	dept         int64
	detail       string
}

// raise stores a warning for h under r unless one is open; it reports
// whether a new one was stored.
func (m *Module) raise(ctx context.Context, tx store.IDB, r *Rule, h hit) (int64, bool, error) {
	if h.dept == 0 && r.Department != "" {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM departments WHERE code = ?`, r.Department).Scan(&h.dept); err != nil {
			return 0, false, fmt.Errorf("warning: rule %s: department %s: %w", r.ID, r.Department, err)
		}
	}
	if h.dept == 0 {
		return 0, false, nil // nobody to send it to: counted as unrouted by the sweep
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM warnings WHERE rule_id = ? AND uscc = ? AND closed_on IS NULL`,
		r.ID, h.uscc).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("warning: open: %w", err)
	}
	if n > 0 {
		return 0, false, nil
	}
	today := m.today()
	due, err := calendar.DueDate(m.d.Calendar(), today.String(), r.LimitWorkingDays)
	if err != nil {
		return 0, false, fmt.Errorf("warning: rule %s: limit: %w", r.ID, err)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO warnings (rule_id, kind, uscc, department_id, region_code, prompt, detail,
		raised_on, due_on, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.ID, r.Kind, h.uscc, h.dept, h.region, r.Prompt, h.detail, today.String(), due, StatusOpen,
		store.Time(m.d.Now())).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("warning: raise %s %s: %w", r.ID, h.uscc, err)
	}
	if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{Action: "warning.raise", ObjectType: "warning",
		ObjectID: fmt.Sprint(id), RegionCode: h.region, Detail: map[string]any{"rule": r.ID, "uscc": h.uscc, "department": h.dept}}); err != nil {
		return 0, false, err
	}
	if err := m.open(ctx, tx, r, id, h, today.String(), due); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// Get returns warning id as a may see it; out of scope is ErrNotFound.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Warning, error) {
	w, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActRead, w.object()); err != nil {
		return nil, ErrNotFound
	}
	if a.Has(auth.RoleEnterprise) && !w.Prompt && !a.HasAny(auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin) {
		return nil, ErrNotFound
	}
	return w, nil
}

const columns = `id, rule_id, kind, uscc, department_id, region_code, prompt, detail, raised_on, due_on, status, note, closed_on`

func (m *Module) scan(row interface{ Scan(...any) error }) (*Warning, error) {
	var w Warning
	var closed sql.NullString
	if err := row.Scan(&w.ID, &w.RuleID, &w.Kind, &w.USCC, &w.DepartmentID, &w.RegionCode, &w.Prompt, &w.Detail,
		&w.RaisedOn, &w.DueOn, &w.Status, &w.Note, &closed); err != nil {
		return nil, err
	}
	if closed.Valid {
		w.ClosedOn = &closed.String
		w.Overdue = closed.String > w.DueOn
	} else {
		w.Overdue = m.today().String() > w.DueOn
	}
	return &w, nil
}

func (m *Module) load(ctx context.Context, db store.IDB, id int64) (*Warning, error) {
	w, err := m.scan(db.QueryRowContext(ctx, `SELECT `+columns+` FROM warnings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("warning: load %d: %w", id, err)
	}
	return w, nil
}

// Filter narrows a list.
type Filter struct {
	Status string // empty: all
	USCC   string // one business's warnings only (empty: all)
	After  int64  // keyset: ids below After (0: from the newest)
	Limit  int
}

// List returns the warnings a may see, newest first: a department's staff
// their departments' warnings, supervisors and administrators their
// region's, a business its own risk prompts, anyone else nothing.
func (m *Module) List(ctx context.Context, a *auth.Actor, f Filter) ([]*Warning, error) {
	ws, _, err := m.ListPage(ctx, a, f)
	return ws, err
}

// ListPage is List with where the list stands: a keyset page by id
// (store.Cursor), the next page's start and the list's count (bounded at
// store.CountBound), so that no warning is lost or shown twice between
// pages.
func (m *Module) ListPage(ctx context.Context, a *auth.Actor, f Filter) ([]*Warning, store.Page, error) {
	if a == nil {
		return nil, store.Page{}, auth.ErrUnauthenticated
	}
	where, args := []string{}, []any{}
	switch {
	case a.Has(auth.RoleSystem):
	case a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "":
		where = append(where, `region_code LIKE ?`)
		args = append(args, strings.TrimRight(a.RegionCode, "0")+"%")
	case a.HasAny(auth.RoleClerk, auth.RoleHandler, auth.RoleApprover) && len(a.DepartmentIDs) > 0:
		where = append(where, `department_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(a.DepartmentIDs)), ",")+`)`)
		for _, d := range a.DepartmentIDs {
			args = append(args, d)
		}
	case a.Has(auth.RoleEnterprise) && a.USCC != "":
		where = append(where, `uscc = ? AND prompt = ?`)
		args = append(args, a.USCC, true)
	default:
		return nil, store.Page{}, nil
	}
	if f.Status != "" {
		where = append(where, `status = ?`)
		args = append(args, f.Status)
	}
	if f.USCC != "" {
		where = append(where, `uscc = ?`)
		args = append(args, f.USCC)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q := `SELECT ` + columns + ` FROM warnings`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, strings.Replace(q, columns, "id", 1), args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("warning: list: %w", err)
	}
	if f.After > 0 {
		if len(where) == 0 {
			q += ` WHERE id < ?`
		} else {
			q += ` AND id < ?`
		}
		args = append(args, f.After)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, f.Limit+1)
	rows, err := m.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("warning: list: %w", err)
	}
	defer rows.Close()
	var out []*Warning
	for rows.Next() {
		w, err := m.scan(rows)
		if err != nil {
			return nil, store.Page{}, fmt.Errorf("warning: list: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("warning: list: %w", err)
	}
	if len(out) > f.Limit {
		out = out[:f.Limit]
		pg.Next = store.Cursor{ID: out[len(out)-1].ID}
	}
	return out, pg, nil
}

// Verify starts the verification (核实) of an open warning.
func (m *Module) Verify(ctx context.Context, a *auth.Actor, id int64) (*Warning, error) {
	return m.transition(ctx, a, id, StatusOpen, StatusVerifying, "verify", "")
}

// Decide closes a warning under verification as confirmed (确认) or
// excluded (排除), with the note saying why.
func (m *Module) Decide(ctx context.Context, a *auth.Actor, id int64, confirm bool, note string) (*Warning, error) {
	note = strings.TrimSpace(note)
	if note == "" {
		return nil, &valid.FieldError{Path: "note", Message: "请填写核实情况 (a note is required)"}
	}
	if err := valid.Text("note", note); err != nil {
		return nil, err
	}
	if len([]rune(note)) > 2000 {
		return nil, &valid.FieldError{Path: "note", Message: "不超过2000字 (at most 2000 characters)"}
	}
	to, action := StatusExcluded, "exclude"
	if confirm {
		to, action = StatusConfirmed, "confirm"
	}
	return m.transition(ctx, a, id, StatusVerifying, to, action, note)
}

// transition moves warning id from from to to, and its inbox case by
// action, in one transaction.
func (m *Module) transition(ctx context.Context, a *auth.Actor, id int64, from, to, action, note string) (*Warning, error) {
	var out *Warning
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		w, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.d.Policy.Authorize(a, auth.ActRead, w.object()); err != nil {
			return ErrNotFound
		}
		if err := m.d.Policy.Authorize(a, auth.ActAct, w.object()); err != nil {
			return err
		}
		if w.Status != from {
			return ErrState
		}
		var closed any
		if to == StatusConfirmed || to == StatusExcluded {
			closed = m.today().String()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE warnings SET status = ?, note = ?, closed_on = ?, handled_by = ?,
			verified_at = COALESCE(verified_at, ?) WHERE id = ?`, to, note, closed, a.UserID, store.Time(m.d.Now()), id); err != nil {
			return fmt.Errorf("warning: %s %d: %w", to, id, err)
		}
		if err := m.advance(ctx, tx, a, id, action, note); err != nil {
			return err
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "warning." + to,
			ObjectType: "warning", ObjectID: fmt.Sprint(id), RegionCode: w.RegionCode,
			Detail: map[string]any{"rule": w.RuleID, "uscc": w.USCC}}); err != nil {
			return err
		}
		out, err = m.load(ctx, tx, id)
		return err
	})
	return out, err
}
