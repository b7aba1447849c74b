// Package merkle implements the Merkle tree of RFC 6962 and RFC 9162
// (certificate transparency): its hashes, its root, inclusion and
// consistency proofs and their verification, and the compact frontier that
// lets a log extend its root one leaf at a time.
//
// Hashing is the RFC's, so third-party tools for certificate-transparency
// logs check these proofs too: a leaf is SHA-256(0x00 || data), an inner
// node SHA-256(0x01 || left || right), the empty tree SHA-256 of nothing,
// and a tree of n > 1 leaves splits at the largest power of two below n.
package merkle

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Size is the length of a hash.
const Size = sha256.Size

// Hash is a leaf, node or root hash.
type Hash [Size]byte

// String returns h in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads a hash written in hex.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != Size {
		return h, fmt.Errorf("merkle: %q is not a hex SHA-256 hash", s)
	}
	copy(h[:], b)
	return h, nil
}

// ErrProof is returned (wrapped) when a proof does not verify.
var ErrProof = errors.New("merkle: proof does not verify")

// LeafHash returns the hash of the leaf holding data.
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns the hash of the inner node with children l and r.
func NodeHash(l, r Hash) Hash {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(l[:])
	h.Write(r[:])
	var out Hash
	h.Sum(out[:0])
	return out
}

// EmptyRoot is the root of the tree without leaves.
func EmptyRoot() Hash { return sha256.Sum256(nil) }

// split returns the largest power of two smaller than n (n > 1).
func split(n int) int { return 1 << (bits.Len(uint(n-1)) - 1) }

// Root returns the root of the tree over the given leaf hashes (MTH).
func Root(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return NodeHash(Root(leaves[:k]), Root(leaves[k:]))
}

// InclusionProof returns the audit path of leaf index in the tree over
// leaves (PATH in RFC 6962 section 2.1.1), from the leaf's sibling up.
func InclusionProof(leaves []Hash, index int) ([]Hash, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("merkle: leaf %d is not in a tree of %d leaves", index, len(leaves))
	}
	return path(leaves, index), nil
}

func path(d []Hash, m int) []Hash {
	if len(d) <= 1 {
		return nil
	}
	k := split(len(d))
	if m < k {
		return append(path(d[:k], m), Root(d[k:]))
	}
	return append(path(d[k:], m-k), Root(d[:k]))
}

// ConsistencyProof returns the proof that the tree over leaves[:m] is a
// prefix of the tree over leaves (PROOF in RFC 6962 section 2.1.2).
func ConsistencyProof(leaves []Hash, m int) ([]Hash, error) {
	if m < 0 || m > len(leaves) {
		return nil, fmt.Errorf("merkle: tree of %d leaves is not a prefix of one of %d", m, len(leaves))
	}
	if m == 0 {
		return nil, nil
	}
	return subproof(leaves, m, true), nil
}

func subproof(d []Hash, m int, whole bool) []Hash {
	n := len(d)
	if m == n {
		if whole {
			return nil
		}
		return []Hash{Root(d)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(d[:k], m, whole), Root(d[k:]))
	}
	return append(subproof(d[k:], m-k, false), Root(d[:k]))
}

// VerifyInclusion checks that leaf is leaf number index (from 0) of the
// tree of size leaves whose root is root, by the algorithm of RFC 9162
// section 2.1.3.2.
func VerifyInclusion(index, size uint64, leaf Hash, proof []Hash, root Hash) error {
	if index >= size {
		return fmt.Errorf("%w: leaf %d is not in a tree of %d leaves", ErrProof, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: proof is longer than the tree is high", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: proof is shorter than the tree is high", ErrProof)
	}
	if r != root {
		return fmt.Errorf("%w: computed root %s, tree head has %s", ErrProof, r, root)
	}
	return nil
}

// VerifyConsistency checks that the tree of size1 leaves with root root1
// is a prefix of the tree of size2 leaves with root root2, by the
// algorithm of RFC 9162 section 2.1.4.2.
func VerifyConsistency(size1, size2 uint64, root1, root2 Hash, proof []Hash) error {
	switch {
	case size1 > size2:
		return fmt.Errorf("%w: old tree (%d) is larger than new tree (%d)", ErrProof, size1, size2)
	case size1 == size2:
		if len(proof) != 0 {
			return fmt.Errorf("%w: trees of one size need an empty proof", ErrProof)
		}
		if root1 != root2 {
			return fmt.Errorf("%w: two trees of %d leaves with different roots", ErrProof, size1)
		}
		return nil
	case size1 == 0:
		if len(proof) != 0 {
			return fmt.Errorf("%w: the empty tree needs an empty proof", ErrProof)
		}
		return nil
	case len(proof) == 0:
		return fmt.Errorf("%w: empty proof", ErrProof)
	}
	if size1&(size1-1) == 0 { // an exact power of two
		proof = append([]Hash{root1}, proof...)
	}
	fn, sn := size1-1, size2-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := proof[0], proof[0]
	for _, c := range proof[1:] {
		if sn == 0 {
			return fmt.Errorf("%w: proof is too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: proof is too short", ErrProof)
	}
	if fr != root1 {
		return fmt.Errorf("%w: computed old root %s, old head has %s", ErrProof, fr, root1)
	}
	if sr != root2 {
		return fmt.Errorf("%w: computed new root %s, new head has %s", ErrProof, sr, root2)
	}
	return nil
}

// Frontier is the compact state of a growing tree: the roots of its
// perfect subtrees, largest (leftmost) first, one per bit set in its size.
// It extends the root by one leaf in O(log n) without the earlier leaves,
// so a log signs a new head reading only the entries added since the last.
type Frontier struct {
	size  uint64
	nodes []Hash
}

// NewFrontier rebuilds a frontier from its size and nodes, as stored.
func NewFrontier(size uint64, nodes []Hash) (*Frontier, error) {
	if bits.OnesCount64(size) != len(nodes) {
		return nil, fmt.Errorf("merkle: a tree of %d leaves has %d frontier nodes, not %d",
			size, bits.OnesCount64(size), len(nodes))
	}
	return &Frontier{size: size, nodes: append([]Hash(nil), nodes...)}, nil
}

// Append adds the leaf with hash leaf.
func (f *Frontier) Append(leaf Hash) {
	x := leaf
	for s := f.size; s&1 == 1; s >>= 1 {
		x = NodeHash(f.nodes[len(f.nodes)-1], x)
		f.nodes = f.nodes[:len(f.nodes)-1]
	}
	f.nodes = append(f.nodes, x)
	f.size++
}

// Size returns the number of leaves.
func (f *Frontier) Size() uint64 { return f.size }

// Nodes returns a copy of the frontier's nodes, largest subtree first.
func (f *Frontier) Nodes() []Hash { return append([]Hash(nil), f.nodes...) }

// Root returns the root of the tree.
func (f *Frontier) Root() Hash {
	if len(f.nodes) == 0 {
		return EmptyRoot()
	}
	r := f.nodes[len(f.nodes)-1]
	for i := len(f.nodes) - 2; i >= 0; i-- {
		r = NodeHash(f.nodes[i], r)
	}
	return r
}
