package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// reference is the table of /work/shared/reference/calendar-cn.md, typed in
// again by hand so that the embedded file is checked against an independent
// copy: days off and make-up workdays, inclusive ranges.
var reference = map[int]struct{ off, on [][2]string }{
	2025: {
		off: [][2]string{
			{"2025-01-01", "2025-01-01"},
			{"2025-01-28", "2025-02-04"},
			{"2025-04-04", "2025-04-06"},
			{"2025-05-01", "2025-05-05"},
			{"2025-05-31", "2025-06-02"},
			{"2025-10-01", "2025-10-08"},
		},
		on: [][2]string{
			{"2025-01-26", "2025-01-26"}, {"2025-02-08", "2025-02-08"},
			{"2025-04-27", "2025-04-27"},
			{"2025-09-28", "2025-09-28"}, {"2025-10-11", "2025-10-11"},
		},
	},
	2026: {
		off: [][2]string{
			{"2026-01-01", "2026-01-03"},
			{"2026-02-15", "2026-02-23"},
			{"2026-04-04", "2026-04-06"},
			{"2026-05-01", "2026-05-05"},
			{"2026-06-19", "2026-06-21"},
			{"2026-09-25", "2026-09-27"},
			{"2026-10-01", "2026-10-07"},
		},
		on: [][2]string{
			{"2026-01-04", "2026-01-04"},
			{"2026-02-14", "2026-02-14"}, {"2026-02-28", "2026-02-28"},
			{"2026-05-09", "2026-05-09"},
			{"2026-09-20", "2026-09-20"}, {"2026-10-10", "2026-10-10"},
		},
	},
}

// referenceWorkday decides a date from the reference table with time.Time
// alone, without any of the package's arithmetic.
func referenceWorkday(t *testing.T, date time.Time) bool {
	t.Helper()
	in := func(ranges [][2]string) bool {
		for _, r := range ranges {
			lo, err1 := time.Parse(DateLayout, r[0])
			hi, err2 := time.Parse(DateLayout, r[1])
			if err1 != nil || err2 != nil {
				t.Fatalf("bad reference range %v", r)
			}
			if !date.Before(lo) && !date.After(hi) {
				return true
			}
		}
		return false
	}
	ref := reference[date.Year()]
	switch {
	case in(ref.off):
		return false
	case in(ref.on):
		return true
	}
	return date.Weekday() != time.Saturday && date.Weekday() != time.Sunday
}

func official(t testing.TB) *Calendar {
	t.Helper()
	return New(Official())
}

func TestOfficialMatchesReference(t *testing.T) {
	c := official(t)
	if got := c.Years(); len(got) != 2 || got[0] != 2025 || got[1] != 2026 {
		t.Fatalf("Years() = %v, want [2025 2026]", got)
	}
	// The totals are also known independently: 261 weekdays in each year,
	// minus the 13 statutory holiday days that fall on them, the rest of
	// each break being made up by the 调休 weekends.
	wantTotal := map[int]int{2025: 248, 2026: 248}
	for year := range reference {
		counted := 0
		for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
			want := referenceWorkday(t, d)
			if want {
				counted++
			}
			at := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, CST)
			if got := c.IsWorkday(at); got != want {
				t.Errorf("IsWorkday(%s) = %v, want %v", d.Format(DateLayout), got, want)
			}
		}
		if counted != wantTotal[year] {
			t.Errorf("reference %d: counted %d working days, want %d", year, counted, wantTotal[year])
		}
		dec31 := time.Date(year-1, 12, 31, 9, 0, 0, 0, CST)
		end := time.Date(year, 12, 31, 9, 0, 0, 0, CST)
		if got := c.WorkingDaysBetween(dec31, end); got != counted {
			t.Errorf("WorkingDaysBetween over %d = %d, want %d", year, got, counted)
		}
	}
}

func TestOfficialSpecificDates(t *testing.T) {
	c := official(t)
	tests := []struct {
		date    string
		weekday time.Weekday
		work    bool
		name    string // of the special day, "" when the day is ordinary
	}{
		{"2025-01-01", time.Wednesday, false, "元旦"},
		{"2025-01-26", time.Sunday, true, "春节"},
		{"2025-01-27", time.Monday, true, ""},
		{"2025-01-28", time.Tuesday, false, "春节"},
		{"2025-02-04", time.Tuesday, false, "春节"},
		{"2025-02-05", time.Wednesday, true, ""},
		{"2025-02-08", time.Saturday, true, "春节"},
		{"2025-04-27", time.Sunday, true, "劳动节"},
		{"2025-05-05", time.Monday, false, "劳动节"},
		{"2025-09-28", time.Sunday, true, "国庆节、中秋节"},
		{"2025-10-08", time.Wednesday, false, "国庆节、中秋节"},
		{"2025-10-11", time.Saturday, true, "国庆节、中秋节"},
		{"2025-10-12", time.Sunday, false, ""},
		{"2026-01-02", time.Friday, false, "元旦"},
		{"2026-01-04", time.Sunday, true, "元旦"},
		{"2026-02-14", time.Saturday, true, "春节"},
		{"2026-02-15", time.Sunday, false, "春节"},
		{"2026-02-16", time.Monday, false, "春节"},
		{"2026-02-23", time.Monday, false, "春节"},
		{"2026-02-24", time.Tuesday, true, ""},
		{"2026-02-28", time.Saturday, true, "春节"},
		{"2026-04-06", time.Monday, false, "清明节"},
		{"2026-05-09", time.Saturday, true, "劳动节"},
		{"2026-06-19", time.Friday, false, "端午节"},
		{"2026-09-20", time.Sunday, true, "国庆节"},
		{"2026-09-25", time.Friday, false, "中秋节"},
		{"2026-10-07", time.Wednesday, false, "国庆节"},
		{"2026-10-08", time.Thursday, true, ""},
		{"2026-10-10", time.Saturday, true, "国庆节"},
		{"2026-10-11", time.Sunday, false, ""},
	}
	for _, tt := range tests {
		d, err := time.ParseInLocation(DateLayout, tt.date, CST)
		if err != nil {
			t.Fatal(err)
		}
		if d.Weekday() != tt.weekday {
			t.Fatalf("%s is a %s, not a %s: fix the test", tt.date, d.Weekday(), tt.weekday)
		}
		if got := c.IsWorkday(d); got != tt.work {
			t.Errorf("IsWorkday(%s %s) = %v, want %v", tt.date, tt.weekday, got, tt.work)
		}
		day, ok := c.Special(d)
		if ok != (tt.name != "") || day.Name != tt.name {
			t.Errorf("Special(%s) = %+v, %v; want name %q", tt.date, day, ok, tt.name)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"entry before year", "holiday 2026-01-01 元旦", "line 1"},
		{"unknown kind", "year 2026\nfeast 2026-01-01 元旦", "unknown kind"},
		{"bad date", "year 2026\nholiday 2026-13-01 元旦", "bad date"},
		{"reversed range", "year 2026\nholiday 2026-01-03..2026-01-01 元旦", "ends before"},
		{"missing name", "year 2026\nholiday 2026-01-01", "want KIND"},
		{"year twice", "year 2026\nyear 2026", "given twice"},
		{"outside year", "year 2026\nholiday 2025-12-31 元旦", "2025-12-31"},
		{"weekday make-up", "year 2026\nworkday 2026-01-05 元旦", "2026-01-05"},
		{"overlap", "year 2026\nholiday 2026-01-01..2026-01-03 元旦\nworkday 2026-01-03 元旦", "日期重复"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.text))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse: err = %v, want one wrapping ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}
