package flow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// batchRows bounds the rows of one multi-row INSERT of StartMany: at 17
// values a row (flow_instances), 500 rows stay well below SQLite's 32,766
// bound parameters and PostgreSQL's 65,535.
const batchRows = 500

// StartMany starts an instance for each of sis in tx, as Start would one
// after another — the same rows, history, timers, events and audit entries,
// and ids ascending in the order of sis — with a few multi-row statements
// instead of six round trips an instance: for a module that opens many
// cases in one transaction (the warnings of a risk classification chunk).
// The instances share one start time, so each definition's deadlines and
// timers are computed once. The subjects (SubjectType, SubjectID) must be
// distinct. On any error the caller should roll tx back.
func (e *Engine) StartMany(ctx context.Context, tx store.IDB, sis []StartInput) ([]*Instance, error) {
	if len(sis) == 0 {
		return nil, nil
	}
	type subject struct {
		typ string
		id  int64
	}
	type started struct {
		def    *Definition
		in     *Instance
		timers []timer
	}
	now, cal := e.now(), e.cal()
	byKey := map[string]started{}
	ins := make([]*Instance, len(sis))
	timers := make([][]timer, len(sis))
	index := make(map[subject]int, len(sis))
	for i := range sis {
		si := &sis[i]
		if err := checkStart(si); err != nil {
			return nil, err
		}
		k := subject{si.SubjectType, si.SubjectID}
		if _, dup := index[k]; dup {
			return nil, fmt.Errorf("flow: start many: %s %d given twice", si.SubjectType, si.SubjectID)
		}
		index[k] = i
		s, ok := byKey[si.DefinitionKey]
		if !ok {
			def, err := e.definition(ctx, tx, si.DefinitionKey, 0)
			if err != nil {
				return nil, err
			}
			s.def = def
			s.in, s.timers = starting(cal, def, now)
			byKey[si.DefinitionKey] = s
		}
		in := *s.in
		in.fill(si)
		ins[i], timers[i] = &in, s.timers
	}
	for lo := 0; lo < len(ins); lo += batchRows {
		part := ins[lo:min(lo+batchRows, len(ins))]
		var q strings.Builder
		q.WriteString(`INSERT INTO flow_instances (def_key, def_version, subject_type, subject_id, reference, title,
		region_code, department_ids, owner_user_id, state, status, actor_roles, started_at, state_entered_at,
		state_due_at, due_at, paused_at, paused_from, finished_at, escalation_level, extended_days, row_version) VALUES `)
		args := make([]any, 0, 17*len(part))
		for j, in := range part {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 0, 0, 1)")
			args = append(args, in.DefinitionKey, in.DefinitionVersion, in.SubjectType, in.SubjectID, in.Reference, in.Title,
				in.RegionCode, store.FormatIDs(in.DepartmentIDs), in.OwnerUserID, in.State, in.Status, in.actorRoles, now, now,
				store.Nullable(in.StateDueAt), store.Nullable(in.DueAt), store.Nullable(in.PausedAt))
		}
		q.WriteString(" RETURNING id, subject_type, subject_id")
		// Through bun, not store.Query: texts of every length would crowd
		// the statements the hot paths keep prepared.
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("flow: start many: %w", err)
		}
		n := 0
		for rows.Next() {
			var id int64
			var k subject
			if err := rows.Scan(&id, &k.typ, &k.id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("flow: start many: %w", err)
			}
			i, ok := index[k]
			if !ok || ins[i].ID != 0 {
				rows.Close()
				return nil, fmt.Errorf("flow: start many: unexpected instance for %s %d", k.typ, k.id)
			}
			ins[i].ID = id
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("flow: start many: %w", err)
		}
		if n != len(part) {
			return nil, fmt.Errorf("flow: start many: %d of %d instances stored", n, len(part))
		}
	}
	if err := e.startRows(ctx, tx, sis, ins, timers, now); err != nil {
		return nil, fmt.Errorf("flow: start many: %w", err)
	}
	msgs := make([]outbox.Message, len(ins))
	for i, in := range ins {
		msgs[i] = outbox.Message{Topic: TopicStarted, Payload: e.payload(in, "start", "", sis[i].Actor)}
	}
	if err := e.events(ctx, tx, now, msgs); err != nil {
		return nil, fmt.Errorf("flow: start many: %w", err)
	}
	for i, in := range ins {
		def := byKey[sis[i].DefinitionKey].def
		if err := e.audit(ctx, tx, sis[i].Actor, "flow.start", in, map[string]any{
			"definition": def.Key, "version": def.Version, "subject_type": in.SubjectType,
			"subject_id": in.SubjectID, "state": in.State}); err != nil {
			return nil, fmt.Errorf("flow: start many %s: %w", def.Key, err)
		}
	}
	return ins, nil
}

// startRows writes the wait rows, the start entries of the history and the
// timers of the instances ins, just stored, with multi-row INSERTs.
func (e *Engine) startRows(ctx context.Context, tx store.IDB, sis []StartInput, ins []*Instance, timers [][]timer, now time.Time) error {
	var waits, history, clocks rowBatch
	waits.head = "INSERT INTO flow_instance_waits (kind, role, ref, due_at, instance_id, subject_type, paused) VALUES "
	waits.row = "(?, ?, ?, ?, ?, ?, ?)"
	history.head = `INSERT INTO flow_history (instance_id, action, from_state, to_state,
		actor_id, actor_name, inputs, comment, created_at) VALUES `
	history.row = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
	clocks.head = "INSERT INTO flow_timers (instance_id, kind, state, level, fire_at, fired_at, held) VALUES "
	clocks.row = "(?, ?, ?, ?, ?, NULL, FALSE)"
	for i, in := range ins {
		ws, due := waitsOf(in)
		for _, w := range ws {
			if err := waits.add(ctx, tx, w.kind, w.role, w.ref, due, in.ID, in.SubjectType, in.Status == StatusPaused); err != nil {
				return fmt.Errorf("waits: %w", err)
			}
		}
		var actorID int64
		var name string
		if a := sis[i].Actor; a != nil {
			actorID, name = a.UserID, a.Name
		}
		if err := history.add(ctx, tx, in.ID, "start", "", in.State, actorID, name, "{}", sis[i].Comment, now); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		for _, t := range timers[i] {
			if err := clocks.add(ctx, tx, in.ID, t.kind, t.state, int(t.level), t.fireAt); err != nil {
				return fmt.Errorf("timers: %w", err)
			}
		}
	}
	for _, b := range []*rowBatch{&waits, &history, &clocks} {
		if err := b.flush(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

// events writes msgs through Events, or Event one by one.
func (e *Engine) events(ctx context.Context, tx store.IDB, now time.Time, msgs []outbox.Message) error {
	if e.Events != nil {
		return e.Events(ctx, tx, now, msgs)
	}
	for _, m := range msgs {
		if err := e.Event(ctx, tx, now, m.Topic, m.Payload); err != nil {
			return err
		}
	}
	return nil
}

// rowBatch gathers the rows of a multi-row INSERT, writing batchRows at a
// time.
type rowBatch struct {
	head, row string
	n         int
	args      []any
}

func (b *rowBatch) add(ctx context.Context, tx store.IDB, vals ...any) error {
	b.args = append(b.args, vals...)
	if b.n++; b.n == batchRows {
		return b.flush(ctx, tx)
	}
	return nil
}

func (b *rowBatch) flush(ctx context.Context, tx store.IDB) error {
	if b.n == 0 {
		return nil
	}
	var q strings.Builder
	q.Grow(len(b.head) + b.n*(len(b.row)+2))
	q.WriteString(b.head)
	for i := range b.n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(b.row)
	}
	_, err := tx.ExecContext(ctx, q.String(), b.args...)
	b.n, b.args = 0, b.args[:0]
	return err
}
