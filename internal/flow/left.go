package flow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
)

// Left is the time a case has on its current deadline, in the unit of the
// limit that set it: working days where the limit is in working days (as
// the law counts it), calendar days where the law gives days (日), hours or
// minutes where it is on the wall clock. Every
// page says time left through Left.Text, so a list never shows calendar
// time ("1天4小时") beside working days ("超期 3 个工作日").
type Left struct {
	// Due is the deadline the case is measured against (zero when none runs).
	Due time.Time
	// Unit is the unit of the limit that set Due.
	Unit Unit
	// N is the working days, hours or minutes left (Overdue: by which the
	// deadline is past); with Waiting, the working days waited so far.
	N int
	// Overdue: the deadline has passed.
	Overdue bool
	// Paused: the clock is stopped (已暂停); N is not shown.
	Paused bool
	// Waiting: no deadline runs in this state (e.g. 待派单) and N counts the
	// working days since the case entered it.
	Waiting bool
	// Done: the case is finished, or no deadline runs and nothing waits.
	Done bool
	// Class is the urgency class matching the .due-* colours: "overdue",
	// "urgent" (due today or within a day), "soon" (within three working
	// days or hours), "ok", "paused", or "" when nothing runs.
	Class string
}

// TimeLeft says how much time in has at now on its nearest deadline, in the
// unit of the limit of the state it is in (def may be nil: working days are
// assumed). A running instance in a state without a limit and without an
// overall deadline is Waiting, counted in working days since it entered the
// state.
func TimeLeft(cal Calendar, def *Definition, in *Instance, now time.Time) Left {
	if in == nil || in.Status == StatusDone {
		return Left{Done: true}
	}
	due := in.nearestDue()
	unit := WorkDays
	if def != nil {
		key := in.State
		if in.Status == StatusPaused && in.PausedFrom != "" {
			key = in.PausedFrom
		}
		if st := def.State(key); st != nil && st.Limit != nil && !in.StateDueAt.IsZero() && due.Equal(in.StateDueAt) {
			unit = st.Limit.Unit
		}
		// An overall limit in calendar days (a penalty case's 90 days) is
		// said in days, as the law gives it.
		if def.Limit != nil && def.Limit.Unit == CalendarDays && !in.DueAt.IsZero() && due.Equal(in.DueAt) &&
			(in.StateDueAt.IsZero() || !due.Equal(in.StateDueAt)) {
			unit = CalendarDays
		}
	}
	if in.Status == StatusPaused {
		return Left{Due: due, Unit: unit, Paused: true, Class: "paused"}
	}
	if due.IsZero() {
		n := 0
		if cal != nil && !in.StateEnteredAt.IsZero() {
			n = cal.WorkingDaysBetween(in.StateEnteredAt, now)
		}
		l := Left{Unit: WorkDays, N: n, Waiting: true, Class: "ok"}
		if n >= 1 {
			l.Class = "soon"
		}
		if n >= 3 {
			l.Class = "urgent"
		}
		return l
	}
	return leftUntil(cal, due, unit, now)
}

// LeftUntil is TimeLeft for a deadline kept outside an instance (an
// assisting department's limit, a deadline recorded on a case), in unit.
func LeftUntil(cal Calendar, due time.Time, unit Unit, now time.Time) Left {
	if due.IsZero() {
		return Left{Done: true}
	}
	return leftUntil(cal, due, unit, now)
}

func leftUntil(cal Calendar, due time.Time, unit Unit, now time.Time) Left {
	l := Left{Due: due, Unit: unit}
	switch unit {
	case Hours, Minutes:
		d := due.Sub(now)
		if d < 0 {
			l.Overdue, d = true, -d
		}
		if unit == Minutes || d < time.Hour {
			l.Unit, l.N = Minutes, int((d+time.Minute-1)/time.Minute)
		} else {
			l.Unit, l.N = Hours, int((d+time.Hour-1)/time.Hour)
		}
		switch {
		case l.Overdue:
			l.Class = "overdue"
		case d < 24*time.Hour:
			l.Class = "urgent"
		case d < 72*time.Hour:
			l.Class = "soon"
		default:
			l.Class = "ok"
		}
		return l
	}
	between := func(a, b time.Time) int {
		if unit == CalendarDays {
			return calendar.CalendarDaysBetween(a, b)
		}
		if cal == nil {
			return 0
		}
		return cal.WorkingDaysBetween(a, b)
	}
	if now.After(due) {
		l.Overdue, l.Class = true, "overdue"
		l.N = between(due, now)
		return l
	}
	l.N = between(now, due)
	switch {
	case l.N == 0:
		l.Class = "urgent"
	case l.N <= 3:
		l.Class = "soon"
	default:
		l.Class = "ok"
	}
	return l
}

// Text says l in lang ("zh-CN" or "en"): "剩余 3 个工作日", "今日到期",
// "超期 2 个工作日", "剩余 5 小时", "已等待 2 个工作日", "已暂停".
func (l Left) Text(lang string) string {
	en := lang == "en"
	pick := func(zh, e string, args ...any) string {
		if en {
			return fmt.Sprintf(e, args...)
		}
		return fmt.Sprintf(zh, args...)
	}
	switch {
	case l.Done:
		return pick("—", "—")
	case l.Paused:
		return pick("已暂停", "paused")
	case l.Waiting:
		if l.N == 0 {
			return pick("今日待办", "waiting since today")
		}
		return pick("已等待 %d 个工作日", "waiting %d working day(s)", l.N)
	}
	unit := map[Unit][2]string{WorkDays: {"个工作日", "working day(s)"}, Hours: {"小时", "hour(s)"},
		Minutes: {"分钟", "minute(s)"}, CalendarDays: {"天", "day(s)"}}[l.Unit]
	switch {
	case l.Overdue && l.N == 0:
		return pick("已超期", "overdue")
	case l.Overdue && en:
		return fmt.Sprintf("%d %s overdue", l.N, unit[1])
	case l.Overdue:
		return fmt.Sprintf("超期 %d %s", l.N, unit[0])
	case (l.Unit == WorkDays || l.Unit == CalendarDays) && l.N == 0:
		return pick("今日到期", "due today")
	}
	if en {
		return fmt.Sprintf("%d %s left", l.N, unit[1])
	}
	return fmt.Sprintf("剩余 %d %s", l.N, unit[0])
}

// Calendar returns the working-day calendar the engine counts on now, for
// modules that say time left (TimeLeft) or keep deadlines of their own.
func (e *Engine) Calendar() Calendar { return e.cal() }

// Left is TimeLeft for instance in at the engine's now, on its definition.
func (e *Engine) Left(ctx context.Context, in *Instance) Left {
	def, _ := e.Definition(ctx, in.DefinitionKey, in.DefinitionVersion)
	return TimeLeft(e.cal(), def, in, e.Now())
}

// Instances returns the instances of ids by id, read in one query, for a
// list page that says each row's time left; ids not found are left out.
func (e *Engine) Instances(ctx context.Context, ids []int64) (map[int64]*Instance, error) {
	out := make(map[int64]*Instance, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := e.db.QueryContext(ctx, "SELECT "+instanceCols+" FROM flow_instances WHERE id IN (?"+
		strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("flow: instances: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, fmt.Errorf("flow: instances: %w", err)
		}
		out[in.ID] = in
	}
	return out, rows.Err()
}
