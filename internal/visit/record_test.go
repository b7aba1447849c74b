package visit_test

import (
	"context"
	"testing"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/visit"
)

// A phone's outbox sends each item's result with its own key and may send
// any of them again: a replay changes nothing, even after a newer result
// for the same item; completion takes the recorded results and needs all.
func TestRecordResultReplayAndCompleteRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := service(cst(2026, 11, 2, 9))
		w1, w2 := cst(2026, 11, 2, 0), cst(2026, 11, 30, 0)
		assign(t, db, s,
			assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, w1, w2, 101),
			assignment(visit.SourceDraw, "D1", "CG-01", bizA, cgj, false, w1, w2, 201))
		v := visits(t, db, s, bizA)[0]
		first, second := v.Items[0].ID, v.Items[1].ID
		rec := func(key string, item int64, result string) visit.Outcome {
			t.Helper()
			out, err := s.RecordResult(ctx, db, v.ID, key, visit.ItemResult{ItemID: item, Result: result})
			if err != nil {
				t.Fatalf("record %s: %v", key, err)
			}
			return out
		}
		rec("k1", first, "followup")
		rec("k2", first, "ok") // the inspector changed its mind
		if out := rec("k1", first, "followup"); !out.Replayed {
			t.Fatalf("replay of k1: %+v, want replayed", out)
		}
		if got, _ := s.Get(ctx, db, v.ID); got.Items[0].Result != "ok" {
			t.Fatalf("after the replay: %q, want the newer result ok", got.Items[0].Result)
		}
		if _, err := s.RecordResult(ctx, db, v.ID, "k3", visit.ItemResult{ItemID: 99999, Result: "ok"}); err == nil {
			t.Fatal("an item of another visit was accepted")
		}
		if _, err := s.RecordResult(ctx, db, v.ID, "k4", visit.ItemResult{ItemID: second, Result: "nonsense"}); err == nil {
			t.Fatal("an unknown result was accepted")
		}
		if _, err := s.CompleteRecorded(ctx, db, v.ID, "done"); err == nil {
			t.Fatal("completed with an item without result")
		}
		rec("k5", second, "unreachable")
		out, err := s.CompleteRecorded(ctx, db, v.ID, "done")
		if err != nil || out.Replayed || !out.Unreachable {
			t.Fatalf("complete: %+v %v", out, err)
		}
		if out, err := s.CompleteRecorded(ctx, db, v.ID, "done"); err != nil || !out.Replayed {
			t.Fatalf("re-sent completion: %+v %v", out, err)
		}
		if out, err := s.RecordResult(ctx, db, v.ID, "k5", visit.ItemResult{ItemID: second, Result: "unreachable"}); err != nil || !out.Replayed {
			t.Fatalf("late replay of a result: %+v %v, want a no-op", out, err)
		}
		if _, err := s.RecordResult(ctx, db, v.ID, "k6", visit.ItemResult{ItemID: second, Result: "ok"}); err == nil {
			t.Fatal("a new result after completion was accepted")
		}
	})
}

// The task list pages by keyset over (due date, id) and shows an inspector
// only its own visits.
func TestListKeysetOwnVisits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := service(cst(2026, 11, 2, 9))
		for i, biz := range []string{bizA, bizB} {
			assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", biz, scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 20+i, 0), 101))
		}
		assign(t, db, s, assignment(visit.SourceDraw, "D2", "SC-01", uscc("91990102MA01WT03X"), scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 25, 0), 102))
		page1, pg, err := s.List(ctx, db, visit.Filter{UserID: 101}, store.Cursor{}, 1)
		if err != nil || len(page1) != 1 || page1[0].USCC != bizA || pg.Count != 2 || pg.Next.IsZero() {
			t.Fatalf("page 1: %+v %+v %v", page1, pg, err)
		}
		page2, pg, err := s.List(ctx, db, visit.Filter{UserID: 101}, pg.Next, 1)
		if err != nil || len(page2) != 1 || page2[0].USCC != bizB || !pg.Next.IsZero() {
			t.Fatalf("page 2: %+v %+v %v", page2, pg, err)
		}
		dept, _, err := s.List(ctx, db, visit.Filter{Departments: []int64{scj}}, store.Cursor{}, 10)
		if err != nil || len(dept) != 3 {
			t.Fatalf("department's visits: %d %v, want 3", len(dept), err)
		}
	})
}
