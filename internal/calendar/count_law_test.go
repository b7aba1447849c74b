package calendar

import (
	"testing"
	"time"
)

// calendar-cn.md ("Counting"): a limit of N working days starts the day
// after the event (受理之日起) and ends at the close of the N-th working
// day; accepted Wednesday 2026-09-30, 5 working days are 10-08, 10-09, the
// make-up Saturday 10-10 (调休, 国务院办公厅关于2026年部分节假日安排的通知), 10-12 and 10-13, so the
// limit ends at 23:59:59.999999 CST on Tuesday 2026-10-13.
func TestCalendarCountsFromTheNextDay(t *testing.T) {
	c := New(Official())
	accepted := time.Date(2026, 9, 30, 16, 0, 0, 0, CST)
	due := c.AddWorkingDays(accepted, 5)
	if want := time.Date(2026, 10, 13, 23, 59, 59, 999999000, CST); !due.Equal(want) {
		t.Errorf("5 working days from 2026-09-30: %v, want %v", due.In(CST), want)
	}
	// One working day from a working Friday is the next Monday's close;
	// Saturdays and Sundays are off.
	if got := c.AddWorkingDays(time.Date(2026, 11, 6, 9, 0, 0, 0, CST), 1).In(CST).Format(DateLayout); got != "2026-11-09" {
		t.Errorf("1 working day from Friday 2026-11-06: %s, want 2026-11-09", got)
	}
	// 10-10 is a make-up working day, 10-11 a Sunday off.
	if !c.IsWorkday(time.Date(2026, 10, 10, 12, 0, 0, 0, CST)) || c.IsWorkday(time.Date(2026, 10, 11, 12, 0, 0, 0, CST)) {
		t.Error("2026-10-10 (调休) must be a working day and 10-11 not")
	}
	// Working days between count from the day after: 09-30 → 10-13 holds 5.
	if n := c.WorkingDaysBetween(accepted, due); n != 5 {
		t.Errorf("working days 2026-09-30 → 10-13: %d, want 5", n)
	}
	if n := c.WorkingDaysBetween(time.Date(2026, 10, 9, 8, 0, 0, 0, CST), time.Date(2026, 10, 9, 20, 0, 0, 0, CST)); n != 0 {
		t.Errorf("working days within one day: %d, want 0", n)
	}
}
