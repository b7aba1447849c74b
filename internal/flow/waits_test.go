package flow_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestInboxKeysetPages pages an inbox three at a time: every case comes
// once, in deadline order (ties by id), the count is the whole list's, and
// the last page has no next cursor.
func TestInboxKeysetPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var want []int64
		for i := range 7 {
			if i == 4 {
				e.clk.Add(time.Hour) // three later cases, four sharing one deadline
			}
			want = append(want, e.start("test.hotline").ID)
		}
		var got []int64
		var after store.Cursor
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatalf("more than 3 pages: %v", got)
			}
			items, pg, err := e.eng.Inbox(e.ctx, db, dispatcher, flow.InboxQuery{Limit: 3, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 7 {
				t.Errorf("page %d: count %d, want 7", pages, pg.Count)
			}
			for _, it := range items {
				got = append(got, it.ID)
			}
			// A cursor survives its trip through a URL.
			if after, err = store.ParseCursor(pg.Next.String()); err != nil {
				t.Fatal(err)
			}
			if after.IsZero() {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages = %v, want %v", got, want)
		}
	})
}

// TestSupervisionPages pages the supervisor's overdue view and keeps
// finished and paused cases out of it.
func TestSupervisionPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var ids []int64
		for range 5 {
			in := e.start("test.hotline")
			e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
			ids = append(ids, in.ID)
			e.clk.Add(time.Minute)
		}
		e.mustDo(ids[1], "ask_correction", handler, nil, "补充") // paused: not listed
		e.mustDo(ids[2], "reply", handler, map[string]string{"result": "solved"}, "")
		e.mustDo(ids[2], "close", operator, nil, "") // finished: not listed
		e.clk.Add(30 * 24 * time.Hour)
		var got []int64
		var after store.Cursor
		for range 4 {
			items, pg, err := e.eng.Overdue(e.ctx, flow.OverdueQuery{Region: supervisor.RegionCode, Until: e.clk.Now(), Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 3 {
				t.Errorf("count %d, want 3", pg.Count)
			}
			for _, it := range items {
				got = append(got, it.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if want := []int64{ids[0], ids[3], ids[4]}; !slices.Equal(got, want) {
			t.Errorf("overdue pages = %v, want %v", got, want)
		}
		// Due within a window that starts after them: none.
		if items, pg, _ := e.eng.Overdue(e.ctx, flow.OverdueQuery{Region: supervisor.RegionCode, From: e.clk.Now(),
			Until: e.clk.Now().Add(72 * time.Hour)}); len(items) != 0 || pg.Count != 0 {
			t.Errorf("due soon = %d items, count %d; want none", len(items), pg.Count)
		}
	})
}

// TestWaitsBackfill checks that the migration's backfill writes the rows
// the engine writes, so that instances open before the upgrade are found
// by the same queries as those after it.
func TestWaitsBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a, b, c, d := e.start("test.hotline"), e.start("test.hotline"), e.start("test.hotline"), e.start("test.hotline")
		e.mustDo(a.ID, "dispatch", dispatcher, nil, "")
		e.mustDo(b.ID, "dispatch", dispatcher, nil, "")
		e.mustDo(b.ID, "ask_correction", handler, nil, "补充")
		e.mustDo(c.ID, "dispatch", dispatcher, nil, "")
		e.mustDo(c.ID, "reply", handler, map[string]string{"result": "solved"}, "")
		e.mustDo(c.ID, "close", operator, nil, "")
		if err := db.WithTx(e.ctx, func(ctx context.Context, tx store.Tx) error {
			return e.eng.SetDepartments(ctx, tx, a.ID, []int64{7, 8}, dispatcher)
		}); err != nil {
			t.Fatal(err)
		}
		_ = d
		engine := waitRows(t, db)
		if len(engine) == 0 {
			t.Fatal("the engine wrote no wait rows")
		}
		for _, w := range engine {
			if strings.HasSuffix(w, fmt.Sprintf("#%d", c.ID)) {
				t.Errorf("finished instance waits: %s", w)
			}
		}
		if _, err := db.ExecContext(e.ctx, "DELETE FROM flow_instance_waits"); err != nil {
			t.Fatal(err)
		}
		ms, err := store.Migrations(db.Kind())
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ms, func(m store.Migration) bool { return m.Name == "scale" })
		if i < 0 {
			t.Fatal("no migration scale")
		}
		sql := ms[i].SQL
		from, to := strings.Index(sql, "-- The backfill"), strings.Index(sql, "-- The open-instances index")
		if from < 0 || to < from {
			t.Fatal("backfill not found in the migration")
		}
		if _, err := db.ExecContext(e.ctx, sql[from:to]); err != nil {
			t.Fatal(err)
		}
		if got := waitRows(t, db); !slices.Equal(got, engine) {
			t.Errorf("backfill wrote\n%s\nthe engine\n%s", strings.Join(got, "\n"), strings.Join(engine, "\n"))
		}
	})
}

func waitRows(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT kind, role, ref, due_at, instance_id, subject_type
		FROM flow_instance_waits ORDER BY kind, role, ref, due_at, instance_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var kind, role, ref, st string
		var due time.Time
		var id int64
		if err := rows.Scan(&kind, &role, &ref, &due, &id, &st); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s/%s/%s %s %s #%d", kind, role, ref, due.UTC().Format(time.RFC3339Nano), st, id))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOwnedPages pages a person's own cases newest first by keyset: each
// page starts below the last id of the page before, finished cases
// included, the count is the whole list's, and another person sees none.
func TestOwnedPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var want []int64
		for range 5 {
			want = append([]int64{e.start("test.hotline").ID}, want...)
		}
		e.mustDo(want[4], "dispatch", dispatcher, nil, "")
		e.mustDo(want[4], "reply", handler, map[string]string{"result": "solved"}, "")
		e.mustDo(want[4], "close", operator, nil, "") // finished: still the owner's
		var got []int64
		var after store.Cursor
		for page := 0; page < 5; page++ {
			items, pg, err := e.eng.Owned(e.ctx, citizen.UserID, 2, after)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 5 {
				t.Errorf("page %d: count %d, want 5", page, pg.Count)
			}
			for _, it := range items {
				got = append(got, it.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("owned pages = %v, want %v (newest first)", got, want)
		}
		if items, pg, _ := e.eng.Owned(e.ctx, citizen.UserID+1, 2, store.Cursor{}); len(items) != 0 || pg.Count != 0 {
			t.Errorf("another person sees %d cases, count %d", len(items), pg.Count)
		}
	})
}
