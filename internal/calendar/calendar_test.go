package calendar

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// at returns the instant "YYYY-MM-DD hh:mm" in CST.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, CST)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// endOf returns the close of the date s, as AddWorkingDays reports it.
func endOf(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(DateLayout, s, CST)
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(24*time.Hour - time.Microsecond).UTC()
}

func TestAddWorkingDays(t *testing.T) {
	c := official(t)
	tests := []struct {
		name string
		from string
		n    int
		due  string
	}{
		// The reference's worked example: 10-08, 10-09, 10-10 (make-up
		// Saturday), 10-12, 10-13.
		{"worked example", "2026-09-30 16:00", 5, "2026-10-13"},
		{"zero is the same day", "2026-09-30 16:00", 0, "2026-09-30"},
		{"zero on a holiday", "2026-10-01 10:00", 0, "2026-10-01"},
		{"next day", "2026-03-02 09:00", 1, "2026-03-03"},
		{"friday skips the weekend", "2026-03-06 09:00", 1, "2026-03-09"},
		{"accepted on a sunday", "2026-03-08 09:00", 1, "2026-03-09"},
		{"plain weeks", "2026-03-02 09:00", 10, "2026-03-16"},
		// 2026-05-08 Fri; 05-09 is a make-up Saturday and counts.
		{"make-up saturday counted", "2026-05-08 09:00", 1, "2026-05-09"},
		{"make-up saturday then monday", "2026-05-08 09:00", 2, "2026-05-11"},
		// 春节 2026: 02-14 Sat works, 02-15..02-23 off, 02-28 Sat works.
		{"into spring festival", "2026-02-12 09:00", 2, "2026-02-14"},
		{"across spring festival", "2026-02-13 09:00", 2, "2026-02-24"},
		{"spring festival 20 days", "2026-02-10 09:00", 20, "2026-03-16"},
		{"across new year to a sunday make-up", "2025-12-30 09:00", 2, "2026-01-04"},
		{"2025 spring festival with sunday make-up", "2025-01-24 09:00", 3, "2025-02-05"},
		{"national day 2025", "2025-09-26 09:00", 6, "2025-10-11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AddWorkingDays(at(t, tt.from), tt.n)
			if want := endOf(t, tt.due); !got.Equal(want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want end of %s", tt.from, tt.n, got.In(CST), tt.due)
			}
			if got.Location() != time.UTC {
				t.Errorf("result in %v, want UTC", got.Location())
			}
		})
	}
}

// The date of an instant is its date in CST: 2026-09-30 17:00 UTC is
// 2026-10-01 01:00 in Beijing, a holiday; 2026-10-08 17:00 UTC is Friday
// 10-09 in Beijing, so one working day later is the make-up Saturday 10-10.
func TestDatesAreInCST(t *testing.T) {
	c := official(t)
	if c.IsWorkday(time.Date(2026, 9, 30, 17, 0, 0, 0, time.UTC)) {
		t.Error("2026-09-30T17:00Z is 10-01 in CST, a holiday")
	}
	utc := time.Date(2026, 10, 8, 17, 0, 0, 0, time.UTC)
	if got, want := c.AddWorkingDays(utc, 1), endOf(t, "2026-10-10"); !got.Equal(want) {
		t.Errorf("AddWorkingDays from 2026-10-08T17:00Z = %s, want end of 2026-10-10", got.In(CST))
	}
	want := time.Date(2026, 10, 13, 15, 59, 59, 999999000, time.UTC)
	if got := c.AddWorkingDays(at(t, "2026-09-30 08:00"), 5); !got.Equal(want) {
		t.Errorf("deadline instant = %s, want %s", got, want)
	}
}

func TestWeekendsWithoutData(t *testing.T) {
	c := New(nil)
	for _, tt := range []struct {
		date string
		work bool
	}{
		{"2030-01-05 10:00", false}, // Saturday
		{"2030-01-06 10:00", false}, // Sunday
		{"2030-01-07 10:00", true},  // Monday
		{"2030-01-01 10:00", true},  // New Year's Day, but no data: never guessed
		{"1969-12-31 10:00", true},  // before day 0, a Wednesday
		{"1969-12-28 10:00", false}, // Sunday
	} {
		if got := c.IsWorkday(at(t, tt.date)); got != tt.work {
			t.Errorf("IsWorkday(%s) = %v, want %v", tt.date, got, tt.work)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := official(t)
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{"same instant", "2026-03-03 09:00", "2026-03-03 09:00", 0},
		{"same day", "2026-03-03 09:00", "2026-03-03 18:00", 0},
		{"reversed", "2026-03-05 09:00", "2026-03-03 09:00", 0},
		{"next day", "2026-03-03 18:00", "2026-03-04 08:00", 1},
		{"over a weekend", "2026-03-06 09:00", "2026-03-09 09:00", 1},
		{"ending on a sunday", "2026-03-06 09:00", "2026-03-08 09:00", 0},
		{"national day week", "2026-09-30 09:00", "2026-10-07 09:00", 0},
		{"worked example", "2026-09-30 09:00", "2026-10-13 09:00", 5},
		{"across years", "2025-12-30 09:00", "2026-01-05 09:00", 3}, // 12-31, 01-04 Sun make-up, 01-05
		{"2025 whole", "2024-12-31 09:00", "2025-12-31 09:00", 248},
		{"two years", "2024-12-31 09:00", "2026-12-31 09:00", 496},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkingDaysBetween(at(t, tt.from), at(t, tt.to)); got != tt.want {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// AddWorkingDays and WorkingDaysBetween must agree with each other and with
// a plain day-by-day walk, across known and unknown years.
func TestArithmeticAgrees(t *testing.T) {
	c := official(t)
	start := at(t, "2024-11-01 10:00")
	for day := 0; day < 1000; day += 3 {
		from := start.AddDate(0, 0, day)
		for _, n := range []int{1, 2, 5, 15, 60} {
			due := c.AddWorkingDays(from, n)
			if got := c.WorkingDaysBetween(from, due); got != n {
				t.Fatalf("from %s: WorkingDaysBetween(from, AddWorkingDays(from, %d)) = %d", from.In(CST), n, got)
			}
			if !c.IsWorkday(due) {
				t.Fatalf("from %s, %d: due %s is not a working day", from.In(CST), n, due.In(CST))
			}
			// Walk day by day.
			walked, d := 0, from
			for walked < n {
				d = d.AddDate(0, 0, 1)
				if c.IsWorkday(d) {
					walked++
				}
			}
			if y, m, dd := d.In(CST).Date(); due.In(CST).Year() != y || due.In(CST).Month() != m || due.In(CST).Day() != dd {
				t.Fatalf("from %s, %d: due %s, walked to %s", from.In(CST), n, due.In(CST), d.In(CST))
			}
		}
	}
}

func TestMissingYear(t *testing.T) {
	c := official(t)
	for _, tt := range []struct {
		year    int
		missing bool
	}{{2024, true}, {2025, false}, {2026, false}, {2027, true}} {
		if got := c.Missing(tt.year); got != tt.missing {
			t.Errorf("Missing(%d) = %v, want %v", tt.year, got, tt.missing)
		}
	}
	// 2027 has no data: 2027-01-01 (Friday) counts as a working day, as
	// does 2027's real 春节 — the calendar does not guess.
	if got, want := c.AddWorkingDays(at(t, "2026-12-31 10:00"), 1), endOf(t, "2027-01-01"); !got.Equal(want) {
		t.Errorf("into 2027: due %s, want end of 2027-01-01", got.In(CST))
	}
	// 2027 has 261 weekdays.
	if got := c.WorkingDaysBetween(at(t, "2026-12-31 10:00"), at(t, "2027-12-31 10:00")); got != 261 {
		t.Errorf("2027 working days = %d, want 261", got)
	}
	var nilCal *Calendar
	if !nilCal.Missing(2026) || !nilCal.IsWorkday(at(t, "2026-02-16 10:00")) || len(nilCal.Years()) != 0 {
		t.Error("a nil calendar must know no year and count Monday to Friday")
	}
}

func TestNewIgnoresBadDaysAndCopies(t *testing.T) {
	days := []Day{
		{Date: "2030-01-01", Kind: Holiday, Name: "元旦"},
		{Date: "2031-01-02", Kind: Holiday, Name: "outside"},
		{Date: "garbage", Kind: Holiday},
		{Date: "2030-01-03", Kind: "feast"},
	}
	c := New([]Year{{Year: 2030, Days: days}})
	if c.IsWorkday(at(t, "2030-01-01 10:00")) {
		t.Error("2030-01-01 is listed as a holiday")
	}
	if !c.IsWorkday(at(t, "2030-01-03 10:00")) || !c.IsWorkday(at(t, "2031-01-02 10:00")) {
		t.Error("invalid days must be ignored")
	}
	days[0].Kind = Workday // the snapshot must not see the caller's later edits
	if c.IsWorkday(at(t, "2030-01-01 10:00")) {
		t.Error("calendar changed when the input slice did")
	}
	y, ok := c.Year(2030)
	if !ok || len(y.Days) != 1 || y.Days[0].Date != "2030-01-01" {
		t.Errorf("Year(2030) = %+v, %v", y, ok)
	}
}

func TestDueDate(t *testing.T) {
	c := official(t)
	got, err := DueDate(c, "2026-09-30", 5)
	if err != nil || got != "2026-10-13" {
		t.Errorf(`DueDate("2026-09-30", 5) = %q, %v; want "2026-10-13"`, got, err)
	}
	if got, _ := DueDate(c, "2026-02-13", 1); got != "2026-02-14" {
		t.Errorf(`DueDate("2026-02-13", 1) = %q, want the make-up Saturday 2026-02-14`, got)
	}
	for _, bad := range []struct {
		from string
		n    int
	}{{"2026-9-30", 5}, {"30/09/2026", 5}, {"2026-02-30", 1}, {"", 1}, {"2026-09-30", -1}} {
		if _, err := DueDate(c, bad.from, bad.n); !errors.Is(err, ErrInvalid) {
			t.Errorf("DueDate(%q, %d): err = %v, want ErrInvalid", bad.from, bad.n, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		y    Year
		date string // named by the error; "" for none
		ok   bool
	}{
		{"official 2026", Official()[1], "", true},
		{"holiday on a weekend", Year{Year: 2027, Days: []Day{{"2027-01-02", Holiday, "元旦"}}}, "", true},
		{"empty year", Year{Year: 2027}, "", true},
		{"outside the year", Year{Year: 2027, Days: []Day{{"2026-12-31", Holiday, "元旦"}}}, "2026-12-31", false},
		{"twice", Year{Year: 2027, Days: []Day{{"2027-01-01", Holiday, "元旦"}, {"2027-01-01", Holiday, "元旦"}}}, "2027-01-01", false},
		{"make-up on a friday", Year{Year: 2027, Days: []Day{{"2027-01-08", Workday, "元旦"}}}, "2027-01-08", false},
		{"make-up on a saturday", Year{Year: 2027, Days: []Day{{"2027-01-09", Workday, "元旦"}}}, "", true},
		{"unknown kind", Year{Year: 2027, Days: []Day{{"2027-01-09", "off", "元旦"}}}, "2027-01-09", false},
		{"bad date", Year{Year: 2027, Days: []Day{{"2027-1-9", Holiday, "元旦"}}}, "2027-1-9", false},
		{"absurd year", Year{Year: 27}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.y.Validate()
			if tt.ok {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate: err = %v, want *ValidationError wrapping ErrInvalid", err)
			}
			if ve.Date != tt.date || ve.Year != tt.y.Year {
				t.Errorf("error names %d %q, want %d %q", ve.Year, ve.Date, tt.y.Year, tt.date)
			}
		})
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c := official(b)
	from := at(b, "2026-09-30 16:00")
	for _, n := range []int{5, 20, 60} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for b.Loop() {
				c.AddWorkingDays(from, n)
			}
		})
	}
}
