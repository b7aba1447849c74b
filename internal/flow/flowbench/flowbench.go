// Package flowbench is the workload of the workflow engine's benchmark:
// one transition through the engine against the bare SQL that transition
// needs, on the same database. Both `go test -bench` (internal/flow) and
// `yingshang bench flow` run it, so the figures in docs/PERFORMANCE.md can be
// reproduced either way.
package flowbench

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// LoopDefinition bounces between two states, each with a limit and one
// escalation, so that every transition replaces one timer.
const LoopDefinition = `{
  "key": "bench.loop", "name": "循环",
  "states": [
    {"key": "a", "name": "甲", "kind": "start", "limit": {"n": 5, "unit": "workdays"}},
    {"key": "b", "name": "乙", "limit": {"n": 5, "unit": "workdays"}},
    {"key": "z", "name": "终", "kind": "end"}
  ],
  "actions": [
    {"key": "ab", "name": "甲到乙", "from": ["a"], "to": "b", "roles": ["department_handler"]},
    {"key": "ba", "name": "乙到甲", "from": ["b"], "to": "a", "roles": ["department_handler"]},
    {"key": "end", "name": "结束", "from": ["a"], "to": "z", "roles": ["department_handler"]}
  ],
  "escalation": [{"level": "supervise", "share": 1, "on": "state"}]
}`

// Loop is a running instance of LoopDefinition and the engine driving it.
type Loop struct {
	DB     *store.DB
	Engine *flow.Engine
	ID     int64
	actor  *auth.Actor
	i      int
}

// Setup loads the loop definition into db (migrated) and starts one
// instance.
func Setup(ctx context.Context, db *store.DB) (*Loop, error) {
	cal := calendar.New(calendar.Official())
	now := func() time.Time { return time.Date(2026, 9, 30, 10, 0, 0, 0, calendar.CST) }
	eng := flow.New(db, func() flow.Calendar { return cal }, audit.New(now), now)
	if _, _, err := eng.LoadDefinition(ctx, []byte(LoopDefinition), nil); err != nil {
		return nil, err
	}
	var in *flow.Instance
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) (err error) {
		in, err = eng.Start(ctx, tx, flow.StartInput{DefinitionKey: "bench.loop", SubjectType: "bench",
			SubjectID: 1, RegionCode: "440305", DepartmentIDs: []int64{7}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Loop{DB: db, Engine: eng, ID: in.ID,
		actor: &auth.Actor{UserID: 2, Name: "承办人", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{7}}}, nil
}

// Transition takes the next action of the loop through the engine, in its
// own transaction.
func (l *Loop) Transition(ctx context.Context) error {
	action := [2]string{"ab", "ba"}[l.i%2]
	l.i++
	return l.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := l.Engine.Do(ctx, tx, l.ID, action, l.actor, nil, "")
		return err
	})
}

// Baseline runs the bare SQL one transition needs, in one transaction:
// update the instance row, insert a history row, replace a timer row, insert
// an outbox row and append a chained audit row (advance the head, insert,
// set the head's hash). Its statements are prepared once and bound to the
// transaction (store.Exec, store.QueryRow), as the engine's are, so the
// baseline is as fast as the database allows.
func (l *Loop) Baseline(ctx context.Context) error {
	now := store.Time(time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC))
	due := now.Add(120 * time.Hour)
	state := [2]string{"b", "a"}[l.i%2]
	l.i++
	return l.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := store.Exec(ctx, tx, `UPDATE flow_instances SET state = ?, actor_roles = ?,
			state_entered_at = ?, state_due_at = ?, row_version = row_version + 1 WHERE id = ?`,
			state, ",department_handler,", now, due, l.ID); err != nil {
			return err
		}
		if _, err := store.Exec(ctx, tx, `INSERT INTO flow_history (instance_id, action, from_state,
			to_state, actor_id, actor_name, inputs, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, "ab", "a", "b", 2, "承办人", "{}", "", now); err != nil {
			return err
		}
		if _, err := store.Exec(ctx, tx, "DELETE FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL AND kind = ?",
			l.ID, "state"); err != nil {
			return err
		}
		if _, err := store.Exec(ctx, tx, `INSERT INTO flow_timers (instance_id, kind, state, level, fire_at,
			fired_at, held) VALUES (?, ?, ?, ?, ?, NULL, FALSE)`, l.ID, "state", "b", 2, due); err != nil {
			return err
		}
		if _, err := store.Exec(ctx, tx, "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
			"flow.transition", `{"instance_id":1,"action":"ab"}`, now); err != nil {
			return err
		}
		var seq int64
		var prev string
		if err := store.QueryRow(ctx, tx, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").
			Scan(&seq, &prev); err != nil {
			return err
		}
		h := fmt.Sprintf("%064d", seq)
		if _, err := store.Exec(ctx, tx, `INSERT INTO audit_log (seq, at, actor_id, actor_name, action,
			object_type, object_id, region_code, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, now, 2, "承办人", "flow.ab", "flow_instance", "1", "440305", `{"action":"ab"}`, prev, h); err != nil {
			return err
		}
		_, err := store.Exec(ctx, tx, "UPDATE audit_head SET hash = ? WHERE id = 1", h)
		return err
	})
}
