package flow_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// loopDef bounces between two states, each with a limit and one escalation,
// so that every transition replaces one timer.
const loopDef = `{
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

func benchDBs(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.OpenSQLite(b)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, storetest.OpenPostgres(b)) })
	}
}

func benchEngine(b *testing.B, db *store.DB) (*flow.Engine, *flow.Instance) {
	ctx := context.Background()
	cal := calendar.New(calendar.Official())
	now := func() time.Time { return time.Date(2026, 9, 30, 10, 0, 0, 0, calendar.CST) }
	eng := flow.New(db, func() flow.Calendar { return cal }, audit.New(now), now)
	if _, _, err := eng.LoadDefinition(ctx, []byte(loopDef), nil); err != nil {
		b.Fatal(err)
	}
	var in *flow.Instance
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) (err error) {
		in, err = eng.Start(ctx, tx, flow.StartInput{DefinitionKey: "bench.loop", SubjectType: "bench",
			SubjectID: 1, RegionCode: "440305", DepartmentIDs: []int64{7}})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return eng, in
}

// BenchmarkTransition measures one Do call, in its own transaction, per
// iteration.
func BenchmarkTransition(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		eng, in := benchEngine(b, db)
		ctx := context.Background()
		actor := &auth.Actor{UserID: 2, Name: "承办人", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{7}}
		actions := [2]string{"ab", "ba"}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := eng.Do(ctx, tx, in.ID, actions[i%2], actor, nil, "")
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBaselineInserts measures the bare SQL one transition needs, in
// one transaction: update the instance row, insert a history row, replace a
// timer row, insert an outbox row and append a chained audit row (advance
// the head, insert, set the head's hash).
func BenchmarkBaselineInserts(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		_, in := benchEngine(b, db)
		ctx := context.Background()
		now := store.Time(time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC))
		due := now.Add(120 * time.Hour)
		states := [2]string{"b", "a"}
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.ExecContext(ctx, `UPDATE flow_instances SET state = ?, actor_roles = ?,
					state_entered_at = ?, state_due_at = ?, row_version = row_version + 1 WHERE id = ?`,
					states[i%2], ",department_handler,", now, due, in.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO flow_history (instance_id, action, from_state,
					to_state, actor_id, actor_name, inputs, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					in.ID, "ab", "a", "b", 2, "承办人", "{}", "", now); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "DELETE FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL AND kind = ?",
					in.ID, "state"); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO flow_timers (instance_id, kind, state, level, fire_at,
					fired_at, held) VALUES (?, ?, ?, ?, ?, NULL, FALSE)`, in.ID, "state", "b", 2, due); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
					"flow.transition", `{"instance_id":1,"action":"ab"}`, now); err != nil {
					return err
				}
				var seq int64
				var prev string
				if err := tx.QueryRowContext(ctx, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").
					Scan(&seq, &prev); err != nil {
					return err
				}
				h := fmt.Sprintf("%064d", seq)
				if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor_id, actor_name, action,
					object_type, object_id, region_code, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					seq, now, 2, "承办人", "flow.ab", "flow_instance", "1", "440305", `{"action":"ab"}`, prev, h); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, "UPDATE audit_head SET hash = ? WHERE id = 1", h)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
