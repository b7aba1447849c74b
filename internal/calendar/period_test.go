package calendar

import (
	"errors"
	"testing"
)

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Periods are counted as 民法典 第二百零一条、第二百零二条 count them.
func TestPeriodEnd(t *testing.T) {
	cases := []struct {
		from string
		p    Period
		want string
	}{
		// The event day is not counted: 10 days from 1 March end on 11 March.
		{"2026-03-01", Period{10, Days}, "2026-03-11"},
		// The corresponding day of the month of expiry is the last day.
		{"2026-01-15", Period{3, Months}, "2026-04-15"},
		{"2026-11-20", Period{3, Months}, "2027-02-20"},
		// No corresponding day: the month's last day.
		{"2026-01-31", Period{3, Months}, "2026-04-30"},
		{"2025-11-30", Period{3, Months}, "2026-02-28"},
		{"2027-11-30", Period{3, Months}, "2028-02-29"}, // 2028 is a leap year
		{"2024-02-29", Period{1, Years}, "2025-02-28"},
		{"2024-02-29", Period{4, Years}, "2028-02-29"},
		{"2026-07-01", Period{3, Years}, "2029-07-01"},
		{"2026-06-30", Period{6, Months}, "2026-12-30"},
		{"2026-08-31", Period{6, Months}, "2027-02-28"},
		{"2026-12-31", Period{1, Months}, "2027-01-31"},
	}
	for _, c := range cases {
		if got := PeriodEnd(date(t, c.from), c.p).String(); got != c.want {
			t.Errorf("PeriodEnd(%s, %s) = %s, want %s", c.from, c.p, got, c.want)
		}
	}
}

func TestPeriodValidate(t *testing.T) {
	for _, p := range []Period{{0, Months}, {-1, Days}, {3, "weeks"}, {1201, Days}} {
		if err := p.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v, want ErrInvalid", p, err)
		}
	}
	if err := (Period{3, Years}).Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"", "2026-2-3", "2026-02-30", "20260203", "2026-02-03T00:00:00Z"} {
		if _, err := ParseDate(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDate(%q): %v, want ErrInvalid", s, err)
		}
	}
	d := date(t, "2026-02-03")
	if d.String() != "2026-02-03" || d.AddDays(-3).String() != "2026-01-31" || !d.After(d.AddDays(-1)) {
		t.Errorf("date arithmetic: %s", d)
	}
	if got := DateOf(d.Start()); !got.Equal(d) {
		t.Errorf("DateOf(Start) = %s", got)
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() {
		t.Error("zero date")
	}
}
