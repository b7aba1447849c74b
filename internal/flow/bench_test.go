package flow_test

import (
	"context"
	"os"
	"testing"

	"github.com/yingshang/yingshang/internal/flow/flowbench"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func benchDBs(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.OpenSQLite(b)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, storetest.OpenPostgres(b)) })
	}
}

// BenchmarkTransition measures one Do call, in its own transaction, per
// iteration (the workload is in package flowbench).
func BenchmarkTransition(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		loop, err := flowbench.Setup(context.Background(), db)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if err := loop.Transition(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBaselineInserts measures the bare SQL one transition needs, in
// one transaction (see flowbench.Loop.Baseline).
func BenchmarkBaselineInserts(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		loop, err := flowbench.Setup(context.Background(), db)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for b.Loop() {
			if err := loop.Baseline(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
