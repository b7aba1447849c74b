// Package flow is the workflow engine every module runs its cases on: a case
// moves through the states of a definition by actions that only some roles
// may take, against time limits counted in working days or hours, with clock
// pauses, extensions and the 三单一函 escalation ladder.
//
// Definitions are data (JSON embedded by each module, loadable by an
// administrator as a new version). Instances keep the version they started
// on. One transition is one transaction: the instance row, its history, its
// timers, an outbox event and an audit entry are written together, in the
// caller's transaction, so a module's own change commits or fails with it.
package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
)

// ErrInvalidDefinition is wrapped by every *DefinitionError.
var ErrInvalidDefinition = errors.New("flow: invalid definition")

// DefinitionError lists every problem found in a definition, so an
// administrator fixes them in one round instead of one per upload.
type DefinitionError struct {
	Key      string
	Problems []string
}

func (e *DefinitionError) Error() string {
	return fmt.Sprintf("flow: definition %q: %d problem(s):\n  %s",
		e.Key, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// Unwrap lets errors.Is(err, ErrInvalidDefinition) match.
func (e *DefinitionError) Unwrap() error { return ErrInvalidDefinition }

// StateKind says where a state sits in the flow.
type StateKind string

// The kinds of state.
const (
	StartState  StateKind = "start"
	NormalState StateKind = "normal"
	EndState    StateKind = "end"
)

// Clock says what the time limits do while a case is in a state.
type Clock string

// The clock modes.
const (
	// ClockRun counts time against the limits (the default).
	ClockRun Clock = "run"
	// ClockPause stops counting until the case leaves the state; the
	// deadlines then move by the time spent (补正, 容缺 waiting, 中止).
	ClockPause Clock = "pause"
	// ClockStop ends counting: pending escalations are dropped and the
	// overall limit no longer applies (the default for end states).
	ClockStop Clock = "stop"
)

// Unit is the unit of a limit as definitions spell it.
type Unit string

// The units a definition may use.
const (
	WorkDays Unit = "workdays"
	Hours    Unit = "hours"
	Minutes  Unit = "minutes"
	// CalendarDays are days (日) as 行政处罚法 counts its longer periods:
	// from the day after the event, every day, the last day moved off a day
	// off (calendar.Calendar.AddCalendarDays).
	CalendarDays Unit = "days"
)

// Limit is a time limit: N working days, calendar days, hours or minutes.
type Limit struct {
	N    int  `json:"n"`
	Unit Unit `json:"unit"`
}

// Calendar returns the limit in the calendar package's terms.
func (l Limit) Calendar() calendar.Limit {
	switch l.Unit {
	case WorkDays, "working_days":
		return calendar.Limit{N: l.N, Unit: calendar.WorkingDays}
	case Hours:
		return calendar.Limit{N: l.N, Unit: calendar.Hours}
	case Minutes:
		return calendar.Limit{N: l.N, Unit: calendar.Minutes}
	case CalendarDays:
		return calendar.Limit{N: l.N, Unit: calendar.CalendarDays}
	}
	return calendar.Limit{N: l.N, Unit: calendar.Unit(l.Unit)}
}

// String returns the limit as users read it, e.g. "5个工作日".
func (l Limit) String() string { return l.Calendar().String() }

func (l Limit) check() string {
	switch l.Unit {
	case WorkDays, "working_days", Hours, Minutes, CalendarDays:
	default:
		return fmt.Sprintf("unknown unit %q (want workdays, days, hours or minutes)", l.Unit)
	}
	// Zero working days is the same day (当日, as an on-the-spot item
	// promises: calendar.AddWorkingDays ends it at the close of the day it
	// started); zero hours or minutes would be due at once.
	if l.N < 0 || (l.N == 0 && l.Unit != WorkDays && l.Unit != "working_days") {
		return fmt.Sprintf("limit %d %s must be positive", l.N, l.Unit)
	}
	return ""
}

// State is one state of a definition.
type State struct {
	Key    string    `json:"key"`
	Name   string    `json:"name"`
	NameEn string    `json:"name_en,omitempty"`
	Kind   StateKind `json:"kind,omitempty"`
	Clock  Clock     `json:"clock,omitempty"`
	// Limit, when set, bounds the time a case may spend in this state,
	// counted from entering it.
	Limit *Limit `json:"limit,omitempty"`
}

// InputType is the type of an action input.
type InputType string

// The input types.
const (
	InputText   InputType = "text"
	InputNumber InputType = "number"
	InputDate   InputType = "date" // YYYY-MM-DD
	InputChoice InputType = "choice"
)

// Input is a value an actor supplies with an action.
type Input struct {
	Key      string    `json:"key"`
	Name     string    `json:"name,omitempty"`
	NameEn   string    `json:"name_en,omitempty"`
	Type     InputType `json:"type"`
	Options  []string  `json:"options,omitempty"`
	Required bool      `json:"required,omitempty"`
}

// Action moves a case from one of its From states to To.
type Action struct {
	Key             string      `json:"key"`
	Name            string      `json:"name"`
	NameEn          string      `json:"name_en,omitempty"`
	From            []string    `json:"from"`
	To              string      `json:"to"`
	Roles           []auth.Role `json:"roles"`
	Inputs          []Input     `json:"inputs,omitempty"`
	CommentRequired bool        `json:"comment_required,omitempty"`
}

// Allows reports whether a holder of any of roles may take the action.
func (a *Action) Allows(roles []auth.Role) bool {
	for _, r := range roles {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// Level is a rung of the escalation ladder (三单一函). Zero means none.
type Level int

// The rungs, in order.
const (
	LevelNone      Level = 0
	LevelRemind    Level = 1 // 提醒单
	LevelSupervise Level = 2 // 督办单
	LevelTimeboxed Level = 3 // 限时督办单
	LevelHandover  Level = 4 // 移交函
)

var levelKeys = []string{"", "remind", "supervise", "timeboxed", "handover"}
var levelNames = []string{"", "提醒单", "督办单", "限时督办单", "移交函"}

// String returns the level's key ("remind" …).
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelKeys) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return levelKeys[l]
}

// Name returns the level's Chinese name ("提醒单" …).
func (l Level) Name() string {
	if l < 0 || int(l) >= len(levelNames) {
		return l.String()
	}
	return levelNames[l]
}

// MarshalText writes the level's key.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads a level key.
func (l *Level) UnmarshalText(b []byte) error {
	i := slices.Index(levelKeys, string(b))
	if i <= 0 {
		return fmt.Errorf("unknown escalation level %q (want remind, supervise, timeboxed or handover)", b)
	}
	*l = Level(i)
	return nil
}

// The limits an escalation rule may hang on.
const (
	OnState   = "state"
	OnOverall = "overall"
)

// Rule is one rung of a definition's escalation ladder: it fires when Share
// of the limit is used, or OverdueDays working days after the limit ran out.
type Rule struct {
	Level       Level   `json:"level"`
	Share       float64 `json:"share,omitempty"`
	OverdueDays int     `json:"overdue_days,omitempty"`
	On          string  `json:"on"`
}

// ExtensionPolicy says who may ask for and grant more time (延期), and how
// many days in all a case may be given: working days, unless Unit is
// CalendarDays (a limit the law gives in days, such as the 90 days to
// decide a penalty case, is extended in days: 行政处罚法 第六十条).
type ExtensionPolicy struct {
	RequestRoles []auth.Role `json:"request_roles"`
	GrantRoles   []auth.Role `json:"grant_roles"`
	MaxDays      int         `json:"max_days"`
	Unit         Unit        `json:"unit,omitempty"`
}

// DayUnit returns the unit extension days are counted in.
func (x *ExtensionPolicy) DayUnit() Unit {
	if x != nil && x.Unit == CalendarDays {
		return CalendarDays
	}
	return WorkDays
}

// Definition is one version of a workflow.
type Definition struct {
	Key        string           `json:"key"`
	Version    int              `json:"version,omitempty"`
	Name       string           `json:"name"`
	NameEn     string           `json:"name_en,omitempty"`
	Limit      *Limit           `json:"limit,omitempty"`
	States     []State          `json:"states"`
	Actions    []Action         `json:"actions"`
	Escalation []Rule           `json:"escalation,omitempty"`
	Extension  *ExtensionPolicy `json:"extension,omitempty"`

	// Derived on Parse.
	states     map[string]*State
	actions    map[string]*Action
	start      *State
	roleColumn map[string]string // state → ",role1,role2," of its actions
}

// State returns the state named key, or nil.
func (d *Definition) State(key string) *State { return d.states[key] }

// Action returns the action named key, or nil.
func (d *Definition) Action(key string) *Action { return d.actions[key] }

// Start returns the start state.
func (d *Definition) Start() *State { return d.start }

// ActionsFrom returns the actions that leave state, in definition order.
func (d *Definition) ActionsFrom(state string) []*Action {
	var as []*Action
	for i := range d.Actions {
		if slices.Contains(d.Actions[i].From, state) {
			as = append(as, &d.Actions[i])
		}
	}
	return as
}

// Parse decodes and validates a definition. A definition with problems is
// refused with a *DefinitionError listing all of them.
func Parse(raw []byte) (*Definition, error) {
	var d Definition
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, &DefinitionError{Problems: []string{"not valid JSON: " + err.Error()}}
	}
	if probs := d.validate(); len(probs) > 0 {
		return nil, &DefinitionError{Key: d.Key, Problems: probs}
	}
	return &d, nil
}

func validRole(r auth.Role) bool { return r.Valid() || r == auth.RoleSystem }

// validate fills the derived fields and returns every problem found.
func (d *Definition) validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if d.Key == "" {
		add("key is empty")
	}
	if d.Name == "" {
		add("name is empty")
	}
	if d.Limit != nil {
		if s := d.Limit.check(); s != "" {
			add("overall limit: %s", s)
		}
	}
	d.states = map[string]*State{}
	d.actions = map[string]*Action{}
	d.start = nil
	var starts []string
	for i := range d.States {
		s := &d.States[i]
		if s.Key == "" {
			add("state #%d: key is empty", i+1)
			continue
		}
		if _, dup := d.states[s.Key]; dup {
			add("state %q: duplicate key", s.Key)
			continue
		}
		d.states[s.Key] = s
		if s.Name == "" {
			add("state %q: name is empty", s.Key)
		}
		switch s.Kind {
		case "":
			s.Kind = NormalState
		case StartState, NormalState, EndState:
		default:
			add("state %q: unknown kind %q (want start, normal or end)", s.Key, s.Kind)
		}
		if s.Kind == StartState {
			starts = append(starts, s.Key)
			d.start = s
		}
		switch s.Clock {
		case "":
			s.Clock = ClockRun
			if s.Kind == EndState {
				s.Clock = ClockStop
			}
		case ClockRun, ClockPause, ClockStop:
		default:
			add("state %q: unknown clock %q (want run, pause or stop)", s.Key, s.Clock)
		}
		if s.Limit != nil {
			if msg := s.Limit.check(); msg != "" {
				add("state %q: %s", s.Key, msg)
			}
			if s.Clock != ClockRun || s.Kind == EndState {
				add("state %q: has a limit but its clock does not run", s.Key)
			}
		}
	}
	switch len(starts) {
	case 0:
		add("no start state")
	case 1:
	default:
		add("several start states: %s", strings.Join(starts, ", "))
		d.start = nil
	}
	hasEnd := false
	for _, s := range d.States {
		hasEnd = hasEnd || s.Kind == EndState
	}
	if !hasEnd {
		add("no end state")
	}

	for i := range d.Actions {
		a := &d.Actions[i]
		if a.Key == "" {
			add("action #%d: key is empty", i+1)
			continue
		}
		if _, dup := d.actions[a.Key]; dup {
			add("action %q: duplicate key", a.Key)
			continue
		}
		d.actions[a.Key] = a
		if a.Name == "" {
			add("action %q: name is empty", a.Key)
		}
		if len(a.From) == 0 {
			add("action %q: no from states", a.Key)
		}
		for _, f := range a.From {
			s, ok := d.states[f]
			switch {
			case !ok:
				add("action %q: unknown from state %q", a.Key, f)
			case s.Kind == EndState:
				add("action %q: leaves end state %q (end states have no outgoing actions)", a.Key, f)
			}
		}
		if _, ok := d.states[a.To]; !ok {
			add("action %q: unknown to state %q", a.Key, a.To)
		}
		if len(a.Roles) == 0 {
			add("action %q: no roles allowed", a.Key)
		}
		for _, r := range a.Roles {
			if !validRole(r) {
				add("action %q: unknown role %q", a.Key, r)
			}
		}
		seen := map[string]bool{}
		for _, in := range a.Inputs {
			switch {
			case in.Key == "":
				add("action %q: input with empty key", a.Key)
			case seen[in.Key]:
				add("action %q: input %q: duplicate key", a.Key, in.Key)
			}
			seen[in.Key] = true
			switch in.Type {
			case InputText, InputNumber, InputDate:
				if len(in.Options) > 0 {
					add("action %q: input %q: options only apply to choice inputs", a.Key, in.Key)
				}
			case InputChoice:
				if len(in.Options) == 0 {
					add("action %q: input %q: choice without options", a.Key, in.Key)
				}
			default:
				add("action %q: input %q: unknown type %q (want text, number, date or choice)", a.Key, in.Key, in.Type)
			}
		}
	}

	// Reachability from the start, and a way to an end from every state.
	if d.start != nil {
		reach := map[string]bool{d.start.Key: true}
		for queue := []string{d.start.Key}; len(queue) > 0; queue = queue[1:] {
			for _, a := range d.Actions {
				if slices.Contains(a.From, queue[0]) && d.states[a.To] != nil && !reach[a.To] {
					reach[a.To] = true
					queue = append(queue, a.To)
				}
			}
		}
		for _, s := range d.States {
			if s.Key != "" && !reach[s.Key] {
				reach[s.Key] = true // report once
				add("state %q: unreachable from start state %q", s.Key, d.start.Key)
			}
		}
	}
	ends := map[string]bool{}
	var queue []string
	for _, s := range d.States {
		if s.Kind == EndState && s.Key != "" {
			ends[s.Key] = true
			queue = append(queue, s.Key)
		}
	}
	for ; len(queue) > 0; queue = queue[1:] {
		for _, a := range d.Actions {
			if a.To != queue[0] {
				continue
			}
			for _, f := range a.From {
				if d.states[f] != nil && !ends[f] {
					ends[f] = true
					queue = append(queue, f)
				}
			}
		}
	}
	if hasEnd {
		for _, s := range d.States {
			if s.Key != "" && !ends[s.Key] {
				ends[s.Key] = true // report once
				add("state %q: no path to an end state", s.Key)
			}
		}
	}

	// The escalation ladder: levels in order, thresholds in order per limit.
	hasStateLimit := false
	for _, s := range d.States {
		hasStateLimit = hasStateLimit || s.Limit != nil
	}
	var prevLevel Level
	type threshold struct {
		overdue bool
		value   float64
	}
	prev := map[string]*threshold{}
	for i, r := range d.Escalation {
		name := fmt.Sprintf("escalation #%d (%s)", i+1, r.Level)
		if r.Level < LevelRemind || r.Level > LevelHandover {
			add("%s: unknown level", name)
		} else if r.Level <= prevLevel {
			add("%s: levels out of order (each rung must be above the one before)", name)
		}
		prevLevel = max(prevLevel, r.Level)
		switch r.On {
		case OnState:
			if !hasStateLimit {
				add("%s: hangs on state limits but no state has one", name)
			}
		case OnOverall:
			if d.Limit == nil {
				add("%s: hangs on the overall limit but the definition has none", name)
			}
		default:
			add("%s: on must be state or overall, not %q", name, r.On)
		}
		var t threshold
		switch {
		case r.Share != 0 && r.OverdueDays != 0:
			add("%s: give a share or overdue days, not both", name)
			continue
		case r.Share != 0:
			if r.Share <= 0 || r.Share > 1 || math.IsNaN(r.Share) {
				add("%s: share %v must be above 0 and at most 1", name, r.Share)
				continue
			}
			t = threshold{value: r.Share}
		case r.OverdueDays != 0:
			if r.OverdueDays < 0 {
				add("%s: overdue days %d must be positive", name, r.OverdueDays)
				continue
			}
			t = threshold{overdue: true, value: float64(r.OverdueDays)}
		default:
			add("%s: no threshold (give a share of the limit or overdue days)", name)
			continue
		}
		if q := prev[r.On]; q != nil && (q.overdue && !t.overdue || q.overdue == t.overdue && t.value <= q.value) {
			add("%s: threshold out of order (must come after the previous rung on the %s limit)", name, r.On)
		}
		prev[r.On] = &t
	}

	if x := d.Extension; x != nil {
		if len(x.RequestRoles) == 0 || len(x.GrantRoles) == 0 {
			add("extension: request_roles and grant_roles are both required")
		}
		for _, r := range slices.Concat(x.RequestRoles, x.GrantRoles) {
			if !validRole(r) {
				add("extension: unknown role %q", r)
			}
		}
		if x.MaxDays <= 0 {
			add("extension: max_days %d must be positive", x.MaxDays)
		}
		switch x.Unit {
		case "", WorkDays, CalendarDays:
		default:
			add("extension: unknown unit %q (want workdays or days)", x.Unit)
		}
	}

	d.roleColumn = map[string]string{}
	for _, s := range d.States {
		var roles []string
		for _, a := range d.ActionsFrom(s.Key) {
			for _, r := range a.Roles {
				if !slices.Contains(roles, string(r)) {
					roles = append(roles, string(r))
				}
			}
		}
		slices.Sort(roles)
		if len(roles) > 0 {
			d.roleColumn[s.Key] = "," + strings.Join(roles, ",") + ","
		}
	}
	return p
}

// canonical returns the definition's body as stored: re-encoded JSON without
// the version, so that whitespace or key order alone never makes a version.
func (d *Definition) canonical() []byte {
	c := *d
	c.Version = 0
	b, err := json.Marshal(&c)
	if err != nil {
		panic("flow: marshal definition: " + err.Error()) // plain data, cannot fail
	}
	return b
}

// engineActions names the history entries the engine writes itself.
var engineActions = map[string][2]string{
	"start":             {"创建", "Created"},
	"escalate":          {"超时督办", "Escalated"},
	"extension_request": {"申请延期", "Extension requested"},
	"extension_decide":  {"延期决定", "Extension decided"},
	"add_info":          {"补充信息", "Information added"},
	ActionUrge:          {"催办", "Reminder by a supervisor"},
	ActionOrder:         {"督办单", "Supervision order"},
	ActionAnswer:        {"督办反馈", "Answer to a supervision order"},
	ActionComment:       {"督办意见", "Supervisor's comment"},
	ActionInterview:     {"约谈", "Interview"},
}

// ActionLabel returns the display name of action key in lang ("en" for
// English, Chinese otherwise): an action of d, or one of the entries the
// engine writes itself (start, escalate, extension_request, …). An unknown
// key is returned as it is.
func (d *Definition) ActionLabel(key, lang string) string {
	if a := d.Action(key); a != nil {
		return label(lang, a.Name, a.NameEn)
	}
	if n, ok := engineActions[key]; ok {
		return label(lang, n[0], n[1])
	}
	return key
}

// StateLabel returns the display name of state key in lang, or key itself
// when d has no such state.
func (d *Definition) StateLabel(key, lang string) string {
	if s := d.State(key); s != nil {
		return label(lang, s.Name, s.NameEn)
	}
	return key
}

func label(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}
