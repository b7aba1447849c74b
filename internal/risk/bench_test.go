package risk_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/risk/riskbench"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// benchBusinesses and benchRecords size the go test benchmark; yingshang
// bench risk takes the million and ten million by flag.
const (
	benchBusinesses = 20000
	benchRecords    = 200000
)

func benchWorld(b *testing.B) *world {
	b.Helper()
	db := storetest.OpenSQLite(b)
	w := setupTB(b, db)
	if err := riskbench.Seed(context.Background(), db, riskbench.Options{Businesses: benchBusinesses, Records: benchRecords,
		Now: now, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkFullRun classifies the register from scratch (every class
// written); compare with BenchmarkBaseline.
func BenchmarkFullRun(b *testing.B) {
	w := benchWorld(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		if _, err := w.db.ExecContext(ctx, "DELETE FROM risk_classes"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaseline reads the rows a full run reads, without scoring.
func BenchmarkBaseline(b *testing.B) {
	w := benchWorld(b)
	for b.Loop() {
		if _, err := w.risk.Baseline(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIncremental reclassifies one business after a new penalty.
func BenchmarkIncremental(b *testing.B) {
	w := benchWorld(b)
	ctx := context.Background()
	if _, err := w.risk.RunFull(ctx, risk.RunOptions{}); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		u := riskbench.USCC(i%benchBusinesses, benchBusinesses)
		i += 997
		if _, err := w.credit.AddRecord(ctx, auth.System(), credit.RecordInput{USCC: u, Kind: credit.KindPenalty,
			DecisionDate: "2026-12-03", Penalty: &credit.Penalty{Procedure: "simple", Subject: "organisation", Kinds: []string{"警告"}}}); err != nil {
			b.Fatal(err)
		}
		payload, _ := json.Marshal(map[string]string{"uscc": u})
		b.StartTimer()
		if err := w.risk.Handle(ctx, outbox.Event{Topic: credit.TopicRecorded, Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
}
