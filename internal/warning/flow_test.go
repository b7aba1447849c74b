package warning_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/warning"
)

// Each warning is a case in its department's inbox, due when the rule's
// working-day limit (a province's override included) runs out; handling
// it moves the case, and closing it finishes the case. A raised warning
// writes the event notifications are made from.
func TestWarningsAreInboxCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seed(t)
		now := cst(2026, 9, 30, 10)
		clock := func() time.Time { return now }
		cal := calendar.New(calendar.Official())
		eng := flow.New(db, func() flow.Calendar { return cal }, audit.New(clock), clock)
		rules, err := warning.ParseRules([]byte(`{"rules": [{"id": "repeated_complaints", "limit_working_days": 3}]}`))
		if err != nil {
			t.Fatal(err)
		}
		m, err := warning.New(warning.Deps{DB: db, Policy: auth.NewPolicy(), Audit: audit.New(clock), Now: clock, Rules: rules, Flow: eng})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.LoadDefinitions(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		ws := raisedSet(t, m)
		c := ws["repeated_complaints "+bizComplained]
		if c == nil || c.DueOn != "2026-10-10" { // 3 working days after 30 September, across 国庆节 and its make-up Saturday
			t.Fatalf("repeated complaints warning: %+v", c)
		}
		cgj := &auth.Actor{UserID: 8, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-CGJ"]}}
		scjg := &auth.Actor{UserID: 7, Name: "孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
			DepartmentIDs: []int64{w.depts["LJ-SCJG"]}}
		inbox := func(a *auth.Actor) map[int64]flow.InboxItem {
			items, _, err := eng.Inbox(ctx, db, a, flow.InboxQuery{SubjectType: warning.SubjectType})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]flow.InboxItem{}
			for _, it := range items {
				out[it.SubjectID] = it
			}
			return out
		}
		mine := inbox(cgj)
		if len(mine) != 1 {
			t.Fatalf("city management's inbox holds %d warnings, want its 1", len(mine))
		}
		it, ok := mine[c.ID]
		if !ok || it.DefinitionKey != warning.FlowKey("repeated_complaints") || it.State != warning.StatusOpen {
			t.Fatalf("the case of warning %d: %+v", c.ID, it)
		}
		if got := it.DueAt.In(calendar.CST).Format("2006-01-02"); got != c.DueOn {
			t.Errorf("case due %s, warning due %s", got, c.DueOn)
		}
		for id := range inbox(scjg) {
			if id == c.ID {
				t.Fatal("market regulation's inbox holds city management's warning")
			}
		}
		if len(inbox(scjg)) != len(ws)-1 {
			t.Errorf("market regulation's inbox holds %d, want the other %d", len(inbox(scjg)), len(ws)-1)
		}
		if _, err := m.Verify(ctx, scjg, c.ID); !errors.Is(err, warning.ErrNotFound) {
			t.Fatalf("another department verifies: %v, want not found", err)
		}
		if _, err := m.Verify(ctx, cgj, c.ID); err != nil {
			t.Fatal(err)
		}
		if st := inbox(cgj)[c.ID].State; st != warning.StatusVerifying {
			t.Fatalf("after 核实 the case is in %q", st)
		}
		if _, err := m.Decide(ctx, cgj, c.ID, false, "投诉系同一事件重复反映，已合并处理"); err != nil {
			t.Fatal(err)
		}
		if len(inbox(cgj)) != 0 {
			t.Fatal("an excluded warning is still in the inbox")
		}
		in, err := eng.InstanceFor(ctx, db, warning.SubjectType, c.ID)
		if err != nil || in.Status != flow.StatusDone || in.State != warning.StatusExcluded {
			t.Fatalf("the case after 排除: %+v %v", in, err)
		}
		// The case is the module's: its page, and its read as the module reads.
		if p := m.SubjectPage(warning.SubjectType, c.ID); p != "/warnings/"+itoa(c.ID) {
			t.Errorf("subject page %s", p)
		}
		if err := m.AuthorizeSubject(ctx, scjg, auth.ActRead, warning.SubjectType, c.ID); err == nil {
			t.Error("another department may read the case")
		}

		var events, prompts int
		rows, err := db.QueryContext(ctx, `SELECT payload FROM outbox WHERE topic = ?`, warning.TopicRaised)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				t.Fatal(err)
			}
			var ev warning.Raised
			if err := json.Unmarshal([]byte(p), &ev); err != nil {
				t.Fatal(err)
			}
			events++
			if ev.Prompt {
				prompts++
			}
		}
		wantPrompts := 0
		for _, x := range ws {
			if x.Prompt {
				wantPrompts++
			}
		}
		if events != len(ws) || prompts != wantPrompts {
			t.Errorf("%d raised events (%d with a prompt) for %d warnings (%d prompts)", events, prompts, len(ws), wantPrompts)
		}
	})
}

// The warning lists are read by keyset: paged two at a time across the
// page boundaries, every warning comes once, newest first, with the count
// of the whole list.
func TestWarningListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := setup(t, db)
		w.seed(t)
		m := w.module(t, cst(2026, 9, 30, 10), nil)
		if _, err := m.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		all, err := m.List(ctx, auth.System(), warning.Filter{Limit: 500})
		if err != nil || len(all) < 3 {
			t.Fatalf("%d warnings %v, want at least 3 to page", len(all), err)
		}
		var got []int64
		seen := map[int64]bool{}
		after := int64(0)
		for range 50 {
			ws, pg, err := m.ListPage(ctx, auth.System(), warning.Filter{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != len(all) {
				t.Errorf("count %d, want %d", pg.Count, len(all))
			}
			for _, x := range ws {
				if seen[x.ID] {
					t.Fatalf("warning %d shown twice", x.ID)
				}
				seen[x.ID] = true
				got = append(got, x.ID)
			}
			if pg.Next.IsZero() {
				break
			}
			after = pg.Next.ID
		}
		if len(got) != len(all) {
			t.Fatalf("paged %d of %d warnings", len(got), len(all))
		}
		for i := range all {
			if got[i] != all[i].ID {
				t.Fatalf("page order %v differs from the list", got)
			}
		}
		// Staff look a business up by its code: only its warnings, counted.
		one := all[len(all)-1].USCC
		want := 0
		for _, x := range all {
			if x.USCC == one {
				want++
			}
		}
		ws, pg, err := m.ListPage(ctx, auth.System(), warning.Filter{USCC: one, Limit: 50})
		if err != nil || len(ws) != want || pg.Count != want || want == len(all) {
			t.Fatalf("warnings of %s: %d (count %d) %v, want %d of %d", one, len(ws), pg.Count, err, want, len(all))
		}
		for _, x := range ws {
			if x.USCC != one {
				t.Errorf("warning %d of %s listed for %s", x.ID, x.USCC, one)
			}
		}
	})
}
