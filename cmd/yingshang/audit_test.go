package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/audit/audittest"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

func wantExit(t *testing.T, err error, code int, out, must string) {
	t.Helper()
	var ec exitCode
	if !errors.As(err, &ec) || int(ec) != code || !strings.Contains(out, must) {
		t.Errorf("want exit %d with %q; got err %v, output %q", code, must, err, out)
	}
}

// The whole round: a node's record is signed on demand, proofs are printed
// and checked offline with only the proof, the key and a head, and after a
// forger cuts the newest entries and moves the chain's head back, verify
// exits 1 naming the first missing entry, from the database, from the head
// file, and from a head kept elsewhere when both are gone.
func TestAuditCommands(t *testing.T) {
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
	d := []string{"--data-dir", dir}

	out, _, err := runCmd(t, append([]string{"audit", "verify"}, d...)...)
	if err != nil || !strings.Contains(out, "no signed tree head") {
		t.Fatalf("verify before any head: %q %v", out, err)
	}
	out, _, err = runCmd(t, append([]string{"audit", "sign"}, d...)...)
	if err != nil {
		t.Fatal(err)
	}
	head, err := audit.ParseHead([]byte(out))
	if err != nil || head.TreeSize < 10 {
		t.Fatalf("sign printed %q: %v", out, err)
	}
	headFile := filepath.Join(t.TempDir(), "published-head.json")
	os.WriteFile(headFile, []byte(out), 0o600)
	n := head.TreeSize

	out, _, err = runCmd(t, append([]string{"audit", "verify"}, d...)...)
	if err != nil || !strings.Contains(out, "intact") || !strings.Contains(out, "1 from database") {
		t.Fatalf("verify after sign: %q %v", out, err)
	}
	keyOut, _, err := runCmd(t, append([]string{"audit", "key"}, d...)...)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.json")
	os.WriteFile(keyFile, []byte(keyOut), 0o600)

	// Inclusion and consistency proofs check offline.
	proof, _, err := runCmd(t, append([]string{"audit", "prove", "3"}, d...)...)
	if err != nil {
		t.Fatal(err)
	}
	proofFile := filepath.Join(t.TempDir(), "proof.json")
	os.WriteFile(proofFile, []byte(proof), 0o600)
	out, _, err = runCmd(t, "audit", "check-proof", "--key", keyFile, proofFile)
	if err != nil || !strings.Contains(out, "proof valid: entry 3") {
		t.Fatalf("check-proof: %q %v", out, err)
	}
	out, _, err = runCmd(t, "audit", "check-proof", "--key", keyFile, "--head", headFile, proofFile)
	if err != nil || !strings.Contains(out, "proof valid") {
		t.Fatalf("check-proof --head: %q %v", out, err)
	}
	var p map[string]any
	json.Unmarshal([]byte(proof), &p)
	p["entry"].(map[string]any)["actor_name"] = "mallory"
	forged, _ := json.Marshal(p)
	os.WriteFile(proofFile, forged, 0o600)
	out, _, err = runCmd(t, "audit", "check-proof", "--key", keyFile, proofFile)
	wantExit(t, err, 1, out, "proof INVALID")

	// Grow the log, sign again, prove consistency between the heads.
	db, err := store.Open(ctx, filepath.Join(dir, "yingshang.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := audit.New(nil)
	for range 3 {
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := l.Append(ctx, tx, audit.Entry{Action: "test.more", ObjectType: "test"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := runCmd(t, append([]string{"audit", "sign"}, d...)...); err != nil {
		t.Fatal(err)
	}
	// From a size no head was signed at, the proof prints but does not
	// check without a head of that size.
	cons, _, err := runCmd(t, append([]string{"audit", "consistency", "5"}, d...)...)
	if err != nil {
		t.Fatal(err)
	}
	consFile := filepath.Join(t.TempDir(), "cons.json")
	os.WriteFile(consFile, []byte(cons), 0o600)
	out, _, err = runCmd(t, "audit", "check-proof", "--key", keyFile, consFile)
	wantExit(t, err, 1, out, "lacks a signed head")
	_, _, err = runCmd(t, append([]string{"audit", "consistency", "0"}, d...)...)
	wantExit(t, err, 2, "", "")
	cons, _, err = runCmd(t, append([]string{"audit", "consistency", strconvI(n)}, d...)...)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(consFile, []byte(cons), 0o600)
	out, _, err = runCmd(t, "audit", "check-proof", "--key", keyFile, consFile)
	if err != nil || !strings.Contains(out, "proof valid") {
		t.Fatalf("check-proof consistency: %q %v", out, err)
	}

	// The forger cuts the three newest entries and moves the head back.
	audittest.DropGuards(t, db)
	var lastHash string
	db.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = ?", n).Scan(&lastHash)
	for _, q := range []string{"DELETE FROM audit_log WHERE seq > " + strconvI(n),
		"UPDATE audit_head SET seq = " + strconvI(n) + ", hash = '" + lastHash + "'"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	first := "entry " + strconvI(n+1)
	out, _, err = runCmd(t, append([]string{"audit", "verify"}, d...)...)
	wantExit(t, err, 1, out, first)
	// Without the heads in the database, the head file shows it.
	db.ExecContext(ctx, "DELETE FROM audit_tree_heads WHERE tree_size > "+strconvI(n))
	out, _, err = runCmd(t, append([]string{"audit", "verify"}, d...)...)
	wantExit(t, err, 1, out, first)
	// Without the file's last line too, a head published earlier shows it.
	b, _ := os.ReadFile(filepath.Join(dir, audit.HeadFileName))
	lines := strings.SplitAfter(strings.TrimSpace(string(b)), "\n")
	os.WriteFile(filepath.Join(dir, audit.HeadFileName), []byte(strings.Join(lines[:len(lines)-1], "")), 0o600)
	newHead := strings.TrimSpace(lines[len(lines)-1])
	out, _, err = runCmd(t, append([]string{"audit", "verify"}, d...)...)
	if err != nil {
		t.Fatalf("with every copy at the node gone the cut cannot be seen there: %q %v", out, err)
	}
	out, _, err = runCmd(t, append([]string{"audit", "verify", "--head", newHead}, d...)...)
	wantExit(t, err, 1, out, first)
	// A head forged with another key is refused.
	forgedHead := strings.Replace(newHead, `"key_id":"`, `"key_id":"x`, 1)
	out, _, err = runCmd(t, append([]string{"audit", "verify", "--head", forgedHead}, d...)...)
	wantExit(t, err, 1, out, "not trusted")
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
