package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/policy/policybench"
)

// cmdBenchPolicy measures policy matching (政策找人) on a fresh database (a
// temporary SQLite file, or a new schema in the PostgreSQL database
// --database-url names): it seeds --businesses businesses with their facts
// and --policies published policies, then alternates two baselines (the
// same reads with no evaluation; the same reads and the same compiled
// rules evaluated, nothing stored) with a full match from scratch (every
// business's inputs and every eligible or refused pair stored, from which
// each answer is explained), and reports them and their ratios; then a
// rerun with nothing changed, and the re-match of one business after one
// of its facts changes, as the outbox handler does it.
func cmdBenchPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench policy", stderr)
	dbURL := fs.String("database-url", env("YS_DATABASE_URL", ""), "PostgreSQL URL to benchmark on (a temporary schema is used); default: a temporary SQLite file")
	businesses := fs.Int("businesses", 100000, "businesses in the register")
	policies := fs.Int("policies", 500, "published policies")
	rounds := fs.Int("rounds", 3, "rounds of baselines and full match, alternating")
	updates := fs.Int("updates", 20, "re-matches after one fact change measured")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	if *businesses < 1 || *policies < 1 || *rounds < 1 || *updates < 1 {
		fmt.Fprintln(stderr, "--businesses, --policies, --rounds and --updates must be positive")
		return exitCode(2)
	}
	a, db, cleanup, err := benchApp(ctx, *dbURL, stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	now := time.Now()
	fmt.Fprintf(stdout, "policy on %s: seeding %d businesses and %d policies…\n", db.Kind(), *businesses, *policies)
	if err := policybench.Seed(ctx, db, a.Policies, policybench.Options{Businesses: *businesses, Policies: *policies, Now: now,
		Seed: 1, Department: 1, Progress: stdout}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  measured: full match from scratch (stream the register, facts, listings, classes, certificates and grants in chunks,\n"+
		"            evaluate every policy, store each business's inputs and each eligible or refused pair; no messages)\n")
	fmt.Fprintf(stdout, "  baseline read: the same reads of the same rows, nothing evaluated, nothing written\n")
	fmt.Fprintf(stdout, "  baseline eval: the same reads and the same compiled rules evaluated, nothing written\n")
	var rs, es, ms, rc, ec, mc []float64
	var last *policy.RunStats
	for r := 1; r <= *rounds; r++ {
		c0 := cpuTime()
		rd, err := a.Policies.Match(ctx, policy.MatchOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		c1 := cpuTime()
		ev, err := a.Policies.Match(ctx, policy.MatchOptions{DryRun: true})
		if err != nil {
			return err
		}
		c2 := cpuTime()
		for _, t := range []string{"policy_matches", "policy_inputs"} {
			if _, err := db.ExecContext(ctx, "DELETE FROM "+t); err != nil {
				return err
			}
		}
		c3 := cpuTime()
		st, err := a.Policies.Match(ctx, policy.MatchOptions{})
		if err != nil {
			return err
		}
		c4 := cpuTime()
		last = st
		rs, es, ms = append(rs, rd.Elapsed.Seconds()), append(es, ev.Elapsed.Seconds()), append(ms, st.Elapsed.Seconds())
		rc, ec, mc = append(rc, (c1-c0).Seconds()), append(ec, (c2-c1).Seconds()), append(mc, (c4-c3).Seconds())
		fmt.Fprintf(stdout, "  round %d: read %6.1fs (CPU %5.1fs)  eval %6.1fs (CPU %5.1fs)  match %6.1fs (CPU %5.1fs)  (%.2f× eval)\n",
			r, rd.Elapsed.Seconds(), (c1 - c0).Seconds(), ev.Elapsed.Seconds(), (c2 - c1).Seconds(), st.Elapsed.Seconds(),
			(c4 - c3).Seconds(), st.Elapsed.Seconds()/ev.Elapsed.Seconds())
	}
	fmt.Fprintf(stdout, "  %d businesses × %d policies = %d pairs decided, %d eligible, %d rows stored (+%d inputs)\n",
		last.Businesses, last.Policies, last.Evaluations, last.Eligible, last.Stored, last.Businesses)
	rm, em, mm := median(rs), median(es), median(ms)
	fmt.Fprintf(stdout, "  median:  read %6.1fs (CPU %5.1fs)  eval %6.1fs (CPU %5.1fs)  match %6.1fs (CPU %5.1fs)  ratio %.2f× eval, %.2f× read"+
		"  (CPU: this process; on PostgreSQL the server's is not counted)\n", rm, median(rc), em, median(ec), mm, median(mc), mm/em, mm/rm)
	st, err := a.Policies.Match(ctx, policy.MatchOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  rerun with nothing changed: %.1fs (%d rows stored)\n", st.Elapsed.Seconds(), st.Stored)
	// One fact changes, then the outbox event's handling re-matches the
	// business (messages and 免申即享 publicity included).
	var upd, base []float64
	for i := range *updates {
		u := policybench.USCC(i*(*businesses / *updates), *businesses)
		if _, err := a.Entities.PutFacts(ctx, auth.System(), u, []entity.FactInput{{Name: "employees",
			Value: strconv.Itoa(20 + i*7), AsOf: now.Format("2006-01-02")}}); err != nil {
			return err
		}
		payload, _ := json.Marshal(map[string]any{"uscc": u, "name": "employees"})
		t0 := time.Now()
		if err := a.Policies.Handle(ctx, outbox.Event{Topic: entity.TopicFactsChanged, Payload: payload}); err != nil {
			return err
		}
		upd = append(upd, time.Since(t0).Seconds()*1000)
		t0 = time.Now()
		if _, err := a.Policies.Match(ctx, policy.MatchOptions{USCC: u, ReadOnly: true}); err != nil {
			return err
		}
		base = append(base, time.Since(t0).Seconds()*1000)
	}
	fmt.Fprintf(stdout, "  re-match of one business after one fact change (%d businesses, %d policies): median %.1f ms, max %.1f ms;"+
		" baseline (read its inputs) median %.2f ms\n", *updates, *policies, median(upd), slices.Max(upd), median(base))
	return nil
}
