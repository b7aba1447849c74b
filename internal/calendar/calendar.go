// Package calendar knows which days are working days (工作日) in mainland
// China and does the deadline arithmetic built on them.
//
// A working day is Monday to Friday, minus the public holidays, plus the
// Saturdays and Sundays the State Council declares as make-up workdays
// (调休上班). The holidays and make-up days are data, published once a year
// (around November of the year before); a [Calendar] is an immutable snapshot
// of that data for the years known. For a year with no data the calendar
// counts Monday to Friday only and never guesses holidays; callers ask
// [Calendar.Missing] and warn.
//
// All dates are dates in China Standard Time ([CST]); instants returned are in
// UTC, as the store keeps them.
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// CST is China Standard Time, UTC+8. China has no daylight saving time, so a
// fixed zone is exact and needs no tzdata on the host.
var CST = time.FixedZone("CST", 8*3600)

// DateLayout is the layout of the dates the calendar reads and writes.
const DateLayout = "2006-01-02"

// ErrInvalid is wrapped by every error caused by bad input (a malformed
// date, a make-up workday on a Tuesday, an unknown kind), so that HTTP
// handlers can answer 4xx with errors.Is.
var ErrInvalid = errors.New("calendar: invalid input")

// Kind says what a special day is.
type Kind string

// The kinds of special day.
const (
	// Holiday is a day off (放假), whatever weekday it falls on.
	Holiday Kind = "holiday"
	// Workday is a Saturday or Sunday declared a make-up workday (调休上班).
	Workday Kind = "workday"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Holiday || k == Workday }

// Day is one special day of a year.
type Day struct {
	Date string // YYYY-MM-DD
	Kind Kind   // Holiday or Workday
	Name string // the festival it belongs to, e.g. 国庆节
}

// Year holds one year's special days as published.
type Year struct {
	Year int
	Days []Day
	// Note says where the arrangement comes from, e.g. the State Council
	// notice; it is kept with the year in the store.
	Note string
}

// Calendar is an immutable snapshot of the special days of the years it
// knows. It is safe for concurrent use. A nil *Calendar knows no year and
// counts Monday to Friday.
type Calendar struct {
	years map[int]*yearData
}

// yearData is one known year, prepared so that membership and counting are
// array lookups.
type yearData struct {
	first int     // day number of 1 January
	work  []bool  // work[i]: day first+i is a working day
	cum   []int32 // cum[i]: working days among work[:i]
	days  []Day   // the special days, sorted by date
}

// New builds a calendar from the given years. It trusts its input: call
// [Year.Validate] first on data from outside. Days whose date does not parse
// or lies outside their year are ignored; when a year is given twice, the
// later one wins.
func New(years []Year) *Calendar {
	c := &Calendar{years: make(map[int]*yearData, len(years))}
	for _, y := range years {
		first := dayNumber(y.Year, time.January, 1)
		last := dayNumber(y.Year+1, time.January, 1) - 1
		yd := &yearData{first: first, work: make([]bool, last-first+1)}
		for i := range yd.work {
			yd.work[i] = isWeekday(first + i)
		}
		for _, d := range y.Days {
			n, ok := parseDay(d.Date)
			if !ok || n < first || n > last || !d.Kind.Valid() {
				continue
			}
			yd.work[n-first] = d.Kind == Workday
			yd.days = append(yd.days, d)
		}
		slices.SortStableFunc(yd.days, func(a, b Day) int {
			if a.Date < b.Date {
				return -1
			}
			if a.Date > b.Date {
				return 1
			}
			return 0
		})
		yd.cum = make([]int32, len(yd.work)+1)
		for i, w := range yd.work {
			yd.cum[i+1] = yd.cum[i]
			if w {
				yd.cum[i+1]++
			}
		}
		c.years[y.Year] = yd
	}
	return c
}

// Missing reports whether the calendar has no data for year, in which case
// it counts that year's Monday to Friday as working days.
func (c *Calendar) Missing(year int) bool { return c.year(year) == nil }

// Years returns the years the calendar has data for, in ascending order.
func (c *Calendar) Years() []int {
	if c == nil {
		return nil
	}
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Year returns a copy of the data the calendar holds for year, with its days
// sorted by date, and whether it has any.
func (c *Calendar) Year(year int) (Year, bool) {
	yd := c.year(year)
	if yd == nil {
		return Year{Year: year}, false
	}
	return Year{Year: year, Days: slices.Clone(yd.days)}, true
}

// Special returns the special day (holiday or make-up workday) on the date
// of t in CST, if there is one, so pages can say why a day is off or on.
func (c *Calendar) Special(t time.Time) (Day, bool) {
	n := dayOf(t)
	yd := c.year(yearOfDay(n))
	if yd == nil {
		return Day{}, false
	}
	date := formatDay(n)
	i, ok := slices.BinarySearchFunc(yd.days, date, func(d Day, s string) int {
		if d.Date < s {
			return -1
		}
		if d.Date > s {
			return 1
		}
		return 0
	})
	if !ok {
		return Day{}, false
	}
	return yd.days[i], true
}

// IsWorkday reports whether the date of t in CST is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	n := dayOf(t)
	if yd := c.year(yearOfDay(n)); yd != nil {
		return yd.work[n-yd.first]
	}
	return isWeekday(n)
}

// AddWorkingDays returns the deadline of a limit of n working days counted
// from the event at from: counting starts the day after the date of from in
// CST (受理之日起, the day of the event itself is not counted) and the limit
// ends at the close of the n-th working day, returned as 23:59:59.999999 CST
// of that day, in UTC. Accepted on Wednesday 2026-09-30 with 5 working days,
// the deadline is the end of Tuesday 2026-10-13. n == 0 (and, for
// robustness, any n < 0) gives the end of the date of from.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := dayOf(from)
	if n <= 0 {
		return endOfDay(d)
	}
	d++
	for {
		y := yearOfDay(d)
		last := dayNumber(y+1, time.January, 1) - 1
		// Skip whole (remainders of) years without walking their days.
		if avail := c.count(d, last); avail < n {
			n -= avail
			d = last + 1
			continue
		}
		yd := c.year(y)
		for ; ; d++ {
			var w bool
			if yd != nil {
				w = yd.work[d-yd.first]
			} else {
				w = isWeekday(d)
			}
			if w {
				if n--; n == 0 {
					return endOfDay(d)
				}
			}
		}
	}
}

// WorkingDaysBetween returns the number of working days d with
// date(from) < d <= date(to), dates in CST: the working days that have
// passed from the day after from up to and including the day of to. It is 0
// when to is not on a later date than from. Overdue days and clock pauses
// are counted with it.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := dayOf(from), dayOf(to)
	if b <= a {
		return 0
	}
	return c.count(a+1, b)
}

// count returns the number of working days among day numbers lo..hi
// inclusive, year by year.
func (c *Calendar) count(lo, hi int) int {
	total := 0
	for lo <= hi {
		y := yearOfDay(lo)
		end := min(hi, dayNumber(y+1, time.January, 1)-1)
		if yd := c.year(y); yd != nil {
			total += int(yd.cum[end-yd.first+1] - yd.cum[lo-yd.first])
		} else {
			total += weekdaysBefore(end+1) - weekdaysBefore(lo)
		}
		lo = end + 1
	}
	return total
}

func (c *Calendar) year(y int) *yearData {
	if c == nil {
		return nil
	}
	return c.years[y]
}

// DueDate returns the date (YYYY-MM-DD) on whose close a limit of n working
// days counted from the date from ends: DueDate(c, "2026-09-30", 5) is
// "2026-10-13". It backs the command "yingshang calendar due DATE N".
func DueDate(c *Calendar, from string, n int) (string, error) {
	d, ok := parseDay(from)
	if !ok {
		return "", fmt.Errorf("calendar: due date: %q is not a date (YYYY-MM-DD): %w", from, ErrInvalid)
	}
	if n < 0 {
		return "", fmt.Errorf("calendar: due date: %d working days: must not be negative: %w", n, ErrInvalid)
	}
	due := c.AddWorkingDays(startOfDay(d), n)
	return due.In(CST).Format(DateLayout), nil
}

// Day numbers count days since 1970-01-01 (day 0, a Thursday); they make
// date arithmetic integer arithmetic.

func dayNumber(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayOf returns the day number of the date of t in CST.
func dayOf(t time.Time) int {
	y, m, d := t.In(CST).Date()
	return dayNumber(y, m, d)
}

func civil(n int) time.Time { return time.Unix(int64(n)*86400, 0).UTC() }

func yearOfDay(n int) int { return civil(n).Year() }

func formatDay(n int) string { return civil(n).Format(DateLayout) }

// parseDay parses a strict YYYY-MM-DD date into a day number.
func parseDay(s string) (int, bool) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || len(s) != len(DateLayout) {
		return 0, false
	}
	return dayNumber(t.Date()), true
}

// startOfDay returns 00:00 CST of day n.
func startOfDay(n int) time.Time {
	y, m, d := civil(n).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, CST)
}

// endOfDay returns 23:59:59.999999 CST of day n, in UTC. The microsecond is
// the precision both databases keep, so the value survives a round trip.
func endOfDay(n int) time.Time {
	y, m, d := civil(n).Date()
	return time.Date(y, m, d, 23, 59, 59, 999999000, CST).UTC()
}

// weekday returns the weekday of day n.
func weekday(n int) time.Weekday {
	return time.Weekday(floorMod(n+4, 7)) // day 0 was a Thursday
}

func isWeekday(n int) bool {
	w := weekday(n)
	return w != time.Saturday && w != time.Sunday
}

// weekdaysBefore returns the number of Mondays to Fridays before day n,
// counted from Monday 1970-01-05 (day 4); negative before it. Differences of
// it count the weekdays in any range.
func weekdaysBefore(n int) int {
	k := n - 4
	weeks := floorDiv(k, 7)
	return weeks*5 + min(k-weeks*7, 5)
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int) int { return a - floorDiv(a, b)*b }
