package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/merkle"
	"github.com/yingshang/yingshang/internal/store"
)

// HeadSigner signs the head of the audit tree. It keeps each head it signs
// in the database and, when File is set, appends it to that file first, so
// a head is outside the database before it is inside.
type HeadSigner struct {
	DB   store.IDB
	Key  ed25519.PrivateKey
	File string           // the head file (HeadFileName in the data directory); empty: none
	Now  func() time.Time // nil: time.Now
}

// PublicKey returns the key that checks the signer's heads.
func (s *HeadSigner) PublicKey() ed25519.PublicKey { return s.Key.Public().(ed25519.PublicKey) }

// Sign signs the head of the tree over every committed entry, when the
// tree has grown since the last signed head, and returns the head and
// whether it is new; when the tree has not grown it returns the last head
// (nil for an empty log without heads) and false.
//
// It reads only the entries added since the last head: the tree's frontier
// at that head is stored beside it and, once its root is found equal to
// the signed one, extended leaf by leaf. The new entries are checked as
// Verify checks them, and a record that does not verify is not signed: the
// *BrokenError is returned instead, because a head vouches for what it
// covers.
func (s *HeadSigner) Sign(ctx context.Context) (*TreeHead, bool, error) {
	n, _, err := Head(ctx, s.DB)
	if err != nil {
		return nil, false, err
	}
	last, err := latestRow(ctx, s.DB)
	if err != nil {
		return nil, false, err
	}
	if last == nil && n == 0 {
		return nil, false, nil
	}
	if last != nil && n == last.TreeSize {
		return &last.TreeHead, false, nil
	}
	if last != nil && n < last.TreeSize {
		return nil, false, &BrokenError{Seq: n + 1, Reason: fmt.Sprintf(
			"the log holds %d entries but the %s covers %d", n, &last.TreeHead, last.TreeSize)}
	}
	f, prev, err := s.resume(ctx, last)
	if err != nil {
		return nil, false, err
	}
	var lastRoot merkle.Hash
	if last != nil {
		if lastRoot, err = last.root(); err != nil {
			return nil, false, fmt.Errorf("audit: stored %s: %w", &last.TreeHead, err)
		}
	}
	from := int64(f.Size()) + 1
	seen, _, _, err := walk(ctx, s.DB, from, n, prev, func(r *Record) error {
		leaf, err := r.LeafHash()
		if err != nil {
			return &BrokenError{Seq: r.Seq, Reason: err.Error()}
		}
		f.Append(leaf)
		if last != nil && int64(f.Size()) == last.TreeSize && f.Root() != lastRoot {
			return &BrokenError{Seq: 1, Reason: fmt.Sprintf(
				"entries 1–%d do not match the %s", last.TreeSize, &last.TreeHead)}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("audit: sign tree head: %w", err)
	}
	if seen != n {
		return nil, false, &BrokenError{Seq: seen + 1, Reason: fmt.Sprintf(
			"head records %d entries but the chain ends at %d", n, seen)}
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	h, err := SignHead(s.Key, n, f.Root(), now())
	if err != nil {
		return nil, false, err
	}
	if s.File != "" {
		if err := AppendHeadFile(s.File, h); err != nil {
			return nil, false, err
		}
	}
	// Another node may have signed the same tree a moment earlier; its
	// head stands in the table and this one stays in this node's file.
	if _, err := s.DB.ExecContext(ctx, "INSERT INTO audit_tree_heads ("+headCols+
		") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
		h.TreeSize, h.Timestamp, h.RootHash, h.KeyID, h.Signature, encodeFrontier(f)); err != nil {
		return nil, false, fmt.Errorf("audit: store tree head: %w", err)
	}
	return h, true, nil
}

// resume returns the frontier to extend and the hash of its last entry:
// the stored frontier of the last head when its root is the signed root,
// else the empty tree, rebuilt from the first entry.
func (s *HeadSigner) resume(ctx context.Context, last *headRow) (*merkle.Frontier, string, error) {
	empty, _ := merkle.NewFrontier(0, nil)
	if last == nil {
		return empty, genesis, nil
	}
	f, err := decodeFrontier(last.TreeSize, last.Frontier)
	if err != nil || f.Root().String() != last.RootHash {
		return empty, genesis, nil
	}
	var prev string
	if err := s.DB.QueryRowContext(ctx, "SELECT hash FROM audit_log WHERE seq = ?", last.TreeSize).Scan(&prev); err != nil {
		return nil, "", &BrokenError{Seq: last.TreeSize, Reason: fmt.Sprintf(
			"entry %d, the last of the %s, cannot be read: %v", last.TreeSize, &last.TreeHead, err)}
	}
	return f, prev, nil
}
