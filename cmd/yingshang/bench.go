package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/flow/flowbench"
	"github.com/yingshang/yingshang/internal/store"
)

// benchTarget is one load benchmark: a measured operation and the baseline
// it is compared with, both on the same fresh database.
type benchTarget struct {
	name, what, baseline string
	setup                func(ctx context.Context, db *store.DB) (measured, base func(context.Context) error, err error)
}

var benchTargets = []benchTarget{
	{
		name:     "flow",
		what:     "workflow transition (state, history, deadlines, timer, outbox event, audit entry; one transaction)",
		baseline: "the bare SQL of one transition in one transaction",
		setup: func(ctx context.Context, db *store.DB) (func(context.Context) error, func(context.Context) error, error) {
			l, err := flowbench.Setup(ctx, db)
			if err != nil {
				return nil, nil, err
			}
			return l.Transition, l.Baseline, nil
		},
	},
}

// cmdBench runs load benchmarks on a fresh database: a temporary SQLite file,
// or a new schema in the PostgreSQL database --database-url names (dropped
// afterwards). Baseline and measured rounds alternate so that load from
// other processes on a shared machine hits both alike; the medians and their
// ratio are reported.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "seed":
			return cmdBenchSeed(ctx, args[1:], stdout, stderr)
		case "views":
			return cmdBenchViews(ctx, args[1:], stdout, stderr)
		case "risk":
			return cmdBenchRisk(ctx, args[1:], stdout, stderr)
		case "policy":
			return cmdBenchPolicy(ctx, args[1:], stdout, stderr)
		}
	}
	fs := newFlagSet("bench", stderr)
	dbURL := fs.String("database-url", env("YS_DATABASE_URL", ""), "PostgreSQL URL to benchmark on (a temporary schema is used); default: a temporary SQLite file")
	rounds := fs.Int("rounds", 5, "rounds of each, alternating baseline and measured")
	dur := fs.Duration("duration", 2*time.Second, "length of one round")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	targets := benchTargets
	if len(pos) > 0 {
		targets = nil
		for _, p := range pos {
			i := slices.IndexFunc(benchTargets, func(t benchTarget) bool { return t.name == p })
			if i < 0 {
				fmt.Fprintf(stderr, "unknown benchmark %q; known: %s\n", p, benchNames())
				return exitCode(2)
			}
			targets = append(targets, benchTargets[i])
		}
	}
	if *rounds < 1 || *dur <= 0 {
		fmt.Fprintln(stderr, "--rounds and --duration must be positive")
		return exitCode(2)
	}
	for _, t := range targets {
		db, cleanup, err := benchDB(ctx, *dbURL)
		if err != nil {
			return err
		}
		err = runBench(ctx, stdout, db, t, *rounds, *dur)
		cleanup()
		if err != nil {
			return fmt.Errorf("bench %s: %w", t.name, err)
		}
	}
	return nil
}

func benchNames() string {
	var names []string
	for _, t := range benchTargets {
		names = append(names, t.name)
	}
	return strings.Join(names, ", ")
}

func runBench(ctx context.Context, w io.Writer, db *store.DB, t benchTarget, rounds int, dur time.Duration) error {
	measured, base, err := t.setup(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s on %s: %s\n  baseline: %s\n", t.name, db.Kind(), t.what, t.baseline)
	var mRates, bRates []float64
	for r := 0; r < rounds; r++ {
		b, err := rate(ctx, base, dur)
		if err != nil {
			return err
		}
		m, err := rate(ctx, measured, dur)
		if err != nil {
			return err
		}
		bRates, mRates = append(bRates, b), append(mRates, m)
		fmt.Fprintf(w, "  round %d: baseline %8.0f/s  measured %8.0f/s  (%.0f%%)\n", r+1, b, m, 100*m/b)
	}
	bm, mm := median(bRates), median(mRates)
	fmt.Fprintf(w, "  median:  baseline %8.0f/s  measured %8.0f/s  ratio %.0f%%\n", bm, mm, 100*mm/bm)
	return nil
}

// rate runs op repeatedly for d and returns operations per second.
func rate(ctx context.Context, op func(context.Context) error, d time.Duration) (float64, error) {
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		if err := op(ctx); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// benchApp is the platform on a fresh benchmark database (see benchDB),
// with a data directory of its own and only warnings logged, for the
// benchmarks that measure a module inside the whole app; cleanup removes
// both.
func benchApp(ctx context.Context, pgURL string, stderr io.Writer) (*app.App, *store.DB, func(), error) {
	db, cleanup, err := benchDB(ctx, pgURL)
	if err != nil {
		return nil, nil, nil, err
	}
	dir, err := os.MkdirTemp("", "yingshang-bench-app-")
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	a, err := app.WithDB(ctx, db, app.Config{DataDir: dir, RootRegion: "990100", Version: version,
		Logger: newLogger(&Config{LogLevel: "warn"}, stderr)})
	if err != nil {
		os.RemoveAll(dir)
		cleanup()
		return nil, nil, nil, err
	}
	return a, db, func() { os.RemoveAll(dir); cleanup() }, nil
}

// benchDB opens a fresh migrated database for one benchmark and returns a
// function that removes it.
func benchDB(ctx context.Context, pgURL string) (*store.DB, func(), error) {
	if pgURL == "" {
		dir, err := os.MkdirTemp("", "yingshang-bench-")
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(ctx, filepath.Join(dir, "bench.db"))
		if err == nil {
			_, err = db.Migrate(ctx)
		}
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return db, func() { db.Close(); os.RemoveAll(dir) }, nil
	}
	admin, err := store.Open(ctx, pgURL)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, nil, err
	}
	drop := func() {
		admin.ExecContext(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		drop()
		return nil, nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(ctx, u.String())
	if err == nil {
		_, err = db.Migrate(ctx)
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return db, func() { db.Close(); drop() }, nil
}
