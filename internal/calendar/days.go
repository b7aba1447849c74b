package calendar

import "time"

// AddCalendarDays returns the deadline of a limit of n days (日, not 工作日)
// counted from the event at from, as 行政处罚法 counts its periods other
// than the "二日""三日""五日""七日" that 第八十五条 makes working days: the
// day of the event is not counted, the period begins the next day, and it
// ends at the close of the n-th day (民法典 第二百零一条), returned as
// 23:59:59.999999 CST of that day, in UTC. n <= 0 gives the end of the date
// of from.
//
// When the last day is a day off (a public holiday, or a Saturday or Sunday
// that is not a make-up workday), the period ends at the close of the next
// working day instead: 民法典 第二百零三条 (期间的最后一日是法定休假日的，以法
// 定休假日结束的次日为期间的最后一日) and the period rule of 市场监督管理行政处罚
// 程序规定 (期间届满的最后一日为法定节假日的，以法定节假日后的第一日为期间届满
// 的日期) both say so for periods within which a party or an authority
// must act, and every limit counted with this unit is such a period (a
// decision, a payment). A make-up workday counts as a working day, as
// offices are open on it.
func (c *Calendar) AddCalendarDays(from time.Time, n int) time.Time {
	d := dayOf(from)
	if n <= 0 {
		return endOfDay(d)
	}
	return endOfDay(c.nextWorkday(d + n))
}

// CalendarDaysBetween returns the number of days d with
// date(from) < d <= date(to), dates in CST; 0 when to is not on a later
// date than from.
func CalendarDaysBetween(from, to time.Time) int {
	a, b := dayOf(from), dayOf(to)
	if b <= a {
		return 0
	}
	return b - a
}

// nextWorkday returns day n when it is a working day, else the first
// working day after it.
func (c *Calendar) nextWorkday(n int) int {
	for !c.IsWorkday(startOfDay(n)) {
		n++
	}
	return n
}

// shiftCalendarDays moves due by the calendar days of the pause from
// pausedFrom to pausedTo, and off a day off.
func (c *Calendar) shiftCalendarDays(due, pausedFrom, pausedTo time.Time) time.Time {
	n := CalendarDaysBetween(pausedFrom, pausedTo)
	if n == 0 {
		return due
	}
	return endOfDay(c.nextWorkday(dayOf(due) + n))
}
