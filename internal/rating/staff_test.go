package rating_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
)

func countRatings(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := store.QueryRow(context.Background(), db, `SELECT COUNT(*) FROM ratings`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The signed-in person rates own cases online; a window clerk who may read
// the case records the person's level, carrying the clerk's id; anyone
// else learns nothing, not even whether the case is finished.
func TestRateSignedInOwnOrAtWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		citizen := &auth.Actor{UserID: 100, Name: "张三", Roles: []auth.Role{auth.RoleCitizen}}
		stranger := &auth.Actor{UserID: 300, Name: "路人", Roles: []auth.Role{auth.RoleCitizen}}
		clerk := &auth.Actor{UserID: 9, Name: "窗口王", Roles: []auth.Role{auth.RoleClerk}, DepartmentIDs: []int64{99}}
		decided := func(id int64) rating.Subject { return rating.Subject{Kind: rating.KindCase, ID: id, Event: "decided"} }

		// Case 3 is not decided: its applicant is told so, a stranger is not.
		if _, err := w.svc.Rate(ctx, stranger, decided(3), rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("stranger on an undecided case: %v, want ErrNotFound (never 409)", err)
		}
		if _, err := w.svc.Rate(ctx, citizen, decided(3), rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotDone) {
			t.Fatalf("own undecided case: %v, want ErrNotDone", err)
		}
		// Bad input is refused with the field named and nothing stored.
		var fe *valid.FieldError
		for _, in := range []rating.Input{{Level: 0}, {Level: rating.Satisfied, Comment: "好\x1b[31m"}} {
			if _, err := w.svc.Rate(ctx, citizen, decided(1), in); !errors.As(err, &fe) {
				t.Fatalf("input %+v: %v, want a field error", in, err)
			}
		}
		if n := countRatings(t, db); n != 0 {
			t.Fatalf("%d ratings stored after bad input", n)
		}
		ch, _, err := w.svc.Role(ctx, citizen, decided(1))
		if err != nil || ch != rating.Online {
			t.Fatalf("role of the applicant: %q, %v", ch, err)
		}
		r, err := w.svc.Rate(ctx, citizen, decided(1), rating.Input{Level: rating.VerySatisfied})
		if err != nil || r.Channel != rating.Online || r.StaffID != 0 {
			t.Fatalf("own case: %+v, %v", r, err)
		}
		if _, err := w.svc.Rate(ctx, citizen, decided(1), rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrRated) {
			t.Fatalf("once per event: %v, want ErrRated", err)
		}
		// The clerk may read case 2 (of department 7, not the clerk's).
		if ch, _, err := w.svc.Role(ctx, clerk, decided(2)); err != nil || ch != rating.Window {
			t.Fatalf("role of the clerk: %q, %v", ch, err)
		}
		// One who may read the case but serves no counter sees its rating only.
		reader := &auth.Actor{UserID: 9, Name: "审批", Roles: []auth.Role{auth.RoleApprover}}
		if ch, _, err := w.svc.Role(ctx, reader, decided(2)); err != nil || ch != "" {
			t.Fatalf("role of a reader: %q, %v, want read-only", ch, err)
		}
		if _, err := w.svc.Rate(ctx, reader, decided(2), rating.Input{Level: rating.Satisfied}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("a reader rates: %v, want ErrNotFound", err)
		}
		if _, _, err := w.svc.Role(ctx, clerk, decided(4)); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("clerk on a case out of scope: %v", err)
		}
		r, err = w.svc.Rate(ctx, clerk, decided(2), rating.Input{Level: rating.Dissatisfied, Comment: "等候过久"})
		if err != nil || r.Channel != rating.Window || r.StaffID != 9 || r.PersonID != 200 || r.FollowUpID == 0 {
			t.Fatalf("window rating: %+v, %v", r, err)
		}
		if got, err := w.svc.Of(ctx, decided(2)); err != nil || got == nil || got.StaffID != 9 || got.FollowUpID != r.FollowUpID {
			t.Fatalf("Of = %+v, %v", got, err)
		}
		if got, err := w.svc.Of(ctx, decided(4)); err != nil || got != nil {
			t.Fatalf("Of an unrated case = %+v, %v", got, err)
		}
	})
}

// The follow-up limit is configuration: with 5 working days (a city's
// rule; 国办发〔2019〕51号 leaves 限期整改 to local rules) a 差评 of Monday
// 2026-09-28 is due on Saturday 2026-10-10, a working day after the
// National Day holiday (10-01..10-07 are not counted).
func TestFollowUpLimitConfigurable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Date(2026, 9, 28, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
		rules, err := rating.ParseRules([]byte(`{"follow_up_working_days": 5}`))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := rating.New(rating.Deps{DB: db, Audit: audit.New(func() time.Time { return now }), Rules: rules,
			Subjects: subjects{1: {PersonID: 100, DepartmentID: 7, Done: true}}, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		r, err := svc.RateOnline(context.Background(), 100, "张三", rating.Subject{Kind: rating.KindCase, ID: 1, Event: "decided"},
			rating.Input{Level: rating.VeryDissatisfied})
		if err != nil {
			t.Fatal(err)
		}
		if r.DueOn != "2026-10-10" {
			t.Fatalf("due on %s, want 2026-10-10 (5 working days)", r.DueOn)
		}
	})
}

// Staff see their departments' follow-ups a page at a time, overdue ones
// marked; supervisors see all; a citizen none; the export holds them.
func TestFollowUpListScopedAndPaged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		for id := int64(10); id < 15; id++ {
			dept := int64(7)
			if id == 14 {
				dept = 8
			}
			w.subj[id] = rating.Info{PersonID: 100, DepartmentID: dept, ItemCode: "GR-010", Done: true}
			if _, err := w.svc.RateOnline(ctx, 100, "张三", rating.Subject{Kind: rating.KindCase, ID: id, Event: "decided"},
				rating.Input{Level: rating.Dissatisfied}); err != nil {
				t.Fatal(err)
			}
		}
		staff7 := &auth.Actor{UserID: 5, Name: "赵六", Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{7}}
		var seen []int64
		q := rating.FollowQuery{Limit: 2}
		for {
			fs, pg, err := w.svc.ListFollowUps(ctx, staff7, q)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 4 {
				t.Fatalf("count %d, want department 7's 4", pg.Count)
			}
			for _, f := range fs {
				if f.DepartmentID != 7 {
					t.Fatalf("department 7's staff see %+v", f)
				}
				seen = append(seen, f.ID)
			}
			if pg.Next.IsZero() {
				break
			}
			q.After = pg.Next
		}
		if len(seen) != 4 || seen[0] < seen[3] {
			t.Fatalf("pages gave %v, want 4 newest first", seen)
		}
		if _, _, err := w.svc.ListFollowUps(ctx, &auth.Actor{UserID: 100, Roles: []auth.Role{auth.RoleCitizen}}, rating.FollowQuery{}); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("citizen: %v, want ErrForbidden", err)
		}
		if _, _, err := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{DepartmentID: 8}); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("another department's list: %v", err)
		}
		sup := &auth.Actor{UserID: 50, Roles: []auth.Role{auth.RoleSupervisor}}
		all, pg, err := w.svc.ListFollowUps(ctx, sup, rating.FollowQuery{})
		if err != nil || pg.Count != 5 {
			t.Fatalf("supervisor: %d, %v", pg.Count, err)
		}
		var other int64
		for _, f := range all {
			if f.DepartmentID == 8 {
				other = f.ID
			}
		}
		if _, err := w.svc.FollowUp(ctx, staff7, other); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("another department's follow-up: %v", err)
		}
		if _, err := w.svc.AnswerFollowUp(ctx, sup, other, rating.Answer{Verification: "a", Rectification: "b", Feedback: "c"}); !errors.Is(err, rating.ErrNotFound) {
			t.Fatalf("a supervisor answers: %v, want ErrNotFound (the department answers)", err)
		}
		// Due 2026-10-23 (15 working days); on 10-26 the open ones are overdue.
		if od, _, _ := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{Overdue: true}); len(od) != 0 {
			t.Fatalf("overdue on the day of rating: %d", len(od))
		}
		if _, err := w.svc.AnswerFollowUp(ctx, staff7, seen[0], rating.Answer{Verification: "属实", Rectification: "已整改", Feedback: "已致歉"}); err != nil {
			t.Fatal(err)
		}
		w.now = time.Date(2026, 10, 23, 18, 0, 0, 0, w.now.Location())
		if od, _, _ := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{Overdue: true}); len(od) != 0 {
			t.Fatalf("overdue on the due date 2026-10-23: %d", len(od))
		}
		w.now = time.Date(2026, 10, 26, 9, 0, 0, 0, w.now.Location())
		od, _, err := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{Overdue: true})
		if err != nil || len(od) != 3 || !od[0].Overdue {
			t.Fatalf("overdue after 2026-10-23: %d, %v", len(od), err)
		}
		if ans, _, _ := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{Status: rating.FollowAnswered}); len(ans) != 1 || ans[0].Feedback != "已致歉" {
			t.Fatalf("answered: %+v", ans)
		}
		var fe *valid.FieldError
		if _, _, err := w.svc.ListFollowUps(ctx, staff7, rating.FollowQuery{Status: "bogus"}); !errors.As(err, &fe) {
			t.Fatalf("bad status: %v", err)
		}
		var buf bytes.Buffer
		if err := rating.WriteFollowUpsXLSX(&buf, all, nil); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("PK")) {
			t.Fatalf("xlsx: %v", err)
		}
	})
}

// Figures per window staff member count the ratings they recorded; staff
// read their departments' figures, overseers all, citizens none.
func TestFiguresForScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		clerk := &auth.Actor{UserID: 5, Name: "赵六", Roles: []auth.Role{auth.RoleClerk}, DepartmentIDs: []int64{7, 8}}
		for _, id := range []int64{1, 2, 4} {
			if _, err := w.svc.RateAtWindow(ctx, clerk, rating.Subject{Kind: rating.KindCase, ID: id, Event: "decided"},
				rating.Input{Level: rating.Satisfied}); err != nil {
				t.Fatal(err)
			}
		}
		staff8 := &auth.Actor{UserID: 6, Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{8}}
		figs, err := w.svc.FiguresFor(ctx, staff8, rating.ByDepartment, "", "")
		if err != nil || len(figs) != 1 || figs[0].Key != "8" {
			t.Fatalf("department 8's staff: %+v, %v", figs, err)
		}
		figs, err = w.svc.FiguresFor(ctx, &auth.Actor{UserID: 50, Roles: []auth.Role{auth.RoleSupervisor}}, rating.ByStaff, "2026-09-28", "2026-09-28")
		if err != nil || len(figs) != 1 || figs[0].Key != "5" || figs[0].Total != 3 || figs[0].GoodPermil != 1000 {
			t.Fatalf("staff figures: %+v, %v", figs, err)
		}
		if _, err := w.svc.FiguresFor(ctx, &auth.Actor{UserID: 100, Roles: []auth.Role{auth.RoleCitizen}}, rating.ByItem, "", ""); !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("citizen: %v", err)
		}
		var fe *valid.FieldError
		if _, err := w.svc.FiguresFor(ctx, staff8, rating.ByItem, "2026-13-01", ""); !errors.As(err, &fe) || fe.Path != "from" {
			t.Fatalf("bad date: %v", err)
		}
		if _, err := w.svc.FiguresFor(ctx, staff8, "nope", "", ""); !errors.As(err, &fe) || fe.Path != "by" {
			t.Fatalf("bad grouping: %v", err)
		}
	})
}
