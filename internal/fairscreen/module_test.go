package fairscreen_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/fairscreen"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestVersionsAndFeedback: the default is stored once; a draft whose
// examples fail cannot be published, a passing one can; feedback is
// counted per rule; screening is for staff only.
func TestVersionsAndFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
		log := audit.New(now)
		m, err := fairscreen.NewModule(fairscreen.Deps{DB: db, Policy: auth.NewPolicy(), Audit: log, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := m.Start(ctx); err != nil {
				t.Fatal(err)
			}
		}
		admin := &auth.Actor{UserID: 1, Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"}
		handler := &auth.Actor{UserID: 2, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{1}}
		citizen := &auth.Actor{UserID: 3, Roles: []auth.Role{auth.RoleCitizen}}
		vs, err := m.Versions(ctx, admin)
		if err != nil || len(vs) != 1 || vs[0].Status != fairscreen.StatusPublished {
			t.Fatalf("versions after Start: %+v %v", vs, err)
		}
		if _, err := m.Versions(ctx, handler); !errors.Is(err, fairscreen.ErrNotFound) {
			t.Errorf("handler lists versions: %v", err)
		}
		cs, err := m.Screen(ctx, handler, "申请奖励的企业须在本区依法纳税。")
		if err != nil || len(cs) != 1 || len(cs[0].Findings) == 0 {
			t.Fatalf("screen: %+v %v", cs, err)
		}
		if _, err := m.Screen(ctx, citizen, "x"); !errors.Is(err, fairscreen.ErrNotFound) {
			t.Errorf("citizen screens: %v", err)
		}
		if _, err := m.Screen(ctx, handler, "a\u0007b"); !errors.Is(err, fairscreen.ErrInvalid) {
			t.Errorf("control character: %v", err)
		}
		// A draft whose must-pass example is flagged.
		var lib map[string]any
		if err := json.Unmarshal(fairscreen.DefaultLibraryJSON(), &lib); err != nil {
			t.Fatal(err)
		}
		rules := lib["rules"].([]any)
		r0 := rules[0].(map[string]any)
		ex := r0["examples"].(map[string]any)
		ex["pass"] = append(ex["pass"].([]any), "新设网约车平台须报区政府批准后方可开展业务。")
		bad, _ := json.Marshal(lib)
		v, err := m.CreateDraft(ctx, admin, bad)
		if err != nil || len(v.Failures) == 0 {
			t.Fatalf("failing draft: %+v %v", v, err)
		}
		if _, err := m.Publish(ctx, admin, v.Version); !errors.Is(err, fairscreen.ErrState) {
			t.Errorf("publish failing draft: %v, want ErrState", err)
		}
		good, err := m.CreateDraft(ctx, admin, fairscreen.DefaultLibraryJSON())
		if err != nil || len(good.Failures) != 0 {
			t.Fatalf("good draft: %+v %v", good, err)
		}
		if _, err := m.Publish(ctx, handler, good.Version); !errors.Is(err, fairscreen.ErrNotFound) {
			t.Errorf("handler publishes: %v", err)
		}
		if p, err := m.Publish(ctx, admin, good.Version); err != nil || p.Status != fairscreen.StatusPublished {
			t.Fatalf("publish: %+v %v", p, err)
		}
		if _, err := m.CreateDraft(ctx, admin, []byte(`{"rules":[{"id":"x"}]}`)); !errors.Is(err, fairscreen.ErrInvalid) {
			t.Errorf("invalid draft: %v", err)
		}
		// Feedback.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := m.Feedback(ctx, tx, "cost-local-condition", "申请奖励的企业须在本区依法纳税。", true, "", 2); err != nil {
				return err
			}
			return m.Feedback(ctx, tx, "cost-local-condition", "对本区企业给予奖励。", false, "适用范围表述，不是条件", 2)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Feedback(ctx, db, "cost-local-condition", "x", false, "", 2); !errors.Is(err, fairscreen.ErrInvalid) {
			t.Errorf("dismissal without reason: %v", err)
		}
		stats, err := m.RuleStats(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stats {
			if s.Rule == "cost-local-condition" && (s.Confirmed != 1 || s.Dismissed != 1 || len(s.LastReasons) != 1) {
				t.Errorf("stats: %+v", s)
			}
		}
	})
}
