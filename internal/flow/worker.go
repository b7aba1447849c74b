package flow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// FireDue fires up to batch due escalation timers and returns how many it
// fired. Each timer is claimed and fired in its own transaction: the timer
// is marked fired, the instance's escalation level is raised, and a history
// row, an outbox event (TopicEscalated) and an audit entry are written. On
// PostgreSQL the claim skips rows another node holds, so any number of
// nodes may run FireDue at once and each timer fires exactly once.
func (e *Engine) FireDue(ctx context.Context, batch int) (int, error) {
	fired := 0
	for fired < batch {
		ok, err := e.fireOne(ctx)
		if err != nil {
			return fired, err
		}
		if !ok {
			break
		}
		fired++
	}
	return fired, nil
}

// fireOne fires the earliest due timer, reporting false when none is due.
func (e *Engine) fireOne(ctx context.Context) (bool, error) {
	now := e.now()
	found := false
	err := e.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var tid, iid int64
		var kind string
		var level Level
		err := tx.QueryRowContext(ctx, `SELECT id, instance_id, kind, level FROM flow_timers
			WHERE fired_at IS NULL AND held = FALSE AND fire_at <= ?
			ORDER BY fire_at, id LIMIT 1`+e.db.ForUpdateSkipLocked(), now).Scan(&tid, &iid, &kind, &level)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("flow: claim timer: %w", err)
		}
		found = true
		if _, err := tx.ExecContext(ctx, "UPDATE flow_timers SET fired_at = ? WHERE id = ?", now, tid); err != nil {
			return fmt.Errorf("flow: fire timer %d: %w", tid, err)
		}
		in, err := e.instance(ctx, tx, iid)
		if err != nil {
			return fmt.Errorf("flow: fire timer %d: %w", tid, err)
		}
		if in.Status != StatusRunning {
			return nil // stale: the clock stopped in the meantime; nothing to escalate
		}
		if level > in.Escalation {
			in.Escalation = level
			if _, err := tx.ExecContext(ctx, "UPDATE flow_instances SET escalation_level = ? WHERE id = ?",
				int(level), iid); err != nil {
				return fmt.Errorf("flow: fire timer %d: %w", tid, err)
			}
		}
		sys := auth.System()
		inputs := map[string]string{"level": level.String(), "clock": kind}
		if err := e.record(ctx, tx, in, "escalate", in.State, in.State, sys, inputs, level.Name(), now); err != nil {
			return fmt.Errorf("flow: fire timer %d: history: %w", tid, err)
		}
		p := e.payload(in, "escalate", in.State, sys)
		p.Level = level.String()
		if err := e.Event(ctx, tx, now, TopicEscalated, p); err != nil {
			return fmt.Errorf("flow: fire timer %d: %w", tid, err)
		}
		if err := e.audit(ctx, tx, sys, "flow.escalate", in, map[string]any{
			"level": level.String(), "clock": kind, "state": in.State, "timer": tid}); err != nil {
			return fmt.Errorf("flow: fire timer %d: audit: %w", tid, err)
		}
		return nil
	})
	return found, err
}

// Run fires due timers every interval until ctx ends, logging failures and
// carrying on. It returns ctx's error.
func (e *Engine) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := e.FireDue(ctx, 100)
			if err != nil {
				if ctx.Err() == nil {
					slog.ErrorContext(ctx, "flow: firing escalations", "err", err)
				}
				break
			}
			if n < 100 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
