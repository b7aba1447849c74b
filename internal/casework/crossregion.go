package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// Cross-region handling (跨域通办, 异地代收代办): a window clerk takes in an
// application for an item owned by another region (the item must allow
// it: catalog.Item.CrossRegion or its ScopeRegions, checked by Submit).
// The application's intake region is the receiving region, its region and
// department the owning ones. The receiving clerk checks the form and the
// applicant's identity and forwards it (Forward, the workflow's "forward"
// step to 待属地受理), recorded with the receiving region and department.
// 受理 is the owning locality's (国办发〔2020〕35号): its department signs
// for it, takes it in (受理, 容缺受理, 补正 or 不予受理, with the applicant's
// document) within the five working days of 行政许可法 第三十二条 counted
// from the forwarding, reviews and decides through the normal flow, and the
// result goes to the applicant by post or online.
//
// Who sees what: the policy of applications already grants window clerks
// the applications taken in within their region (Application.object uses
// the intake region as the object's region) and the owning department's
// staff the applications of their department, so both sides see the
// status with no extra rule; the receiving clerk cannot decide (deciding
// is for the owning department's approvers), and a third region's clerks
// cannot read it at all.

// Crossing is the record of a cross-region application's forwarding.
type Crossing struct {
	ApplicationID        int64     `json:"application_id"`
	ReceivedRegion       string    `json:"received_region"`
	ReceivedDepartmentID int64     `json:"received_department_id"`
	ReceivedBy           int64     `json:"-"`
	ReceivedByName       string    `json:"received_by_name"`
	OwningRegion         string    `json:"owning_region"`
	OwningDepartmentID   int64     `json:"owning_department_id"`
	FormChecked          bool      `json:"form_checked"`
	IdentityChecked      bool      `json:"identity_checked"`
	Note                 string    `json:"note,omitempty"`
	ForwardedAt          time.Time `json:"forwarded_at"`
	// AcknowledgedAt is when the owning department signed for the
	// forwarded application (签收); zero until then.
	AcknowledgedAt     time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy     int64     `json:"-"`
	AcknowledgedByName string    `json:"acknowledged_by_name,omitempty"`
}

// ForwardInput is the receiving clerk's check and forwarding.
type ForwardInput struct {
	FormChecked     bool   `json:"form_checked" doc:"The application form was checked (申请表已核对)"`
	IdentityChecked bool   `json:"identity_checked" doc:"The applicant's identity was checked against the original (身份已核验)"`
	Note            string `json:"note,omitempty" maxLength:"500"`
	// Delivery may change how the result is sent: a cross-region result
	// goes by post or online. Empty keeps the application's, which must
	// then be one of those.
	Delivery        Delivery `json:"delivery,omitempty" enum:"online,post,"`
	DeliveryAddress string   `json:"delivery_address,omitempty" maxLength:"300"`
	Version         int64    `json:"version,omitempty"`
}

// IsCrossRegion reports whether app was taken in outside its owning region.
func IsCrossRegion(app *Application) bool {
	return app.IntakeRegion != "" && !ids.RegionContains(app.RegionCode, app.IntakeRegion)
}

// Forward records the receiving window's check of a cross-region
// application and forwards it to the owning department: in one
// transaction the workflow's forward step, the forwarding record, an audit
// entry and an outbox event.
// Only a window clerk of the receiving region may, once, while the
// application awaits intake.
func (m *Module) Forward(ctx context.Context, a *auth.Actor, id int64, in ForwardInput) (*Application, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !IsCrossRegion(app) {
		return nil, &FieldError{Path: "application", Message: "本件不是跨域通办件 (not a cross-region application)"}
	}
	if !a.Has(auth.RoleClerk) || !ids.RegionContains(a.RegionCode, app.IntakeRegion) {
		return nil, ErrForbidden
	}
	var p problems
	if !in.FormChecked {
		p.Add("form_checked", "须核对申请表 (check the form)")
	}
	if !in.IdentityChecked {
		p.Add("identity_checked", "须核验申请人身份 (check the applicant's identity)")
	}
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > 500 {
		p.Add("note", "说明不超过500字 (at most 500 characters)")
	}
	delivery, addr := app.Delivery, app.DeliveryAddress
	if in.Delivery != "" {
		delivery, addr = in.Delivery, strings.TrimSpace(in.DeliveryAddress)
	}
	switch {
	case delivery != DeliverOnline && delivery != DeliverPost:
		p.Add("delivery", "跨域通办的结果须邮寄或网上送达 (the result goes by post or online)")
	case delivery == DeliverPost && (addr == "" || utf8.RuneCountInString(addr) > 300):
		p.Add("delivery_address", "邮寄送达须填写地址，不超过300字 (a postal address is required)")
	}
	if delivery != DeliverPost {
		addr = ""
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	owner := m.departmentName(ctx, app.DepartmentID)
	s := step{action: "forward", version: in.Version,
		comment: truncate("跨域代收：已核对申请表和申请人身份，转交"+owner+"受理。"+note, 2000)}
	var dept int64
	if len(a.DepartmentIDs) > 0 {
		dept = a.DepartmentIDs[0]
	}
	s.change = func(ctx context.Context, tx store.Tx, app *Application, _ *flow.Instance) error {
		if app.Delivery != delivery || app.DeliveryAddress != addr {
			app.Delivery, app.DeliveryAddress = delivery, addr
			if _, err := tx.ExecContext(ctx, `UPDATE casework_applications SET delivery = ?, delivery_address = ? WHERE id = ?`,
				delivery, addr, app.ID); err != nil {
				return fmt.Errorf("casework: forward %d: %w", app.ID, err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO casework_cross_region (application_id, received_region,
			received_department_id, received_by, received_by_name, owning_region, owning_department_id, form_checked,
			identity_checked, note, forwarded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, app.ID, app.IntakeRegion, dept,
			a.UserID, actorName(a), app.RegionCode, app.DepartmentID, true, true, note, m.now())
		if store.IsUniqueViolation(err) {
			return ErrState
		}
		if err != nil {
			return fmt.Errorf("casework: forward %d: %w", app.ID, err)
		}
		return nil
	}
	return m.run(ctx, a, id, s)
}

// Crossing returns the forwarding record of application id, if a may see
// the application; ErrNotFound when it was not forwarded.
func (m *Module) Crossing(ctx context.Context, a *auth.Actor, id int64) (*Crossing, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, err
	}
	var c Crossing
	var ack sql.NullTime
	err := m.d.DB.QueryRowContext(ctx, `SELECT application_id, received_region, received_department_id, received_by,
		received_by_name, owning_region, owning_department_id, form_checked, identity_checked, note, forwarded_at,
		acknowledged_at, acknowledged_by, acknowledged_by_name
		FROM casework_cross_region WHERE application_id = ?`, id).Scan(&c.ApplicationID, &c.ReceivedRegion,
		&c.ReceivedDepartmentID, &c.ReceivedBy, &c.ReceivedByName, &c.OwningRegion, &c.OwningDepartmentID,
		&c.FormChecked, &c.IdentityChecked, &c.Note, &c.ForwardedAt, &ack, &c.AcknowledgedBy, &c.AcknowledgedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("casework: crossing %d: %w", id, err)
	}
	c.ForwardedAt = c.ForwardedAt.UTC()
	if ack.Valid {
		c.AcknowledgedAt = ack.Time.UTC()
	}
	return &c, nil
}

// CrossRegionApp returns application id if a may read it and it is a
// cross-region one; ErrNotFound otherwise, as for any unreadable one.
func (m *Module) CrossRegionApp(ctx context.Context, a *auth.Actor, id int64) (*Application, error) {
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !IsCrossRegion(app) {
		return nil, ErrNotFound
	}
	return app, nil
}

// Acknowledge records that the owning department signed for a forwarded
// cross-region application (签收), so the receiving window sees that it
// arrived and the owner's list no longer shows it as waiting. Only the
// handlers and approvers of the owning department may, once, after the
// forwarding; an audit entry and an outbox event are written with it.
func (m *Module) Acknowledge(ctx context.Context, a *auth.Actor, id int64) (*Crossing, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	app, err := m.CrossRegionApp(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !a.HasAny(auth.RoleHandler, auth.RoleApprover) || !slices.Contains(a.DepartmentIDs, app.DepartmentID) {
		return nil, ErrForbidden
	}
	now := m.now()
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE casework_cross_region SET acknowledged_at = ?, acknowledged_by = ?,
			acknowledged_by_name = ? WHERE application_id = ? AND acknowledged_at IS NULL`, now, a.UserID, actorName(a), id)
		if err != nil {
			return fmt.Errorf("casework: acknowledge %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("casework: acknowledge %d: %w", id, err)
		} else if n == 0 {
			// Not forwarded yet, or already signed for.
			return ErrState
		}
		if _, err := m.d.Audit.Append(ctx, tx, auditEntry(a, "casework.cross_region.acknowledge", "casework_application",
			id, app.RegionCode, map[string]any{"number": app.Number, "received_region": app.IntakeRegion})); err != nil {
			return fmt.Errorf("casework: acknowledge %d: %w", id, err)
		}
		return outbox.Add(ctx, tx, now, TopicChanged, m.event(app, "acknowledge"))
	})
	if err != nil {
		return nil, err
	}
	return m.Crossing(ctx, a, id)
}

// CrossRegionApps lists the cross-region applications a may see: for a
// window clerk those taken in within their region, for a department's
// staff those their departments own; newest first, at most limit (the
// sample the page's figures by pair of regions are computed from).
func (m *Module) CrossRegionApps(ctx context.Context, a *auth.Actor, limit int) ([]Application, error) {
	out, _, err := m.CrossRegionPage(ctx, a, limit, store.Cursor{}, false)
	return out, err
}

// CrossRegionPage lists one keyset page of the cross-region applications a
// may see (as CrossRegionApps), after cursor after; with count, the count
// of the whole list bounded at store.CountBound.
func (m *Module) CrossRegionPage(ctx context.Context, a *auth.Actor, limit int, after store.Cursor, count bool) ([]Application, store.Page, error) {
	var ors []string
	var args []any
	if a.HasAny(auth.RoleClerk, auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "" {
		ors, args = append(ors, "intake_region LIKE ?"), append(args, regionPattern(a.RegionCode))
	}
	if a.HasAny(auth.RoleHandler, auth.RoleApprover) {
		for _, d := range a.DepartmentIDs {
			ors, args = append(ors, "department_id = ?"), append(args, d)
		}
	}
	if len(ors) == 0 {
		return nil, store.Page{}, nil
	}
	limit = min(max(limit, 1), 500)
	where := "intake_region <> region_code AND (" + strings.Join(ors, " OR ") + ")"
	var pg store.Page
	if count {
		var err error
		if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM casework_applications WHERE "+where, args...); err != nil {
			return nil, store.Page{}, fmt.Errorf("casework: cross-region list: %w", err)
		}
	}
	ks, kargs := store.Before("", "id", after)
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+appCols+" FROM casework_applications WHERE "+where+" AND "+ks+
		" ORDER BY id DESC LIMIT ?", append(append(args, kargs...), limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("casework: cross-region list: %w", err)
	}
	defer rows.Close()
	var out []Application
	for n := 0; rows.Next(); n++ {
		app, err := scanApp(rows)
		if err != nil {
			return nil, store.Page{}, fmt.Errorf("casework: cross-region list: %w", err)
		}
		if n == limit {
			pg.Next = store.Cursor{ID: app.ID + 1} // the page after starts at (and below) this row
			break
		}
		if !IsCrossRegion(app) || m.d.Policy.Authorize(a, auth.ActRead, app.object()) != nil {
			continue
		}
		out = append(out, *app)
	}
	return out, pg, rows.Err()
}

// forwarded returns which of the applications ids have been forwarded.
func (m *Module) forwarded(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT application_id FROM casework_cross_region WHERE application_id IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+")", args...)
	if err != nil {
		return nil, fmt.Errorf("casework: forwarded: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
