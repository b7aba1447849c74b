package discretion_test

import (
	"context"
	"errors"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Outcomes are stored once per case; a departure needs a reason; the
// figures count levels, 首违不罚, departures and the 721 shares, and a
// department's staff see only their department.
func TestOutcomesAndFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m, err := discretion.New(discretion.Deps{DB: db, DepartmentCode: func(_ context.Context, id int64) string {
			return map[int64]string{1: "LJ-SCJG", 2: "QS-SCJG"}[id]
		}})
		if err != nil {
			t.Fatal(err)
		}
		rec := func(o discretion.Outcome) error { return m.RecordOutcome(ctx, db, o) }
		base := discretion.Outcome{DepartmentCode: "LJ-SCJG", MatterCode: "SCJG-SP-01", Version: "v", DecidedOn: "2026-11-02"}
		first := base
		first.CaseRef, first.Proposed, first.Decided, first.FirstViolation, first.Education = "C1", discretion.LevelNone, discretion.LevelNone, true, true
		if err := rec(first); err != nil {
			t.Fatal(err)
		}
		if err := rec(first); err != nil {
			t.Fatalf("recording the same case again: %v", err)
		}
		depart := base
		depart.CaseRef, depart.Proposed, depart.Decided, depart.FineFen = "C2", discretion.LevelNormal, discretion.LevelLighter, 50000
		if err := rec(depart); !errors.Is(err, discretion.ErrInvalid) {
			t.Fatalf("departure without reason: %v", err)
		}
		depart.Reason = "当事人主动退赔消费者损失"
		if err := rec(depart); err != nil {
			t.Fatal(err)
		}
		other := base
		other.CaseRef, other.DepartmentCode, other.Proposed, other.Decided = "C3", "QS-SCJG", discretion.LevelNormal, discretion.LevelNormal
		if err := rec(other); err != nil {
			t.Fatal(err)
		}
		for _, ref := range []string{"w1", "w2", "w3", "w4", "w5", "w6", "w7"} {
			if err := m.RecordActivity(ctx, db, "LJ-SCJG", discretion.ActivityService, ref, "2026-11-03"); err != nil {
				t.Fatal(err)
			}
		}
		staff := &auth.Actor{Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{1}}
		figs, err := m.Figures(ctx, staff, "2026-11-01", "2026-11-30")
		if err != nil {
			t.Fatal(err)
		}
		if len(figs) != 1 || figs[0].DepartmentCode != "LJ-SCJG" {
			t.Fatalf("a department's staff see %+v, want their department only", figs)
		}
		f := figs[0]
		if f.ByLevel[discretion.LevelNone] != 1 || f.ByLevel[discretion.LevelLighter] != 1 || f.FirstViolation != 1 ||
			f.Departures != 1 || f.Reasons[0] != "当事人主动退赔消费者损失" {
			t.Errorf("figures %+v", f)
		}
		// 7 service, 1 management (the first violation), 1 enforcement.
		if f.Activities["service"] != 7 || f.Activities["management"] != 1 || f.Activities["enforcement"] != 1 {
			t.Errorf("activities %v", f.Activities)
		}
		if s := f.Shares["service"]; s < 0.77 || s > 0.78 {
			t.Errorf("service share %v, want 7/9", s)
		}
		sup := &auth.Actor{Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"}
		if figs, _ := m.Figures(ctx, sup, "2026-11-01", "2026-11-30"); len(figs) != 2 {
			t.Errorf("a supervisor sees %d departments, want 2", len(figs))
		}
		if figs, _ := m.Figures(ctx, staff, "2026-12-01", "2026-12-31"); len(figs) != 0 {
			t.Errorf("outside the period: %+v", figs)
		}
	})
}
