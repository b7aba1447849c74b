package monitoring

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
)

// Alert is an open or closed alert: at most one is open per rule and device
// (the unique index monitoring_alerts_open holds the rule in the database).
type Alert struct {
	ID           int64
	RuleCode     string
	DeviceID     int64
	USCC         string
	DepartmentID int64
	RegionCode   string
	Grade        Grade
	Firings      int
	Opened       time.Time
	LastFired    time.Time
	Reason       string
	Acknowledged time.Time // zero until a staff member acknowledges it
	Closed       bool
	ClosedAt     time.Time
	CloseNote    string
	BusinessName string // the device's business, as registered
	// AckDue is when the alert is to be acknowledged by (zero for an alert
	// stored before the limits, until the overdue sweep sets it).
	AckDue time.Time
	// OverdueAt is when the limit was found passed unacknowledged; it
	// stays set once the alert is acknowledged late or closed.
	OverdueAt time.Time
}

// Action is a graded response to carry out for an alert: raised when an
// alert opens and again each time it escalates.
type Action struct {
	Alert Alert
	Grade Grade
}

// Event kinds of an alert's history.
const (
	EventRaised       = "raised"
	EventEscalated    = "escalated"
	EventAcknowledged = "acknowledged"
	EventClosed       = "closed"
	EventResponded    = "responded"
	EventOverdue      = "overdue"
)

// fold applies firings to the open alerts (rule|device → alert): a firing
// with no open alert opens one at the rule's grade (ID 0 until stored);
// further firings count, and every EscalateAfter further firings raise the
// grade one step (up to 检查). It returns the alerts due a response, in
// order, with the grade due, and every alert it changed.
func fold(rules map[string]Rule, open map[string]*Alert, fs []Firing) (due []*Alert, grades []Grade, touched []*Alert) {
	seen := map[*Alert]bool{}
	for _, f := range fs {
		rule, ok := rules[f.RuleCode]
		if !ok {
			continue
		}
		k := key(f.RuleCode, f.DeviceID)
		a := open[k]
		if a == nil {
			a = &Alert{RuleCode: f.RuleCode, DeviceID: f.DeviceID, USCC: f.USCC, Grade: rule.Grade,
				Firings: 1, Opened: f.At, LastFired: f.At, Reason: f.Explanation}
			open[k] = a
			due, grades = append(due, a), append(grades, a.Grade)
		} else {
			a.Firings++
			a.LastFired = f.At
			a.Reason = f.Explanation
			if rule.EscalateAfter > 0 && (a.Firings-1)%rule.EscalateAfter == 0 && a.Grade != GradeCheck {
				a.Grade = next(a.Grade)
				due, grades = append(due, a), append(grades, a.Grade)
			}
		}
		if !seen[a] {
			seen[a] = true
			touched = append(touched, a)
		}
	}
	return due, grades, touched
}

// Book keeps alerts in memory; the engine's unit tests use it. The
// service keeps them in the database (Store.ApplyFirings) with the same fold.
type Book struct {
	rules  map[string]Rule
	open   map[string]*Alert // rule|device → open alert
	all    []*Alert
	nextID int64
}

// NewBook returns an empty alert book for the rule set.
func NewBook(rs *RuleSet) *Book {
	return &Book{rules: rs.byCode(), open: map[string]*Alert{}}
}

func (rs *RuleSet) byCode() map[string]Rule {
	m := map[string]Rule{}
	for _, r := range rs.Rules {
		m[r.Code] = r
	}
	return m
}

func key(rule string, dev int64) string { return fmt.Sprintf("%s|%d", rule, dev) }

// Apply folds firings into alerts and returns the actions due.
func (b *Book) Apply(fs []Firing) []Action {
	due, grades, _ := fold(b.rules, b.open, fs)
	var acts []Action
	for i, a := range due {
		if a.ID == 0 {
			b.nextID++
			a.ID = b.nextID
			b.all = append(b.all, a)
		}
		acts = append(acts, Action{*a, grades[i]})
	}
	return acts
}

func next(g Grade) Grade {
	switch g {
	case GradeRemind:
		return GradeInterview
	default:
		return GradeCheck
	}
}

// checkNote refuses an empty note or one with control characters.
func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if note == "" || hasControl(note) || len([]rune(note)) > 1000 {
		return "", &FieldError{"note", "required, at most 1000 characters, no control characters"}
	}
	return note, nil
}

// Close closes an open alert with a note; a later firing opens a new one.
func (b *Book) Close(id int64, note string) error {
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	for k, a := range b.open {
		if a.ID == id {
			a.Closed, a.CloseNote = true, note
			delete(b.open, k)
			return nil
		}
	}
	return fmt.Errorf("monitoring: alert %d: not open", id)
}

// Open returns the open alerts.
func (b *Book) Open() []Alert {
	var out []Alert
	for _, a := range b.all {
		if !a.Closed {
			out = append(out, *a)
		}
	}
	return out
}

// ErrNotOpen is returned for acknowledging or closing an alert already closed.
var ErrNotOpen = errors.New("monitoring: alert is not open (预警已关闭)")

// ErrNotFound is returned for a device or alert that does not exist or
// that the caller may not see.
var ErrNotFound = errors.New("monitoring: not found")

const alertCols = `id, rule_code, device_id, uscc, department_id, region_code, grade, firings, opened_at, last_fired_at, reason,
	acknowledged_at, closed_at, close_note, ack_due_at, overdue_at,
	COALESCE((SELECT d.business_name FROM monitoring_devices d WHERE d.id = monitoring_alerts.device_id), '')`

func scanAlert(r interface{ Scan(...any) error }) (Alert, error) {
	var a Alert
	var ack, closed, due, overdue sql.NullTime
	err := r.Scan(&a.ID, &a.RuleCode, &a.DeviceID, &a.USCC, &a.DepartmentID, &a.RegionCode, &a.Grade, &a.Firings,
		&a.Opened, &a.LastFired, &a.Reason, &ack, &closed, &a.CloseNote, &due, &overdue, &a.BusinessName)
	a.Acknowledged, a.ClosedAt, a.Closed = store.TimeOf(ack), store.TimeOf(closed), closed.Valid
	a.AckDue, a.OverdueAt = store.TimeOf(due), store.TimeOf(overdue)
	a.Opened, a.LastFired = a.Opened.UTC(), a.LastFired.UTC()
	return a, err
}

// ApplyFirings folds firings into the stored alerts in tx and returns the
// actions due. The open alerts of the firings' devices are read once; new
// alerts are inserted (the unique index refuses a second open alert for a
// rule and device, should two nodes race), changed ones updated, and
// raising and escalation enter the history. Because the count of firings
// and the grade live in the row, an engine restarted from the database
// escalates exactly as the one before it would have.
func (s *Store) ApplyFirings(ctx context.Context, tx store.IDB, rules map[string]Rule, fs []Firing, devices map[int64]RegisteredDevice) ([]Action, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	open := map[string]*Alert{}
	devIDs := map[int64]bool{}
	for _, f := range fs {
		if devIDs[f.DeviceID] {
			continue
		}
		devIDs[f.DeviceID] = true
		rows, err := store.Query(ctx, tx, `SELECT `+alertCols+` FROM monitoring_alerts WHERE device_id = ? AND closed_at IS NULL`, f.DeviceID)
		if err != nil {
			return nil, fmt.Errorf("monitoring: open alerts: %w", err)
		}
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("monitoring: open alerts: %w", err)
			}
			open[key(a.RuleCode, a.DeviceID)] = &a
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("monitoring: open alerts: %w", err)
		}
	}
	was := map[*Alert]Grade{}
	for _, a := range open {
		was[a] = a.Grade
	}
	due, grades, touched := fold(rules, open, fs)
	for _, a := range touched {
		if a.ID == 0 {
			d := devices[a.DeviceID]
			a.DepartmentID, a.RegionCode = d.DepartmentID, d.RegionCode
			if s.AckDue != nil {
				a.AckDue = s.AckDue(a.Grade, a.Opened)
			}
			if err := store.QueryRow(ctx, tx, `INSERT INTO monitoring_alerts (rule_code, device_id, uscc, department_id, region_code, grade,
				firings, reason, opened_at, last_fired_at, ack_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				a.RuleCode, a.DeviceID, a.USCC, a.DepartmentID, a.RegionCode, string(a.Grade), a.Firings, a.Reason,
				store.Time(a.Opened), store.Time(a.LastFired), nullTime(a.AckDue)).Scan(&a.ID); err != nil {
				return nil, fmt.Errorf("monitoring: open alert %s on device %d: %w", a.RuleCode, a.DeviceID, err)
			}
			continue
		}
		// An escalation still unacknowledged runs the stronger grade's
		// limit from the escalation, but never later than the limit
		// already running.
		if a.Grade != was[a] && a.Acknowledged.IsZero() && s.AckDue != nil {
			if d := s.AckDue(a.Grade, a.LastFired); a.AckDue.IsZero() || d.Before(a.AckDue) {
				a.AckDue = d
			}
		}
		if _, err := store.Exec(ctx, tx, `UPDATE monitoring_alerts SET grade = ?, firings = ?, reason = ?, last_fired_at = ?, ack_due_at = ? WHERE id = ?`,
			string(a.Grade), a.Firings, a.Reason, store.Time(a.LastFired), nullTime(a.AckDue), a.ID); err != nil {
			return nil, fmt.Errorf("monitoring: update alert %d: %w", a.ID, err)
		}
	}
	acts := make([]Action, 0, len(due))
	for i, a := range due {
		kind := EventEscalated
		if a.Firings == 1 {
			kind = EventRaised
		}
		if err := addEvent(ctx, tx, a.ID, a.LastFired, kind, grades[i], 0, a.Reason); err != nil {
			return nil, err
		}
		acts = append(acts, Action{*a, grades[i]})
	}
	return acts, nil
}

func addEvent(ctx context.Context, tx store.IDB, alert int64, at time.Time, kind string, g Grade, user int64, note string) error {
	if _, err := store.Exec(ctx, tx, `INSERT INTO monitoring_alert_events (alert_id, at, kind, grade, user_id, note) VALUES (?, ?, ?, ?, ?, ?)`,
		alert, store.Time(at), kind, string(g), user, note); err != nil {
		return fmt.Errorf("monitoring: alert %d history: %w", alert, err)
	}
	return nil
}

// AlertEvent is one step of an alert's history.
type AlertEvent struct {
	At     time.Time
	Kind   string
	Grade  Grade
	UserID int64
	Note   string
}

// Alert returns alert id with its history.
func (s *Store) Alert(ctx context.Context, id int64) (Alert, []AlertEvent, error) {
	a, err := scanAlert(store.QueryRow(ctx, s.DB, `SELECT `+alertCols+` FROM monitoring_alerts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil, ErrNotFound
	}
	if err != nil {
		return a, nil, fmt.Errorf("monitoring: alert %d: %w", id, err)
	}
	rows, err := store.Query(ctx, s.DB, `SELECT at, kind, grade, user_id, note FROM monitoring_alert_events WHERE alert_id = ? ORDER BY id`, id)
	if err != nil {
		return a, nil, fmt.Errorf("monitoring: alert %d history: %w", id, err)
	}
	defer rows.Close()
	var evs []AlertEvent
	for rows.Next() {
		var e AlertEvent
		if err := rows.Scan(&e.At, &e.Kind, &e.Grade, &e.UserID, &e.Note); err != nil {
			return a, nil, fmt.Errorf("monitoring: alert %d history: %w", id, err)
		}
		e.At = e.At.UTC()
		evs = append(evs, e)
	}
	return a, evs, rows.Err()
}

// Acknowledge marks an open alert as seen by user (签收); acknowledging it
// again changes nothing.
func (s *Store) Acknowledge(ctx context.Context, id, user int64, now time.Time) error {
	return s.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		a, err := scanAlert(store.QueryRow(ctx, tx, `SELECT `+alertCols+` FROM monitoring_alerts WHERE id = ?`, id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return fmt.Errorf("monitoring: acknowledge %d: %w", id, err)
		case a.Closed:
			return ErrNotOpen
		case !a.Acknowledged.IsZero():
			return nil
		}
		// A late acknowledgement flags the alert overdue if the sweep
		// has not yet done so.
		if !a.AckDue.IsZero() && now.After(a.AckDue) && a.OverdueAt.IsZero() {
			a.OverdueAt = now
		}
		if _, err := store.Exec(ctx, tx, `UPDATE monitoring_alerts SET acknowledged_at = ?, acknowledged_by = ?, overdue_at = ? WHERE id = ?`,
			store.Time(now), user, nullTime(a.OverdueAt), id); err != nil {
			return fmt.Errorf("monitoring: acknowledge %d: %w", id, err)
		}
		return addEvent(ctx, tx, id, now, EventAcknowledged, a.Grade, user, "")
	})
}

// CloseAlert closes an open alert with a note (what was found or done); a
// later firing of its rule on its device opens a new alert.
func (s *Store) CloseAlert(ctx context.Context, id, user int64, note string, now time.Time) error {
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	return s.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var g Grade
		res, err := store.Exec(ctx, tx, `UPDATE monitoring_alerts SET closed_at = ?, closed_by = ?, close_note = ? WHERE id = ? AND closed_at IS NULL`,
			store.Time(now), user, note, id)
		if err != nil {
			return fmt.Errorf("monitoring: close %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := store.QueryRow(ctx, tx, `SELECT grade FROM monitoring_alerts WHERE id = ?`, id).Scan(&g); errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return ErrNotOpen
		}
		if err := store.QueryRow(ctx, tx, `SELECT grade FROM monitoring_alerts WHERE id = ?`, id).Scan(&g); err != nil {
			return fmt.Errorf("monitoring: close %d: %w", id, err)
		}
		return addEvent(ctx, tx, id, now, EventClosed, g, user, note)
	})
}

// Responder carries out graded responses inside the ingest transaction. A
// nil function skips that grade. A function may return a note (such as
// "no inspector in the department") that enters the alert's history.
type Responder struct {
	Remind     func(ctx context.Context, tx store.IDB, a Alert) error
	Interview  func(ctx context.Context, tx store.IDB, a Alert) error
	RaiseCheck func(ctx context.Context, tx store.IDB, a visit.Assignment) error
}

// CheckAssignment is the inspection assignment a 检查 response raises.
func CheckAssignment(a Alert, departmentID int64, now time.Time) visit.Assignment {
	return visit.Assignment{
		Source:       visit.SourceMonitoring,
		TaskRef:      fmt.Sprintf("monitoring-alert-%d", a.ID),
		ItemCode:     "monitoring:" + a.RuleCode,
		ItemName:     "智能监测预警核查",
		DepartmentID: departmentID,
		USCC:         a.USCC,
		WindowFrom:   now,
		WindowTo:     now.AddDate(0, 0, 14),
		Reason:       a.Reason,
	}
}

// Respond carries out one action for a device of departmentID.
func (r Responder) Respond(ctx context.Context, tx store.IDB, departmentID int64, act Action, now time.Time) error {
	a := act.Alert
	switch act.Grade {
	case GradeRemind:
		if r.Remind != nil {
			return r.Remind(ctx, tx, a)
		}
	case GradeInterview:
		if r.Interview != nil {
			return r.Interview(ctx, tx, a)
		}
	case GradeCheck:
		if r.RaiseCheck != nil {
			return r.RaiseCheck(ctx, tx, CheckAssignment(a, departmentID, now))
		}
	}
	return nil
}
