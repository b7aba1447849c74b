package monitoring

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
)

// Alert is an open or closed alert: at most one is open per rule and device.
type Alert struct {
	ID        int64
	RuleCode  string
	DeviceID  int64
	USCC      string
	Grade     Grade
	Firings   int
	Opened    time.Time
	LastFired time.Time
	Reason    string
	Closed    bool
	CloseNote string
}

// Action is a graded response to carry out for an alert: raised when an
// alert opens and again each time it escalates.
type Action struct {
	Alert Alert
	Grade Grade
}

// Book keeps the alerts and deduplicates firings into them.
type Book struct {
	rules  map[string]Rule
	open   map[string]*Alert // rule|device → open alert
	all    []*Alert
	nextID int64
}

// NewBook returns an empty alert book for the rule set.
func NewBook(rs *RuleSet) *Book {
	b := &Book{rules: map[string]Rule{}, open: map[string]*Alert{}}
	for _, r := range rs.Rules {
		b.rules[r.Code] = r
	}
	return b
}

func key(rule string, dev int64) string { return fmt.Sprintf("%s|%d", rule, dev) }

// Apply folds firings into alerts: a firing with no open alert opens one at
// the rule's grade; further firings count, and every EscalateAfter further
// firings raise the grade one step (up to 检查). It returns the actions due.
func (b *Book) Apply(fs []Firing) []Action {
	var acts []Action
	for _, f := range fs {
		rule, ok := b.rules[f.RuleCode]
		if !ok {
			continue
		}
		k := key(f.RuleCode, f.DeviceID)
		a := b.open[k]
		if a == nil {
			b.nextID++
			a = &Alert{ID: b.nextID, RuleCode: f.RuleCode, DeviceID: f.DeviceID, USCC: f.USCC, Grade: rule.Grade,
				Firings: 1, Opened: f.At, LastFired: f.At, Reason: f.Explanation}
			b.open[k] = a
			b.all = append(b.all, a)
			acts = append(acts, Action{*a, a.Grade})
			continue
		}
		a.Firings++
		a.LastFired = f.At
		a.Reason = f.Explanation
		if rule.EscalateAfter > 0 && (a.Firings-1)%rule.EscalateAfter == 0 && a.Grade != GradeCheck {
			a.Grade = next(a.Grade)
			acts = append(acts, Action{*a, a.Grade})
		}
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

// Close closes an open alert with a note; a later firing opens a new one.
func (b *Book) Close(id int64, note string) error {
	note = strings.TrimSpace(note)
	if note == "" || hasControl(note) {
		return &FieldError{"note", "required, no control characters"}
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

// Responder carries out graded responses. A nil function skips that grade.
type Responder struct {
	Remind     func(ctx context.Context, uscc, message string) error
	Interview  func(ctx context.Context, departmentID int64, uscc, reason string) error
	RaiseCheck func(ctx context.Context, tx store.IDB, a visit.Assignment) error
}

// Respond carries out one action for a device of departmentID.
func (r Responder) Respond(ctx context.Context, tx store.IDB, departmentID int64, act Action, now time.Time) error {
	a := act.Alert
	switch act.Grade {
	case GradeRemind:
		if r.Remind != nil {
			return r.Remind(ctx, a.USCC, a.Reason)
		}
	case GradeInterview:
		if r.Interview != nil {
			return r.Interview(ctx, departmentID, a.USCC, a.Reason)
		}
	case GradeCheck:
		if r.RaiseCheck != nil {
			return r.RaiseCheck(ctx, tx, visit.Assignment{
				Source:       visit.SourceMonitoring,
				TaskRef:      fmt.Sprintf("monitoring-alert-%d", a.ID),
				ItemCode:     "monitoring:" + a.RuleCode,
				ItemName:     "智能监测预警核查",
				DepartmentID: departmentID,
				USCC:         a.USCC,
				WindowFrom:   now,
				WindowTo:     now.AddDate(0, 0, 14),
				Reason:       a.Reason,
			})
		}
	}
	return nil
}
