package credit_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// pageAll reads a keyset list page by page and fails on a repeated id.
func pageAll(t *testing.T, page func(after store.Cursor) ([]int64, store.Page)) []int64 {
	t.Helper()
	var all []int64
	seen := map[int64]bool{}
	var after store.Cursor
	for range 100 {
		ids, pg := page(after)
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("id %d shown twice", id)
			}
			seen[id] = true
			all = append(all, id)
		}
		if pg.Next.IsZero() {
			return all
		}
		after = pg.Next
	}
	t.Fatal("the list does not end")
	return nil
}

// The repair queue and a business's reports are read by keyset: paged
// three at a time across their page boundaries, every application and
// report comes once, newest first, and the count is the list's.
func TestRepairQueueAndReportsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 1000)
		ctx := context.Background()
		officer, ent := p.actor(t, "scjg"), p.actor(t, "ent_a")
		var want []int64
		for i := range 7 {
			rec, err := p.m.AddRecord(ctx, officer, credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty,
				DecisionNo: fmt.Sprintf("临市监罚〔2026〕%d号", 100+i), DecisionDate: "2026-05-15", PublishedOn: "2026-05-20",
				Content: "罚款", Penalty: pen("other", 200000, "罚款")})
			if err != nil {
				t.Fatal(err)
			}
			status := "pending"
			if i%3 == 0 {
				status = "refused"
			}
			var id int64
			if err := db.QueryRowContext(ctx, `INSERT INTO credit_repairs (record_id, uscc, department_id, region_code, status,
				correction, commitment, applied_on, due_on, applied_at, applied_by) VALUES (?, ?, ?, '990102', ?, '已改正', '承诺', '2026-12-01',
				'2026-12-22', ?, ?) RETURNING id`, rec.ID, bizA, p.depts["LJ-SCJG"], status, store.Time(time.Now()), ent.UserID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append([]int64{id}, want...)
		}
		var pending int
		got := pageAll(t, func(after store.Cursor) ([]int64, store.Page) {
			list, pg, err := p.m.RepairQueue(ctx, officer, credit.RepairQuery{After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 7 {
				t.Errorf("count %d, want 7", pg.Count)
			}
			var ids []int64
			for _, rp := range list {
				ids = append(ids, rp.ID)
			}
			return ids, pg
		})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("queue paged: %v, want %v", got, want)
		}
		pageAll(t, func(after store.Cursor) ([]int64, store.Page) {
			list, pg, err := p.m.RepairQueue(ctx, officer, credit.RepairQuery{Pending: true, After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, rp := range list {
				if rp.Status != credit.RepairPending {
					t.Errorf("pending only: %d is %s", rp.ID, rp.Status)
				}
				ids = append(ids, rp.ID)
				pending++
			}
			return ids, pg
		})
		if pending != 4 {
			t.Errorf("%d pending applications, want 4", pending)
		}
		// Another department's officer has an empty queue.
		if list, pg, err := p.m.RepairQueue(ctx, p.actor(t, "cgj"), credit.RepairQuery{}); err != nil || len(list) != 0 || pg.Count != 0 {
			t.Errorf("city management's queue: %d (count %d) %v", len(list), pg.Count, err)
		}
		// The page shows the queue (20 to a page) and the pending filter.
		c := p.client(t, "scjg")
		code, body, _ := p.get(t, c, "/credit/repairs")
		if code != 200 || strings.Count(body, `href="/credit/repairs/`) != 7 || !strings.Contains(body, `href="/credit/repairs?pending=1"`) {
			t.Fatalf("/credit/repairs: %d", code)
		}
		if _, body, _ := p.get(t, c, "/credit/repairs?pending=1"); strings.Count(body, `href="/credit/repairs/`) != 4 {
			t.Errorf("/credit/repairs?pending=1 lists %d", strings.Count(body, `href="/credit/repairs/`))
		}
		if code, _, _ := p.get(t, c, "/credit/repairs?after=x"); code != http.StatusBadRequest {
			t.Errorf("a malformed cursor: %d, want 400", code)
		}

		var reports []int64
		for range 5 {
			rep, err := p.m.IssueReport(ctx, ent, credit.ReportInput{USCC: bizA})
			if err != nil {
				t.Fatal(err)
			}
			reports = append([]int64{rep.ID}, reports...)
		}
		got = pageAll(t, func(after store.Cursor) ([]int64, store.Page) {
			list, pg, err := p.m.ReportsOf(ctx, ent, bizA, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, r := range list {
				ids = append(ids, r.ID)
			}
			return ids, pg
		})
		if fmt.Sprint(got) != fmt.Sprint(reports) {
			t.Fatalf("reports paged: %v, want %v", got, reports)
		}
		if _, _, err := p.m.ReportsOf(ctx, p.actor(t, "ent_b"), bizA, store.Cursor{}, 2); err == nil {
			t.Error("another business reads the reports")
		}
	})
}
