package flow_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

const raceDef = `{
  "key": "test.race", "name": "竞争",
  "states": [
    {"key": "open", "name": "受理", "kind": "start", "limit": {"n": 1, "unit": "hours"}},
    {"key": "done", "name": "办结", "kind": "end"}
  ],
  "actions": [{"key": "finish", "name": "办结", "from": ["open"], "to": "done", "roles": ["department_handler"]}],
  "escalation": [
    {"level": "remind", "share": 0.5, "on": "state"},
    {"level": "supervise", "share": 1, "on": "state"}
  ]
}`

// TestFireDueManyNodes races two engines, each with its own connection
// pool, over 200 due timers on PostgreSQL: every escalation fires once.
func TestFireDueManyNodes(t *testing.T) {
	db1 := storetest.OpenPostgres(t)
	ctx := context.Background()
	var schema string
	if err := db1.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(ctx, storetest.WithSearchPath(os.Getenv(storetest.EnvPostgres), schema))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()

	clk := &clock{t: cst(2026, 9, 30, 10, 0)}
	cal := calendar.New(calendar.Official())
	engines := []*flow.Engine{
		flow.New(db1, func() flow.Calendar { return cal }, audit.New(clk.Now), clk.Now),
		flow.New(db2, func() flow.Calendar { return cal }, audit.New(clk.Now), clk.Now),
	}
	if _, _, err := engines[0].LoadDefinition(ctx, []byte(raceDef), nil); err != nil {
		t.Fatal(err)
	}
	const cases = 100 // two timers each
	err = db1.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range cases {
			if _, err := engines[0].Start(ctx, tx, flow.StartInput{DefinitionKey: "test.race",
				SubjectType: "race", SubjectID: int64(i), RegionCode: "440305"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Hour)
	var wg sync.WaitGroup
	fired := make([]int, len(engines)*2)
	errs := make([]error, len(fired))
	for i := range fired {
		wg.Go(func() { fired[i], errs[i] = engines[i%2].FireDue(ctx, 1000) })
	}
	wg.Wait()
	total := 0
	for i := range fired {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		total += fired[i]
	}
	t.Logf("fired per worker: %v", fired)
	if total != 2*cases {
		t.Errorf("fired %d in all (%v), want %d", total, fired, 2*cases)
	}
	count := func(q string) int {
		var n int
		if err := db1.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("SELECT COUNT(*) FROM flow_history WHERE action = 'escalate'"); n != 2*cases {
		t.Errorf("escalation history rows = %d, want %d", n, 2*cases)
	}
	if n := count("SELECT COUNT(*) FROM (SELECT payload->>'instance_id', payload->>'level' FROM outbox WHERE topic = 'flow.escalated' GROUP BY 1, 2) x"); n != 2*cases {
		t.Errorf("distinct escalation events = %d, want %d", n, 2*cases)
	}
	if n := count("SELECT COUNT(*) FROM outbox WHERE topic = 'flow.escalated'"); n != 2*cases {
		t.Errorf("escalation events = %d, want %d", n, 2*cases)
	}
	if n := count("SELECT COUNT(*) FROM flow_instances WHERE escalation_level <> 2"); n != 0 {
		t.Errorf("%d instances not at supervise", n)
	}
	if n, err := audit.Verify(ctx, db1); err != nil {
		t.Errorf("audit chain after the race: %d, %v", n, err)
	}
}
