package calendar

import (
	"errors"
	"testing"
	"time"
)

func TestDeadline(t *testing.T) {
	c := official(t)
	tests := []struct {
		name  string
		start string
		l     Limit
		want  time.Time
	}{
		{"working days: worked example", "2026-09-30 16:00", Limit{5, WorkingDays}, endOf(t, "2026-10-13")},
		{"working days: zero", "2026-09-30 16:00", Limit{0, WorkingDays}, endOf(t, "2026-09-30")},
		// Hours run through the night and the holiday.
		{"hours over a holiday", "2026-09-30 16:00", Limit{24, Hours}, at(t, "2026-10-01 16:00").UTC()},
		{"hours over a weekend", "2026-03-06 22:00", Limit{48, Hours}, at(t, "2026-03-08 22:00").UTC()},
		{"minutes: urgent ticket", "2026-10-02 03:10", Limit{30, Minutes}, at(t, "2026-10-02 03:40").UTC()},
		{"unknown unit", "2026-09-30 16:00", Limit{5, "weeks"}, time.Time{}},
		{"negative", "2026-09-30 16:00", Limit{-1, Hours}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Deadline(at(t, tt.start), tt.l)
			if !got.Equal(tt.want) {
				t.Errorf("Deadline(%s, %v) = %s, want %s", tt.start, tt.l, got.In(CST), tt.want.In(CST))
			}
		})
	}
}

func TestLimit(t *testing.T) {
	for _, l := range []Limit{{5, WorkingDays}, {0, Hours}, {30, Minutes}} {
		if err := l.Validate(); err != nil {
			t.Errorf("%v: %v", l, err)
		}
	}
	for _, l := range []Limit{{5, ""}, {5, "days"}, {-1, WorkingDays}} {
		if err := l.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", l, err)
		}
	}
	if s := (Limit{5, WorkingDays}).String(); s != "5个工作日" {
		t.Errorf("String() = %q", s)
	}
}

func TestShift(t *testing.T) {
	c := official(t)
	tests := []struct {
		name     string
		due      time.Time
		unit     Unit
		from, to string
		want     time.Time
	}{
		// Due Friday 03-13; paused Monday 03-09, resumed Wednesday 03-11:
		// Tuesday and Wednesday are given back, so due moves two working
		// days to Tuesday 03-17.
		{"working days", endOf(t, "2026-03-13"), WorkingDays, "2026-03-09 10:00", "2026-03-11 15:00", endOf(t, "2026-03-17")},
		{"same-day pause gives nothing back", endOf(t, "2026-03-13"), WorkingDays, "2026-03-09 10:00", "2026-03-09 17:00", endOf(t, "2026-03-13")},
		{"pause over a weekend only", endOf(t, "2026-03-13"), WorkingDays, "2026-03-06 18:00", "2026-03-08 10:00", endOf(t, "2026-03-13")},
		// Paused Friday 02-13 over 春节, resumed Wednesday 02-25: given back
		// 02-14 (make-up Saturday), 02-24, 02-25 = 3; due Thursday 02-26
		// moves past 02-27 and the make-up Saturday 02-28 to Monday 03-02.
		{"working days across spring festival", endOf(t, "2026-02-26"), WorkingDays, "2026-02-13 10:00", "2026-02-25 09:00", endOf(t, "2026-03-02")},
		{"reversed pause", endOf(t, "2026-03-13"), WorkingDays, "2026-03-11 10:00", "2026-03-09 10:00", endOf(t, "2026-03-13")},
		// Hours: the wall-clock length of the pause, holidays included.
		{"hours", at(t, "2026-10-01 12:00").UTC(), Hours, "2026-10-01 09:00", "2026-10-02 11:30", at(t, "2026-10-02 14:30").UTC()},
		{"minutes", at(t, "2026-10-01 12:00").UTC(), Minutes, "2026-10-01 09:00", "2026-10-01 09:20", at(t, "2026-10-01 12:20").UTC()},
		{"hours reversed", at(t, "2026-10-01 12:00").UTC(), Hours, "2026-10-02 09:00", "2026-10-01 09:00", at(t, "2026-10-01 12:00").UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Shift(tt.due, tt.unit, at(t, tt.from), at(t, tt.to))
			if !got.Equal(tt.want) {
				t.Errorf("Shift(%s, %s, %s, %s) = %s, want %s", tt.due.In(CST), tt.unit, tt.from, tt.to, got.In(CST), tt.want.In(CST))
			}
		})
	}
}

// A case paused and resumed ends where the same case would, had the
// working days of the pause never happened: the limit spent before the pause
// plus the limit left after resumption equals the whole limit.
func TestShiftKeepsLimit(t *testing.T) {
	c := official(t)
	start := at(t, "2026-09-21 10:00")
	l := Limit{10, WorkingDays}
	due := c.Deadline(start, l)
	pFrom, pTo := at(t, "2026-09-24 11:00"), at(t, "2026-10-09 16:00")
	due = c.Shift(due, l.Unit, pFrom, pTo)
	used := c.WorkingDaysBetween(start, pFrom)
	left := c.WorkingDaysBetween(pTo, due)
	if used+left != l.N {
		t.Errorf("used %d before the pause and %d after it, want %d in all (due %s)", used, left, l.N, due.In(CST))
	}
}
