package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// syncBuffer is a bytes.Buffer safe to write from the command and read
// from the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runDemo runs the demo command until it prints its account table (or
// fails), then stops it and returns what it printed.
func runDemo(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"demo", "--addr", "127.0.0.1:0"}, args...), &out, &errOut) }()
	deadline := time.After(2 * time.Minute)
	for !strings.Contains(out.String(), "Ctrl+C") {
		select {
		case err := <-done:
			return out.String(), errOut.String(), err
		case <-deadline:
			t.Fatalf("demo did not start: %s %s", out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	cancel()
	err = <-done
	return out.String(), errOut.String(), err
}

// The demo's console shows the account table, not the log lines of its
// seeding; the whole log is in the data directory.
func TestDemoConsole(t *testing.T) {
	dir := t.TempDir()
	out, errOut, err := runDemo(t, "--data-dir", dir)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, errOut)
	}
	for _, want := range []string{"zhangsan", "supervisor", "Open311 api_key"} {
		if !strings.Contains(out, want) {
			t.Errorf("account table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(errOut, "level=INFO") {
		t.Errorf("the console shows info lines:\n%s", errOut)
	}
	log, err := os.ReadFile(filepath.Join(dir, "demo.log"))
	if err != nil || !strings.Contains(string(log), "level=INFO") {
		t.Errorf("demo.log: %v, %d bytes", err, len(log))
	}
	if fi, err := os.Stat(filepath.Join(dir, "demo.log")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("demo.log mode %v", fi.Mode().Perm())
	}
}

// A city may try the demo on PostgreSQL: on an empty database it runs; on
// one that holds data it refuses and changes nothing.
func TestDemoOnPostgres(t *testing.T) {
	base := os.Getenv(storetest.EnvPostgres)
	if base == "" {
		t.Skip(storetest.EnvPostgres + " not set")
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "demo_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	url := storetest.WithSearchPath(base, schema)

	dir := t.TempDir()
	out, errOut, err := runDemo(t, "--database-url", url, "--data-dir", dir)
	if err != nil || !strings.Contains(out, "zhangsan") {
		t.Fatalf("demo on PostgreSQL: %v\n%s\n%s", err, out, errOut)
	}
	var users int
	if err := admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+schema+".users").Scan(&users); err != nil || users == 0 {
		t.Fatalf("demo users in PostgreSQL: %d %v", users, err)
	}
	_, _, err = runDemo(t, "--database-url", url, "--data-dir", dir)
	if !errors.Is(err, app.ErrNotEmpty) {
		t.Fatalf("second demo on the same database: %v, want ErrNotEmpty", err)
	}
	var after int
	admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+schema+".users").Scan(&after)
	if after != users {
		t.Errorf("refused demo changed the users: %d → %d", users, after)
	}
}
