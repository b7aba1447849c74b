package monitoring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the policy kind of devices and their alerts.
const ObjectKind = "monitoring_device"

// TopicRemind is the outbox topic of a 提醒: notify tells the business's
// users (in the app, as a risk prompt).
const TopicRemind = "monitoring.remind"

// Deps are the services the module uses.
type Deps struct {
	DB     *store.DB
	Policy *auth.Policy
	Audit  *audit.Log
	Org    *org.Service
	// Business returns the register's name and region of a business
	// (ErrNotFound when it is not registered).
	Business func(ctx context.Context, uscc string) (name, region string, err error)
	// Assign hands a 检查 to the visit module (visit.Service.Assign).
	Assign func(ctx context.Context, tx store.IDB, as []visit.Assignment) error
	// Rules is the rule file in force (JSON); nil keeps the national
	// default embedded in the program.
	Rules []byte
	// Calendar returns the working-day calendar the acknowledgement limits
	// are counted on; nil counts on the official arrangements shipped.
	Calendar func() *calendar.Calendar
	Log      *slog.Logger
	Now      func() time.Time
}

// Module is monitoring with its pages and ingest API.
type Module struct {
	d        Deps
	s        *web.Server
	store    *Store
	svc      *Service
	rules    *RuleSet
	national *RuleSet
}

// PolicyRules: department staff read their departments' devices and
// alerts, handlers and approvers register devices and manage their tokens,
// handlers, approvers and inspectors acknowledge and close alerts;
// supervisors and administrators read those of their region; a business
// reads its own (the risk prompts).
func PolicyRules() auth.KindRules {
	dept, reg, own := auth.ScopeDepartment, auth.ScopeRegion, auth.ScopeOwn
	return auth.KindRules{
		auth.ActRead: {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleInspector: dept, auth.RoleLegal: dept,
			auth.RoleSupervisor: reg, auth.RoleAdmin: reg, auth.RoleEnterprise: own},
		auth.ActCreate: {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAct:    {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleInspector: dept},
	}
}

// New returns the module: it validates the rule file strictly and
// registers its policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Policy == nil || d.Org == nil {
		return nil, errors.New("monitoring: database, policy and org are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Calendar == nil {
		official := calendar.New(calendar.Official())
		d.Calendar = func() *calendar.Calendar { return official }
	}
	national, err := DefaultRules()
	if err != nil {
		return nil, err
	}
	rs := national
	if d.Rules != nil {
		if rs, err = ParseRules(d.Rules); err != nil {
			return nil, fmt.Errorf("monitoring rules: %w", err)
		}
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("monitoring: %w", err)
	}
	m := &Module{d: d, rules: rs, national: national}
	m.store = &Store{DB: d.DB, AckDue: m.ackDue}
	m.svc = NewService(m.store, rs, Responder{Remind: m.remind, Interview: m.interview, RaiseCheck: m.raiseCheck})
	m.svc.Now, m.svc.Log = d.Now, d.Log
	return m, nil
}

// Service returns the ingest service (the benchmark and the demo use it).
func (m *Module) Service() *Service { return m.svc }

// Rules returns the rule set in force.
func (m *Module) Rules() *RuleSet { return m.rules }

// Run sweeps for offline devices and for alerts past their
// acknowledgement limit every interval until ctx ends.
func (m *Module) Run(ctx context.Context, every time.Duration) error {
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if n, err := m.SweepOverdue(ctx); err != nil && ctx.Err() == nil {
				m.d.Log.Warn("monitoring overdue sweep", "err", err)
			} else if n > 0 {
				m.d.Log.Info("monitoring overdue sweep", "overdue", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return m.svc.Run(ctx, every)
}

func (m *Module) remind(ctx context.Context, tx store.IDB, a Alert) error {
	return outbox.Add(ctx, tx, m.d.Now(), TopicRemind, map[string]any{
		"uscc": a.USCC, "alert_id": a.ID, "link": "/monitoring/mine",
		"title": "监测风险提示", "title_en": "Monitoring risk prompt",
		"body": "贵单位的监测设备出现异常，请及时自查整改：" + a.Reason, "body_en": "A monitoring device of your business reported an anomaly; please check and correct it.",
	})
}

// interview records a 约谈 the department is to hold with the business.
func (m *Module) interview(ctx context.Context, tx store.IDB, a Alert) error {
	if _, err := store.Exec(ctx, tx, `INSERT INTO monitoring_interviews (alert_id, department_id, uscc, reason, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (alert_id) DO NOTHING`, a.ID, a.DepartmentID, a.USCC, a.Reason, store.Time(m.d.Now())); err != nil {
		return fmt.Errorf("monitoring: interview record for alert %d: %w", a.ID, err)
	}
	return nil
}

// raiseCheck assigns a visit to the department's inspectors (the first
// two by account) through the visit module.
func (m *Module) raiseCheck(ctx context.Context, tx store.IDB, as visit.Assignment) error {
	if m.d.Assign == nil {
		return &Skipped{"未接入现场检查模块"}
	}
	us, _, err := m.d.Org.ListUsers(ctx, org.UserFilter{Role: auth.RoleInspector, DepartmentID: as.DepartmentID, Status: org.StatusActive,
		Page: org.Page{Number: 1, Size: 2}})
	if err != nil {
		return fmt.Errorf("monitoring: inspectors of department %d: %w", as.DepartmentID, err)
	}
	if len(us) == 0 {
		return &Skipped{"本部门无执法人员，检查未能派发"}
	}
	for _, u := range us {
		as.InspectorUserIDs = append(as.InspectorUserIDs, u.ID)
	}
	if err := m.d.Assign(ctx, tx, []visit.Assignment{as}); err != nil {
		return err
	}
	return nil
}

func deviceObject(d RegisteredDevice) auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: d.RegionCode, DepartmentIDs: []int64{d.DepartmentID}, OwnerUSCC: d.USCC}
}

func alertObject(a Alert) auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: a.RegionCode, DepartmentIDs: []int64{a.DepartmentID}, OwnerUSCC: a.USCC}
}

// scope is the SQL condition selecting the rows (with department_id,
// region_code and uscc columns) actor a may read, by the policy's grants:
// false for an actor with no read grant.
func (m *Module) scope(a *auth.Actor) (string, []any) {
	if a == nil {
		return "1 = 0", nil
	}
	if a.Has(auth.RoleSystem) {
		return "1 = 1", nil
	}
	grants := PolicyRules()[auth.ActRead]
	var conds []string
	var args []any
	for _, r := range a.Roles {
		s, ok := grants[r]
		if !ok {
			continue
		}
		if s&auth.ScopeRegion != 0 && a.RegionCode != "" {
			switch ids.RegionLevel(a.RegionCode) {
			case 1:
				conds, args = append(conds, "region_code LIKE ?"), append(args, a.RegionCode[:2]+"%")
			case 2:
				conds, args = append(conds, "region_code LIKE ?"), append(args, a.RegionCode[:4]+"%")
			default:
				conds, args = append(conds, "region_code = ?"), append(args, a.RegionCode)
			}
		}
		if s&auth.ScopeDepartment != 0 && len(a.DepartmentIDs) > 0 {
			ph := strings.TrimSuffix(strings.Repeat("?, ", len(a.DepartmentIDs)), ", ")
			conds = append(conds, "department_id IN ("+ph+")")
			for _, id := range a.DepartmentIDs {
				args = append(args, id)
			}
		}
		if s&auth.ScopeOwn != 0 && a.Has(auth.RoleEnterprise) && a.USCC != "" {
			conds, args = append(conds, "uscc = ?"), append(args, a.USCC)
		}
	}
	if len(conds) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// DeviceFilter selects devices for a list.
type DeviceFilter struct {
	Query  string // part of the business's name or its code
	Cursor store.Cursor
	Limit  int
}

// Devices lists the devices a may read, newest first, by keyset.
func (m *Module) Devices(ctx context.Context, a *auth.Actor, f DeviceFilter) ([]RegisteredDevice, store.Cursor, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 30
	}
	cond, args := m.scope(a)
	q := `SELECT ` + deviceCols + ` FROM monitoring_devices WHERE ` + cond
	if f.Query != "" {
		q += ` AND (business_name LIKE ? OR uscc LIKE ?)`
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(f.Query) + "%"
		args = append(args, like, strings.ToUpper(like))
	}
	kc, ka := store.Before("", "id", f.Cursor)
	q += ` AND ` + kc + ` ORDER BY id DESC LIMIT ?`
	args = append(append(args, ka...), f.Limit+1)
	rows, err := store.Query(ctx, m.d.DB, q, args...)
	if err != nil {
		return nil, store.Cursor{}, fmt.Errorf("monitoring: devices: %w", err)
	}
	defer rows.Close()
	var out []RegisteredDevice
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, store.Cursor{}, fmt.Errorf("monitoring: devices: %w", err)
		}
		out = append(out, d)
	}
	var next store.Cursor
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = store.Cursor{ID: out[len(out)-1].ID}
	}
	return out, next, rows.Err()
}

// GetDevice returns device id if a may read it (ErrNotFound otherwise).
func (m *Module) GetDevice(ctx context.Context, a *auth.Actor, id int64) (RegisteredDevice, error) {
	return m.device(ctx, a, auth.ActRead, id)
}

func (m *Module) device(ctx context.Context, a *auth.Actor, act auth.Action, id int64) (RegisteredDevice, error) {
	d, err := m.store.Device(ctx, id)
	if err != nil {
		return d, err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, deviceObject(d)) != nil {
		return d, ErrNotFound
	}
	if act != auth.ActRead && m.d.Policy.Authorize(a, act, deviceObject(d)) != nil {
		return d, auth.ErrForbidden
	}
	return d, nil
}

// DeviceKinds are the device kinds the rules know, in the form's order.
func (m *Module) DeviceKinds() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range m.rules.Rules {
		if !seen[r.DeviceKind] {
			seen[r.DeviceKind] = true
			out = append(out, r.DeviceKind)
		}
	}
	return out
}

// RegisterDevice registers a device for a business in the region of the
// actor's department and returns it with its token, shown once.
func (m *Module) RegisterDevice(ctx context.Context, a *auth.Actor, deptID int64, uscc, kind, location, unit string) (RegisteredDevice, string, error) {
	var d RegisteredDevice
	if deptID == 0 && a != nil && len(a.DepartmentIDs) > 0 {
		deptID = a.DepartmentIDs[0]
	}
	dept, err := m.d.Org.Department(ctx, deptID)
	if err != nil || dept == nil {
		return d, "", &FieldError{"department_id", "unknown department"}
	}
	obj := auth.Object{Kind: ObjectKind, RegionCode: dept.RegionCode, DepartmentIDs: []int64{deptID}}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, obj); err != nil {
		return d, "", auth.ErrForbidden
	}
	uscc = ids.NormalizeUSCC(strings.TrimSpace(uscc))
	if err := ids.ValidateUSCC(uscc); err != nil {
		return d, "", &FieldError{"uscc", "not a valid unified social credit code"}
	}
	known := false
	for _, k := range m.DeviceKinds() {
		known = known || k == kind
	}
	if !known {
		return d, "", &FieldError{"kind", "unknown device kind"}
	}
	if len([]rune(location)) > 100 || len([]rune(unit)) > 20 {
		return d, "", &FieldError{"location", "too long"}
	}
	name, region, err := m.d.Business(ctx, uscc)
	if err != nil {
		return d, "", &FieldError{"uscc", "not in the register"}
	}
	if region != dept.RegionCode && !ids.RegionContains(dept.RegionCode, region) {
		return d, "", &FieldError{"uscc", "the business is outside the department's region"}
	}
	now := m.d.Now()
	d, tok, err := m.store.Register(ctx, RegisteredDevice{Device: Device{USCC: uscc, Kind: kind}, DepartmentID: deptID,
		Location: strings.TrimSpace(location), Unit: strings.TrimSpace(unit), BusinessName: name, RegionCode: region}, now)
	if err != nil {
		return d, "", err
	}
	m.record(ctx, a, "monitoring.device_register", d)
	return d, tok, nil
}

func (m *Module) record(ctx context.Context, a *auth.Actor, action string, d RegisteredDevice) {
	if m.d.Audit == nil || a == nil {
		return
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Audit.AppendNow(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: action,
			ObjectType: ObjectKind, ObjectID: strconv.FormatInt(d.ID, 10), RegionCode: d.RegionCode,
			Detail: map[string]any{"uscc": d.USCC, "kind": d.Kind}})
		return err
	})
	if err != nil {
		m.d.Log.Warn("monitoring audit", "action", action, "err", err)
	}
}

// RevokeDevice revokes device id's token.
func (m *Module) RevokeDevice(ctx context.Context, a *auth.Actor, id int64) error {
	d, err := m.device(ctx, a, auth.ActCreate, id)
	if err != nil {
		return err
	}
	if err := m.store.Revoke(ctx, id); err != nil {
		return err
	}
	m.record(ctx, a, "monitoring.token_revoke", d)
	return nil
}

// ReissueToken gives device id a new token, shown once.
func (m *Module) ReissueToken(ctx context.Context, a *auth.Actor, id int64) (string, error) {
	d, err := m.device(ctx, a, auth.ActCreate, id)
	if err != nil {
		return "", err
	}
	tok, err := m.store.Reissue(ctx, id)
	if err != nil {
		return "", err
	}
	m.record(ctx, a, "monitoring.token_issue", d)
	return tok, nil
}

// State is an alert's standing in the department's work, as lists filter it.
type State string

// The states a list may ask for.
const (
	StateOpen         State = "open"         // not closed
	StatePending      State = "pending"      // open, not yet acknowledged (待签收)
	StateAcknowledged State = "acknowledged" // open and acknowledged
	StateOverdue      State = "overdue"      // open, unacknowledged, past its limit
	StateClosed       State = "closed"
	StateAll          State = "all"
)

// States lists the states in the filter's order.
var States = []State{StateOpen, StatePending, StateAcknowledged, StateOverdue, StateClosed, StateAll}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// AlertFilter selects alerts for the queue.
type AlertFilter struct {
	Grade Grade // empty: every grade
	// State selects by standing; empty means open, or closed when Closed.
	State  State
	Closed bool
	USCC   string
	Device int64
	// From and To bound when the alert was raised: From ≤ opened < To;
	// a zero bound is open.
	From, To time.Time
	Cursor   store.Cursor
	Limit    int
}

// Alerts lists the alerts a may read, latest firing first, by keyset.
func (m *Module) Alerts(ctx context.Context, a *auth.Actor, f AlertFilter) ([]Alert, store.Cursor, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = 30
	}
	cond, args := m.scope(a)
	q := `SELECT ` + alertCols + ` FROM monitoring_alerts WHERE ` + cond
	st := f.State
	if st == "" {
		st = StateOpen
		if f.Closed {
			st = StateClosed
		}
	}
	switch st {
	case StateOpen:
		q += ` AND closed_at IS NULL`
	case StatePending:
		q += ` AND closed_at IS NULL AND acknowledged_at IS NULL`
	case StateAcknowledged:
		q += ` AND closed_at IS NULL AND acknowledged_at IS NOT NULL`
	case StateOverdue:
		q, args = q+` AND closed_at IS NULL AND acknowledged_at IS NULL AND ack_due_at < ?`, append(args, store.Time(m.d.Now()))
	case StateClosed:
		q += ` AND closed_at IS NOT NULL`
	case StateAll:
	default:
		return nil, store.Cursor{}, &FieldError{"state", "unknown state"}
	}
	if f.Grade != "" {
		q, args = q+` AND grade = ?`, append(args, string(f.Grade))
	}
	if f.USCC != "" {
		q, args = q+` AND uscc = ?`, append(args, f.USCC)
	}
	if f.Device != 0 {
		q, args = q+` AND device_id = ?`, append(args, f.Device)
	}
	if !f.From.IsZero() {
		q, args = q+` AND opened_at >= ?`, append(args, store.Time(f.From))
	}
	if !f.To.IsZero() {
		q, args = q+` AND opened_at < ?`, append(args, store.Time(f.To))
	}
	kc, ka := store.Before("last_fired_at", "id", f.Cursor)
	q += ` AND ` + kc + ` ORDER BY last_fired_at DESC, id DESC LIMIT ?`
	args = append(append(args, ka...), f.Limit+1)
	rows, err := store.Query(ctx, m.d.DB, q, args...)
	if err != nil {
		return nil, store.Cursor{}, fmt.Errorf("monitoring: alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		al, err := scanAlert(rows)
		if err != nil {
			return nil, store.Cursor{}, fmt.Errorf("monitoring: alerts: %w", err)
		}
		out = append(out, al)
	}
	var next store.Cursor
	if len(out) > f.Limit {
		out = out[:f.Limit]
		l := out[len(out)-1]
		next = store.Cursor{At: l.LastFired, ID: l.ID}
	}
	return out, next, rows.Err()
}

// CountOpen returns the open alerts a may read, by grade.
func (m *Module) CountOpen(ctx context.Context, a *auth.Actor) (map[Grade]int, error) {
	cond, args := m.scope(a)
	rows, err := store.Query(ctx, m.d.DB, `SELECT grade, COUNT(*) FROM monitoring_alerts WHERE closed_at IS NULL AND `+cond+` GROUP BY grade`, args...)
	if err != nil {
		return nil, fmt.Errorf("monitoring: count alerts: %w", err)
	}
	defer rows.Close()
	out := map[Grade]int{}
	for rows.Next() {
		var g Grade
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, fmt.Errorf("monitoring: count alerts: %w", err)
		}
		out[g] = n
	}
	return out, rows.Err()
}

// CountOverdue returns the open alerts a may read that are past their
// acknowledgement limit unacknowledged.
func (m *Module) CountOverdue(ctx context.Context, a *auth.Actor) (int, error) {
	cond, args := m.scope(a)
	var n int
	err := store.QueryRow(ctx, m.d.DB, `SELECT COUNT(*) FROM monitoring_alerts WHERE closed_at IS NULL AND acknowledged_at IS NULL
		AND ack_due_at < ? AND `+cond, append([]any{store.Time(m.d.Now())}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("monitoring: count overdue alerts: %w", err)
	}
	return n, nil
}

// AlertView is an alert with its history and interview record.
type AlertView struct {
	Alert
	Events    []AlertEvent
	Interview *Interview
	Device    RegisteredDevice
	Due       time.Time // acknowledge by
}

// Interview is a 约谈 record of the department.
type Interview struct {
	ID      int64
	Reason  string
	Created time.Time
}

// Overdue reports whether the alert is open, unacknowledged and past its limit at now.
func (v AlertView) Overdue(now time.Time) bool {
	return !v.Closed && v.Acknowledged.IsZero() && now.After(v.Due)
}

// Due returns when an alert is to be acknowledged by: the limit stored
// with it, or, for one stored before the limits, its grade's limit from
// when it opened.
func (m *Module) Due(a Alert) time.Time {
	if !a.AckDue.IsZero() {
		return a.AckDue
	}
	return m.ackDue(a.Grade, a.Opened)
}

// ackDue counts grade g's acknowledgement limit from since on the calendar.
func (m *Module) ackDue(g Grade, since time.Time) time.Time {
	return m.d.Calendar().Deadline(since, m.rules.AckLimit(g))
}

// GetAlert returns alert id if a may read it.
func (m *Module) GetAlert(ctx context.Context, a *auth.Actor, id int64) (*AlertView, error) {
	al, evs, err := m.store.Alert(ctx, id)
	if err != nil {
		return nil, err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, alertObject(al)) != nil {
		return nil, ErrNotFound
	}
	v := &AlertView{Alert: al, Events: evs, Due: m.Due(al)}
	if v.Device, err = m.store.Device(ctx, al.DeviceID); err != nil {
		return nil, err
	}
	var iv Interview
	err = store.QueryRow(ctx, m.d.DB, `SELECT id, reason, created_at FROM monitoring_interviews WHERE alert_id = ?`, id).Scan(&iv.ID, &iv.Reason, &iv.Created)
	if err == nil {
		v.Interview = &iv
	}
	return v, nil
}

// Acknowledge acknowledges alert id for a.
func (m *Module) Acknowledge(ctx context.Context, a *auth.Actor, id int64) error {
	if err := m.mayAct(ctx, a, id); err != nil {
		return err
	}
	return m.store.Acknowledge(ctx, id, a.UserID, m.d.Now())
}

// Close closes alert id for a with a note.
func (m *Module) Close(ctx context.Context, a *auth.Actor, id int64, note string) error {
	if err := m.mayAct(ctx, a, id); err != nil {
		return err
	}
	return m.store.CloseAlert(ctx, id, a.UserID, note, m.d.Now())
}

func (m *Module) mayAct(ctx context.Context, a *auth.Actor, id int64) error {
	al, _, err := m.store.Alert(ctx, id)
	if err != nil {
		return err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, alertObject(al)) != nil {
		return ErrNotFound
	}
	if m.d.Policy.Authorize(a, auth.ActAct, alertObject(al)) != nil {
		return auth.ErrForbidden
	}
	return nil
}

// RuleView is a rule in force with how it stands against the national
// default: "same", "changed" (a province's override) or "added"; national
// rules a province's file leaves out are listed as "removed".
type RuleView struct {
	Rule
	Status   string
	National *Rule
}

// RuleViews compares the rules in force with the national default.
func (m *Module) RuleViews() []RuleView {
	nat := m.national.byCode()
	var out []RuleView
	inForce := map[string]bool{}
	for _, r := range m.rules.Rules {
		inForce[r.Code] = true
		v := RuleView{Rule: r, Status: "added"}
		if n, ok := nat[r.Code]; ok {
			v.National = &n
			v.Status = "same"
			if fmt.Sprintf("%+v", ruleKey(n)) != fmt.Sprintf("%+v", ruleKey(r)) {
				v.Status = "changed"
			}
		}
		out = append(out, v)
	}
	for _, n := range m.national.Rules {
		if !inForce[n.Code] {
			out = append(out, RuleView{Rule: n, Status: "removed"})
		}
	}
	return out
}

// ruleKey is a rule with its bounds dereferenced, for comparison.
func ruleKey(r Rule) any {
	deref := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	return struct {
		R        Rule
		Min, Max string
	}{Rule{Code: r.Code, Name: r.Name, DeviceKind: r.DeviceKind, Kind: r.Kind, Metric: r.Metric, CompareMetric: r.CompareMetric,
		MaxDropPerHour: r.MaxDropPerHour, GapMinutes: r.GapMinutes, Grade: r.Grade, EscalateAfter: r.EscalateAfter}, deref(r.Min), deref(r.Max)}
}

// National returns the national default rule set.
func (m *Module) National() *RuleSet { return m.national }
