package warning_test

import (
	"context"
	"fmt"
	"strings"
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

// classChunk is a chunk of a classification run with every kind of
// change: first classes (a first C or D counts as a drop and warns, a
// first A does not), drops into C and within C/D, rises, an unchanged
// class, a business already warned, one whose records name no department
// (nobody to send it to) and one missing from the register (its case is
// titled by its code).
var classChunk = []warning.Change{
	{USCC: uscc("91990102MA01WB01X"), Region: "990102", Previous: "", Current: "C"},  // first class C: warns
	{USCC: uscc("91990102MA01WB02X"), Region: "990102", Previous: "", Current: "A"},  // first class A
	{USCC: uscc("91990102MA01WB03X"), Region: "990102", Previous: "B", Current: "C"}, // drop: warns
	{USCC: uscc("91990102MA01WB04X"), Region: "990102", Previous: "C", Current: "B"}, // rise
	{USCC: uscc("91990102MA01WB05X"), Region: "990102", Previous: "C", Current: "D"}, // C → D: the D rule warns
	{USCC: uscc("91990102MA01WB06X"), Region: "990102", Previous: "B", Current: "D"}, // already warned
	{USCC: uscc("91990102MA01WB07X"), Region: "990102", Previous: "B", Current: "B"}, // unchanged
	{USCC: uscc("91990102MA01WB08X"), Region: "990102", Previous: "", Current: "D"},  // no department
	{USCC: uscc("91990102MA01WB09X"), Region: "990102", Previous: "A", Current: "C"}, // not in the register
	{USCC: uscc("91990102MA01WB10X"), Region: "990102", Previous: "", Current: "D"},  // first class D: warns
}

// classRules are the national rules with a second risk class rule: D
// alone, sent to city management whatever the records say, so that a
// business falling from C to D (already in the first rule's classes)
// warns under it.
const classRules = `{"rules": [{"id": "risk_class_d", "kind": "risk_class", "name": "信用风险分类降为D类",
	"name_en": "Risk class dropped to D", "classes": ["D"], "department": "LJ-CGJ", "limit_working_days": 3, "prompt": false}]}`

// classWorld seeds db for classChunk and returns the module, with inbox
// cases, as of 2026-09-30 10:00 in China.
func classWorld(t *testing.T, db *store.DB) *warning.Module {
	t.Helper()
	ctx := context.Background()
	w := setup(t, db)
	for i, c := range classChunk {
		if i != 8 {
			w.entity(t, c.USCC, "", "2020-01-01", "存续")
		}
		if i != 7 {
			w.record(t, c.USCC, "penalty", "2026-03-01", w.depts["LJ-SCJG"])
			w.record(t, c.USCC, "complaint", "2026-04-01", w.depts["LJ-CGJ"]) // the latest: routes to city management
		}
	}
	now := cst(2026, 9, 30, 10)
	clock := func() time.Time { return now }
	cal := calendar.New(calendar.Official())
	log := audit.New(clock)
	rules, err := warning.ParseRules([]byte(classRules))
	if err != nil {
		t.Fatal(err)
	}
	m, err := warning.New(warning.Deps{DB: db, Policy: auth.NewPolicy(), Audit: log, Now: clock, Rules: rules,
		Flow: flow.New(db, func() flow.Calendar { return cal }, log, clock)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadDefinitions(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.ClassChanged(ctx, tx, classChunk[5].USCC, "990102", "A", "C")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The batched path raises exactly the warnings the one-by-one path raises
// for a mixed chunk, with the same cases (instances, history, timers,
// inbox rows), audit entries and outbox events; only entries and events of
// different kinds are grouped rather than alternating.
func TestClassesChangedAsOneByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, one *store.DB) {
		ctx := context.Background()
		batch := storetest.OpenSQLite(t)
		if one.Kind() == store.Postgres {
			batch = storetest.OpenPostgres(t)
		}
		mOne, mBatch := classWorld(t, one), classWorld(t, batch)
		var idsOne []int64
		err := one.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for _, c := range classChunk {
				id, err := mOne.ClassChanged(ctx, tx, c.USCC, c.Region, c.Previous, c.Current)
				if err != nil {
					return err
				}
				idsOne = append(idsOne, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var idsBatch []int64
		err = batch.WithTx(ctx, func(ctx context.Context, tx store.Tx) (err error) {
			idsBatch, err = mBatch.ClassesChanged(ctx, tx, classChunk)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(idsOne) != fmt.Sprint(idsBatch) {
			t.Errorf("warning ids one by one %v, batched %v", idsOne, idsBatch)
		}
		// Which changes warn, and where to.
		sys := auth.System()
		byUSCC := map[string]*warning.Warning{}
		ws, err := mBatch.List(ctx, sys, warning.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			byUSCC[w.USCC] = w
		}
		for i, want := range []string{0: "risk_class_drop", 2: "risk_class_drop", 4: "risk_class_d", 8: "risk_class_drop", 9: "risk_class_drop"} {
			c := classChunk[i]
			got := ""
			if idsBatch[i] != 0 {
				got = byUSCC[c.USCC].RuleID
			}
			if got != want {
				t.Errorf("%s → %s (%s): raised %q, want %q", orNone(c.Previous), c.Current, c.USCC, got, want)
			}
		}
		if w := byUSCC[classChunk[4].USCC]; w == nil || w.DueOn != "2026-10-10" { // 3 working days over 国庆节
			t.Errorf("C → D warning %+v, want due 2026-10-10", w)
		}
		for _, q := range []string{
			`SELECT id, rule_id, kind, uscc, department_id, region_code, prompt, detail, raised_on, due_on, status, note,
				verified_at, closed_on, handled_by, created_at FROM warnings ORDER BY id`,
			`SELECT id, def_key, def_version, subject_type, subject_id, reference, title, region_code, department_ids,
				owner_user_id, state, status, actor_roles, started_at, state_entered_at, state_due_at, due_at, paused_at,
				paused_from, finished_at, escalation_level, extended_days, row_version FROM flow_instances ORDER BY id`,
			`SELECT id, instance_id, action, from_state, to_state, actor_id, actor_name, inputs, comment, created_at
				FROM flow_history ORDER BY id`,
			`SELECT id, instance_id, kind, state, level, fire_at, fired_at, held FROM flow_timers ORDER BY id`,
			`SELECT kind, role, ref, due_at, instance_id, subject_type, paused FROM flow_instance_waits
				ORDER BY instance_id, kind, role, ref`,
			`SELECT action, actor_id, actor_name, object_type, object_id, region_code, detail, at FROM audit_log
				ORDER BY action, seq`,
			`SELECT topic, payload, created_at, delivered_at FROM outbox ORDER BY topic, id`,
		} {
			a, b := dump(t, one, q), dump(t, batch, q)
			if a != b {
				t.Errorf("%s\none by one:\n%s\nbatched:\n%s", q, a, b)
			}
		}
		if _, err := audit.Verify(ctx, batch); err != nil {
			t.Errorf("audit chain after the batch: %v", err)
		}
		// Again: everything that warned is open, nothing more is raised.
		err = batch.WithTx(ctx, func(ctx context.Context, tx store.Tx) (err error) {
			idsBatch, err = mBatch.ClassesChanged(ctx, tx, classChunk)
			return err
		})
		if err != nil || fmt.Sprint(idsBatch) != fmt.Sprint(make([]int64, len(classChunk))) {
			t.Errorf("the same chunk again raised %v (%v), want none", idsBatch, err)
		}
	})
}

func orNone(class string) string {
	if class == "" {
		return "(none)"
	}
	return class
}

// dump returns the rows of q, one a line.
func dump(t *testing.T, db *store.DB, q string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				v = string(x)
			case time.Time:
				v = x.UTC().Format(time.RFC3339Nano)
			}
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		b.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("%s: no rows", q)
	}
	return b.String()
}
