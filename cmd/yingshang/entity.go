package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// cmdEntityImport loads a register of businesses from a CSV or xlsx file,
// printing a progress line and then the report: the counts and each
// refused row with its field. Exit 1 when rows were refused.
func cmdEntityImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("entity import", stderr)
	cfg.flags(fs, ":8080", "data")
	skip := fs.Bool("skip-invalid", false, "store the valid rows and report the others (default: one refused row stores nothing)")
	format := fs.String("format", "", "csv or xlsx (default: from the file name)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		if err == nil {
			fmt.Fprintln(stderr, "usage: yingshang entity import [flags] FILE")
		}
		return exitCode(2)
	}
	if *format == "" {
		*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(pos[0])), ".")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	secret, err := pii.LoadSecret(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	box, err := pii.New(secret)
	if err != nil {
		return err
	}
	reg, err := entity.New(entity.Deps{DB: db, Box: box, Policy: auth.NewPolicy()})
	if err != nil {
		return err
	}
	start := time.Now()
	progress := func(n int) {
		rate := float64(n) / max(time.Since(start).Seconds(), 0.001)
		fmt.Fprintf(stderr, "\r%d rows read, %.0f rows/s", n, rate)
	}
	rep, err := reg.Import(ctx, auth.System(), f, entity.ImportOptions{Format: *format, SkipInvalid: *skip,
		Source: filepath.Base(pos[0]), Progress: progress, ProgressEvery: 10000})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d rows: %d new, %d updated, %d unchanged, %d refused, in %s\n", rep.Rows, rep.Created, rep.Updated,
		rep.Unchanged, rep.RejectedRows, rep.Duration.Round(time.Millisecond))
	for _, r := range rep.Rejected {
		fmt.Fprintf(stdout, "  row %d, %s: %s\n", r.Row, r.Field, r.Message)
	}
	if rep.RejectedRows > len(rep.Rejected) {
		fmt.Fprintf(stdout, "  … and more (the first %d problems are listed)\n", len(rep.Rejected))
	}
	if !rep.Applied {
		fmt.Fprintln(stdout, "nothing was stored: fix the rows above, or pass --skip-invalid")
	}
	if rep.RejectedRows > 0 {
		return exitCode(1)
	}
	return nil
}
