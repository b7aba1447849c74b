package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/merkle"
	"github.com/yingshang/yingshang/internal/store"
)

// ErrNoHead is returned when a proof is asked against the latest signed
// head and none has been signed yet.
var ErrNoHead = errors.New("audit: no tree head has been signed yet")

// Proof types, in the "type" field of a proof's JSON.
const (
	ProofInclusion   = "inclusion"
	ProofConsistency = "consistency"
)

// InclusionProof shows that Entry is leaf LeafIndex (Entry.Seq-1) of the
// tree of TreeSize entries. To check it, recompute the entry's chain hash
// from its fields, take the Merkle leaf hash of its 32 bytes, and verify
// the audit path against the root of a trusted head of that size by
// RFC 9162 section 2.1.3.2 (Check does all of this).
type InclusionProof struct {
	Type      string     `json:"type"`
	Entry     ProofEntry `json:"entry"`
	LeafIndex int64      `json:"leaf_index"`
	TreeSize  int64      `json:"tree_size"`
	RootHash  string     `json:"sha256_root_hash" doc:"Root the path leads to; trust only a signed head's"`
	AuditPath []string   `json:"audit_path"`
	Head      *TreeHead  `json:"tree_head,omitempty" doc:"The signed head of this size, when one was signed"`
}

// ProofEntry is an entry as a proof carries it. Detail is the exact JSON
// text that was hashed, as a string, so that re-indenting the proof (jq .)
// cannot change it.
type ProofEntry struct {
	Record
	Detail string `json:"detail"`
}

// ConsistencyProof shows that the tree of OldSize entries is a prefix of
// the tree of NewSize entries (RFC 9162 section 2.1.4), so that nothing
// the old head covered was changed or removed by the time of the new one.
type ConsistencyProof struct {
	Type    string    `json:"type"`
	OldSize int64     `json:"old_tree_size"`
	NewSize int64     `json:"new_tree_size"`
	OldRoot string    `json:"old_sha256_root_hash"`
	NewRoot string    `json:"new_sha256_root_hash"`
	Path    []string  `json:"consistency_path"`
	OldHead *TreeHead `json:"old_tree_head,omitempty"`
	NewHead *TreeHead `json:"new_tree_head,omitempty"`
}

// leaves reads the leaf hashes of the first size entries. It checks that
// none is missing, not the chain: a proof from a tampered log simply fails
// to verify against a signed head.
func leaves(ctx context.Context, db store.IDB, size int64) ([]merkle.Hash, error) {
	rows, err := db.QueryContext(ctx, "SELECT seq, hash FROM audit_log WHERE seq <= ? ORDER BY seq", size)
	if err != nil {
		return nil, fmt.Errorf("audit: read leaves: %w", err)
	}
	defer rows.Close()
	out := make([]merkle.Hash, 0, size)
	for rows.Next() {
		r := Record{}
		if err := rows.Scan(&r.Seq, &r.Hash); err != nil {
			return nil, fmt.Errorf("audit: read leaves: %w", err)
		}
		if r.Seq != int64(len(out))+1 {
			return nil, &BrokenError{Seq: int64(len(out)) + 1, Reason: "entry is missing"}
		}
		leaf, err := r.LeafHash()
		if err != nil {
			return nil, &BrokenError{Seq: r.Seq, Reason: err.Error()}
		}
		out = append(out, leaf)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: read leaves: %w", err)
	}
	if int64(len(out)) != size {
		return nil, &BrokenError{Seq: int64(len(out)) + 1, Reason: fmt.Sprintf(
			"the tree of size %d needs entry %d, which is missing", size, len(out)+1)}
	}
	return out, nil
}

// treeSize returns size, or the size of the latest signed head when size
// is 0.
func treeSize(ctx context.Context, db store.IDB, size int64) (int64, error) {
	if size != 0 {
		return size, nil
	}
	h, err := LatestHead(ctx, db)
	if err != nil {
		return 0, err
	}
	if h == nil {
		return 0, ErrNoHead
	}
	return h.TreeSize, nil
}

// Prove returns the proof that entry seq is in the tree of size entries
// (the latest signed head's when size is 0). It reads the leaf hashes of
// the whole tree, 32 bytes an entry.
func Prove(ctx context.Context, db store.IDB, seq, size int64) (*InclusionProof, error) {
	size, err := treeSize(ctx, db, size)
	if err != nil {
		return nil, err
	}
	if seq < 1 || seq > size {
		return nil, fmt.Errorf("%w: entry %d is not in a tree of %d entries", ErrInvalidFilter, seq, size)
	}
	ls, err := leaves(ctx, db, size)
	if err != nil {
		return nil, err
	}
	path, err := merkle.InclusionProof(ls, int(seq-1))
	if err != nil {
		return nil, err
	}
	rs, _, err := List(ctx, db, Filter{Seq: seq, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, &BrokenError{Seq: seq, Reason: "entry is missing"}
	}
	head, err := HeadAt(ctx, db, size)
	if err != nil {
		return nil, err
	}
	return &InclusionProof{Type: ProofInclusion, Entry: ProofEntry{Record: rs[0], Detail: string(rs[0].Detail)}, LeafIndex: seq - 1, TreeSize: size,
		RootHash: merkle.Root(ls).String(), AuditPath: hexes(path), Head: head}, nil
}

// ProveConsistency returns the proof that the tree of oldSize entries is a
// prefix of the tree of newSize entries (the latest signed head's when
// newSize is 0).
func ProveConsistency(ctx context.Context, db store.IDB, oldSize, newSize int64) (*ConsistencyProof, error) {
	newSize, err := treeSize(ctx, db, newSize)
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize {
		return nil, fmt.Errorf("%w: a tree of %d entries is not a prefix of one of %d", ErrInvalidFilter, oldSize, newSize)
	}
	ls, err := leaves(ctx, db, newSize)
	if err != nil {
		return nil, err
	}
	path, err := merkle.ConsistencyProof(ls, int(oldSize))
	if err != nil {
		return nil, err
	}
	p := &ConsistencyProof{Type: ProofConsistency, OldSize: oldSize, NewSize: newSize,
		OldRoot: merkle.Root(ls[:oldSize]).String(), NewRoot: merkle.Root(ls).String(), Path: hexes(path)}
	if p.OldHead, err = HeadAt(ctx, db, oldSize); err != nil {
		return nil, err
	}
	if p.NewHead, err = HeadAt(ctx, db, newSize); err != nil {
		return nil, err
	}
	return p, nil
}

// Check verifies the proof against head, or against the head the proof
// carries when head is nil: the head's signature with keys, its size, the
// entry's own hash, and the audit path to the head's root.
func (p *InclusionProof) Check(head *TreeHead, keys Keys) error {
	if p.Type != ProofInclusion {
		return fmt.Errorf("%w: not an inclusion proof (type %q)", merkle.ErrProof, p.Type)
	}
	if head == nil {
		head = p.Head
	}
	if head == nil {
		return fmt.Errorf("%w: the proof carries no signed head; give one", ErrBadHead)
	}
	if err := head.Check(keys); err != nil {
		return err
	}
	if head.TreeSize != p.TreeSize {
		return fmt.Errorf("%w: proof is for a tree of %d entries, the head covers %d", merkle.ErrProof, p.TreeSize, head.TreeSize)
	}
	r := p.Entry.Record
	r.Detail = []byte(p.Entry.Detail)
	if r.Seq != p.LeafIndex+1 {
		return fmt.Errorf("%w: entry %d is not leaf %d", merkle.ErrProof, r.Seq, p.LeafIndex)
	}
	if r.Hash != r.computeHash() {
		return fmt.Errorf("%w: entry %d: content does not match its hash", merkle.ErrProof, r.Seq)
	}
	leaf, err := r.LeafHash()
	if err != nil {
		return fmt.Errorf("%w: %v", merkle.ErrProof, err)
	}
	path, err := parseHexes(p.AuditPath)
	if err != nil {
		return err
	}
	root, err := head.root()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	return merkle.VerifyInclusion(uint64(p.LeafIndex), uint64(head.TreeSize), leaf, path, root)
}

// Check verifies the proof between oldHead and newHead, or the heads the
// proof carries where they are nil: both signatures with keys, their
// sizes, and the path between their roots.
func (p *ConsistencyProof) Check(oldHead, newHead *TreeHead, keys Keys) error {
	if p.Type != ProofConsistency {
		return fmt.Errorf("%w: not a consistency proof (type %q)", merkle.ErrProof, p.Type)
	}
	if oldHead == nil {
		oldHead = p.OldHead
	}
	if newHead == nil {
		newHead = p.NewHead
	}
	if oldHead == nil || newHead == nil {
		return fmt.Errorf("%w: the proof lacks a signed head at one end; give both", ErrBadHead)
	}
	for _, h := range []*TreeHead{oldHead, newHead} {
		if err := h.Check(keys); err != nil {
			return err
		}
	}
	if oldHead.TreeSize != p.OldSize || newHead.TreeSize != p.NewSize {
		return fmt.Errorf("%w: proof is from %d to %d entries, the heads cover %d and %d",
			merkle.ErrProof, p.OldSize, p.NewSize, oldHead.TreeSize, newHead.TreeSize)
	}
	path, err := parseHexes(p.Path)
	if err != nil {
		return err
	}
	r1, err := oldHead.root()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	r2, err := newHead.root()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadHead, err)
	}
	return merkle.VerifyConsistency(uint64(p.OldSize), uint64(p.NewSize), r1, r2, path)
}

func hexes(hs []merkle.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.String()
	}
	return out
}

func parseHexes(ss []string) ([]merkle.Hash, error) {
	out := make([]merkle.Hash, len(ss))
	for i, s := range ss {
		h, err := merkle.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", merkle.ErrProof, err)
		}
		out[i] = h
	}
	return out, nil
}
