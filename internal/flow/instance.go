package flow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Status is where an instance stands overall.
type Status string

// The statuses.
const (
	StatusRunning Status = "running"
	StatusPaused  Status = "paused" // in a state whose clock pauses
	StatusDone    Status = "done"   // in an end state
)

// Instance is one case running on a definition. Zero times mean "none".
type Instance struct {
	ID                int64
	DefinitionKey     string
	DefinitionVersion int
	SubjectType       string
	SubjectID         int64
	Reference         string // the case number people quote, e.g. 12345 work order number
	Title             string // a short summary for inboxes
	RegionCode        string
	DepartmentIDs     []int64
	OwnerUserID       int64
	State             string
	Status            Status
	StartedAt         time.Time
	StateEnteredAt    time.Time
	StateDueAt        time.Time // the current state's limit; frozen while paused
	DueAt             time.Time // the overall limit
	PausedAt          time.Time
	PausedFrom        string // the state whose clock the pause stopped
	FinishedAt        time.Time
	Escalation        Level // the highest rung reached; it never goes down
	ExtendedDays      int   // working days granted by extensions in all
	Version           int64 // row version for optimistic concurrency

	actorRoles string
}

// Remaining returns the time left on the nearest deadline as of now
// (negative when overdue; frozen while paused), and false when no deadline
// runs.
func (in *Instance) Remaining(now time.Time) (time.Duration, bool) {
	due := in.nearestDue()
	if due.IsZero() || in.Status == StatusDone {
		return 0, false
	}
	if in.Status == StatusPaused && !in.PausedAt.IsZero() {
		now = in.PausedAt
	}
	return due.Sub(now), true
}

func (in *Instance) nearestDue() time.Time {
	switch {
	case in.StateDueAt.IsZero():
		return in.DueAt
	case in.DueAt.IsZero() || in.StateDueAt.Before(in.DueAt):
		return in.StateDueAt
	}
	return in.DueAt
}

const instanceCols = `id, def_key, def_version, subject_type, subject_id, reference, title, region_code, department_ids,
	owner_user_id, state, status, actor_roles, started_at, state_entered_at, state_due_at, due_at,
	paused_at, paused_from, finished_at, escalation_level, extended_days, row_version`

type scanner interface{ Scan(dest ...any) error }

func scanInstance(r scanner) (*Instance, error) {
	var in Instance
	var depts string
	var stateDue, due, paused, finished sql.NullTime
	err := r.Scan(&in.ID, &in.DefinitionKey, &in.DefinitionVersion, &in.SubjectType, &in.SubjectID,
		&in.Reference, &in.Title, &in.RegionCode, &depts, &in.OwnerUserID, &in.State, &in.Status, &in.actorRoles,
		&in.StartedAt, &in.StateEnteredAt, &stateDue, &due, &paused, &in.PausedFrom, &finished,
		&in.Escalation, &in.ExtendedDays, &in.Version)
	if err != nil {
		return nil, err
	}
	in.DepartmentIDs = store.ParseIDs(depts)
	in.StartedAt, in.StateEnteredAt = in.StartedAt.UTC(), in.StateEnteredAt.UTC()
	in.StateDueAt, in.DueAt, in.PausedAt, in.FinishedAt = store.TimeOf(stateDue), store.TimeOf(due), store.TimeOf(paused), store.TimeOf(finished)
	return &in, nil
}

// Instance returns the instance id.
func (e *Engine) Instance(ctx context.Context, id int64) (*Instance, error) {
	return e.instance(ctx, e.db, id)
}

func (e *Engine) instance(ctx context.Context, db store.IDB, id int64) (*Instance, error) {
	in, err := scanInstance(store.QueryRow(ctx, db, "SELECT "+instanceCols+" FROM flow_instances WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flow: instance %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flow: instance %d: %w", id, err)
	}
	return in, nil
}

// InstanceFor returns the latest instance running for a module's subject.
func (e *Engine) InstanceFor(ctx context.Context, db store.IDB, subjectType string, subjectID int64) (*Instance, error) {
	in, err := scanInstance(db.QueryRowContext(ctx, "SELECT "+instanceCols+
		" FROM flow_instances WHERE subject_type = ? AND subject_id = ? ORDER BY id DESC LIMIT 1", subjectType, subjectID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flow: instance for %s %d: %w", subjectType, subjectID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flow: instance for %s %d: %w", subjectType, subjectID, err)
	}
	return in, nil
}

// StartInput says what to start a workflow for.
type StartInput struct {
	DefinitionKey string // the latest version is used
	SubjectType   string // the module's case type, e.g. "hotline_order"
	SubjectID     int64
	Reference     string // the case number people quote; shown in inboxes
	Title         string // a short summary for inboxes (at most 200 characters)
	RegionCode    string // GB/T 2260 code of the region the case belongs to
	DepartmentIDs []int64
	OwnerUserID   int64 // the applicant or caller, 0 if none
	Actor         *auth.Actor
	// Comment is written on the start entry of the history, for what the
	// case began with that its module wants people to read there (how a
	// holder consented at the window, say).
	Comment string
}

// Start creates an instance in the start state of the latest version of
// in.DefinitionKey, in the caller's transaction tx, so that a module's case
// and its instance are created together.
func (e *Engine) Start(ctx context.Context, tx store.IDB, si StartInput) (*Instance, error) {
	if err := checkStart(&si); err != nil {
		return nil, err
	}
	def, err := e.definition(ctx, tx, si.DefinitionKey, 0)
	if err != nil {
		return nil, err
	}
	now := e.now()
	in, timers := starting(e.cal(), def, now)
	in.fill(&si)
	st := def.Start()
	err = store.QueryRow(ctx, tx, `INSERT INTO flow_instances (def_key, def_version, subject_type, subject_id, reference, title,
		region_code, department_ids, owner_user_id, state, status, actor_roles, started_at, state_entered_at,
		state_due_at, due_at, paused_at, paused_from, finished_at, escalation_level, extended_days, row_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 0, 0, 1) RETURNING id`,
		in.DefinitionKey, in.DefinitionVersion, in.SubjectType, in.SubjectID, in.Reference, in.Title, in.RegionCode,
		store.FormatIDs(in.DepartmentIDs), in.OwnerUserID, in.State, in.Status, in.actorRoles, now, now,
		store.Nullable(in.StateDueAt), store.Nullable(in.DueAt), store.Nullable(in.PausedAt)).Scan(&in.ID)
	if err != nil {
		return nil, fmt.Errorf("flow: start %s: %w", def.Key, err)
	}
	if err := syncWaits(ctx, tx, in, true); err != nil {
		return nil, fmt.Errorf("flow: start %s: waits: %w", def.Key, err)
	}
	if err := e.record(ctx, tx, in, "start", "", st.Key, si.Actor, nil, si.Comment, now); err != nil {
		return nil, fmt.Errorf("flow: start %s: %w", def.Key, err)
	}
	if err := insertTimers(ctx, tx, in.ID, timers); err != nil {
		return nil, fmt.Errorf("flow: start %s: %w", def.Key, err)
	}
	if err := e.Event(ctx, tx, now, TopicStarted, e.payload(in, "start", "", si.Actor)); err != nil {
		return nil, fmt.Errorf("flow: start %s: %w", def.Key, err)
	}
	if err := e.audit(ctx, tx, si.Actor, "flow.start", in, map[string]any{
		"definition": def.Key, "version": def.Version, "subject_type": in.SubjectType,
		"subject_id": in.SubjectID, "state": st.Key}); err != nil {
		return nil, fmt.Errorf("flow: start %s: %w", def.Key, err)
	}
	return in, nil
}

// checkStart checks what Start is asked that the definition does not
// decide.
func checkStart(si *StartInput) error {
	if si.SubjectType == "" {
		return &InputError{Action: "start", Problems: []InputProblem{{"subject_type", "缺少业务类型"}}}
	}
	if utf8.RuneCountInString(si.Title) > 200 || len(si.Reference) > 64 {
		return &InputError{Action: "start", Problems: []InputProblem{{"title", "标题不超过200字，编号不超过64字符"}}}
	}
	if ids.ValidateRegionCode(si.RegionCode) != nil {
		return &InputError{Action: "start", Problems: []InputProblem{{"region_code", "行政区划代码无效"}}}
	}
	return nil
}

// starting returns an instance of def entering its start state at now,
// without its subject, and the escalation timers that start with it. Both
// depend on def and now alone, so instances started together share them.
func starting(cal Calendar, def *Definition, now time.Time) (*Instance, []timer) {
	st := def.Start()
	in := &Instance{
		DefinitionKey: def.Key, DefinitionVersion: def.Version,
		State: st.Key, Status: StatusRunning, StartedAt: now, StateEnteredAt: now,
		actorRoles: def.roleColumn[st.Key], Version: 1,
	}
	var timers []timer
	if def.Limit != nil {
		in.DueAt = cal.Deadline(now, def.Limit.Calendar())
		timers = ladder(cal, def, OnOverall, "", now, in.DueAt, *def.Limit)
	}
	switch st.Clock {
	case ClockPause:
		in.Status, in.PausedAt = StatusPaused, now
	case ClockStop:
		in.DueAt, timers = time.Time{}, nil
	default:
		if st.Limit != nil {
			in.StateDueAt = cal.Deadline(now, st.Limit.Calendar())
			timers = append(timers, ladder(cal, def, OnState, st.Key, now, in.StateDueAt, *st.Limit)...)
		}
	}
	return in, timers
}

// fill sets in's subject from si.
func (in *Instance) fill(si *StartInput) {
	in.SubjectType, in.SubjectID, in.RegionCode = si.SubjectType, si.SubjectID, si.RegionCode
	in.Reference, in.Title = si.Reference, si.Title
	in.DepartmentIDs, in.OwnerUserID = slices.Clone(si.DepartmentIDs), si.OwnerUserID
}

// record inserts a history row.
func (e *Engine) record(ctx context.Context, tx store.IDB, in *Instance, action, from, to string,
	actor *auth.Actor, inputs map[string]string, comment string, now time.Time) error {
	js := "{}"
	if len(inputs) > 0 {
		b, err := json.Marshal(inputs)
		if err != nil {
			return err
		}
		js = string(b)
	}
	var id int64
	var name string
	if actor != nil {
		id, name = actor.UserID, actor.Name
	}
	_, err := store.Exec(ctx, tx, `INSERT INTO flow_history (instance_id, action, from_state, to_state,
		actor_id, actor_name, inputs, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, action, from, to, id, name, js, comment, now)
	return err
}

type eventPayload struct {
	InstanceID  int64  `json:"instance_id"`
	Definition  string `json:"definition"`
	Version     int    `json:"version"`
	SubjectType string `json:"subject_type"`
	SubjectID   int64  `json:"subject_id"`
	RegionCode  string `json:"region_code"`
	Action      string `json:"action"`
	From        string `json:"from,omitempty"`
	To          string `json:"to"`
	Status      Status `json:"status"`
	ActorID     int64  `json:"actor_id"`
	Level       string `json:"level,omitempty"`
}

func (e *Engine) payload(in *Instance, action, from string, actor *auth.Actor) eventPayload {
	p := eventPayload{InstanceID: in.ID, Definition: in.DefinitionKey, Version: in.DefinitionVersion,
		SubjectType: in.SubjectType, SubjectID: in.SubjectID, RegionCode: in.RegionCode,
		Action: action, From: from, To: in.State, Status: in.Status}
	if actor != nil {
		p.ActorID = actor.UserID
	}
	return p
}

// Transition is a request to take an action; Do is its short form.
type Transition struct {
	InstanceID int64
	// Version, when non-zero, is the row version the actor saw; a different
	// current version means someone else acted first (ErrConflict).
	Version int64
	Action  string
	Actor   *auth.Actor
	Inputs  map[string]string
	Comment string
}

// Do takes action on instance id for actor, in the caller's transaction tx.
func (e *Engine) Do(ctx context.Context, tx store.IDB, id int64, action string, actor *auth.Actor,
	inputs map[string]string, comment string) (*Instance, error) {
	return e.Apply(ctx, tx, Transition{InstanceID: id, Action: action, Actor: actor, Inputs: inputs, Comment: comment})
}

// Apply takes t.Action in tx: it checks that the action leaves the current
// state, that the actor holds an allowed role within scope and that the
// inputs are complete and well-typed; then it moves the instance, records the
// history, replaces the pending escalation timers and writes an outbox event
// and an audit entry. On any error nothing is written by the engine (the
// caller should roll tx back).
func (e *Engine) Apply(ctx context.Context, tx store.IDB, t Transition) (*Instance, error) {
	in, err := e.instance(ctx, tx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	if in.Status == StatusDone {
		return nil, fmt.Errorf("flow: instance %d: %s: %w", in.ID, t.Action, ErrFinished)
	}
	if t.Version != 0 && t.Version != in.Version {
		return nil, fmt.Errorf("flow: instance %d: saw version %d, now %d: %w", in.ID, t.Version, in.Version, ErrConflict)
	}
	def, err := e.definition(ctx, tx, in.DefinitionKey, in.DefinitionVersion)
	if err != nil {
		return nil, err
	}
	act := def.Action(t.Action)
	if act == nil || !slices.Contains(act.From, in.State) {
		return nil, fmt.Errorf("flow: instance %d: %q from state %q: %w", in.ID, t.Action, in.State, ErrNoSuchAction)
	}
	if !mayAct(t.Actor, act.Roles, in) {
		return nil, fmt.Errorf("flow: instance %d: %q by user %d: %w", in.ID, t.Action, actorID(t.Actor), ErrForbidden)
	}
	clean, err := checkInputs(act, t.Inputs, t.Comment)
	if err != nil {
		return nil, err
	}
	from := in.State
	now := e.now()
	ops := e.enter(def, in, def.State(act.To), now)
	in.actorRoles = def.roleColumn[in.State]
	res, err := store.Exec(ctx, tx, `UPDATE flow_instances SET state = ?, status = ?, actor_roles = ?,
		state_entered_at = ?, state_due_at = ?, due_at = ?, paused_at = ?, paused_from = ?, finished_at = ?,
		row_version = row_version + 1 WHERE id = ? AND row_version = ?`,
		in.State, in.Status, in.actorRoles, in.StateEnteredAt, store.Nullable(in.StateDueAt), store.Nullable(in.DueAt),
		store.Nullable(in.PausedAt), in.PausedFrom, store.Nullable(in.FinishedAt), in.ID, in.Version)
	if err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: %w", in.ID, t.Action, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, fmt.Errorf("flow: instance %d: %s: %w", in.ID, t.Action, ErrConflict)
	}
	in.Version++
	if err := syncWaits(ctx, tx, in, false); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: waits: %w", in.ID, t.Action, err)
	}
	if err := e.applyTimers(ctx, tx, in, ops); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: timers: %w", in.ID, t.Action, err)
	}
	if err := e.record(ctx, tx, in, act.Key, from, in.State, t.Actor, clean, t.Comment, now); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: history: %w", in.ID, t.Action, err)
	}
	if err := e.Event(ctx, tx, now, TopicTransition, e.payload(in, act.Key, from, t.Actor)); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: %w", in.ID, t.Action, err)
	}
	detail := map[string]any{"action": act.Key, "from": from, "to": in.State}
	if len(clean) > 0 {
		detail["inputs"] = clean
	}
	if t.Comment != "" {
		detail["comment"] = t.Comment
	}
	if err := e.audit(ctx, tx, t.Actor, "flow."+act.Key, in, detail); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: audit: %w", in.ID, t.Action, err)
	}
	return in, nil
}

// SetDepartments changes the departments handling instance id (for
// example after a dispatch), in tx. It is a change like any other: the row
// version moves on.
func (e *Engine) SetDepartments(ctx context.Context, tx store.IDB, id int64, depts []int64, actor *auth.Actor) error {
	in, err := e.instance(ctx, tx, id)
	if err != nil {
		return err
	}
	res, err := store.Exec(ctx, tx, `UPDATE flow_instances SET department_ids = ?, row_version = row_version + 1
		WHERE id = ? AND row_version = ?`, store.FormatIDs(depts), id, in.Version)
	if err != nil {
		return fmt.Errorf("flow: instance %d: set departments: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("flow: instance %d: set departments: %w", id, ErrConflict)
	}
	from := in.DepartmentIDs
	in.DepartmentIDs = slices.Clone(depts)
	if err := syncWaits(ctx, tx, in, false); err != nil {
		return fmt.Errorf("flow: instance %d: set departments: waits: %w", id, err)
	}
	return e.audit(ctx, tx, actor, "flow.set_departments", in, map[string]any{"from": from, "to": depts})
}

func actorID(a *auth.Actor) int64 {
	if a == nil {
		return 0
	}
	return a.UserID
}

// mayAct reports whether actor holds one of roles and, for that role, has
// the instance in scope: department staff their departments' cases, regional
// staff their region's, the public their own.
func mayAct(actor *auth.Actor, roles []auth.Role, in *Instance) bool {
	if actor == nil {
		return false
	}
	for _, r := range actor.Roles {
		if slices.Contains(roles, r) && inScope(actor, r, in) {
			return true
		}
	}
	return false
}

func inScope(actor *auth.Actor, r auth.Role, in *Instance) bool {
	switch scopeOf(r) {
	case scopeAll:
		return true
	case scopeDepartment:
		for _, d := range in.DepartmentIDs {
			if actor.InDepartment(d) {
				return true
			}
		}
		return false
	case scopeRegion:
		p := regionPrefix(actor.RegionCode)
		return p != "" && strings.HasPrefix(in.RegionCode, p)
	case scopeOwner:
		return actor.UserID != 0 && actor.UserID == in.OwnerUserID
	}
	return false
}

type scope int

const (
	scopeNone scope = iota
	scopeAll
	scopeDepartment
	scopeRegion
	scopeOwner
)

func scopeOf(r auth.Role) scope {
	switch r {
	case auth.RoleSystem:
		return scopeAll
	case auth.RoleHandler, auth.RoleApprover, auth.RoleInspector, auth.RoleLegal:
		return scopeDepartment
	case auth.RoleDispatcher, auth.RoleSupervisor, auth.RoleOperator, auth.RoleClerk, auth.RoleAdmin:
		return scopeRegion
	case auth.RoleCitizen, auth.RoleEnterprise:
		return scopeOwner
	}
	return scopeNone
}

// regionPrefix returns the prefix every region within code starts with
// ("44" for a province, "4403" for a city, the code itself for a county),
// or "" for a malformed code.
func regionPrefix(code string) string {
	if ids.ValidateRegionCode(code) != nil {
		return ""
	}
	switch ids.RegionLevel(code) {
	case 1:
		return code[:2]
	case 2:
		return code[:4]
	}
	return code
}

const maxText = 4000

// checkInputs validates inputs against a's declared inputs and returns the
// cleaned values (trimmed, empty optional ones dropped).
func checkInputs(a *Action, inputs map[string]string, comment string) (map[string]string, error) {
	var probs []InputProblem
	clean := map[string]string{}
	for k := range inputs {
		if !slices.ContainsFunc(a.Inputs, func(in Input) bool { return in.Key == k }) {
			probs = append(probs, InputProblem{k, "未定义的输入项"})
		}
	}
	for _, in := range a.Inputs {
		v := strings.TrimSpace(inputs[in.Key])
		if v == "" {
			if in.Required {
				probs = append(probs, InputProblem{in.Key, "必填"})
			}
			continue
		}
		if len(v) > maxText || !utf8.ValidString(v) {
			probs = append(probs, InputProblem{in.Key, "内容过长或编码无效"})
			continue
		}
		switch in.Type {
		case InputNumber:
			if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				probs = append(probs, InputProblem{in.Key, "应为数字"})
				continue
			}
		case InputDate:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				probs = append(probs, InputProblem{in.Key, "应为日期 (YYYY-MM-DD)"})
				continue
			}
		case InputChoice:
			if !slices.Contains(in.Options, v) {
				probs = append(probs, InputProblem{in.Key, "不在可选范围内"})
				continue
			}
		}
		clean[in.Key] = v
	}
	if a.CommentRequired && strings.TrimSpace(comment) == "" {
		probs = append(probs, InputProblem{"comment", "须填写意见"})
	}
	if len(comment) > maxText || !utf8.ValidString(comment) {
		probs = append(probs, InputProblem{"comment", "内容过长或编码无效"})
	}
	if len(probs) > 0 {
		slices.SortFunc(probs, func(x, y InputProblem) int { return strings.Compare(x.Key, y.Key) })
		return nil, &InputError{Action: a.Key, Problems: probs}
	}
	return clean, nil
}

// HistoryEntry is one recorded step of an instance.
type HistoryEntry struct {
	ID        int64
	Action    string // an action key, "start", "escalate", "extension_request", "extension_decide"
	From, To  string
	ActorID   int64
	ActorName string
	Inputs    map[string]string
	Comment   string
	At        time.Time
}

// History returns every recorded step of instance id, oldest first.
func (e *Engine) History(ctx context.Context, id int64) ([]HistoryEntry, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT id, action, from_state, to_state, actor_id, actor_name,
		inputs, comment, created_at FROM flow_history WHERE instance_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("flow: history %d: %w", id, err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		var js string
		if err := rows.Scan(&h.ID, &h.Action, &h.From, &h.To, &h.ActorID, &h.ActorName, &js, &h.Comment, &h.At); err != nil {
			return nil, fmt.Errorf("flow: history %d: %w", id, err)
		}
		if js != "" && js != "{}" {
			if err := json.Unmarshal([]byte(js), &h.Inputs); err != nil {
				return nil, fmt.Errorf("flow: history %d: inputs: %w", id, err)
			}
		}
		h.At = h.At.UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}
