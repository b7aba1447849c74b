package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// TopicSupervised is written when a supervisor acts on a case by hand (催办,
// a supervision order, a comment, an interview record) or a department
// answers a supervision order, so that the departments concerned are told
// as they are of an automatic escalation (TopicEscalated).
const TopicSupervised = "flow.supervised"

// The history actions of supervision by hand, named by ActionLabel.
const (
	ActionUrge      = "supervise_urge"      // 催办
	ActionOrder     = "supervise_order"     // 督办单
	ActionAnswer    = "supervise_answer"    // 督办反馈
	ActionComment   = "supervise_comment"   // 督办意见
	ActionInterview = "supervise_interview" // 约谈
)

// Supervise records on instance id, in tx, a step taken beside the workflow that
// does not move the case: a history row whose comment is the sentence a
// person reads, an outbox event TopicSupervised carrying record (the
// module's own record of the step, for the notifications) and an audit
// entry "flow."+action with detail. It refuses finished cases, on which
// nobody can act any more.
func (e *Engine) Supervise(ctx context.Context, tx store.IDB, id int64, action string, actor *auth.Actor,
	sentence string, record map[string]any) (*Instance, error) {
	if _, ok := engineActions[action]; !ok {
		return nil, fmt.Errorf("flow: supervise %q: %w", action, ErrNoSuchAction)
	}
	event := func(in *Instance, now time.Time) error {
		p := struct {
			eventPayload
			Record map[string]any `json:"record"`
		}{e.payload(in, action, in.State, actor), record}
		return e.Event(ctx, tx, now, TopicSupervised, p)
	}
	return e.note(ctx, tx, id, action, actor, sentence, event, func(*Instance) map[string]any { return record })
}

// WorkingDayEnd returns the close of the n-th working day after the date
// of from on the current calendar (the day of from not counted), as a
// limit in working days ends.
func (e *Engine) WorkingDayEnd(from time.Time, n int) time.Time {
	return e.cal().AddWorkingDays(from, n)
}
