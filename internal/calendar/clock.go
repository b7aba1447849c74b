package calendar

import (
	"fmt"
	"time"
)

// Unit is the unit a time limit is counted in.
type Unit string

// The units of a time limit.
const (
	// WorkingDays limits (法定时限, 承诺时限) count working days: they start
	// the day after the event and end at the close of the last working day.
	WorkingDays Unit = "working_days"
	// Hours limits run on the wall clock, nights, weekends and holidays
	// included, as the hotline's urgent tickets require.
	Hours Unit = "hours"
	// Minutes limits run on the wall clock like Hours; they express the
	// short ones, such as a 30-minute acceptance of an urgent hotline ticket.
	Minutes Unit = "minutes"
	// CalendarDays limits count days (日) as 行政处罚法 counts its longer
	// periods (the 90 days to decide, the 15 days to pay): they start the
	// day after the event and end at the close of the N-th day, moved to
	// the close of the next working day when that day is a day off (see
	// [Calendar.AddCalendarDays]).
	CalendarDays Unit = "calendar_days"
)

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool {
	return u == WorkingDays || u == Hours || u == Minutes || u == CalendarDays
}

// wall returns the wall-clock length of one u, or 0 for WorkingDays.
func (u Unit) wall() time.Duration {
	switch u {
	case Hours:
		return time.Hour
	case Minutes:
		return time.Minute
	}
	return 0
}

// Limit is a time limit: N working days, calendar days, hours or minutes.
type Limit struct {
	N    int
	Unit Unit
}

// Validate reports a limit that cannot be counted: an unknown unit or a
// negative N. Workflow definitions validate their limits when loaded, so
// that Deadline never meets a bad one at run time.
func (l Limit) Validate() error {
	if !l.Unit.Valid() {
		return fmt.Errorf("calendar: limit: unknown unit %q: %w", l.Unit, ErrInvalid)
	}
	if l.N < 0 {
		return fmt.Errorf("calendar: limit: %d %s: must not be negative: %w", l.N, l.Unit, ErrInvalid)
	}
	return nil
}

// String returns the limit as users read it, e.g. "5个工作日", "2小时".
func (l Limit) String() string {
	switch l.Unit {
	case WorkingDays:
		return fmt.Sprintf("%d个工作日", l.N)
	case Hours:
		return fmt.Sprintf("%d小时", l.N)
	case Minutes:
		return fmt.Sprintf("%d分钟", l.N)
	case CalendarDays:
		return fmt.Sprintf("%d日", l.N)
	}
	return fmt.Sprintf("%d %s", l.N, l.Unit)
}

// Deadline returns when limit l, started at start, runs out, in UTC. A
// working-day limit ends at the close of its last working day (see
// [Calendar.AddWorkingDays]); an hour or minute limit ends exactly that long
// after start on the wall clock. A limit that fails [Limit.Validate] gives
// the zero time, which every check treats as long overdue, rather than a
// plausible wrong deadline.
func (c *Calendar) Deadline(start time.Time, l Limit) time.Time {
	if l.Validate() != nil {
		return time.Time{}
	}
	if l.Unit == WorkingDays {
		return c.AddWorkingDays(start, l.N)
	}
	if l.Unit == CalendarDays {
		return c.AddCalendarDays(start, l.N)
	}
	return start.Add(time.Duration(l.N) * l.Unit.wall()).UTC()
}

// Shift returns the deadline due of a limit counted in unit u, moved to give
// back the time a pause (补正, waiting for a missing material, 中止) took
// from pausedFrom to pausedTo. It is called when the clock resumes.
//
// The rule:
//   - Working days: the deadline moves by WorkingDaysBetween(pausedFrom,
//     pausedTo) working days and again ends at the close of a working day.
//     The day the pause began counts as used, as the clock ran that day; the
//     working days after it up to and including the day of resumption are
//     given back, so counting resumes the day after the resumption, just as
//     it starts the day after acceptance. A pause that begins and ends on
//     the same date gives nothing back.
//   - Hours and minutes: the deadline moves by the wall-clock length of the
//     pause, holidays included.
//   - Calendar days: the deadline moves by the days from the date the pause
//     began to the date it ended (the same counting as working days, every
//     day counted), and again moves off a day off (see
//     [Calendar.AddCalendarDays]).
//
// A pause that does not end after it began, or an unknown unit, leaves due
// unchanged.
func (c *Calendar) Shift(due time.Time, u Unit, pausedFrom, pausedTo time.Time) time.Time {
	if !pausedTo.After(pausedFrom) {
		return due
	}
	switch u {
	case WorkingDays:
		n := c.WorkingDaysBetween(pausedFrom, pausedTo)
		if n == 0 {
			return due
		}
		return c.AddWorkingDays(due, n)
	case Hours, Minutes:
		return due.Add(pausedTo.Sub(pausedFrom)).UTC()
	case CalendarDays:
		return c.shiftCalendarDays(due, pausedFrom, pausedTo)
	}
	return due
}
