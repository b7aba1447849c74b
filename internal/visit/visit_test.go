package visit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/visit"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	bizA = uscc("91990102MA01WT01X")
	bizB = uscc("91990102MA01WT02X")
)

const (
	scj int64 = 11 // 市场监管
	cgj int64 = 12 // 城管
)

var official = func() *calendar.Calendar { return calendar.New(calendar.Official()) }

func cst(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, calendar.CST)
}

func assignment(src visit.Source, ref, item, biz string, dept int64, key bool, from, to time.Time, insp ...int64) visit.Assignment {
	return visit.Assignment{Source: src, TaskRef: ref, ItemCode: item, ItemName: "事项" + item, Checklist: []string{"查看证照"},
		Key: key, DepartmentID: dept, USCC: biz, InspectorUserIDs: insp, WindowFrom: from, WindowTo: to}
}

func service(now time.Time) *visit.Service {
	return visit.NewService(official, visit.Config{}, func() time.Time { return now })
}

func assign(t *testing.T, db *store.DB, s *visit.Service, as ...visit.Assignment) {
	t.Helper()
	if err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error { return s.Assign(ctx, tx, as) }); err != nil {
		t.Fatalf("assign: %v", err)
	}
}

func visits(t *testing.T, db *store.DB, s *visit.Service, biz string) []visit.Visit {
	t.Helper()
	ctx := context.Background()
	idl, err := s.VisitsOf(ctx, db, biz)
	if err != nil {
		t.Fatal(err)
	}
	var out []visit.Visit
	for _, id := range idl {
		v, err := s.Get(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestMergeJointVisitLead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(cst(2026, 11, 2, 9))
		w1, w2 := cst(2026, 11, 2, 0), cst(2026, 11, 30, 0)
		// Two items of 城管 first, then one 重点 item of 市场监管: the
		// department with a 重点 item leads though it has fewer items.
		assign(t, db, s,
			assignment(visit.SourceDraw, "D1", "CG-01", bizA, cgj, false, w1, w2, 201, 202),
			assignment(visit.SourceDraw, "D1", "CG-02", bizA, cgj, false, w1, w2, 201, 202))
		assign(t, db, s, assignment(visit.SourceMonitoring, "AL-9", "SC-01", bizA, scj, true, cst(2026, 11, 10, 0), cst(2026, 12, 20, 0), 101))
		vs := visits(t, db, s, bizA)
		if len(vs) != 1 {
			t.Fatalf("visits = %d, want 1 (merged)", len(vs))
		}
		v := vs[0]
		if !v.Joint || v.LeadDepartmentID != scj || len(v.Items) != 3 {
			t.Fatalf("visit = joint %v lead %d items %d, want joint, lead 市场监管 %d, 3 items", v.Joint, v.LeadDepartmentID, len(v.Items), scj)
		}
		var notices int
		if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM outbox WHERE topic = ?`, visit.TopicNotice).Scan(&notices); err != nil || notices != 1 {
			t.Errorf("notices to the business = %d (%v), want one for the one visit", notices, err)
		}
		if len(v.InspectorUserIDs) != 3 {
			t.Errorf("inspectors = %v, want those of both departments", v.InspectorUserIDs)
		}
		if !v.WindowFrom.Equal(cst(2026, 11, 10, 0)) || !v.WindowTo.Equal(w2) {
			t.Errorf("window = %v..%v, want the overlap", v.WindowFrom, v.WindowTo)
		}
	})
}

func TestMergeLeadMostItemsThenEarliest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(cst(2026, 11, 2, 9))
		w1, w2 := cst(2026, 11, 2, 0), cst(2026, 11, 30, 0)
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "CG-01", bizA, cgj, false, w1, w2, 201))
		assign(t, db, s, assignment(visit.SourceDraw, "D2", "SC-01", bizA, scj, false, w1, w2, 101))
		if v := visits(t, db, s, bizA)[0]; v.LeadDepartmentID != cgj {
			t.Fatalf("tie: lead = %d, want the earliest assignment's department %d", v.LeadDepartmentID, cgj)
		}
		assign(t, db, s, assignment(visit.SourceDraw, "D2", "SC-02", bizA, scj, false, w1, w2, 101))
		if v := visits(t, db, s, bizA)[0]; v.LeadDepartmentID != scj {
			t.Fatalf("lead = %d, want the department with most items %d", v.LeadDepartmentID, scj)
		}
	})
}

func TestMergeSameDepartmentAndNoOverlap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(cst(2026, 11, 2, 9))
		w1, w2 := cst(2026, 11, 2, 0), cst(2026, 11, 30, 0)
		assign(t, db, s,
			assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, w1, w2, 101, 102),
			assignment(visit.SourceDraw, "D1", "SC-02", bizA, scj, false, w1, w2, 101, 102),
			assignment(visit.SourceManual, "M-1", "SC-03", bizA, scj, false, w1, w2, 101))
		vs := visits(t, db, s, bizA)
		if len(vs) != 1 || vs[0].Joint || len(vs[0].Items) != 3 {
			t.Fatalf("same department: %d visits (joint %v), want one visit with 3 items, not joint", len(vs), len(vs) > 0 && vs[0].Joint)
		}
		// A window that does not overlap opens another visit; another business too.
		assign(t, db, s, assignment(visit.SourceDraw, "D3", "SC-01", bizA, scj, false, cst(2027, 1, 4, 0), cst(2027, 1, 30, 0), 101))
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", bizB, scj, false, w1, w2, 101))
		if n := len(visits(t, db, s, bizA)); n != 2 {
			t.Fatalf("visits of A = %d, want 2", n)
		}
		figs, err := s.Figures(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) != 1 || figs[0].Assignments != 5 || figs[0].Visits != 3 || figs[0].Saved() != 2 {
			t.Fatalf("figures = %+v, want 5 assignments, 3 visits, 2 saved", figs)
		}
	})
}

func TestAssignIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(cst(2026, 11, 2, 9))
		a := assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 30, 0), 101)
		assign(t, db, s, a)
		assign(t, db, s, a, a)
		vs := visits(t, db, s, bizA)
		if len(vs) != 1 || len(vs[0].Items) != 1 {
			t.Fatalf("after re-assigning: %d visits, want 1 visit with 1 item", len(vs))
		}
	})
}

func TestAssignRefusesBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := service(cst(2026, 11, 2, 9))
		good := assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 30, 0), 101)
		bad := good
		bad.ItemCode = "SC-02"
		bad.ItemName = "名称\x07"
		bad.USCC = "91990102MA01WT01"
		bad.WindowTo = cst(2026, 10, 1, 0)
		err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error { return s.Assign(ctx, tx, []visit.Assignment{good, bad}) })
		if !errors.Is(err, valid.ErrInvalid) {
			t.Fatalf("err = %v, want invalid", err)
		}
		want := map[string]bool{"assignments[1].item_name": true, "assignments[1].uscc": true, "assignments[1].window_to": true}
		for _, f := range valid.Fields(err) {
			delete(want, f.Path)
		}
		if len(want) != 0 {
			t.Errorf("fields not named: %v (got %v)", want, err)
		}
		if n := len(visits(t, db, s, bizA)); n != 0 {
			t.Fatalf("stored %d visits after refused input, want none", n)
		}
	})
}

func TestCompletePublicationLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := service(cst(2026, 9, 30, 15)) // Wednesday before the National Day holiday
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, cst(2026, 9, 1, 0), cst(2026, 10, 30, 0), 101))
		v := visits(t, db, s, bizA)[0]
		res := []visit.ItemResult{{ItemID: v.Items[0].ID, Result: "corrected", Note: "已责令改正"}}
		out, err := s.Complete(ctx, db, v.ID, "phone-1-key", res)
		if err != nil || out.Replayed || out.Unreachable {
			t.Fatalf("complete: %+v %v", out, err)
		}
		out, err = s.Complete(ctx, db, v.ID, "phone-1-key", res)
		if err != nil || !out.Replayed {
			t.Fatalf("re-sent: %+v %v, want replayed no-op", out, err)
		}
		v, _ = s.Get(ctx, db, v.ID)
		// 20 working days from the day after 2026-09-30, skipping 10-01..10-08
		// and counting the make-up Saturday 10-10: the close of 2026-11-04.
		want, _ := calendar.DueDate(calendar.New(calendar.Official()), "2026-09-30", 20)
		if v.Status != visit.StatusCompleted || v.PublishDueOn != want || v.PublishDueOn <= "2026-10-28" {
			t.Fatalf("status %s due %s, want completed due %s on the calendar", v.Status, v.PublishDueOn, want)
		}
		onDue := visit.NewService(official, visit.Config{}, func() time.Time {
			d, _ := time.ParseInLocation(calendar.DateLayout, want, calendar.CST)
			return d.Add(20 * time.Hour)
		})
		if late, _ := onDue.Sweep(ctx, db); len(late) != 0 {
			t.Fatalf("on the due day: overdue %v, want none", late)
		}
		after := visit.NewService(official, visit.Config{}, func() time.Time {
			d, _ := time.ParseInLocation(calendar.DateLayout, want, calendar.CST)
			return d.Add(26 * time.Hour)
		})
		late, err := after.Sweep(ctx, db)
		if err != nil || len(late) != 1 || late[0] != v.ID {
			t.Fatalf("day after due: overdue %v %v, want [%d]", late, err, v.ID)
		}
		if err := after.Publish(ctx, db, v.ID); err != nil {
			t.Fatal(err)
		}
		if v, _ = s.Get(ctx, db, v.ID); v.Status != visit.StatusPublished {
			t.Fatalf("status %s, want published", v.Status)
		}
	})
}

func TestCompleteUnreachableAndBadResult(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := service(cst(2026, 11, 2, 9))
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, cst(2026, 11, 2, 0), cst(2026, 11, 30, 0), 101))
		v := visits(t, db, s, bizA)[0]
		_, err := s.Complete(ctx, db, v.ID, "k1", []visit.ItemResult{{ItemID: v.Items[0].ID, Result: "maybe"}})
		if fs := valid.Fields(err); len(fs) == 0 || fs[0].Path != "results[0].result" {
			t.Fatalf("bad result: %v, want results[0].result named", err)
		}
		if v, _ := s.Get(ctx, db, v.ID); v.Status != visit.StatusAssigned {
			t.Fatalf("refused results changed the visit to %s", v.Status)
		}
		out, err := s.Complete(ctx, db, v.ID, "k2", []visit.ItemResult{{ItemID: v.Items[0].ID, Result: "unreachable"}})
		if err != nil || !out.Unreachable {
			t.Fatalf("unreachable: %+v %v", out, err)
		}
	})
}

type fakeCredit struct {
	records  []credit.RecordInput
	abnormal []credit.AbnormalInput
}

func (f *fakeCredit) RecordOnce(_ context.Context, _ *auth.Actor, in credit.RecordInput) (*credit.Record, bool, error) {
	for _, r := range f.records {
		if r.DecisionNo == in.DecisionNo {
			return &credit.Record{}, false, nil
		}
	}
	f.records = append(f.records, in)
	return &credit.Record{}, true, nil
}

func (f *fakeCredit) ListAsAbnormal(_ context.Context, _ *auth.Actor, in credit.AbnormalInput) (*credit.Abnormal, error) {
	f.abnormal = append(f.abnormal, in)
	return &credit.Abnormal{}, nil
}

func TestUnreachableGoesOnAbnormalList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := service(cst(2026, 11, 2, 9))
		w1, w2 := cst(2026, 11, 2, 0), cst(2026, 11, 30, 0)
		assign(t, db, s, assignment(visit.SourceDraw, "D1", "SC-01", bizA, scj, false, w1, w2, 101),
			assignment(visit.SourceDraw, "D1", "SC-01", bizB, scj, false, w1, w2, 101))
		va, vb := visits(t, db, s, bizA)[0], visits(t, db, s, bizB)[0]
		if _, err := s.Complete(ctx, db, va.ID, "a", []visit.ItemResult{{ItemID: va.Items[0].ID, Result: "unreachable"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Complete(ctx, db, vb.ID, "b", []visit.ItemResult{{ItemID: vb.Items[0].ID, Result: "ok"}}); err != nil {
			t.Fatal(err)
		}
		c := &fakeCredit{}
		lead := &auth.Actor{Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{scj}}
		for _, id := range []int64{va.ID, vb.ID, va.ID} {
			if err := s.PublishToCredit(ctx, db, c, lead, id); err != nil {
				t.Fatal(err)
			}
		}
		if len(c.records) != 2 || c.records[0].Kind != credit.KindInspection || c.records[0].DecisionDate != "2026-11-02" {
			t.Fatalf("credit records = %+v, want one inspection record per visit", c.records)
		}
		if len(c.abnormal) != 1 || c.abnormal[0].USCC != bizA || c.abnormal[0].Reason != "unreachable" {
			t.Fatalf("abnormal listings = %+v, want only %s for reason unreachable", c.abnormal, bizA)
		}
		if v, _ := s.Get(ctx, db, vb.ID); v.Status != visit.StatusPublished || v.PublishedOn != "2026-11-02" {
			t.Fatalf("status %s on %q, want published today", v.Status, v.PublishedOn)
		}
	})
}
