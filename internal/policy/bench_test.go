package policy_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/policy/policybench"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// benchBusinesses and benchPolicies size the go test benchmarks; yingshang
// bench policy takes the 100,000 × 500 by flag.
const (
	benchBusinesses = 10000
	benchPolicies   = 100
)

type benchWorld struct {
	db  *store.DB
	m   *policy.Module
	reg *entity.Service
}

// openBench seeds the benchmark's register and policies on SQLite, or on
// PostgreSQL when YS_TEST_POSTGRES is set.
func openBench(b *testing.B) *benchWorld {
	b.Helper()
	var db *store.DB
	if os.Getenv("YS_TEST_POSTGRES") != "" {
		db = storetest.OpenPostgres(b)
	} else {
		db = storetest.OpenSQLite(b)
	}
	clk := &clock{t: time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	pol := auth.NewPolicy()
	code := func(_ context.Context, id int64) (string, error) { return deptCode[id], nil }
	reg, err := entity.New(entity.Deps{DB: db, Box: box, Policy: pol, Now: clk.now, DepartmentCode: code})
	if err != nil {
		b.Fatal(err)
	}
	cal := calendar.New(calendar.Official())
	m, err := policy.New(policy.Deps{DB: db, Register: policy.EntityRegister{Service: reg}, Credit: &fakeCredit{},
		Policy: pol, Audit: audit.New(clk.now), Calendar: func() *calendar.Calendar { return cal }, DepartmentCode: code, Now: clk.now})
	if err != nil {
		b.Fatal(err)
	}
	if err := policybench.Seed(context.Background(), db, m, policybench.Options{Businesses: benchBusinesses,
		Policies: benchPolicies, Now: clk.t, Seed: 1, Department: 1}); err != nil {
		b.Fatal(err)
	}
	return &benchWorld{db: db, m: m, reg: reg}
}

// BenchmarkMatchFull matches the register against every policy from
// scratch, storing inputs and results; compare with BenchmarkMatchEval
// (the same evaluation, nothing stored) and BenchmarkMatchRead (the same
// reads, nothing evaluated).
func BenchmarkMatchFull(b *testing.B) {
	w := openBench(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		for _, t := range []string{"policy_matches", "policy_inputs"} {
			if _, err := w.db.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := w.m.Match(ctx, policy.MatchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchRerun matches again with nothing changed.
func BenchmarkMatchRerun(b *testing.B) {
	w := openBench(b)
	ctx := context.Background()
	if _, err := w.m.Match(ctx, policy.MatchOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := w.m.Match(ctx, policy.MatchOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchEval evaluates the same compiled rules, storing nothing.
func BenchmarkMatchEval(b *testing.B) {
	w := openBench(b)
	for b.Loop() {
		if _, err := w.m.Match(context.Background(), policy.MatchOptions{DryRun: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatchRead reads the same inputs, evaluating nothing.
func BenchmarkMatchRead(b *testing.B) {
	w := openBench(b)
	for b.Loop() {
		if _, err := w.m.Match(context.Background(), policy.MatchOptions{ReadOnly: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRematch re-matches one business after one of its facts
// changed, as the outbox handler does; BenchmarkRematchRead is its
// baseline (reading the business's inputs).
func BenchmarkRematch(b *testing.B) {
	w := openBench(b)
	ctx := context.Background()
	if _, err := w.m.Match(ctx, policy.MatchOptions{}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		u := policybench.USCC(i*997%benchBusinesses, benchBusinesses)
		i++
		if _, err := w.reg.PutFacts(ctx, auth.System(), u, []entity.FactInput{{Name: "employees", Value: strconv.Itoa(10 + i%90),
			AsOf: "2026-12-01"}}); err != nil {
			b.Fatal(err)
		}
		payload, _ := json.Marshal(map[string]string{"uscc": u})
		b.StartTimer()
		if err := w.m.Handle(ctx, outbox.Event{Topic: entity.TopicFactsChanged, Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRematchRead(b *testing.B) {
	w := openBench(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		u := policybench.USCC(i*997%benchBusinesses, benchBusinesses)
		i++
		if _, err := w.m.Match(ctx, policy.MatchOptions{USCC: u, ReadOnly: true}); err != nil {
			b.Fatal(err)
		}
	}
}
