package flow

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// timer is one pending escalation: the rung level of the ladder hanging on
// the clock kind (OnState for state's limit, or OnOverall).
type timer struct {
	kind   string
	state  string
	level  Level
	fireAt time.Time
}

// ladder returns the escalation timers of def's rules hanging on clock on,
// for a limit l that started at start and runs out at due.
func ladder(cal Calendar, def *Definition, on, state string, start, due time.Time, l Limit) []timer {
	var ts []timer
	for _, r := range def.Escalation {
		if r.On != on {
			continue
		}
		var at time.Time
		if r.OverdueDays > 0 {
			at = cal.AddWorkingDays(due, r.OverdueDays)
		} else {
			at = shareTime(cal, start, due, l, r.Share)
		}
		ts = append(ts, timer{kind: on, state: state, level: r.Level, fireAt: store.Time(at)})
	}
	return ts
}

// shareTime returns when share of limit l (started at start, due at due) is
// used. For working days it is the close of the working day on which that
// many whole working days have passed (80% of 5 working days: the close of
// the 4th); below one working day, and for wall-clock limits, it is the
// same share of the wall-clock span.
func shareTime(cal Calendar, start, due time.Time, l Limit, share float64) time.Time {
	if share >= 1 {
		return due
	}
	if l.Calendar().Unit == calendar.WorkingDays {
		if k := int(math.Floor(share*float64(l.N) + 1e-9)); k >= 1 {
			return cal.AddWorkingDays(start, k)
		}
	}
	return start.Add(time.Duration(share * float64(due.Sub(start))))
}

// timerOps says how entering a state changes the pending timers.
type timerOps struct {
	deleteKind string // delete pending timers of this kind ("*" for all)
	hold       bool   // hold every pending timer (the clock pauses)
	resume     bool   // shift held timers by the pause and release them
	pausedAt   time.Time
	keepState  bool // on resume, keep (shift) held state timers; else delete them
	insert     []timer
}

// enter moves in into state to at now, computing its deadlines, and returns
// what must happen to its timers. It changes only in.
func (e *Engine) enter(def *Definition, in *Instance, to *State, now time.Time) timerOps {
	cal := e.cal()
	var ops timerOps
	wasPaused := in.Status == StatusPaused
	from := in.State
	in.State, in.StateEnteredAt = to.Key, now
	fresh := func() {
		in.StateDueAt = time.Time{}
		if to.Limit != nil {
			in.StateDueAt = store.Time(cal.Deadline(now, to.Limit.Calendar()))
			ops.insert = ladder(cal, def, OnState, to.Key, now, in.StateDueAt, *to.Limit)
		}
	}
	switch {
	case to.Kind == EndState || to.Clock == ClockStop:
		ops.deleteKind = "*"
		in.StateDueAt, in.PausedAt, in.PausedFrom = time.Time{}, time.Time{}, ""
		in.Status = StatusRunning
		if to.Kind == EndState {
			in.Status, in.FinishedAt = StatusDone, now
		} else {
			in.DueAt = time.Time{}
		}
	case to.Clock == ClockPause:
		if !wasPaused {
			// The state due date stays as it was, frozen, until the clock runs.
			in.Status, in.PausedAt, in.PausedFrom = StatusPaused, now, from
			ops.hold = true
		}
	case wasPaused:
		ops.resume, ops.pausedAt = true, in.PausedAt
		if !in.DueAt.IsZero() && def.Limit != nil {
			in.DueAt = store.Time(cal.Shift(in.DueAt, def.Limit.Calendar().Unit, in.PausedAt, now))
		}
		if to.Key == in.PausedFrom && !in.StateDueAt.IsZero() && to.Limit != nil {
			in.StateDueAt = store.Time(cal.Shift(in.StateDueAt, to.Limit.Calendar().Unit, in.PausedAt, now))
			ops.keepState = true
		} else {
			fresh()
		}
		in.Status, in.PausedAt, in.PausedFrom = StatusRunning, time.Time{}, ""
	default:
		ops.deleteKind = OnState
		fresh()
	}
	return ops
}

// applyTimers carries out ops for instance in (whose deadlines are already
// updated) in tx.
func (e *Engine) applyTimers(ctx context.Context, tx store.IDB, in *Instance, ops timerOps) error {
	switch ops.deleteKind {
	case "*":
		if _, err := store.Exec(ctx, tx, "DELETE FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL", in.ID); err != nil {
			return err
		}
	case OnState:
		if _, err := store.Exec(ctx, tx, "DELETE FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL AND kind = ?",
			in.ID, OnState); err != nil {
			return err
		}
	}
	if ops.hold {
		if _, err := store.Exec(ctx, tx, "UPDATE flow_timers SET held = TRUE WHERE instance_id = ? AND fired_at IS NULL",
			in.ID); err != nil {
			return err
		}
	}
	if ops.resume {
		if !ops.keepState {
			if _, err := store.Exec(ctx, tx, "DELETE FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL AND kind = ?",
				in.ID, OnState); err != nil {
				return err
			}
		}
		def, err := e.definition(ctx, tx, in.DefinitionKey, in.DefinitionVersion)
		if err != nil {
			return err
		}
		cal := e.cal()
		now := in.StateEnteredAt
		err = e.moveTimers(ctx, tx, in.ID, func(t timer) time.Time {
			var l *Limit
			if t.kind == OnOverall {
				l = def.Limit
			} else if s := def.State(t.state); s != nil {
				l = s.Limit
			}
			if l == nil {
				return t.fireAt
			}
			return cal.Shift(t.fireAt, l.Calendar().Unit, ops.pausedAt, now)
		})
		if err != nil {
			return err
		}
	}
	return insertTimers(ctx, tx, in.ID, ops.insert)
}

// moveTimers sets every pending timer of instance id to fire at move(t) and
// releases held ones.
func (e *Engine) moveTimers(ctx context.Context, tx store.IDB, id int64, move func(timer) time.Time) error {
	rows, err := store.Query(ctx, tx, "SELECT id, kind, state, level, fire_at FROM flow_timers WHERE instance_id = ? AND fired_at IS NULL", id)
	if err != nil {
		return err
	}
	type row struct {
		id int64
		t  timer
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.t.kind, &r.t.state, &r.t.level, &r.t.fireAt); err != nil {
			rows.Close()
			return err
		}
		r.t.fireAt = r.t.fireAt.UTC()
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rs {
		if _, err := store.Exec(ctx, tx, "UPDATE flow_timers SET fire_at = ?, held = FALSE WHERE id = ?",
			store.Time(move(r.t)), r.id); err != nil {
			return err
		}
	}
	return nil
}

func insertTimers(ctx context.Context, tx store.IDB, id int64, ts []timer) error {
	if len(ts) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO flow_timers (instance_id, kind, state, level, fire_at, fired_at, held) VALUES ")
	args := make([]any, 0, 5*len(ts))
	for i, t := range ts {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, NULL, FALSE)")
		args = append(args, id, t.kind, t.state, int(t.level), t.fireAt)
	}
	_, err := store.Exec(ctx, tx, q.String(), args...)
	return err
}
