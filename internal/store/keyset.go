package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Keyset pagination: a page of a long list starts after the sort key of the
// last row of the page before, read from the index that orders the list, so
// page 1,000 costs what page 1 costs (OFFSET reads and drops every row before
// it). A list is ordered by a time column and an id that breaks ties, or by
// the id alone; the Cursor holds the last row's values of both.

// ErrBadCursor is returned for a cursor that does not parse; handlers answer
// it with 400.
var ErrBadCursor = errors.New("store: malformed cursor")

// Cursor is the position after the last row of a page: its sort time (zero
// for a list ordered by id alone) and its id. The zero Cursor is the start
// of the list.
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == 0 && c.At.IsZero() }

// String encodes c for a URL: "micros.id", or "id" without a time, or ""
// for the zero Cursor.
func (c Cursor) String() string {
	switch {
	case c.IsZero():
		return ""
	case c.At.IsZero():
		return strconv.FormatInt(c.ID, 10)
	}
	return strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseCursor decodes a Cursor written by String; "" is the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if len(s) > 42 {
		return Cursor{}, ErrBadCursor
	}
	at, id, hasAt := strings.Cut(s, ".")
	if !hasAt {
		id, at = at, ""
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return Cursor{}, ErrBadCursor
	}
	c := Cursor{ID: n}
	if hasAt {
		us, err := strconv.ParseInt(at, 10, 64)
		if err != nil || us < -62135596800000000 || us > 253402300799999999 {
			return Cursor{}, ErrBadCursor
		}
		c.At = time.UnixMicro(us).UTC()
	}
	return c, nil
}

// After returns the condition selecting the rows after c in a list ordered
// by (timeCol, idCol) ascending, or by idCol alone when timeCol is "", and
// its arguments; "1 = 1" for the zero Cursor. Both engines serve a row-value
// comparison from an index on (timeCol, idCol).
func After(timeCol, idCol string, c Cursor) (string, []any) {
	return keyset(timeCol, idCol, c, ">")
}

// Before is After for a list in descending order (newest first).
func Before(timeCol, idCol string, c Cursor) (string, []any) {
	return keyset(timeCol, idCol, c, "<")
}

func keyset(timeCol, idCol string, c Cursor, op string) (string, []any) {
	switch {
	case c.IsZero():
		return "1 = 1", nil
	case timeCol == "":
		return idCol + " " + op + " ?", []any{c.ID}
	}
	return "(" + timeCol + ", " + idCol + ") " + op + " (?, ?)", []any{Time(c.At), c.ID}
}

// Page says where a page of a list ends and how long the list is.
type Page struct {
	// Next is the cursor of the next page, zero on the last page.
	Next Cursor
	// Count is the number of entries of the whole list, counted up to
	// CountBound+1 (more than the bound means "1,000+").
	Count int
}

// CountBound is where a list's count stops: past it a page says "1,000+",
// since counting a million rows on every view costs what reading them does
// and tells a person nothing more.
const CountBound = 1000

// CountUpTo returns the number of rows query (a SELECT, with ? placeholders)
// yields, counting at most CountBound+1 of them; a result above CountBound
// means "more than CountBound".
func CountUpTo(ctx context.Context, db IDB, query string, args ...any) (int, error) {
	var n int
	q := "SELECT COUNT(*) FROM (" + query + " LIMIT " + strconv.Itoa(CountBound+1) + ") AS bounded"
	if err := QueryRow(ctx, db, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return n, nil
}
