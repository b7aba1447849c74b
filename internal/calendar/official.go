package calendar

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// officialText holds the State Council arrangements shipped with the
// program, in the format Parse reads.
//
//go:embed official.txt
var officialText string

// Official returns the arrangements shipped with the program (2025 and
// 2026), freshly parsed so callers may modify the result. The embedded file
// is checked by the tests, so a parse failure is a build defect and panics.
func Official() []Year {
	ys, err := Parse(strings.NewReader(officialText))
	if err != nil {
		panic("calendar: embedded official.txt: " + err.Error())
	}
	return ys
}

// Parse reads years in the text format of official.txt, which an
// administrator may also use to import a new year:
//
//	# comment
//	year 2026 国务院办公厅关于2026年部分节假日安排的通知
//	holiday 2026-02-15..2026-02-23 春节
//	workday 2026-02-14 春节
//
// A "year" line opens a year and gives its note; each following line is a
// kind, a date or an inclusive range of dates, and a name. Every year read
// is checked with [Year.Validate]. Errors name the line and wrap ErrInvalid.
func Parse(r io.Reader) ([]Year, error) {
	var (
		years []Year
		cur   = -1 // index in years of the year being read
		line  int
	)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("calendar: parse: line %d: %s: %w", line, fmt.Sprintf(format, args...), ErrInvalid)
		}
		fields := strings.Fields(text)
		if fields[0] == "year" {
			if len(fields) < 2 {
				return nil, bad("year line needs a year")
			}
			y, err := strconv.Atoi(fields[1])
			if err != nil {
				return nil, bad("bad year %q", fields[1])
			}
			for _, prev := range years {
				if prev.Year == y {
					return nil, bad("year %d given twice", y)
				}
			}
			years = append(years, Year{Year: y, Note: strings.Join(fields[2:], " ")})
			cur = len(years) - 1
			continue
		}
		if cur < 0 {
			return nil, bad("entry before the first year line")
		}
		if len(fields) < 3 {
			return nil, bad("want KIND DATE[..DATE] NAME")
		}
		kind := Kind(fields[0])
		if !kind.Valid() {
			return nil, bad("unknown kind %q", fields[0])
		}
		lo, hi, isRange := strings.Cut(fields[1], "..")
		if !isRange {
			hi = lo
		}
		a, okA := parseDay(lo)
		b, okB := parseDay(hi)
		if !okA || !okB {
			return nil, bad("bad date %q", fields[1])
		}
		if b < a {
			return nil, bad("range %q ends before it starts", fields[1])
		}
		if b-a > 366 {
			return nil, bad("range %q longer than a year", fields[1])
		}
		name := strings.Join(fields[2:], " ")
		for n := a; n <= b; n++ {
			years[cur].Days = append(years[cur].Days, Day{Date: formatDay(n), Kind: kind, Name: name})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("calendar: parse: %w", err)
	}
	for _, y := range years {
		if err := y.Validate(); err != nil {
			return nil, err
		}
	}
	return years, nil
}
