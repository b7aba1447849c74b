package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/audit/audittest"
	"github.com/yingshang/yingshang/internal/merkle"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// signedLog is a log of ten entries with heads signed at 4, 8 and 10
// entries, kept in the database and in a head file.
type signedLog struct {
	db     *store.DB
	log    *audit.Log
	signer *audit.HeadSigner
	keys   audit.Keys
	file   string
	heads  []*audit.TreeHead // as signed, smallest first
}

func newSignedLog(t *testing.T, db *store.DB) *signedLog {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	s := &signedLog{db: db, log: audit.New(clock()), file: filepath.Join(t.TempDir(), audit.HeadFileName)}
	s.signer = &audit.HeadSigner{DB: db, Key: key, File: s.file, Now: clock()}
	s.keys = audit.NewKeys(s.signer.PublicKey())
	for _, n := range []int{4, 4, 2} {
		appendN(t, db, s.log, n)
		h, grew, err := s.signer.Sign(context.Background())
		if err != nil || !grew {
			t.Fatalf("Sign: %v %v", grew, err)
		}
		s.heads = append(s.heads, h)
	}
	return s
}

// verify runs VerifySigned with the head file as a second source.
func (s *signedLog) verify(t *testing.T, extra ...audit.HeadSource) (audit.Summary, error) {
	t.Helper()
	fromFile, err := audit.ReadHeadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	return audit.VerifySigned(context.Background(), s.db, s.keys,
		append([]audit.HeadSource{{Name: s.file, Heads: fromFile}}, extra...)...)
}

func wantBrokenAt(t *testing.T, err error, seq int64) {
	t.Helper()
	var be *audit.BrokenError
	if !errors.As(err, &be) {
		t.Fatalf("want *BrokenError at %d, got %v", seq, err)
	}
	if be.Seq != seq {
		t.Errorf("broken at %d (%s), want %d", be.Seq, be.Reason, seq)
	}
}

// rewrite plays a forger with write access: entry seq gets another actor
// name and its hash, and every later entry its prev_hash and hash, are
// recomputed, and the chain's head is moved along, so that the hash chain
// alone verifies again.
func rewrite(t *testing.T, db *store.DB, seq int64) {
	t.Helper()
	ctx := context.Background()
	rs, _, err := audit.List(ctx, db, audit.Filter{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	prev := ""
	for i := len(rs) - 1; i >= 0; i-- { // oldest first
		r := rs[i]
		if r.Seq < seq {
			prev = r.Hash
			continue
		}
		if r.Seq == seq {
			r.ActorName = "mallory"
		}
		if prev != "" {
			r.PrevHash = prev
		}
		r.Hash = audit.ComputeHash(&r)
		exec(t, db, "UPDATE audit_log SET actor_name = ?, prev_hash = ?, hash = ? WHERE seq = ?",
			r.ActorName, r.PrevHash, r.Hash, r.Seq)
		prev = r.Hash
	}
	exec(t, db, "UPDATE audit_head SET hash = ?", prev)
}

// cut deletes the entries after keep and moves the chain's head back to
// the last kept entry, as a forger hiding the newest decisions would.
func cut(t *testing.T, db *store.DB, keep int64) {
	t.Helper()
	rs, _, err := audit.List(context.Background(), db, audit.Filter{Seq: keep})
	if err != nil || len(rs) != 1 {
		t.Fatalf("entry %d: %v", keep, err)
	}
	exec(t, db, "DELETE FROM audit_log WHERE seq > ?", keep)
	exec(t, db, "UPDATE audit_head SET seq = ?, hash = ?", keep, rs[0].Hash)
}

func TestSignedHeadsDetectTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *signedLog) []audit.HeadSource
		want   int64 // 0: verifies
	}{
		{"clean", func(*testing.T, *signedLog) []audit.HeadSource { return nil }, 0},
		{"delete newest", func(t *testing.T, s *signedLog) []audit.HeadSource {
			cut(t, s.db, 8)
			return nil
		}, 9},
		{"delete newest and their signed heads in the database", func(t *testing.T, s *signedLog) []audit.HeadSource {
			cut(t, s.db, 8)
			exec(t, s.db, "DELETE FROM audit_tree_heads WHERE tree_size > 8")
			return nil // the head file still has the head of 10
		}, 9},
		{"rewrite newest and update head", func(t *testing.T, s *signedLog) []audit.HeadSource {
			rewrite(t, s.db, 10)
			return nil
		}, 9}, // the head of 8 vouches for 1–8; the head of 10 fails on 9–10
		{"rewrite a middle entry and rehash the rest", func(t *testing.T, s *signedLog) []audit.HeadSource {
			rewrite(t, s.db, 6)
			return nil
		}, 5},
		{"rewrite the first entry and rehash everything", func(t *testing.T, s *signedLog) []audit.HeadSource {
			rewrite(t, s.db, 1)
			return nil
		}, 1},
		{"drop the newest lines of the head file and the heads in the database", func(t *testing.T, s *signedLog) []audit.HeadSource {
			cut(t, s.db, 8)
			exec(t, s.db, "DELETE FROM audit_tree_heads WHERE tree_size > 8")
			b, _ := os.ReadFile(s.file)
			lines := strings.SplitAfter(string(b), "\n")
			os.WriteFile(s.file, []byte(strings.Join(lines[:2], "")), 0o600)
			// Nothing at the node shows the cut any more, but the head
			// of 10 published earlier (given with --head) still does.
			return []audit.HeadSource{{Name: "--head", Heads: []audit.TreeHead{*s.heads[2]}}}
		}, 9},
		{"forge a head with another key", func(t *testing.T, s *signedLog) []audit.HeadSource {
			rewrite(t, s.db, 10)
			_, other, _ := ed25519.GenerateKey(nil)
			forger := &audit.HeadSigner{DB: s.db, Key: other}
			exec(t, s.db, "DELETE FROM audit_tree_heads")
			if _, _, err := forger.Sign(context.Background()); err != nil {
				t.Fatal(err)
			}
			return nil
		}, -1}, // refused as a bad head, not as a broken chain
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				s := newSignedLog(t, db)
				audittest.DropGuards(t, db)
				extra := tt.tamper(t, s)
				sum, err := s.verify(t, extra...)
				switch tt.want {
				case 0:
					if err != nil || sum.Entries != 10 || sum.Heads["database"] != 3 || sum.Largest.TreeSize != 10 {
						t.Fatalf("VerifySigned: %+v, %v", sum, err)
					}
				case -1:
					if !errors.Is(err, audit.ErrBadHead) || !strings.Contains(err.Error(), "database") {
						t.Fatalf("VerifySigned: err %v, want ErrBadHead from the database", err)
					}
				default:
					wantBrokenAt(t, err, tt.want)
				}
			})
		})
	}
}

// The hash chain alone misses a cut tail and a rewritten newest entry; the
// chain check is still there and still names the entry an edit without
// rehashing broke.
func TestChainAloneMissesCut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSignedLog(t, db)
		audittest.DropGuards(t, db)
		cut(t, db, 7)
		if n, err := audit.Verify(context.Background(), db); err != nil || n != 7 {
			t.Fatalf("chain-only Verify after a cut: %d, %v (expected to pass: that is the hole)", n, err)
		}
		_, err := s.verify(t)
		wantBrokenAt(t, err, 8)
		exec(t, db, "UPDATE audit_log SET object_id = 'x' WHERE seq = 3")
		_, err = s.verify(t)
		wantBrokenAt(t, err, 3)
	})
}

// The migrations make the record append-only: UPDATE and DELETE of entries
// and signed heads, and moving the chain's head back, are refused on both
// engines, and nothing changes.
func TestAppendOnlyGuards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSignedLog(t, db)
		ctx := context.Background()
		for _, q := range []string{
			"UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 10",
			"DELETE FROM audit_log WHERE seq = 10",
			"DELETE FROM audit_log",
			"UPDATE audit_tree_heads SET root_hash = 'x'",
			"DELETE FROM audit_tree_heads WHERE tree_size = 10",
			"UPDATE audit_head SET seq = 8",
			"DELETE FROM audit_head",
		} {
			if _, err := db.ExecContext(ctx, q); err == nil {
				t.Errorf("%s: accepted", q)
			}
		}
		if db.Kind() == store.Postgres {
			for _, q := range []string{"TRUNCATE audit_log", "TRUNCATE audit_tree_heads"} {
				if _, err := db.ExecContext(ctx, q); err == nil {
					t.Errorf("%s: accepted", q)
				}
			}
		}
		if sum, err := s.verify(t); err != nil || sum.Entries != 10 {
			t.Fatalf("after refused changes: %+v %v", sum, err)
		}
		// Appending still works: the head moves forward.
		appendN(t, db, s.log, 1)
		if h, grew, err := s.signer.Sign(ctx); err != nil || !grew || h.TreeSize != 11 {
			t.Fatalf("Sign after append: %+v %v %v", h, grew, err)
		}
	})
}

func TestSigner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSignedLog(t, db)
		// No growth, no new head.
		h, grew, err := s.signer.Sign(ctx)
		if err != nil || grew || h.TreeSize != 10 {
			t.Fatalf("Sign without growth: %+v %v %v", h, grew, err)
		}
		fi, err := os.Stat(s.file)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("head file mode %v, %v", fi.Mode().Perm(), err)
		}
		fromFile, err := audit.ReadHeadFile(s.file)
		if err != nil || len(fromFile) != 3 {
			t.Fatalf("head file: %d heads, %v", len(fromFile), err)
		}
		// A line cut short (a forger editing the file, a torn write) is
		// an error naming the line.
		damaged := filepath.Join(t.TempDir(), "damaged.jsonl")
		b, _ := os.ReadFile(s.file)
		os.WriteFile(damaged, b[:len(b)-20], 0o600)
		if _, err := audit.ReadHeadFile(damaged); err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("damaged head file: err %v, want one naming line 3", err)
		}
		stored, err := audit.AllHeads(ctx, db)
		if err != nil || len(stored) != 3 {
			t.Fatalf("stored heads: %d, %v", len(stored), err)
		}
		for i := range stored {
			if stored[i] != fromFile[i] || stored[i] != *s.heads[i] {
				t.Errorf("head %d: db %+v file %+v signed %+v", i, stored[i], fromFile[i], *s.heads[i])
			}
		}
		// A damaged frontier is noticed and the tree rebuilt, so the next
		// head is still right.
		audittest.DropGuards(t, db)
		exec(t, db, "UPDATE audit_tree_heads SET frontier = ?", strings.Repeat("ab", 32))
		appendN(t, db, s.log, 3)
		h, grew, err = s.signer.Sign(ctx)
		if err != nil || !grew || h.TreeSize != 13 {
			t.Fatalf("Sign after damaged frontier: %+v %v %v", h, grew, err)
		}
		if _, err := s.verify(t); err != nil {
			t.Fatalf("verify after rebuilt frontier: %v", err)
		}
		// The signer refuses to vouch for a record that no longer matches
		// its last head.
		rewrite(t, db, 2)
		exec(t, db, "UPDATE audit_tree_heads SET frontier = ''")
		appendN(t, db, s.log, 1)
		_, _, err = s.signer.Sign(ctx)
		wantBrokenAt(t, err, 1)
	})
}

func TestHeadSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	keys := audit.NewKeys(key.Public().(ed25519.PublicKey))
	h, err := audit.SignHead(key, 7, merkle.LeafHash([]byte("x")), t0)
	if err != nil || h.Check(keys) != nil {
		t.Fatalf("SignHead: %v / %v", err, h.Check(keys))
	}
	for name, mut := range map[string]func(h *audit.TreeHead){
		"size":      func(h *audit.TreeHead) { h.TreeSize++ },
		"time":      func(h *audit.TreeHead) { h.Timestamp++ },
		"root":      func(h *audit.TreeHead) { h.RootHash = merkle.EmptyRoot().String() },
		"key id":    func(h *audit.TreeHead) { h.KeyID = "ed25519-0000000000000000" },
		"signature": func(h *audit.TreeHead) { h.Signature = "AAAA" + h.Signature[4:] },
	} {
		g := *h
		mut(&g)
		if err := g.Check(keys); !errors.Is(err, audit.ErrBadHead) {
			t.Errorf("head with changed %s: err %v, want ErrBadHead", name, err)
		}
	}
	b, _ := json.Marshal(h)
	if g, err := audit.ParseHead(b); err != nil || *g != *h {
		t.Errorf("ParseHead(%s) = %+v, %v", b, g, err)
	}
	for _, bad := range []string{`{"tree_size":1}`, `{"tree_size":-1,"sha256_root_hash":"` + merkle.EmptyRoot().String() + `"}`, `[]`,
		strings.Replace(string(b), `"key_id"`, `"extra":1,"key_id"`, 1)} {
		if _, err := audit.ParseHead([]byte(bad)); err == nil {
			t.Errorf("ParseHead(%s) accepted", bad)
		}
	}
}

// jqDot re-indents JSON as a person handling a proof might.
func jqDot(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "    "); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestInclusionProofs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSignedLog(t, db)
		for _, h := range s.heads {
			for seq := int64(1); seq <= h.TreeSize; seq++ {
				p, err := audit.Prove(ctx, db, seq, h.TreeSize)
				if err != nil {
					t.Fatalf("Prove(%d, %d): %v", seq, h.TreeSize, err)
				}
				// Checked offline, after a trip through indented JSON.
				var q audit.InclusionProof
				if err := json.Unmarshal(jqDot(t, p), &q); err != nil {
					t.Fatal(err)
				}
				if err := q.Check(nil, s.keys); err != nil {
					t.Fatalf("proof of %d in %d: %v", seq, h.TreeSize, err)
				}
				if err := q.Check(h, s.keys); err != nil {
					t.Fatalf("proof of %d against the given head of %d: %v", seq, h.TreeSize, err)
				}
			}
		}
		p, err := audit.Prove(ctx, db, 6, 0) // latest head
		if err != nil || p.TreeSize != 10 || p.Head == nil {
			t.Fatalf("Prove against the latest head: %+v %v", p, err)
		}
		_, other, _ := ed25519.GenerateKey(nil)
		forged, _ := audit.SignHead(other, 10, merkle.EmptyRoot(), t0)
		bad := map[string]func() error{
			"entry edited": func() error {
				q := *p
				q.Entry.ActorName = "mallory"
				return q.Check(nil, s.keys)
			},
			"entry edited and rehashed": func() error {
				q := *p
				q.Entry.ActorName = "mallory"
				r := q.Entry.Record
				r.Detail = []byte(q.Entry.Detail)
				q.Entry.Hash = audit.ComputeHash(&r)
				return q.Check(nil, s.keys)
			},
			"path altered": func() error {
				q := *p
				q.AuditPath = append([]string(nil), p.AuditPath...)
				q.AuditPath[0] = merkle.EmptyRoot().String()
				return q.Check(nil, s.keys)
			},
			"other leaf index": func() error {
				q := *p
				q.LeafIndex, q.Entry.Seq = 6, 7
				return q.Check(nil, s.keys)
			},
			"head of another size": func() error { return p.Check(s.heads[1], s.keys) },
			"head forged with another key": func() error {
				return p.Check(forged, audit.NewKeys(s.signer.PublicKey()))
			},
			"key not trusted": func() error { return p.Check(nil, audit.NewKeys(other.Public().(ed25519.PublicKey))) },
		}
		for name, check := range bad {
			if err := check(); err == nil {
				t.Errorf("%s: proof accepted", name)
			}
		}
		// A proof from a rewritten log does not check against the head
		// published before the rewrite.
		audittest.DropGuards(t, db)
		rewrite(t, db, 9)
		p2, err := audit.Prove(ctx, db, 9, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := p2.Check(s.heads[2], s.keys); !errors.Is(err, merkle.ErrProof) {
			t.Errorf("proof from a rewritten log: err %v, want ErrProof", err)
		}
		if _, err := audit.Prove(ctx, db, 11, 10); err == nil {
			t.Error("Prove of an entry beyond the tree accepted")
		}
	})
}

func TestConsistencyProofs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newSignedLog(t, db)
		for _, pair := range [][2]int{{0, 1}, {0, 2}, {1, 2}, {0, 0}, {2, 2}} {
			old, nw := s.heads[pair[0]], s.heads[pair[1]]
			p, err := audit.ProveConsistency(ctx, db, old.TreeSize, nw.TreeSize)
			if err != nil {
				t.Fatal(err)
			}
			var q audit.ConsistencyProof
			if err := json.Unmarshal(jqDot(t, p), &q); err != nil {
				t.Fatal(err)
			}
			if err := q.Check(nil, nil, s.keys); err != nil {
				t.Errorf("consistency %d→%d: %v", old.TreeSize, nw.TreeSize, err)
			}
		}
		p, err := audit.ProveConsistency(ctx, db, 4, 0)
		if err != nil || p.NewSize != 10 {
			t.Fatalf("ProveConsistency(4, latest): %+v %v", p, err)
		}
		_, other, _ := ed25519.GenerateKey(nil)
		forged, _ := audit.SignHead(other, 10, merkle.EmptyRoot(), t0)
		bad := map[string]func() error{
			"heads swapped":  func() error { return p.Check(s.heads[2], s.heads[0], s.keys) },
			"wrong old head": func() error { return p.Check(s.heads[1], nil, s.keys) },
			"forged new head": func() error {
				return p.Check(nil, forged, audit.NewKeys(s.signer.PublicKey(), other.Public().(ed25519.PublicKey)))
			},
			"path altered": func() error {
				q := *p
				q.Path = append([]string(nil), p.Path...)
				q.Path[len(q.Path)-1] = merkle.EmptyRoot().String()
				return q.Check(nil, nil, s.keys)
			},
			"path truncated": func() error {
				q := *p
				q.Path = p.Path[:len(p.Path)-1]
				return q.Check(nil, nil, s.keys)
			},
		}
		for name, check := range bad {
			if err := check(); err == nil {
				t.Errorf("%s: proof accepted", name)
			}
		}
		// After a rewrite of entry 3 the log is no longer consistent with
		// the head of 4 published before.
		audittest.DropGuards(t, db)
		rewrite(t, db, 3)
		p2, err := audit.ProveConsistency(ctx, db, 4, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := p2.Check(s.heads[0], s.heads[2], s.keys); !errors.Is(err, merkle.ErrProof) {
			t.Errorf("consistency from a rewritten log: err %v, want ErrProof", err)
		}
	})
}

// BenchmarkTree measures, on a log of 50,000 entries, a full verification
// against a signed head (chain and tree rebuilt) next to the chain-only
// verification as the baseline, an inclusion proof (all
// leaf hashes read) and the signing of a head after 100 new entries (only
// those read, the frontier extended).
func BenchmarkTree(b *testing.B) {
	const n = 50_000
	run := func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		l := audit.New(time.Now)
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range n {
				if _, err := l.Append(ctx, tx, audit.Entry{ActorID: 7, ActorName: "张三", Action: "flow.transition",
					ObjectType: "flow_instance", ObjectID: fmt.Sprint(i), Detail: map[string]string{"to": "approved"}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		_, key, _ := ed25519.GenerateKey(nil)
		s := &audit.HeadSigner{DB: db, Key: key}
		if _, _, err := s.Sign(ctx); err != nil {
			b.Fatal(err)
		}
		keys := audit.NewKeys(s.PublicKey())
		b.Run("verify", func(b *testing.B) {
			for b.Loop() {
				if sum, err := audit.VerifySigned(ctx, db, keys); err != nil || sum.Entries < n {
					b.Fatal(sum, err)
				}
			}
		})
		// The baseline: the hash chain alone, as Verify checked before the tree.
		b.Run("verify-chain-only", func(b *testing.B) {
			for b.Loop() {
				if m, err := audit.Verify(ctx, db); err != nil || m < n {
					b.Fatal(m, err)
				}
			}
		})
		b.Run("prove", func(b *testing.B) {
			for b.Loop() {
				if _, err := audit.Prove(ctx, db, n/2, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sign-100-new", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
					for range 100 {
						if _, err := l.Append(ctx, tx, audit.Entry{Action: "x.y", ObjectType: "x"}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, grew, err := s.Sign(ctx); err != nil || !grew {
					b.Fatal(grew, err)
				}
			}
		})
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.OpenSQLite(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.OpenPostgres(b)) })
}
