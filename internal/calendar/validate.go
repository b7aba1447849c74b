package calendar

import (
	"fmt"
	"time"
)

// ValidationError reports why a year's data was refused. It names the
// offending date so that an administrator can find the line to fix; Reason
// is written for that administrator, in Chinese.
type ValidationError struct {
	Year   int    // the year being validated
	Date   string // the offending date as given; empty when the year itself is wrong
	Reason string // what is wrong, e.g. 调休上班日只能是周六或周日
}

func (e *ValidationError) Error() string {
	if e.Date == "" {
		return fmt.Sprintf("calendar: year %d: %s", e.Year, e.Reason)
	}
	return fmt.Sprintf("calendar: year %d: %s: %s", e.Year, e.Date, e.Reason)
}

// Unwrap lets errors.Is(err, ErrInvalid) recognise a refusal.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Years outside this range are refused: the dates could not be written as
// YYYY-MM-DD, and no arrangement exists before the People's Republic.
const (
	minYear = 1949
	maxYear = 9999
)

// Validate checks y as the State Council publishes such data: every date is
// a YYYY-MM-DD date inside the year, no date appears twice, every kind is
// known, and make-up workdays fall on a Saturday or Sunday (a weekday is a
// working day already). Holidays may fall on any day: a festival often
// covers a weekend. It returns a *ValidationError for the first problem.
func (y Year) Validate() error {
	if y.Year < minYear || y.Year > maxYear {
		return &ValidationError{Year: y.Year, Reason: fmt.Sprintf("年份应在 %d 至 %d 之间", minYear, maxYear)}
	}
	seen := make(map[string]bool, len(y.Days))
	for _, d := range y.Days {
		bad := func(reason string) error {
			return &ValidationError{Year: y.Year, Date: d.Date, Reason: reason}
		}
		n, ok := parseDay(d.Date)
		if !ok {
			return bad("日期格式应为 YYYY-MM-DD")
		}
		if yearOfDay(n) != y.Year {
			return bad(fmt.Sprintf("日期不在 %d 年内", y.Year))
		}
		if seen[d.Date] {
			return bad("日期重复")
		}
		seen[d.Date] = true
		switch d.Kind {
		case Holiday:
		case Workday:
			if w := weekday(n); w != time.Saturday && w != time.Sunday {
				return bad("调休上班日只能是周六或周日")
			}
		default:
			return bad(fmt.Sprintf("未知类型 %q，应为 holiday（放假）或 workday（调休上班）", d.Kind))
		}
	}
	return nil
}
