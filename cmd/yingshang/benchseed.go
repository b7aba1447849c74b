package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/benchdata"
	"github.com/yingshang/yingshang/internal/demo"
)

// cmdBenchSeed fills an empty database with the demo city and a year of its
// data (benchdata.Seed), for the view benchmarks: the SQLite file in
// --data-dir, or the PostgreSQL database of --database-url.
func cmdBenchSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench seed", stderr)
	dbURL := fs.String("database-url", env("YS_DATABASE_URL", ""), "database to fill: postgres://… (an empty database) or a SQLite file; default DATA-DIR/yingshang.db")
	dir := fs.String("data-dir", env("YS_DATA_DIR", "yingshang-bench"), "data directory (the SQLite file and the key file)")
	orders := fs.Int("orders", 100000, "hotline orders over twelve months (each with its workflow instance)")
	instances := fs.Int("instances", 0, "workflow instances in all: the orders' and the applications' (default orders × 1.2: an application for every five orders)")
	seed := fs.Uint64("seed", 1, "random seed (the same seed writes the same data)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	if *orders < 0 || *instances < 0 || (*instances > 0 && *instances < *orders) {
		fmt.Fprintln(stderr, "--orders must be ≥ 0 and --instances at least --orders")
		return exitCode(2)
	}
	apps := *orders / 5
	if *instances > 0 {
		apps = *instances - *orders
	}
	cfg := Config{DatabaseURL: *dbURL, DataDir: *dir}
	a, err := app.New(ctx, app.Config{DatabaseURL: cfg.databaseURL(), DataDir: *dir, RootRegion: demo.CityCode,
		Logger: newLogger(&Config{LogLevel: "warn"}, stderr), Version: version})
	if err != nil {
		return err
	}
	defer a.Close()
	var n int
	if err := a.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("bench seed: the database already has %d users; give an empty one", n)
	}
	now := time.Now()
	fmt.Fprintf(stdout, "seeding the demo city on %s…\n", a.DB.Kind())
	if _, err := a.SeedDemo(ctx, now); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo city seeded in %s\n", time.Since(now).Round(time.Second))
	return benchdata.Seed(ctx, benchdata.Deps{DB: a.DB, Flow: a.Flow, Calendar: a.Calendar.Current()},
		benchdata.Options{Orders: *orders, Applications: apps, Now: now, Seed: *seed}, stdout)
}

// cmdBenchViews measures the staff views of a running server on a seeded
// database (benchdata.Views).
func cmdBenchViews(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench views", stderr)
	u := fs.String("url", "http://127.0.0.1:8080", "the server, started on a database bench seed filled")
	pid := fs.Int("pid", 0, "the server's process id, to read its memory from /proc (0: not measured)")
	rounds := fs.Int("rounds", 3, "rounds of each view, alternating with the baseline")
	each := fs.Int("each", 10, "requests per round")
	mem := fs.Duration("memory", 10*time.Second, "length of the 8-client /supervision run (0: skipped)")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	if *rounds < 1 || *each < 1 {
		fmt.Fprintln(stderr, "--rounds and --each must be positive")
		return exitCode(2)
	}
	return benchdata.Views(ctx, benchdata.ViewOptions{URL: *u, PID: *pid, Rounds: *rounds, Each: *each, Memory: *mem}, stdout)
}
