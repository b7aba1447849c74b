package calendar

import (
	"testing"
	"time"
)

// TestAddCalendarDays: 行政处罚法's 90-day decision limit and 15-day payment
// limit count days, from the day after the event, and a last day that is a
// day off moves to the next working day.
func TestAddCalendarDays(t *testing.T) {
	c := official(t)
	tests := []struct {
		name, from string
		n          int
		want       string
	}{
		{"15 days on working days", "2026-03-02 10:00", 15, "2026-03-17"},
		// 2026-03-02 + 90 = Sunday 05-31 → Monday 06-01.
		{"90 days ending on a Sunday", "2026-03-02 10:00", 90, "2026-06-01"},
		// 2026-09-18 + 15 = 10-03, in 国庆节 (10-01 … 10-07) → Thursday 10-08.
		{"15 days ending in the national holiday", "2026-09-18 09:00", 15, "2026-10-08"},
		// 2026-09-25 + 15 = Saturday 10-10, a make-up workday: it stays.
		{"15 days ending on a make-up Saturday", "2026-09-25 09:00", 15, "2026-10-10"},
		// Late in the evening in China is still that day.
		{"counted in China's date", "2026-03-02 23:30", 15, "2026-03-17"},
		{"zero", "2026-03-02 10:00", 0, "2026-03-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddCalendarDays(at(t, tt.from), tt.n)
			if want := endOf(t, tt.want); !got.Equal(want) {
				t.Errorf("AddCalendarDays(%s, %d) = %s, want %s", tt.from, tt.n, got.In(CST), want.In(CST))
			}
			if l := (Limit{tt.n, CalendarDays}); !c.Deadline(at(t, tt.from), l).Equal(got) {
				t.Errorf("Deadline(%v) differs from AddCalendarDays", l)
			}
		})
	}
	if s := (Limit{90, CalendarDays}).String(); s != "90日" {
		t.Errorf("String() = %q, want 90日", s)
	}
	if err := (Limit{90, CalendarDays}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestShiftCalendarDays(t *testing.T) {
	c := official(t)
	// Due Tuesday 03-17; paused Monday 03-09 to Wednesday 03-11: two days
	// back, due Thursday 03-19.
	if got, want := c.Shift(endOf(t, "2026-03-17"), CalendarDays, at(t, "2026-03-09 10:00"), at(t, "2026-03-11 15:00")),
		endOf(t, "2026-03-19"); !got.Equal(want) {
		t.Errorf("Shift = %s, want %s", got.In(CST), want.In(CST))
	}
	// Due Thursday 03-19, paused two days → Saturday 03-21 → Monday 03-23.
	if got, want := c.Shift(endOf(t, "2026-03-19"), CalendarDays, at(t, "2026-03-09 10:00"), at(t, "2026-03-11 15:00")),
		endOf(t, "2026-03-23"); !got.Equal(want) {
		t.Errorf("Shift onto a weekend = %s, want %s", got.In(CST), want.In(CST))
	}
	if got := c.Shift(endOf(t, "2026-03-17"), CalendarDays, at(t, "2026-03-09 10:00"), at(t, "2026-03-09 18:00")); !got.Equal(endOf(t, "2026-03-17")) {
		t.Errorf("same-day pause moved the deadline to %s", got.In(CST))
	}
	if n := CalendarDaysBetween(at(t, "2026-03-09 23:00"), at(t, "2026-03-10 01:00")); n != 1 {
		t.Errorf("CalendarDaysBetween = %d, want 1", n)
	}
	_ = time.Second
}
