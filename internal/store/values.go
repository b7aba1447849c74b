package store

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// Nullable returns nil for the zero time, so it is stored as NULL, and t
// in UTC to the microsecond otherwise.
func Nullable(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return Time(t)
}

// TimeOf returns the time a nullable column held, in UTC, or the zero time
// for NULL.
func TimeOf(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// FormatIDs encodes ids as ",1,2,3," (the empty string for none). Stored in
// a TEXT column, such a list lets one portable LIKE '%,7,%' find the rows
// holding id 7 on both engines, without an array type or a join table.
func FormatIDs(ids []int64) string {
	if len(ids) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte(',')
	for _, id := range ids {
		b.WriteString(strconv.FormatInt(id, 10))
		b.WriteByte(',')
	}
	return b.String()
}

// ParseIDs decodes a list written by FormatIDs, skipping anything that is
// not a number.
func ParseIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(strings.Trim(s, ","), ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// IDPattern returns the LIKE pattern that finds id in a FormatIDs column.
func IDPattern(id int64) string { return "%," + strconv.FormatInt(id, 10) + ",%" }
