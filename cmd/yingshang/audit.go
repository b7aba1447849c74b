package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/edkey"
	"github.com/yingshang/yingshang/internal/store"
)

const auditUsage = `usage:
  yingshang audit verify [--head FILE|JSON]... [--trust-key KEY]... [flags]
  yingshang audit sign [flags]
  yingshang audit prove SEQ [--size N] [flags]
  yingshang audit consistency OLD [NEW] [flags]
  yingshang audit check-proof --key KEY [--head FILE|JSON]... PROOF|-
  yingshang audit key [flags]`

// cmdAudit dispatches the audit subcommands.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, auditUsage)
		return exitCode(2)
	}
	switch args[0] {
	case "verify":
		return cmdAuditVerify(ctx, args[1:], stdout, stderr)
	case "sign":
		return cmdAuditSign(ctx, args[1:], stdout, stderr)
	case "prove":
		return cmdAuditProve(ctx, args[1:], stdout, stderr)
	case "consistency":
		return cmdAuditConsistency(ctx, args[1:], stdout, stderr)
	case "check-proof":
		return cmdAuditCheckProof(args[1:], stdout, stderr)
	case "key":
		return cmdAuditKey(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "unknown audit command %q\n%s\n", args[0], auditUsage)
		return exitCode(2)
	}
}

// multi is a flag that may be given several times.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// openExisting opens the configured database, refusing to create an empty
// SQLite file where none is: a verifier must not mistake a wrong path for
// an empty, intact log.
func openExisting(ctx context.Context, cfg *Config, cmd string) (*store.DB, error) {
	if cfg.DatabaseURL == "" && !fileExists(cfg.databaseURL()) {
		return nil, fmt.Errorf("%s: no database at %s", cmd, cfg.databaseURL())
	}
	return store.Open(ctx, cfg.databaseURL())
}

// auditKeyPath is where the node keeps its generated audit key.
func auditKeyPath(cfg *Config) string { return filepath.Join(cfg.DataDir, audit.KeyFileName) }

// auditHeadFile is where the node appends its signed heads.
func auditHeadFile(cfg *Config) string { return filepath.Join(cfg.DataDir, audit.HeadFileName) }

// cmdAuditVerify checks the hash chain and the Merkle tree against every
// signed head it is given or finds: in the database, in the head file and
// on the command line. It exits with status 1 and names the first bad
// entry when any entry a head covers was edited, reordered or removed, or
// when a head's signature does not verify.
func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	var heads, trust multi
	fs := newFlagSet("audit verify", stderr)
	cfg.flags(fs, ":8080", "data")
	fs.Var(&heads, "head", "a signed tree head published earlier: a file (one head, JSON lines, or a GET /audit/heads answer) or the JSON itself; may repeat")
	fs.Var(&trust, "trust-key", "a further public key trusted to sign heads (base64, hex, or a GET /audit/key answer or file); may repeat")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	db, err := openExisting(ctx, &cfg, "audit verify")
	if err != nil {
		return err
	}
	defer db.Close()
	keys := audit.Keys{}
	if priv, err := edkey.Load(cfg.AuditKey, auditKeyPath(&cfg), false); err == nil {
		keys = audit.NewKeys(priv.Public().(ed25519.PublicKey))
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit verify: %w", err)
	}
	for _, k := range trust {
		pub, err := parseKey(k)
		if err != nil {
			fmt.Fprintf(stderr, "--trust-key: %v\n", err)
			return exitCode(2)
		}
		keys[edkey.ID(pub)] = pub
	}
	var sources []audit.HeadSource
	if file := auditHeadFile(&cfg); fileExists(file) {
		hs, err := audit.ReadHeadFile(file)
		if err != nil {
			fmt.Fprintf(stdout, "audit record BROKEN: %v\n", err)
			return exitCode(1)
		}
		sources = append(sources, audit.HeadSource{Name: file, Heads: hs})
	}
	for _, h := range heads {
		hs, err := parseHeads(h)
		if err != nil {
			fmt.Fprintf(stderr, "--head: %v\n", err)
			return exitCode(2)
		}
		sources = append(sources, audit.HeadSource{Name: "--head", Heads: hs})
	}
	if len(keys) == 0 {
		stored, err := audit.AllHeads(ctx, db)
		if err != nil {
			return err
		}
		given := len(stored)
		for _, src := range sources {
			given += len(src.Heads)
		}
		if given > 0 {
			fmt.Fprintf(stderr, "audit verify: %d signed tree heads to check but no key: %s is missing; give --audit-key or --trust-key\n",
				given, auditKeyPath(&cfg))
			return exitCode(2)
		}
	}
	sum, err := audit.VerifySigned(ctx, db, keys, sources...)
	var broken *audit.BrokenError
	switch {
	case errors.As(err, &broken):
		fmt.Fprintf(stdout, "audit chain BROKEN at entry %d: %s (%d entries checked before it)\n", broken.Seq, broken.Reason, sum.Entries)
		return exitCode(1)
	case errors.Is(err, audit.ErrBadHead):
		fmt.Fprintf(stdout, "audit record BROKEN: %v\n", err)
		return exitCode(1)
	case err != nil:
		return err
	}
	n := 0
	var from []string
	for name, k := range sum.Heads {
		n += k
		if k > 0 {
			from = append(from, fmt.Sprintf("%d from %s", k, name))
		}
	}
	sort.Strings(from)
	if n == 0 {
		fmt.Fprintf(stdout, "audit chain intact: %d entries verified; no signed tree head: a cut of the newest entries cannot be seen (run yingshang audit sign)\n", sum.Entries)
		return nil
	}
	fmt.Fprintf(stdout, "audit chain intact: %d entries verified against %d signed tree heads (%s); largest covers %d entries, signed %s\n",
		sum.Entries, n, strings.Join(from, ", "), sum.Largest.TreeSize, sum.Largest.Time().Format("2006-01-02 15:04:05Z07:00"))
	return nil
}

// cmdAuditSign signs the tree head now, as the server does at its interval
// and when it stops.
func cmdAuditSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("audit sign", stderr)
	cfg.flags(fs, ":8080", "data")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	db, err := openExisting(ctx, &cfg, "audit sign")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	key, err := edkey.Load(cfg.AuditKey, auditKeyPath(&cfg), true)
	if err != nil {
		return fmt.Errorf("audit sign: %w", err)
	}
	s := &audit.HeadSigner{DB: db, Key: key, File: auditHeadFile(&cfg)}
	h, grew, err := s.Sign(ctx)
	var broken *audit.BrokenError
	if errors.As(err, &broken) {
		fmt.Fprintf(stdout, "not signed: audit chain BROKEN at entry %d: %s\n", broken.Seq, broken.Reason)
		return exitCode(1)
	}
	if err != nil {
		return err
	}
	switch {
	case h == nil:
		fmt.Fprintln(stderr, "the audit log is empty; nothing to sign")
		return nil
	case !grew:
		fmt.Fprintf(stderr, "no entries since the %s\n", h)
	}
	return printJSON(stdout, h)
}

func cmdAuditProve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("audit prove", stderr)
	cfg.flags(fs, ":8080", "data")
	size := fs.Int64("size", 0, "tree size to prove against (default: the latest signed head)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: yingshang audit prove SEQ [--size N]")
		return exitCode(2)
	}
	seq, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || seq < 1 || *size < 0 {
		fmt.Fprintf(stderr, "SEQ must be an entry number ≥ 1 and --size ≥ 0, got %q and %d\n", pos[0], *size)
		return exitCode(2)
	}
	db, err := openExisting(ctx, &cfg, "audit prove")
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := audit.Prove(ctx, db, seq, *size)
	if err != nil {
		return fmt.Errorf("audit prove: %w", err)
	}
	if p.Head == nil {
		fmt.Fprintf(stderr, "no head was signed at size %d: check the proof against one given with --head\n", p.TreeSize)
	}
	return printJSON(stdout, p)
}

func cmdAuditConsistency(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("audit consistency", stderr)
	cfg.flags(fs, ":8080", "data")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	if len(pos) < 1 || len(pos) > 2 {
		fmt.Fprintln(stderr, "usage: yingshang audit consistency OLD [NEW]   (tree sizes; NEW defaults to the latest signed head)")
		return exitCode(2)
	}
	var sizes [2]int64
	for i, p := range pos {
		if sizes[i], err = strconv.ParseInt(p, 10, 64); err != nil || sizes[i] < 1 {
			fmt.Fprintf(stderr, "tree sizes must be whole numbers ≥ 1, got %q\n", p)
			return exitCode(2)
		}
	}
	db, err := openExisting(ctx, &cfg, "audit consistency")
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := audit.ProveConsistency(ctx, db, sizes[0], sizes[1])
	if err != nil {
		return fmt.Errorf("audit consistency: %w", err)
	}
	return printJSON(stdout, p)
}

// cmdAuditCheckProof checks an inclusion or consistency proof offline,
// with only the proof, the heads and the public key: no database.
func cmdAuditCheckProof(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit check-proof", stderr)
	var heads multi
	key := fs.String("key", "", "the public key that signs the heads (base64, hex, or a GET /audit/key answer or file)")
	fs.Var(&heads, "head", "a signed head to check against instead of the one the proof carries (file or JSON); may repeat")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return exitCode(2)
	}
	if len(pos) != 1 || *key == "" {
		fmt.Fprintln(stderr, "usage: yingshang audit check-proof --key KEY [--head FILE|JSON]... PROOF|-")
		return exitCode(2)
	}
	pub, err := parseKey(*key)
	if err != nil {
		fmt.Fprintf(stderr, "--key: %v\n", err)
		return exitCode(2)
	}
	keys := audit.NewKeys(pub)
	var given []audit.TreeHead
	for _, h := range heads {
		hs, err := parseHeads(h)
		if err != nil {
			fmt.Fprintf(stderr, "--head: %v\n", err)
			return exitCode(2)
		}
		given = append(given, hs...)
	}
	at := func(size int64) *audit.TreeHead {
		for i := range given {
			if given[i].TreeSize == size {
				return &given[i]
			}
		}
		return nil
	}
	var raw []byte
	if pos[0] == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return fmt.Errorf("audit check-proof: %w", err)
	}
	var kind struct{ Type string }
	if err := json.Unmarshal(raw, &kind); err != nil {
		fmt.Fprintf(stderr, "proof is not JSON: %v\n", err)
		return exitCode(2)
	}
	switch kind.Type {
	case audit.ProofInclusion:
		var p audit.InclusionProof
		if err := json.Unmarshal(raw, &p); err != nil {
			fmt.Fprintf(stderr, "proof: %v\n", err)
			return exitCode(2)
		}
		h := at(p.TreeSize)
		if len(given) > 0 && h == nil {
			fmt.Fprintf(stdout, "proof INVALID: it is for a tree of %d entries and no head given has that size\n", p.TreeSize)
			return exitCode(1)
		}
		if err := p.Check(h, keys); err != nil {
			fmt.Fprintf(stdout, "proof INVALID: %v\n", err)
			return exitCode(1)
		}
		if h == nil {
			h = p.Head
		}
		fmt.Fprintf(stdout, "proof valid: entry %d (%s %s %s) is in the %s by key %s\n",
			p.Entry.Seq, p.Entry.Action, p.Entry.ObjectType, p.Entry.ObjectID, h, h.KeyID)
	case audit.ProofConsistency:
		var p audit.ConsistencyProof
		if err := json.Unmarshal(raw, &p); err != nil {
			fmt.Fprintf(stderr, "proof: %v\n", err)
			return exitCode(2)
		}
		oldHead, newHead := at(p.OldSize), at(p.NewSize)
		if err := p.Check(oldHead, newHead, keys); err != nil {
			fmt.Fprintf(stdout, "proof INVALID: %v\n", err)
			return exitCode(1)
		}
		fmt.Fprintf(stdout, "proof valid: the tree of %d entries extends the tree of %d entries unchanged\n", p.NewSize, p.OldSize)
	default:
		fmt.Fprintf(stderr, "proof type %q: want %q or %q\n", kind.Type, audit.ProofInclusion, audit.ProofConsistency)
		return exitCode(2)
	}
	return nil
}

// cmdAuditKey prints the public key that signs this node's tree heads, to
// publish beside the heads.
func cmdAuditKey(args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := newFlagSet("audit key", stderr)
	cfg.flags(fs, ":8080", "data")
	if _, err := parseArgs(fs, args); err != nil {
		return exitCode(2)
	}
	priv, err := edkey.Load(cfg.AuditKey, auditKeyPath(&cfg), false)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	return printJSON(stdout, audit.PublicKeyOf(priv.Public().(ed25519.PublicKey)))
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// parseKey reads a public key given as base64 or hex, as the JSON of
// GET /audit/key, or as a file holding either.
func parseKey(v string) (ed25519.PublicKey, error) {
	v = strings.TrimSpace(v)
	if !strings.HasPrefix(v, "{") {
		if pub, err := edkey.ParsePublic(v); err == nil {
			return pub, nil
		}
		b, err := os.ReadFile(v)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a public key nor a readable file", v)
		}
		v = strings.TrimSpace(string(b))
		if !strings.HasPrefix(v, "{") {
			return edkey.ParsePublic(v)
		}
	}
	var k audit.PublicKey
	if err := json.Unmarshal([]byte(v), &k); err != nil {
		return nil, fmt.Errorf("key document: %w", err)
	}
	pub, err := edkey.ParsePublic(k.PublicKey)
	if err != nil {
		return nil, err
	}
	if k.KeyID != "" && k.KeyID != edkey.ID(pub) {
		return nil, fmt.Errorf("key document names key %s but holds key %s", k.KeyID, edkey.ID(pub))
	}
	return pub, nil
}

// parseHeads reads signed heads given as JSON or in a file: one head, the
// answer of GET /audit/heads, or JSON lines as in the head file.
func parseHeads(v string) ([]audit.TreeHead, error) {
	b := []byte(strings.TrimSpace(v))
	if !bytes.HasPrefix(b, []byte("{")) {
		var err error
		if b, err = os.ReadFile(v); err != nil {
			return nil, fmt.Errorf("%q is neither a head in JSON nor a readable file", v)
		}
		b = bytes.TrimSpace(b)
	}
	if h, err := audit.ParseHead(b); err == nil {
		return []audit.TreeHead{*h}, nil
	}
	var page struct {
		Latest *audit.TreeHead  `json:"latest"`
		Heads  []audit.TreeHead `json:"heads"`
	}
	if err := json.Unmarshal(b, &page); err == nil && (page.Latest != nil || len(page.Heads) > 0) {
		hs := page.Heads
		if page.Latest != nil {
			hs = append(hs, *page.Latest)
		}
		return hs, nil
	}
	var out []audit.TreeHead
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		h, err := audit.ParseHead(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, *h)
	}
	if len(out) == 0 {
		return nil, errors.New("no tree head found")
	}
	return out, nil
}
