package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// Note records an entry named action in the history of instance id without
// moving it, in the caller's transaction tx, with its audit entry: what a
// person adds to a running case (a citizen's further information) belongs
// in the case's history, but re-entering the state would restart its
// limit. A finished instance takes no notes (ErrFinished).
func (e *Engine) Note(ctx context.Context, tx store.IDB, id int64, action string, actor *auth.Actor, comment string) error {
	_, err := e.note(ctx, tx, id, action, actor, comment, nil,
		func(in *Instance) map[string]any {
			return map[string]any{"action": action, "state": in.State, "comment": comment}
		})
	return err
}

// note writes the history row and the audit entry of a step beside the
// workflow on a running instance; before the audit entry it calls also, if
// given, for what else the step writes in tx (Supervise's outbox event).
// detail gives the audit entry's detail.
func (e *Engine) note(ctx context.Context, tx store.IDB, id int64, action string, actor *auth.Actor, sentence string,
	also func(in *Instance, now time.Time) error, detail func(in *Instance) map[string]any) (*Instance, error) {
	in, err := e.instance(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if in.Status == StatusDone {
		return nil, fmt.Errorf("flow: instance %d: %s: %w", id, action, ErrFinished)
	}
	now := e.now()
	if err := e.record(ctx, tx, in, action, in.State, in.State, actor, nil, sentence, now); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: history: %w", id, action, err)
	}
	if also != nil {
		if err := also(in, now); err != nil {
			return nil, fmt.Errorf("flow: instance %d: %s: %w", id, action, err)
		}
	}
	if err := e.audit(ctx, tx, actor, "flow."+action, in, detail(in)); err != nil {
		return nil, fmt.Errorf("flow: instance %d: %s: audit: %w", id, action, err)
	}
	return in, nil
}
