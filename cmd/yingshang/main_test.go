package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/audit/audittest"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

func runCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestCalendarDue(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		from, n, want string
	}{
		{"2026-09-30", "5", "2026-10-13"}, // the reference's worked example across 国庆节
		{"2026-02-13", "1", "2026-02-14"}, // make-up Saturday before 春节 counts
		{"2026-02-14", "1", "2026-02-24"}, // 春节 holiday skipped
		{"2026-11-20", "0", "2026-11-20"},
	}
	for _, c := range cases {
		out, _, err := runCmd(t, "calendar", "due", c.from, c.n, "--data-dir", dir)
		if err != nil || strings.TrimSpace(out) != c.want {
			t.Errorf("calendar due %s %s = %q, %v; want %s", c.from, c.n, out, err, c.want)
		}
	}
	// A year without a published arrangement is counted Monday–Friday, with a warning.
	out, errOut, err := runCmd(t, "calendar", "due", "2027-09-30", "5", "--data-dir", dir)
	if err != nil || strings.TrimSpace(out) != "2027-10-07" || !strings.Contains(errOut, "2027") {
		t.Errorf("missing year: %q %q %v", out, errOut, err)
	}
	for _, bad := range [][]string{{"2026-13-01", "5"}, {"2026-09-30", "-1"}, {"2026-09-30"}} {
		_, _, err := runCmd(t, append([]string{"calendar", "due", "--data-dir", dir}, bad...)...)
		var ec exitCode
		if !errors.As(err, &ec) || ec != 2 {
			t.Errorf("calendar due %v: err %v, want exit 2", bad, err)
		}
	}
}

// The audit chain of a real database verifies, and after one row is edited
// the command exits 1 and names that row.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DatabaseURL: filepath.Join(dir, "yingshang.db"), DataDir: dir, PasswordParams: &auth.TestPasswordParams})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	a.Close()

	out, _, err := runCmd(t, "audit", "verify", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("clean chain: %q, %v", out, err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "yingshang.db"))
	if err != nil {
		t.Fatal(err)
	}
	audittest.DropGuards(t, db)
	if _, err := db.ExecContext(ctx, "UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 3"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, err = runCmd(t, "audit", "verify", "--data-dir", dir)
	var ec exitCode
	if !errors.As(err, &ec) || ec != 1 || !strings.Contains(out, "entry 3") {
		t.Errorf("tampered chain: %q, err %v; want exit 1 naming entry 3", out, err)
	}
}

func TestUsage(t *testing.T) {
	_, errOut, err := runCmd(t, "frobnicate")
	var ec exitCode
	if !errors.As(err, &ec) || ec != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %q %v", errOut, err)
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"admin": 5, "张三": 4, "云澜味道 Li": 11, "１２": 4, "": 0} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
	var b bytes.Buffer
	printColumns(&b, [][]string{{"用户名", "x"}, {"ab", "y"}})
	if b.String() != "  用户名  x\n  ab      y\n" {
		t.Errorf("columns:\n%q", b.String())
	}
}

// Everything under the data directory is the owner's alone: the database
// and its -wal and -shm files, the key files, files left by an older
// installation with looser modes, and backups, wherever they are written.
func TestDataPrivate(t *testing.T) {
	syscall.Umask(0o022) // the usual umask: files 0644 unless asked otherwise
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old", "yingshang.db.bak"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.New(ctx, app.Config{DatabaseURL: filepath.Join(dir, "yingshang.db"), DataDir: dir, PasswordParams: &auth.TestPasswordParams})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.ExecContext(ctx, "INSERT INTO regions (code, name, level) VALUES ('990100', '云澜市', 2)"); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, _, err := runCmd(t, "backup", "--data-dir", dir, backup); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"yingshang.db": false, "yingshang.db-wal": false, "yingshang.db-shm": false, "secret.key": false}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode().Perm()
		if (d.IsDir() && mode != 0o700) || (!d.IsDir() && mode != 0o600) {
			t.Errorf("%s: mode %o", path, mode)
		}
		if _, ok := want[d.Name()]; ok {
			want[d.Name()] = true
		}
		return nil
	})
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("%s not in the data directory", name)
		}
	}
	if info, err := os.Stat(backup); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("backup: %v, %v", info.Mode(), err)
	}
}
