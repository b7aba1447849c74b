package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// Recount moves the open deadlines that fall in year from the count of
// calendar old to that of calendar next, in tx: what an administrator's
// entry of a year's holiday arrangement changes. Until a year is entered,
// its deadlines are counted Monday to Friday and are provisional (see
// Provisional); once it is, a deadline of n working days into the year
// ends on the n-th working day of the entered year instead (a deadline on
// the day of a new holiday moves past it, one on a make-up Saturday may
// come earlier). The two calendars agree on every earlier year, so a
// deadline is mapped by the working days it lies into the year: counted on
// old from the year's eve, counted again on next. The time of day is kept
// (an escalation timer at 80 % of a limit stays at its hour).
//
// It covers the running and paused instances of definitions counted in
// working days; those counted in calendar days (行政处罚法) or hours keep
// their deadlines. Each changed instance gets a history line and an audit
// entry naming the old and new deadlines. It returns how many changed.
func (e *Engine) Recount(ctx context.Context, tx store.IDB, old, next *calendar.Calendar, year int, actor *auth.Actor) (int, error) {
	eve := time.Date(year-1, time.December, 31, 12, 0, 0, 0, calendar.CST)
	yearStart := time.Date(year, time.January, 1, 0, 0, 0, 0, calendar.CST)
	move := func(t time.Time) time.Time {
		if t.IsZero() || t.Before(yearStart) {
			return t
		}
		n := old.WorkingDaysBetween(eve, t)
		if n == 0 {
			return t // before the year's first working day: a day off either way
		}
		offset := old.AddWorkingDays(eve, n).Sub(t)
		return next.AddWorkingDays(eve, n).Add(-offset)
	}
	rows, err := store.Query(ctx, tx, "SELECT id FROM flow_instances WHERE status <> ? AND (due_at >= ? OR state_due_at >= ?) ORDER BY id",
		StatusDone, store.Time(yearStart), store.Time(yearStart))
	if err != nil {
		return 0, fmt.Errorf("flow: recount %d: %w", year, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("flow: recount %d: %w", year, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("flow: recount %d: %w", year, err)
	}
	now := e.now()
	changed := 0
	for _, id := range ids {
		in, def, err := e.open(ctx, tx, id)
		if err != nil {
			return changed, err
		}
		if !countsWorkingDays(def) {
			continue
		}
		stateDue, due := move(in.StateDueAt), move(in.DueAt)
		if stateDue.Equal(in.StateDueAt) && due.Equal(in.DueAt) {
			continue
		}
		oldState, oldDue := in.StateDueAt, in.DueAt
		in.StateDueAt, in.DueAt = store.Time(stateDue), store.Time(due)
		res, err := store.Exec(ctx, tx, `UPDATE flow_instances SET state_due_at = ?, due_at = ?, row_version = row_version + 1
			WHERE id = ? AND row_version = ?`, store.Nullable(in.StateDueAt), store.Nullable(in.DueAt), in.ID, in.Version)
		if err != nil {
			return changed, fmt.Errorf("flow: recount instance %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return changed, fmt.Errorf("flow: recount instance %d: %w", id, ErrConflict)
		}
		in.Version++
		if err := syncWaits(ctx, tx, in, false); err != nil {
			return changed, fmt.Errorf("flow: recount instance %d: waits: %w", id, err)
		}
		if err := e.moveTimers(ctx, tx, in.ID, func(t timer) time.Time { return move(t.fireAt) }); err != nil {
			return changed, fmt.Errorf("flow: recount instance %d: timers: %w", id, err)
		}
		inputs := map[string]string{"year": fmt.Sprint(year)}
		if !oldDue.IsZero() {
			inputs["old_due_at"], inputs["due_at"] = oldDue.UTC().Format(time.RFC3339), in.DueAt.UTC().Format(time.RFC3339)
		}
		comment := fmt.Sprintf("%d年节假日安排已录入，期限按新日历重新计算", year)
		if err := e.record(ctx, tx, in, "calendar_recount", in.State, in.State, actor, inputs, comment, now); err != nil {
			return changed, fmt.Errorf("flow: recount instance %d: history: %w", id, err)
		}
		if err := e.audit(ctx, tx, actor, "flow.calendar_recount", in, map[string]any{"year": year,
			"old_state_due_at": oldState, "state_due_at": in.StateDueAt, "old_due_at": oldDue, "due_at": in.DueAt}); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// countsWorkingDays reports whether def's limits are counted in working
// days (every limit it names is).
func countsWorkingDays(def *Definition) bool {
	units := 0
	ok := func(l *Limit) bool {
		if l == nil {
			return true
		}
		units++
		return l.Unit == WorkDays
	}
	if !ok(def.Limit) {
		return false
	}
	for _, st := range def.States {
		if !ok(st.Limit) {
			return false
		}
	}
	return units > 0
}

// Provisional reports whether deadline t is counted into a year whose
// holiday arrangement is not entered in cal: shown as such (暂定) until it
// is, when Recount moves it.
func Provisional(cal interface{ Missing(int) bool }, t time.Time) bool {
	return !t.IsZero() && cal.Missing(t.In(calendar.CST).Year())
}
