package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/risk/riskbench"
)

// cmdBenchRisk measures credit risk classification on a fresh database (a
// temporary SQLite file, or a new schema in the PostgreSQL database
// --database-url names): it seeds --businesses businesses with --records
// credit records, then alternates the baseline (reading every row a full
// run reads, no scoring) with a full run from scratch (every class
// written), and reports both and their ratio; then a rerun with nothing to
// change, and the incremental update after one new record.
func cmdBenchRisk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench risk", stderr)
	dbURL := fs.String("database-url", env("YS_DATABASE_URL", ""), "PostgreSQL URL to benchmark on (a temporary schema is used); default: a temporary SQLite file")
	businesses := fs.Int("businesses", 100000, "businesses in the register (1000000 for the issue's figure)")
	records := fs.Int("records", 1000000, "credit records about them (10000000 for the issue's figure)")
	rounds := fs.Int("rounds", 3, "rounds of baseline and full run, alternating")
	updates := fs.Int("updates", 20, "incremental updates measured")
	routed := fs.Bool("routed", false, "let the seeded records name a department, so that a first class C or D raises its early warning and inbox case (without: nobody to send it to, none raised)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	if *businesses < 1 || *records < 0 || *rounds < 1 || *updates < 1 {
		fmt.Fprintln(stderr, "--businesses, --rounds and --updates must be positive, --records not negative")
		return exitCode(2)
	}
	a, db, cleanup, err := benchApp(ctx, *dbURL, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	now := time.Now()
	fmt.Fprintf(stdout, "risk on %s: seeding %d businesses and %d records…\n", db.Kind(), *businesses, *records)
	o := riskbench.Options{Businesses: *businesses, Records: *records, Now: now, Seed: 1, Progress: stdout}
	if *routed {
		o.Department = 1 // only carried by the records, warnings and cases: nothing looks it up
	}
	if err := riskbench.Seed(ctx, db, o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  measured: full classification from scratch (stream the register, records, listings and facts in chunks, score, write every class)\n")
	fmt.Fprintf(stdout, "  baseline: the same reads of the same rows, no scoring, nothing written\n")
	var bs, ms, bc, mc []float64
	for r := 1; r <= *rounds; r++ {
		c0 := cpuTime()
		b, err := a.Risk.Baseline(ctx)
		if err != nil {
			return err
		}
		c1 := cpuTime()
		if _, err := db.ExecContext(ctx, "DELETE FROM risk_classes"); err != nil {
			return err
		}
		c2 := cpuTime()
		st, err := a.Risk.RunFull(ctx, risk.RunOptions{})
		if err != nil {
			return err
		}
		c3 := cpuTime()
		bs, ms = append(bs, b.Elapsed.Seconds()), append(ms, st.Elapsed.Seconds())
		bc, mc = append(bc, (c1-c0).Seconds()), append(mc, (c3-c2).Seconds())
		fmt.Fprintf(stdout, "  round %d: baseline %6.1fs (CPU %5.1fs)  classify %6.1fs (CPU %5.1fs)  (%.2f×)  %d businesses, %d records read, %d classes written\n",
			r, b.Elapsed.Seconds(), (c1 - c0).Seconds(), st.Elapsed.Seconds(), (c3 - c2).Seconds(), st.Elapsed.Seconds()/b.Elapsed.Seconds(),
			st.Businesses, st.Records, st.Changed)
	}
	// What the class changes raised (the first round's first classes C
	// and D: later rounds find them open), so that runs compare like for like.
	var warned, cases int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM warnings").Scan(&warned); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_instances").Scan(&cases); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  early warnings raised: %d, inbox cases started: %d\n", warned, cases)
	bm, mm := median(bs), median(ms)
	fmt.Fprintf(stdout, "  median:  baseline %6.1fs (CPU %5.1fs)  classify %6.1fs (CPU %5.1fs)  ratio %.2f×  (CPU: this process; on PostgreSQL the server's is not counted)\n",
		bm, median(bc), mm, median(mc), mm/bm)
	st, err := a.Risk.RunFull(ctx, risk.RunOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  rerun with nothing changed: %.1fs (%d classes written)\n", st.Elapsed.Seconds(), st.Changed)
	// Incremental: one new penalty, then the outbox event's handling.
	var upd, base []float64
	for i := range *updates {
		u := riskbench.USCC(i*(*businesses / *updates), *businesses)
		if _, err := a.Credit.AddRecord(ctx, auth.System(), credit.RecordInput{USCC: u, Kind: credit.KindPenalty,
			DecisionDate: now.Format("2006-01-02"), Penalty: &credit.Penalty{Procedure: "simple", Subject: "organisation",
				Kinds: []string{"警告"}}}); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"uscc": u, "kind": credit.KindPenalty})
		t0 := time.Now()
		if err := a.Risk.Handle(ctx, outbox.Event{Topic: credit.TopicRecorded, Payload: payload}); err != nil {
			return err
		}
		upd = append(upd, time.Since(t0).Seconds()*1000)
		t0 = time.Now()
		if _, err := a.Risk.ClassOf(ctx, u); err != nil {
			return err
		}
		base = append(base, time.Since(t0).Seconds()*1000)
	}
	fmt.Fprintf(stdout, "  incremental update after one new record (%d businesses): median %.1f ms, max %.1f ms; baseline (read the class) median %.2f ms\n",
		*updates, median(upd), slices.Max(upd), median(base))
	return nil
}
