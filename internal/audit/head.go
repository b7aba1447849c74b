package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/edkey"
	"github.com/yingshang/yingshang/internal/merkle"
	"github.com/yingshang/yingshang/internal/store"
)

// The tree: the entries are the leaves of a Merkle tree with the hashing of
// RFC 6962 (package merkle): leaf i is entry seq i+1, and its leaf data
// is the 32 bytes of the entry's chain hash, which covers every field of
// the entry and the hash before it. The node signs the tree's head (its
// size, root and time) with an Ed25519 key kept outside the database, and
// keeps the signed heads in the database (audit_tree_heads) and in a file
// beside it. A signed head commits to every entry it covers: deleting,
// rewriting or reordering any of them, even with every hash and the chain's
// head recomputed, changes the root, which no one without the key can sign
// again. Anyone holding a head and the public key can check that an entry
// is in the tree (InclusionProof) and that a later tree extends an earlier
// one (ConsistencyProof) without access to the database.

// HeadFileName is the file in the data directory that signed tree heads
// are appended to, one JSON object per line.
const HeadFileName = "audit-heads.jsonl"

// KeyFileName is the file in the data directory holding the generated key
// that signs tree heads when none is configured.
const KeyFileName = "audit-signing.key"

// headDomain starts every signed payload, so that a signature over a tree
// head can never be taken for a signature over anything else the same key
// might sign.
const headDomain = "yingshang-audit-tree-head-v1\x00"

// TreeHead is a signed tree head: the root of the Merkle tree over the
// first TreeSize entries, at Timestamp, signed with the key KeyID. The
// JSON names follow the signed tree heads of RFC 6962 (get-sth).
//
// The signature is Ed25519 over headDomain followed by the timestamp and
// the tree size as 8-byte big-endian integers and the 32 bytes of the root.
type TreeHead struct {
	TreeSize  int64  `json:"tree_size" doc:"Number of entries the tree covers (entries 1..tree_size)"`
	Timestamp int64  `json:"timestamp" doc:"When the head was signed, in Unix milliseconds"`
	RootHash  string `json:"sha256_root_hash" doc:"Root of the RFC 6962 Merkle tree over the entries, hex"`
	KeyID     string `json:"key_id" doc:"Id of the Ed25519 key that signed (see GET /audit/key)"`
	Signature string `json:"tree_head_signature" doc:"Ed25519 signature, base64"`
}

// Time returns when the head was signed.
func (h *TreeHead) Time() time.Time { return time.UnixMilli(h.Timestamp).UTC() }

// String describes the head for messages.
func (h *TreeHead) String() string {
	return fmt.Sprintf("tree head of size %d signed %s", h.TreeSize, h.Time().Format(time.RFC3339))
}

func (h *TreeHead) root() (merkle.Hash, error) { return merkle.ParseHash(h.RootHash) }

func (h *TreeHead) payload() ([]byte, error) {
	root, err := h.root()
	if err != nil {
		return nil, err
	}
	if h.TreeSize < 0 {
		return nil, fmt.Errorf("audit: negative tree size %d", h.TreeSize)
	}
	b := make([]byte, 0, len(headDomain)+16+merkle.Size)
	b = append(b, headDomain...)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Timestamp))
	b = binary.BigEndian.AppendUint64(b, uint64(h.TreeSize))
	return append(b, root[:]...), nil
}

// ErrBadHead is returned (wrapped) for a tree head that is malformed, is
// signed by a key not trusted, or whose signature does not verify.
var ErrBadHead = errors.New("audit: tree head does not verify")

// Keys are the public keys trusted to sign tree heads, by key id.
type Keys map[string]ed25519.PublicKey

// NewKeys returns the set holding pubs.
func NewKeys(pubs ...ed25519.PublicKey) Keys {
	k := Keys{}
	for _, p := range pubs {
		k[edkey.ID(p)] = p
	}
	return k
}

// Check verifies h's signature with the trusted key it names.
func (h *TreeHead) Check(keys Keys) error {
	pub, ok := keys[h.KeyID]
	if !ok {
		return fmt.Errorf("%w: %s: signed by key %q, which is not trusted", ErrBadHead, h, h.KeyID)
	}
	p, err := h.payload()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil || !ed25519.Verify(pub, p, sig) {
		return fmt.Errorf("%w: %s: signature is not valid for key %s", ErrBadHead, h, h.KeyID)
	}
	return nil
}

// SignHead returns the head of the tree of size entries with root, signed
// with key at t.
func SignHead(key ed25519.PrivateKey, size int64, root merkle.Hash, t time.Time) (*TreeHead, error) {
	h := &TreeHead{TreeSize: size, Timestamp: t.UnixMilli(), RootHash: root.String(),
		KeyID: edkey.ID(key.Public().(ed25519.PublicKey))}
	p, err := h.payload()
	if err != nil {
		return nil, err
	}
	h.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, p))
	return h, nil
}

// ParseHead reads one tree head in its JSON form.
func ParseHead(b []byte) (*TreeHead, error) {
	var h TreeHead
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	if _, err := h.payload(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	return &h, nil
}

// LeafHash returns the Merkle leaf hash of the entry: of the 32 bytes of
// its chain hash.
func (r *Record) LeafHash() (merkle.Hash, error) {
	b, err := hex.DecodeString(r.Hash)
	if err != nil || len(b) != merkle.Size {
		return merkle.Hash{}, fmt.Errorf("audit: entry %d: hash %q is not 32 bytes of hex", r.Seq, r.Hash)
	}
	return merkle.LeafHash(b), nil
}

// headRow is a signed head as stored, with the frontier of its tree.
type headRow struct {
	TreeHead
	Frontier string
}

const headCols = "tree_size, timestamp_ms, root_hash, key_id, signature, frontier"

func scanHeads(rows *sql.Rows) ([]headRow, error) {
	defer rows.Close()
	var out []headRow
	for rows.Next() {
		var h headRow
		if err := rows.Scan(&h.TreeSize, &h.Timestamp, &h.RootHash, &h.KeyID, &h.Signature, &h.Frontier); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// LatestHead returns the signed head of the largest tree, or nil when no
// head has been signed.
func LatestHead(ctx context.Context, db store.IDB) (*TreeHead, error) {
	r, err := latestRow(ctx, db)
	if r == nil || err != nil {
		return nil, err
	}
	return &r.TreeHead, nil
}

func latestRow(ctx context.Context, db store.IDB) (*headRow, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+headCols+" FROM audit_tree_heads ORDER BY tree_size DESC LIMIT 1")
	if err != nil {
		return nil, fmt.Errorf("audit: latest tree head: %w", err)
	}
	hs, err := scanHeads(rows)
	if err != nil {
		return nil, fmt.Errorf("audit: latest tree head: %w", err)
	}
	if len(hs) == 0 {
		return nil, nil
	}
	return &hs[0], nil
}

// HeadAt returns the signed head of the tree of size entries, or nil when
// none was signed at that size.
func HeadAt(ctx context.Context, db store.IDB, size int64) (*TreeHead, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+headCols+" FROM audit_tree_heads WHERE tree_size = ?", size)
	if err != nil {
		return nil, fmt.Errorf("audit: tree head %d: %w", size, err)
	}
	hs, err := scanHeads(rows)
	if err != nil {
		return nil, fmt.Errorf("audit: tree head %d: %w", size, err)
	}
	if len(hs) == 0 {
		return nil, nil
	}
	return &hs[0].TreeHead, nil
}

// ListHeads returns one page of the stored signed heads, largest tree
// first, and how many there are.
func ListHeads(ctx context.Context, db store.IDB, limit, offset int) ([]TreeHead, int, error) {
	if limit <= 0 || offset < 0 {
		return nil, 0, fmt.Errorf("%w: limit %d offset %d", ErrInvalidFilter, limit, offset)
	}
	var total int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_tree_heads").Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count tree heads: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT "+headCols+" FROM audit_tree_heads ORDER BY tree_size DESC LIMIT ? OFFSET ?",
		limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list tree heads: %w", err)
	}
	rs, err := scanHeads(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list tree heads: %w", err)
	}
	out := make([]TreeHead, len(rs))
	for i, r := range rs {
		out[i] = r.TreeHead
	}
	return out, total, nil
}

// AppendHeadFile appends h as one line to the file at path, creating it
// with mode 0600, and syncs it to disk.
func AppendHeadFile(path string, h *TreeHead) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: head file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit: head file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: head file: %w", err)
	}
	return f.Close()
}

// ReadHeadFile reads the heads in the file at path, in file order. A line
// that is not a well-formed head is an error naming the line: the file is
// only ever appended to, so damage in it is itself a finding.
func ReadHeadFile(path string) ([]TreeHead, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audit: head file: %w", err)
	}
	defer f.Close()
	var out []TreeHead
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		h, err := ParseHead([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		out = append(out, *h)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: head file %s: %w", path, err)
	}
	return out, nil
}

func encodeFrontier(f *merkle.Frontier) string {
	var b strings.Builder
	for i, n := range f.Nodes() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n.String())
	}
	return b.String()
}

func decodeFrontier(size int64, s string) (*merkle.Frontier, error) {
	var nodes []merkle.Hash
	if s != "" {
		for _, p := range strings.Split(s, ",") {
			h, err := merkle.ParseHash(p)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, h)
		}
	}
	return merkle.NewFrontier(uint64(size), nodes)
}

// AllHeads returns every signed head stored in the database, smallest tree
// first.
func AllHeads(ctx context.Context, db store.IDB) ([]TreeHead, error) {
	rows, err := db.QueryContext(ctx, "SELECT "+headCols+" FROM audit_tree_heads ORDER BY tree_size")
	if err != nil {
		return nil, fmt.Errorf("audit: read tree heads: %w", err)
	}
	rs, err := scanHeads(rows)
	if err != nil {
		return nil, fmt.Errorf("audit: read tree heads: %w", err)
	}
	out := make([]TreeHead, len(rs))
	for i, r := range rs {
		out[i] = r.TreeHead
	}
	return out, nil
}

// HeadSource is a set of signed heads and where they came from, for
// messages: "database", a file name, "--head".
type HeadSource struct {
	Name  string
	Heads []TreeHead
}

// Summary is what VerifySigned checked.
type Summary struct {
	Entries int64          // entries verified
	Heads   map[string]int // heads checked, by source
	Largest *TreeHead      // the head of the largest tree checked, nil if none
}

// VerifySigned verifies the record against every signed head it can find:
// those in the database and those in sources (the head file, heads
// published elsewhere). Every head's signature must verify with keys; a
// head that does not (forged, or signed by a key not trusted) is an error
// wrapping ErrBadHead that names its source. Then the entries are verified
// against all heads together, as VerifyHeads does.
func VerifySigned(ctx context.Context, db store.IDB, keys Keys, sources ...HeadSource) (Summary, error) {
	stored, err := AllHeads(ctx, db)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Heads: map[string]int{}}
	var all []TreeHead
	for _, src := range append([]HeadSource{{Name: "database", Heads: stored}}, sources...) {
		for i := range src.Heads {
			h := &src.Heads[i]
			if err := h.Check(keys); err != nil {
				return sum, fmt.Errorf("%s: %w", src.Name, err)
			}
			if sum.Largest == nil || h.TreeSize > sum.Largest.TreeSize {
				sum.Largest = h
			}
			all = append(all, *h)
		}
		sum.Heads[src.Name] = len(src.Heads)
	}
	sum.Entries, err = VerifyHeads(ctx, db, all)
	return sum, err
}

// PublicKey is the published form of a key that signs tree heads, as
// GET /audit/key serves it and `yingshang audit key` prints it.
type PublicKey struct {
	KeyID     string `json:"key_id" doc:"The id tree heads name in key_id"`
	Algorithm string `json:"algorithm" doc:"Always Ed25519"`
	PublicKey string `json:"public_key" doc:"The 32-byte Ed25519 public key, base64"`
}

// PublicKeyOf returns the published form of pub.
func PublicKeyOf(pub ed25519.PublicKey) PublicKey {
	return PublicKey{KeyID: edkey.ID(pub), Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(pub)}
}
