package warning_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/warning"
)

// benchChunk is the number of class changes of one benchmark operation:
// every one a first class C of a business in the register whose latest
// record names a department, so every one raises a warning and its case.
const benchChunk = 1000

// BenchmarkClassWarnings raises the warnings of benchChunk class changes in
// one transaction, one by one (ClassChanged, as a risk run did before) and
// batched (ClassesChanged, as it does now). Between operations the
// warnings are closed, untimed, so that every operation raises them anew.
func BenchmarkClassWarnings(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, path := range []string{"one", "batch"} {
			b.Run(engine+"/"+path, func(b *testing.B) {
				var db *store.DB
				if engine == "sqlite" {
					db = storetest.OpenSQLite(b)
				} else {
					db = storetest.OpenPostgres(b)
				}
				benchClassWarnings(b, db, path == "batch")
			})
		}
	}
}

func benchClassWarnings(b *testing.B, db *store.DB, batched bool) {
	ctx := context.Background()
	w := setup(b, db)
	changes := make([]warning.Change, benchChunk)
	for i := range changes {
		u := uscc(fmt.Sprintf("91990102MB%06dX", i))
		if ids.ValidateUSCC(u) != nil {
			b.Fatalf("code %s", u)
		}
		w.entity(b, u, "", "2020-01-01", "存续")
		w.record(b, u, "penalty", "2026-03-01", w.depts["LJ-SCJG"])
		changes[i] = warning.Change{USCC: u, Region: "990102", Current: "C"}
	}
	now := cst(2026, 9, 30, 10)
	clock := func() time.Time { return now }
	cal := calendar.New(calendar.Official())
	log := audit.New(clock)
	m, err := warning.New(warning.Deps{DB: db, Policy: auth.NewPolicy(), Audit: log, Now: clock,
		Flow: flow.New(db, func() flow.Calendar { return cal }, log, clock)})
	if err != nil {
		b.Fatal(err)
	}
	if err := m.LoadDefinitions(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if batched {
				_, err := m.ClassesChanged(ctx, tx, changes)
				return err
			}
			for _, c := range changes {
				if _, err := m.ClassChanged(ctx, tx, c.USCC, c.Region, c.Previous, c.Current); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM warnings WHERE closed_on IS NULL`).Scan(&n); err != nil || n != benchChunk {
			b.Fatalf("%d warnings raised (%v), want %d", n, err, benchChunk)
		}
		if _, err := db.ExecContext(ctx, `UPDATE warnings SET status = 'excluded', closed_on = '2026-09-30' WHERE closed_on IS NULL`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchChunk), "µs/warning")
}
