package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Jurisdiction disputes (管辖争议). A department that thinks an order is not
// its own sends it back (退单) and the dispatcher sends it elsewhere; when a
// second department refuses the same order, the departments disagree on
// whose it is, and passing it on again would only pass the citizen around.
// The order then goes to the hotline centre, which decides the owning
// department within Settings.DisputeDays working days (1 by default) of the
// second refusal. The decision dispatches the order to that department,
// which may not send it back again. The department that first received the
// order (首接部门, first-receiving responsibility under the 接诉即办 rules)
// is recorded on the order at its first dispatch and shown to the centre
// with the dispute.

// disputeRefusals is how many departments must have refused an order for
// it to become a dispute.
const disputeRefusals = 2

// Errors of disputes.
var (
	// ErrDisputeOpen: the order waits for the centre's decision on its
	// jurisdiction; it is dispatched by that decision, not by a plain dispatch.
	ErrDisputeOpen = stateError{"hotline: 管辖争议待热线中心裁定，请裁定承办部门 (the centre must decide the jurisdiction dispute)"}
	// ErrDecided: the centre decided the order is the department's; the
	// department may not send it back.
	ErrDecided = stateError{"hotline: 管辖已由热线中心裁定，不能退单 (the centre decided the order is yours; it cannot be sent back)"}
	// ErrNoDispute: the order has no open dispute to decide.
	ErrNoDispute = stateError{"hotline: 该工单没有待裁定的管辖争议 (the order has no open jurisdiction dispute)"}
)

// Dispute is one jurisdiction dispute of an order.
type Dispute struct {
	ID         int64  `json:"id"`
	OrderID    int64  `json:"order_id"`
	Number     string `json:"number"`
	Title      string `json:"title"`
	RegionCode string `json:"region_code"`
	// Departments are the departments that sent the order back, in the
	// order they did.
	Departments     []int64  `json:"department_ids"`
	DepartmentNames []string `json:"department_names"`
	// FirstDept received the order first (首接部门).
	FirstDept     int64     `json:"first_department_id"`
	FirstDeptName string    `json:"first_department_name"`
	OpenedAt      time.Time `json:"opened_at"`
	// DueAt is when the centre must have decided (Settings.DisputeDays
	// working days after OpenedAt).
	DueAt           time.Time `json:"due_at"`
	DecidedDept     int64     `json:"decided_department_id,omitempty"`
	DecidedDeptName string    `json:"decided_department_name,omitempty"`
	DecidedBy       string    `json:"decided_by,omitempty"`
	DecidedAt       time.Time `json:"decided_at,omitzero"`
	Reason          string    `json:"reason,omitempty"`
	// Overdue is set on an open dispute past its limit.
	Overdue bool `json:"overdue"`
}

// Refusers names the departments that sent the order back, as read.
func (d *Dispute) Refusers() string { return strings.Join(d.DepartmentNames, "、") }

// Open reports whether the centre has still to decide.
func (d *Dispute) Open() bool { return d.DecidedAt.IsZero() }

const disputeCols = `d.id, d.order_id, o.number, o.title, d.region_code, d.departments, d.first_department_id, d.opened_at,
	d.due_at, d.decided_department_id, d.decided_by_name, d.decided_at, d.reason`

func (m *Module) scanDispute(ctx context.Context, r scanner) (*Dispute, error) {
	var d Dispute
	var depts string
	var decided sql.NullTime
	if err := r.Scan(&d.ID, &d.OrderID, &d.Number, &d.Title, &d.RegionCode, &depts, &d.FirstDept, &d.OpenedAt, &d.DueAt,
		&d.DecidedDept, &d.DecidedBy, &decided, &d.Reason); err != nil {
		return nil, err
	}
	d.Departments = store.ParseIDs(depts)
	d.OpenedAt, d.DueAt, d.DecidedAt = d.OpenedAt.UTC(), d.DueAt.UTC(), store.TimeOf(decided)
	for _, x := range d.Departments {
		d.DepartmentNames = append(d.DepartmentNames, m.departmentName(ctx, x))
	}
	d.FirstDeptName, d.DecidedDeptName = m.departmentName(ctx, d.FirstDept), m.departmentName(ctx, d.DecidedDept)
	d.Overdue = d.Open() && m.d.Now().After(d.DueAt)
	return &d, nil
}

// latestDispute returns the latest dispute of order id, or nil.
func (m *Module) latestDispute(ctx context.Context, db store.IDB, id int64) (*Dispute, error) {
	d, err := m.scanDispute(ctx, store.QueryRow(ctx, db, "SELECT "+disputeCols+` FROM hotline_disputes d
		JOIN hotline_orders o ON o.id = d.order_id WHERE d.order_id = ? ORDER BY d.id DESC LIMIT 1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hotline: order %d: dispute: %w", id, err)
	}
	return d, nil
}

// recordRefusal notes, in tx, that department dept sent order o back, and
// opens a dispute when it is the second department to do so.
func (m *Module) recordRefusal(ctx context.Context, tx store.Tx, a *auth.Actor, o *Order, dept int64, now time.Time) error {
	if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_refusals (order_id, department_id, refused_at) VALUES (?, ?, ?)
		ON CONFLICT (order_id, department_id) DO NOTHING`, o.ID, dept, now); err != nil {
		return fmt.Errorf("refusal: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT department_id FROM hotline_refusals WHERE order_id = ? ORDER BY refused_at, department_id", o.ID)
	if err != nil {
		return fmt.Errorf("refusals: %w", err)
	}
	var depts []int64
	for rows.Next() {
		var x int64
		if err := rows.Scan(&x); err != nil {
			rows.Close()
			return err
		}
		depts = append(depts, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(depts) < disputeRefusals {
		return nil
	}
	last, err := m.latestDispute(ctx, tx, o.ID)
	if err != nil || last != nil {
		// One dispute per order: an open one waits, a decided one stands.
		return err
	}
	first := o.FirstDept
	if first == 0 {
		first = depts[0]
	}
	due := m.d.Flow.Calendar().AddWorkingDays(now, m.set.DisputeDays)
	if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_disputes (order_id, region_code, departments, first_department_id,
		opened_at, due_at) VALUES (?, ?, ?, ?, ?, ?)`, o.ID, o.RegionCode, store.FormatIDs(depts), first, now, store.Time(due)); err != nil {
		return fmt.Errorf("dispute: %w", err)
	}
	if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.dispute_open",
		ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
		Detail: map[string]any{"departments": depts, "first_department_id": first, "due_at": due}}); err != nil {
		return err
	}
	names := make([]string, len(depts))
	for i, x := range depts {
		names[i] = m.departmentName(ctx, x)
	}
	return tellDispatchers(ctx, tx, now, o, "dispute", "管辖争议待裁定："+o.Number,
		fmt.Sprintf("工单%s已被%s退回，形成管辖争议，请于%s前裁定承办部门（首接部门：%s）。", o.Number, strings.Join(names, "、"),
			due.In(cst).Format("2006-01-02 15:04"), m.departmentName(ctx, first)),
		"/hotline/orders/"+strconv.FormatInt(o.ID, 10))
}

// checkNotDecided refuses, in tx, a send-back of order o by the department
// the centre decided it belongs to.
func (m *Module) checkNotDecided(ctx context.Context, tx store.Tx, o *Order) error {
	d, err := m.latestDispute(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	if d != nil && !d.Open() && d.DecidedDept == o.LeadDept {
		return ErrDecided
	}
	return nil
}

// DecideInput is the centre's decision on a jurisdiction dispute.
type DecideInput struct {
	Department int64  `json:"department_id" doc:"The department the order belongs to"`
	Reason     string `json:"reason" maxLength:"1000" doc:"Why it is that department's (shown to the departments)"`
}

// DecideJurisdiction decides the open jurisdiction dispute of order id
// (hotline centre staff: dispatchers and operators of the order's region):
// the order is dispatched to in.Department, which may not send it back, and
// the decision is recorded with its reason. A decision after the limit is
// still taken, and the dispute shows it was late.
func (m *Module) DecideJurisdiction(ctx context.Context, a *auth.Actor, id int64, in DecideInput) (*Order, error) {
	var p problems
	if err := text("reason", in.Reason, 1000, true); err != nil {
		p = append(p, err)
	}
	if d, err := m.d.Org.GetDepartment(ctx, in.Department); in.Department == 0 || err != nil || !d.Active {
		p.add("department_id", "请选择有效的承办部门 (choose an active department)")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if !a.HasAny(auth.RoleDispatcher, auth.RoleOperator) {
		return nil, fmt.Errorf("hotline: decide jurisdiction: %w", auth.ErrForbidden)
	}
	reason := strings.TrimSpace(in.Reason)
	return m.dispatch(ctx, a, id, DispatchInput{Lead: in.Department, Comment: reason}, "管辖争议裁定：",
		func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			d, err := m.latestDispute(ctx, tx, o.ID)
			if err != nil {
				return err
			}
			if d == nil || !d.Open() {
				return ErrNoDispute
			}
			if _, err := store.Exec(ctx, tx, `UPDATE hotline_disputes SET decided_department_id = ?, decided_by = ?,
				decided_by_name = ?, decided_at = ?, reason = ? WHERE id = ?`, in.Department, a.UserID, a.Name, now, reason, d.ID); err != nil {
				return err
			}
			_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.dispute_decide",
				ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
				Detail: map[string]any{"department_id": in.Department, "refused_by": d.Departments, "first_department_id": d.FirstDept,
					"reason": reason, "late": now.After(d.DueAt)}})
			return err
		})
}

// OrderDispute returns the latest jurisdiction dispute of order id, nil
// when it has none (staff who may read the order).
func (m *Module) OrderDispute(ctx context.Context, a *auth.Actor, id int64) (*Dispute, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, err
	}
	if !a.HasAny(staffRoles...) {
		return nil, fmt.Errorf("hotline: dispute: %w", auth.ErrForbidden)
	}
	return m.latestDispute(ctx, m.d.DB, id)
}

// Disputes lists the open jurisdiction disputes of a's region, the one
// due first first (hotline centre staff and supervisors).
func (m *Module) Disputes(ctx context.Context, a *auth.Actor) ([]Dispute, error) {
	if a == nil || !a.HasAny(auth.RoleDispatcher, auth.RoleOperator, auth.RoleSupervisor) {
		return nil, fmt.Errorf("hotline: disputes: %w", auth.ErrForbidden)
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+disputeCols+` FROM hotline_disputes d JOIN hotline_orders o ON o.id = d.order_id
		WHERE d.decided_at IS NULL AND d.region_code LIKE ? ORDER BY d.due_at, d.id LIMIT 500`, regionPrefix(m.region(a))+"%")
	if err != nil {
		return nil, fmt.Errorf("hotline: disputes: %w", err)
	}
	defer rows.Close()
	var out []Dispute
	for rows.Next() {
		d, err := m.scanDispute(ctx, rows)
		if err != nil {
			return nil, fmt.Errorf("hotline: disputes: %w", err)
		}
		d.Title = pii.MaskText(d.Title)
		out = append(out, *d)
	}
	return out, rows.Err()
}
