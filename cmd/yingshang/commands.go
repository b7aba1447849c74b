package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// parseArgs parses flags that may stand before, between or after the
// positional arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, cfg *Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("migrate", stderr)
	cfg.flags(fs, ":8080", "data")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	db, err := store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s) on %s\n", n, db.Kind())
	return nil
}

// cmdCalendarDue prints the end date of a limit of N working days. It uses
// the database's calendar when a database is configured or exists, and the
// official calendar shipped with the program otherwise, so it works on a
// fresh machine.
func cmdCalendarDue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("calendar due", stderr)
	cfg.flags(fs, ":8080", "data")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	if len(pos) != 2 {
		fmt.Fprintln(stderr, "usage: yingshang calendar due DATE N   (e.g. 2026-09-30 5)")
		return exitCode(2)
	}
	n, err := strconv.Atoi(pos[1])
	if err != nil || n < 0 {
		fmt.Fprintf(stderr, "N must be a whole number of working days ≥ 0, got %q\n", pos[1])
		return exitCode(2)
	}
	cal := calendar.New(calendar.Official())
	if cfg.DatabaseURL != "" || fileExists(cfg.databaseURL()) {
		db, err := openDB(ctx, &cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		if cal, err = (calendar.Store{}).Load(ctx, db); err != nil {
			return err
		}
	}
	due, err := calendar.DueDate(cal, pos[0], n)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitCode(2)
	}
	from, _ := time.Parse(calendar.DateLayout, pos[0])
	for y := from.Year(); y <= dueYear(due); y++ {
		if cal.Missing(y) {
			fmt.Fprintf(stderr, "warning: no holiday calendar for %d; counted Monday–Friday only\n", y)
		}
	}
	fmt.Fprintln(stdout, due)
	return nil
}

func dueYear(date string) int {
	y, _ := strconv.Atoi(strings.SplitN(date, "-", 2)[0])
	return y
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cmdBackup writes a consistent copy of a SQLite database with VACUUM INTO,
// which is safe while the server runs.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("backup", stderr)
	cfg.flags(fs, ":8080", "data")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: yingshang backup [flags] FILE")
		return exitCode(2)
	}
	dest, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	if fileExists(dest) {
		return fmt.Errorf("backup: %s exists; choose a new file", dest)
	}
	if !fileExists(cfg.databaseURL()) && cfg.DatabaseURL == "" {
		return fmt.Errorf("backup: no database at %s", cfg.databaseURL())
	}
	db, err := store.Open(ctx, cfg.databaseURL())
	if err != nil {
		return err
	}
	defer db.Close()
	if db.Kind() != store.SQLite {
		return errors.New("backup: for PostgreSQL use pg_dump -Fc (see README)")
	}
	// The copy holds what the database holds: create it private first
	// (VACUUM INTO accepts an empty file).
	if err := store.PrivateFile(dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up to %s\n", dest)
	return nil
}
