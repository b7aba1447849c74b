package calendar

import (
	"fmt"
	"time"
)

// Date is a civil date (a day in China, with no time of day), as decisions,
// listings and publication terms are dated. The zero Date is "no date".
type Date struct {
	t time.Time // midnight UTC of the day; zero for no date
}

// ParseDate reads a YYYY-MM-DD date; a malformed one wraps ErrInvalid.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q: want YYYY-MM-DD", ErrInvalid, s)
	}
	return Date{t: t}, nil
}

// DateOf returns the date in China of the instant t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(CST).Date()
	return NewDate(y, m, d)
}

// NewDate returns the date y-m-d, normalised as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	return Date{t: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String formats d as YYYY-MM-DD, and no date as "".
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// Year, Month and Day return the parts of d.
func (d Date) Year() int         { return d.t.Year() }
func (d Date) Month() time.Month { return d.t.Month() }
func (d Date) Day() int          { return d.t.Day() }

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return Date{t: d.t.AddDate(0, 0, n)} }

// Before, After and Equal compare dates.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }
func (d Date) After(e Date) bool  { return d.t.After(e.t) }
func (d Date) Equal(e Date) bool  { return d.t.Equal(e.t) }

// Start returns the first instant of d in China, in UTC.
func (d Date) Start() time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, CST).UTC()
}

// PeriodUnit is the unit a legal period is given in.
type PeriodUnit string

// The units of a period counted by 民法典 第二百零一条、第二百零二条.
const (
	Days   PeriodUnit = "days"
	Months PeriodUnit = "months"
	Years  PeriodUnit = "years"
)

// Period is a legal period of N days, months or years (e.g. a penalty's
// publication for 3 months, a listing for 3 years).
type Period struct {
	N    int        `json:"n"`
	Unit PeriodUnit `json:"unit" enum:"days,months,years"`
}

// Validate reports a period that cannot be counted.
func (p Period) Validate() error {
	if p.N <= 0 || p.N > 1200 {
		return fmt.Errorf("%w: period %d must be 1–1200", ErrInvalid, p.N)
	}
	switch p.Unit {
	case Days, Months, Years:
		return nil
	}
	return fmt.Errorf("%w: period unit %q", ErrInvalid, p.Unit)
}

// String names the period, e.g. "3 months".
func (p Period) String() string { return fmt.Sprintf("%d %s", p.N, p.Unit) }

// PeriodEnd returns the last day of the period p that starts with the event
// of date from, counted as the Civil Code counts it: the day of the event
// is not counted, the period begins the next day (第二百零一条); a period
// of months or years ends on the day of the last month whose number
// matches the day of the event, or on that month's last day when it has
// no such day (第二百零二条). So a 3-month period from 2026-01-31 ends on
// 2026-04-30, and a 1-year period from 2024-02-29 on 2025-02-28.
//
// Article 203 (a last day falling on a public holiday moves to the next
// working day) governs acts to be done within a period, not how long
// information stays shown, so it is not applied here.
func PeriodEnd(from Date, p Period) Date {
	switch p.Unit {
	case Days:
		return from.AddDays(p.N)
	case Years:
		return addMonths(from, 12*p.N)
	default:
		return addMonths(from, p.N)
	}
}

// addMonths moves d by n months, keeping its day of the month or taking the
// last day of the target month when it is shorter.
func addMonths(d Date, n int) Date {
	y, m := d.Year(), d.Month()
	total := int(m) - 1 + n
	ty, tm := y+floorDiv(total, 12), time.Month(floorMod(total, 12)+1)
	last := time.Date(ty, tm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return NewDate(ty, tm, min(d.Day(), last))
}
