package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/yingshang/yingshang/internal/merkle"
	"github.com/yingshang/yingshang/internal/store"
)

// BrokenError reports that the record does not verify. Seq names the first
// bad entry: the one whose content no longer matches its hash, whose
// prev_hash does not match its predecessor, or, when entries are missing,
// the first missing sequence number. When a signed tree head no longer
// matches, Seq is the first entry that head covers and no earlier head
// vouches for: a root shows that something under it changed, not which
// entry, so Reason gives the range.
type BrokenError struct {
	Seq    int64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: chain broken at entry %d: %s", e.Seq, e.Reason)
}

// Verify walks the whole chain in sequence order, recomputing every hash, and
// returns how many entries it checked. A broken chain gives a *BrokenError
// naming the first bad entry; other errors are database failures.
//
// Rows are streamed, so memory use does not grow with the log. The head is
// read first and only entries up to it are checked, so appends committed
// while Verify runs are neither reported as tampering nor checked.
//
// The chain alone cannot show a cut at its end or a rewrite by someone who
// recomputes the hashes and the head; VerifyHeads checks it against signed
// tree heads too.
func Verify(ctx context.Context, db store.IDB) (checked int64, err error) {
	return VerifyHeads(ctx, db, nil)
}

// VerifyHeads is Verify that also rebuilds the Merkle tree over the entries
// and compares it with every head in heads, which the caller has checked
// (TreeHead.Check) and gathered from wherever heads are kept: the database,
// the head file, a copy published elsewhere. Entries a head covers that are
// missing, or whose tree no longer has the head's root, break the record
// even when the chain itself has been recomputed to match. Heads larger
// than the log are checked against the entries the log should hold, so a
// cut tail is named by its first missing entry.
func VerifyHeads(ctx context.Context, db store.IDB, heads []TreeHead) (checked int64, err error) {
	headSeq, headHash, err := Head(ctx, db)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &BrokenError{Seq: 0, Reason: "head row is missing"}
	}
	if err != nil {
		return 0, err
	}
	hs := append([]TreeHead(nil), heads...)
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].TreeSize < hs[j].TreeSize })
	limit := headSeq
	if len(hs) > 0 {
		limit = max(limit, hs[len(hs)-1].TreeSize)
	}
	f, _ := merkle.NewFrontier(0, nil)
	next, vouched := 0, int64(0)
	// match compares the tree so far with the heads of its size.
	match := func() error {
		size := int64(f.Size())
		for ; next < len(hs) && hs[next].TreeSize == size; next++ {
			h := &hs[next]
			root, err := h.root()
			if err != nil {
				return fmt.Errorf("%w: %v", ErrBadHead, err)
			}
			if got := f.Root(); got != root {
				return &BrokenError{Seq: vouched + 1, Reason: fmt.Sprintf(
					"entries %d–%d do not match the %s (root %s, entries give %s)",
					vouched+1, size, h, h.RootHash, got)}
			}
			vouched = size
		}
		return nil
	}
	if err := match(); err != nil { // heads of the empty tree
		return 0, err
	}
	last, lastHash, checked, err := walk(ctx, db, 1, limit, genesis, func(r *Record) error {
		leaf, err := r.LeafHash()
		if err != nil {
			return &BrokenError{Seq: r.Seq, Reason: err.Error()}
		}
		f.Append(leaf)
		return match()
	})
	if err != nil {
		return checked, err
	}
	if next < len(hs) {
		h := &hs[next]
		return checked, &BrokenError{Seq: last + 1, Reason: fmt.Sprintf(
			"entry %d is missing: the %s covers %d entries, the log ends at %d", last+1, h, h.TreeSize, last)}
	}
	switch {
	case last > headSeq:
		return checked, &BrokenError{Seq: headSeq + 1, Reason: fmt.Sprintf(
			"head records %d entries but signed tree heads cover %d", headSeq, last)}
	case last != headSeq:
		return checked, &BrokenError{Seq: last + 1,
			Reason: fmt.Sprintf("head records %d entries but the chain ends at %d", headSeq, last)}
	case lastHash != headHash:
		return checked, &BrokenError{Seq: last, Reason: "head hash does not match the last entry"}
	}
	return checked, nil
}

// walk streams the entries first..last in sequence order, checking that
// none is missing, that each one's content matches its hash and that it
// links to the one before (prev is the hash of entry first-1), and calls fn
// with each. It returns the last entry seen and its hash; entries missing
// at the end are the caller's to judge.
func walk(ctx context.Context, db store.IDB, first, last int64, prev string,
	fn func(*Record) error) (seen int64, seenHash string, checked int64, err error) {
	seen, seenHash = first-1, prev
	if last < first {
		return seen, seenHash, 0, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_id, actor_name, action,
		object_type, object_id, region_code, detail, prev_hash, hash
		FROM audit_log WHERE seq >= ? AND seq <= ? ORDER BY seq`, first, last)
	if err != nil {
		return seen, seenHash, 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Record
		var detail string
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.ActorName, &r.Action,
			&r.ObjectType, &r.ObjectID, &r.RegionCode, &detail, &r.PrevHash, &r.Hash); err != nil {
			return seen, seenHash, checked, fmt.Errorf("audit: verify after entry %d: %w", seen, err)
		}
		r.Detail = []byte(detail)
		switch {
		case r.Seq != seen+1:
			return seen, seenHash, checked, &BrokenError{Seq: seen + 1,
				Reason: fmt.Sprintf("entry %d is missing (next entry is %d)", seen+1, r.Seq)}
		case r.Hash != r.computeHash():
			return seen, seenHash, checked, &BrokenError{Seq: r.Seq, Reason: "content does not match its hash"}
		case r.PrevHash != seenHash:
			return seen, seenHash, checked, &BrokenError{Seq: r.Seq,
				Reason: fmt.Sprintf("prev_hash does not match the hash of entry %d", seen)}
		}
		if fn != nil {
			if err := fn(&r); err != nil {
				return seen, seenHash, checked, err
			}
		}
		seen, seenHash = r.Seq, r.Hash
		checked++
	}
	if err := rows.Err(); err != nil {
		return seen, seenHash, checked, fmt.Errorf("audit: verify after entry %d: %w", seen, err)
	}
	return seen, seenHash, checked, nil
}
