package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 3, 8, 30, 0, 123456000, time.UTC)
	for _, c := range []store.Cursor{{}, {ID: 42}, {At: at, ID: 7}, {At: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), ID: 1}} {
		got, err := store.ParseCursor(c.String())
		if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
			t.Errorf("%+v → %q → %+v, %v", c, c.String(), got, err)
		}
	}
	for _, s := range []string{"x", "1.x", "-1", "1.2.3", "99999999999999999999.1", "1.-5"} {
		if _, err := store.ParseCursor(s); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, want ErrBadCursor", s, err)
		}
	}
}

// TestKeysetPredicate pages a table by (time, id), ties included, in both
// directions, and bounds a count, on both engines.
func TestKeysetPredicate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE ks (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 1005; i++ {
			// Three rows share each time: ties broken by id.
			if _, err := store.Exec(ctx, db, "INSERT INTO ks (id, at) VALUES (?, ?)", i, store.Time(base.Add(time.Duration(i/3)*time.Microsecond))); err != nil {
				t.Fatal(err)
			}
		}
		page := func(asc bool, c store.Cursor) (ids []int64, last store.Cursor) {
			cond, args := store.After("at", "id", c)
			order := "at, id"
			if !asc {
				cond, args = store.Before("at", "id", c)
				order = "at DESC, id DESC"
			}
			rows, err := store.Query(ctx, db, "SELECT id, at FROM ks WHERE "+cond+" ORDER BY "+order+" LIMIT 4", args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				var at time.Time
				if err := rows.Scan(&id, &at); err != nil {
					t.Fatal(err)
				}
				ids, last = append(ids, id), store.Cursor{At: at, ID: id}
			}
			return ids, last
		}
		var c store.Cursor
		var prev int64
		for n := 0; n < 1005; {
			ids, last := page(true, c)
			if len(ids) == 0 {
				t.Fatalf("ascending: stopped after %d rows", n)
			}
			for _, id := range ids {
				if id != prev+1 {
					t.Fatalf("ascending: %d after %d", id, prev)
				}
				prev = id
			}
			n, c = n+len(ids), last
		}
		ids, _ := page(false, store.Cursor{At: base.Add(2 * time.Microsecond), ID: 7})
		if want := []int64{6, 5, 4, 3}; len(ids) != 4 || ids[0] != want[0] || ids[3] != want[3] {
			t.Errorf("descending from (2µs, 7) = %v, want %v", ids, want)
		}
		if n, err := store.CountUpTo(ctx, db, "SELECT id FROM ks"); err != nil || n != store.CountBound+1 {
			t.Errorf("bounded count = %d, %v; want %d", n, err, store.CountBound+1)
		}
		if n, err := store.CountUpTo(ctx, db, "SELECT id FROM ks WHERE id <= ?", 10); err != nil || n != 10 {
			t.Errorf("count = %d, %v; want 10", n, err)
		}
	})
}
