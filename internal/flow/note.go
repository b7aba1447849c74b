package flow

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// Note records an entry named action in the history of instance id without
// moving it, in the caller's transaction tx, with its audit entry: what a
// person adds to a running case (a citizen's further information) belongs
// in the case's history, but re-entering the state would restart its
// limit. A finished instance takes no notes (ErrFinished).
func (e *Engine) Note(ctx context.Context, tx store.IDB, id int64, action string, actor *auth.Actor, comment string) error {
	in, err := e.instance(ctx, tx, id)
	if err != nil {
		return err
	}
	if in.Status == StatusDone {
		return fmt.Errorf("flow: instance %d: %s: %w", in.ID, action, ErrFinished)
	}
	now := e.now()
	if err := e.record(ctx, tx, in, action, in.State, in.State, actor, nil, comment, now); err != nil {
		return fmt.Errorf("flow: instance %d: %s: history: %w", in.ID, action, err)
	}
	detail := map[string]any{"action": action, "state": in.State, "comment": comment}
	if err := e.audit(ctx, tx, actor, "flow."+action, in, detail); err != nil {
		return fmt.Errorf("flow: instance %d: %s: audit: %w", in.ID, action, err)
	}
	return nil
}
