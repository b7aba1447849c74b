package benchdata

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// template is rows of a table read whole, to be cloned with some columns
// changed: the seeder copies the demo's rows so that every column has a
// value the modules wrote, whatever the schema holds.
type template struct {
	cols []string
	idx  map[string]int
	rows [][]any
}

func loadTemplate(ctx context.Context, db *store.DB, table, where string) (*template, error) {
	rows, err := db.DB.DB.QueryContext(ctx, "SELECT * FROM "+table+" WHERE "+where+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("seed: %s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	t := &template{cols: cols, idx: map[string]int{}}
	for i, c := range cols {
		t.idx[strings.ToLower(c)] = i
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", table, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		t.rows = append(t.rows, vals)
	}
	return t, rows.Err()
}

// clone returns a copy of row i.
func (t *template) clone(i int) []any {
	out := make([]any, len(t.rows[i]))
	copy(out, t.rows[i])
	return out
}

// set changes the named columns of row; names the table lacks are skipped.
func (t *template) set(row []any, vals map[string]any) {
	for k, v := range vals {
		if i, ok := t.idx[k]; ok {
			row[i] = v
		}
	}
}

func (t *template) get(row []any, col string) any {
	if i, ok := t.idx[col]; ok {
		return row[i]
	}
	return nil
}

func (t *template) str(row []any, col string) string {
	switch v := t.get(row, col).(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

func (t *template) int(row []any, col string) int64 {
	switch v := t.get(row, col).(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// time returns a time column's value, parsing SQLite's text form when the
// driver left it a string; the zero time for NULL.
func (t *template) time(row []any, col string) time.Time {
	switch v := t.get(row, col).(type) {
	case time.Time:
		return v.UTC()
	case string:
		for _, f := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05"} {
			if p, err := time.Parse(f, v); err == nil {
				return p.UTC()
			}
		}
	}
	return time.Time{}
}

// shiftTimes moves every time in row by d.
func shiftTimes(row []any, d time.Duration) {
	for i, v := range row {
		if t, ok := v.(time.Time); ok {
			row[i] = store.Time(t.Add(d))
		}
	}
}
