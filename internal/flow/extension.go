package flow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// ExtensionStatus is where an extension request stands.
type ExtensionStatus string

// The extension statuses.
const (
	ExtensionPending ExtensionStatus = "pending"
	ExtensionGranted ExtensionStatus = "granted"
	ExtensionRefused ExtensionStatus = "refused"
)

// Extension is a request for more working days (延期) and its decision.
type Extension struct {
	ID              int64
	InstanceID      int64
	Days            int // requested
	Reason          string
	RequestedBy     int64
	RequestedByName string
	RequestedAt     time.Time
	Status          ExtensionStatus
	GrantedDays     int
	DecidedBy       int64
	DecidedByName   string
	DecidedAt       time.Time
	DecisionReason  string
}

// RequestExtension asks, in tx, for days more working days on instance id.
// The definition's extension policy decides who may ask and how many days
// a case may be given in all; a request must come before the deadline and
// only one may be pending at a time.
func (e *Engine) RequestExtension(ctx context.Context, tx store.IDB, id int64, days int, reason string,
	actor *auth.Actor) (*Extension, error) {
	in, def, err := e.open(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	pol := def.Extension
	if pol == nil {
		return nil, fmt.Errorf("flow: instance %d: definition %q allows no extensions: %w", id, def.Key, ErrExtensionNotAllowed)
	}
	if !mayAct(actor, pol.RequestRoles, in) {
		return nil, fmt.Errorf("flow: instance %d: request extension by user %d: %w", id, actorID(actor), ErrForbidden)
	}
	var probs []InputProblem
	if days < 1 || in.ExtendedDays+days > pol.MaxDays {
		probs = append(probs, InputProblem{"days", fmt.Sprintf("延期天数须为1至%d%s", pol.MaxDays-in.ExtendedDays, dayWord(pol))})
	}
	if strings.TrimSpace(reason) == "" || len(reason) > maxText {
		probs = append(probs, InputProblem{"reason", "须填写延期理由"})
	}
	if len(probs) > 0 {
		return nil, &InputError{Action: "extension_request", Problems: probs}
	}
	now := e.now()
	if due := in.nearestDue(); in.Status == StatusRunning && !due.IsZero() && now.After(due) {
		return nil, fmt.Errorf("flow: instance %d: extension asked after the deadline: %w", id, ErrExtensionNotAllowed)
	}
	var pending int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_extensions WHERE instance_id = ? AND status = ?",
		id, ExtensionPending).Scan(&pending); err != nil {
		return nil, fmt.Errorf("flow: instance %d: request extension: %w", id, err)
	}
	if pending > 0 {
		return nil, fmt.Errorf("flow: instance %d: an extension request is already pending: %w", id, ErrExtensionNotAllowed)
	}
	x := &Extension{InstanceID: id, Days: days, Reason: reason, RequestedBy: actor.UserID,
		RequestedByName: actor.Name, RequestedAt: now, Status: ExtensionPending}
	if err := tx.QueryRowContext(ctx, `INSERT INTO flow_extensions (instance_id, days, reason, requested_by,
		requested_by_name, requested_at, status, granted_days, decided_by, decided_by_name, decided_at, decision_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL, '', NULL, '') RETURNING id`,
		id, days, reason, actor.UserID, actor.Name, now, x.Status).Scan(&x.ID); err != nil {
		return nil, fmt.Errorf("flow: instance %d: request extension: %w", id, err)
	}
	if err := e.extensionRecord(ctx, tx, in, x, actor, "extension_request", reason, now); err != nil {
		return nil, err
	}
	return x, nil
}

// DecideExtension grants or refuses, in tx, the pending extension request
// xid. A grant of days working days (0: as requested, never more) moves the
// current state's deadline and the overall deadline, and every pending
// escalation, by that many working days (calendar days, when the policy's
// unit is CalendarDays: the deadlines are then counted on from the old ones
// and again moved off a day off). A refusal needs a reason and
// changes no deadline.
func (e *Engine) DecideExtension(ctx context.Context, tx store.IDB, xid int64, actor *auth.Actor,
	grant bool, days int, reason string) (*Extension, error) {
	x, err := extension(ctx, tx, xid)
	if err != nil {
		return nil, err
	}
	if x.Status != ExtensionPending {
		return nil, fmt.Errorf("flow: extension %d: already %s: %w", xid, x.Status, ErrExtensionNotAllowed)
	}
	in, def, err := e.open(ctx, tx, x.InstanceID)
	if err != nil {
		return nil, err
	}
	if def.Extension == nil || !mayAct(actor, def.Extension.GrantRoles, in) {
		return nil, fmt.Errorf("flow: extension %d: decide by user %d: %w", xid, actorID(actor), ErrForbidden)
	}
	if days == 0 {
		days = x.Days
	}
	switch {
	case grant && (days < 1 || days > x.Days):
		return nil, &InputError{Action: "extension_decide", Problems: []InputProblem{{"days", fmt.Sprintf("批准天数须为1至%d%s", x.Days, dayWord(def.Extension))}}}
	case !grant && strings.TrimSpace(reason) == "":
		return nil, &InputError{Action: "extension_decide", Problems: []InputProblem{{"reason", "不予延期须说明理由"}}}
	case len(reason) > maxText:
		return nil, &InputError{Action: "extension_decide", Problems: []InputProblem{{"reason", "内容过长"}}}
	}
	now := e.now()
	x.Status, x.DecidedBy, x.DecidedByName, x.DecidedAt, x.DecisionReason = ExtensionRefused, actor.UserID, actor.Name, now, reason
	if grant {
		x.Status, x.GrantedDays = ExtensionGranted, days
		cal := e.cal()
		add := func(t time.Time) time.Time { return cal.AddWorkingDays(t, days) }
		if def.Extension.DayUnit() == CalendarDays {
			add = func(t time.Time) time.Time {
				return cal.Deadline(t, calendar.Limit{N: days, Unit: calendar.CalendarDays})
			}
		}
		if !in.StateDueAt.IsZero() {
			in.StateDueAt = store.Time(add(in.StateDueAt))
		}
		if !in.DueAt.IsZero() {
			in.DueAt = store.Time(add(in.DueAt))
		}
		in.ExtendedDays += days
		res, err := tx.ExecContext(ctx, `UPDATE flow_instances SET state_due_at = ?, due_at = ?, extended_days = ?,
			row_version = row_version + 1 WHERE id = ? AND row_version = ?`,
			store.Nullable(in.StateDueAt), store.Nullable(in.DueAt), in.ExtendedDays, in.ID, in.Version)
		if err != nil {
			return nil, fmt.Errorf("flow: extension %d: %w", xid, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil, fmt.Errorf("flow: extension %d: %w", xid, ErrConflict)
		}
		in.Version++
		if err := syncWaits(ctx, tx, in, false); err != nil {
			return nil, fmt.Errorf("flow: extension %d: waits: %w", xid, err)
		}
		if err := e.moveTimers(ctx, tx, in.ID, func(t timer) time.Time {
			if def.Extension.DayUnit() == CalendarDays {
				return t.fireAt.AddDate(0, 0, days)
			}
			return cal.AddWorkingDays(t.fireAt, days)
		}); err != nil {
			return nil, fmt.Errorf("flow: extension %d: timers: %w", xid, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE flow_extensions SET status = ?, granted_days = ?, decided_by = ?,
		decided_by_name = ?, decided_at = ?, decision_reason = ? WHERE id = ?`,
		x.Status, x.GrantedDays, x.DecidedBy, x.DecidedByName, now, reason, xid); err != nil {
		return nil, fmt.Errorf("flow: extension %d: %w", xid, err)
	}
	if err := e.extensionRecord(ctx, tx, in, x, actor, "extension_decide", reason, now); err != nil {
		return nil, err
	}
	return x, nil
}

// dayWord names the unit of x's days in Chinese.
func dayWord(x *ExtensionPolicy) string {
	if x.DayUnit() == CalendarDays {
		return "日"
	}
	return "个工作日"
}

// open loads a running instance and its definition.
func (e *Engine) open(ctx context.Context, tx store.IDB, id int64) (*Instance, *Definition, error) {
	in, err := e.instance(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	if in.Status == StatusDone {
		return nil, nil, fmt.Errorf("flow: instance %d: %w", id, ErrFinished)
	}
	def, err := e.definition(ctx, tx, in.DefinitionKey, in.DefinitionVersion)
	if err != nil {
		return nil, nil, err
	}
	return in, def, nil
}

func (e *Engine) extensionRecord(ctx context.Context, tx store.IDB, in *Instance, x *Extension,
	actor *auth.Actor, action, comment string, now time.Time) error {
	inputs := map[string]string{"extension_id": strconv.FormatInt(x.ID, 10), "days": strconv.Itoa(x.Days),
		"status": string(x.Status)}
	if x.Status == ExtensionGranted {
		inputs["granted_days"] = strconv.Itoa(x.GrantedDays)
		// Until when: the history line of a grant says the new deadline.
		if due := in.nearestDue(); !due.IsZero() {
			inputs["due_at"] = due.UTC().Format(time.RFC3339)
		}
	}
	if err := e.record(ctx, tx, in, action, in.State, in.State, actor, inputs, comment, now); err != nil {
		return fmt.Errorf("flow: instance %d: %s: history: %w", in.ID, action, err)
	}
	p := struct {
		eventPayload
		Extension   int64           `json:"extension_id"`
		ExtStatus   ExtensionStatus `json:"extension_status"`
		Days        int             `json:"days"`
		GrantedDays int             `json:"granted_days"`
		StateDueAt  *time.Time      `json:"state_due_at,omitempty"`
		DueAt       *time.Time      `json:"due_at,omitempty"`
	}{eventPayload: e.payload(in, action, in.State, actor), Extension: x.ID, ExtStatus: x.Status,
		Days: x.Days, GrantedDays: x.GrantedDays}
	if !in.StateDueAt.IsZero() {
		p.StateDueAt = &in.StateDueAt
	}
	if !in.DueAt.IsZero() {
		p.DueAt = &in.DueAt
	}
	if err := e.Event(ctx, tx, now, TopicExtension, p); err != nil {
		return fmt.Errorf("flow: instance %d: %s: %w", in.ID, action, err)
	}
	return e.audit(ctx, tx, actor, "flow."+action, in, map[string]any{"extension_id": x.ID,
		"days": x.Days, "granted_days": x.GrantedDays, "status": x.Status, "reason": comment})
}

func extension(ctx context.Context, db store.IDB, id int64) (*Extension, error) {
	var x Extension
	var decidedBy sql.NullInt64
	var decidedAt sql.NullTime
	err := db.QueryRowContext(ctx, `SELECT id, instance_id, days, reason, requested_by, requested_by_name,
		requested_at, status, granted_days, decided_by, decided_by_name, decided_at, decision_reason
		FROM flow_extensions WHERE id = ?`, id).Scan(&x.ID, &x.InstanceID, &x.Days, &x.Reason,
		&x.RequestedBy, &x.RequestedByName, &x.RequestedAt, &x.Status, &x.GrantedDays, &decidedBy,
		&x.DecidedByName, &decidedAt, &x.DecisionReason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flow: extension %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flow: extension %d: %w", id, err)
	}
	x.RequestedAt, x.DecidedBy, x.DecidedAt = x.RequestedAt.UTC(), decidedBy.Int64, store.TimeOf(decidedAt)
	return &x, nil
}

// Extensions lists the extension requests of instance id, oldest first.
func (e *Engine) Extensions(ctx context.Context, id int64) ([]Extension, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT id FROM flow_extensions WHERE instance_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("flow: extensions of %d: %w", id, err)
	}
	var xids []int64
	for rows.Next() {
		var xid int64
		if err := rows.Scan(&xid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("flow: extensions of %d: %w", id, err)
		}
		xids = append(xids, xid)
	}
	rows.Close()
	var out []Extension
	for _, xid := range xids {
		x, err := extension(ctx, e.db, xid)
		if err != nil {
			return nil, err
		}
		out = append(out, *x)
	}
	return out, nil
}
