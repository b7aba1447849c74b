package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/store"
)

// BrokenError reports that the chain does not verify. Seq names the first bad
// entry: the one whose content no longer matches its hash, whose prev_hash
// does not match its predecessor, or, when entries are missing, the first
// missing sequence number.
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
func Verify(ctx context.Context, db store.IDB) (checked int64, err error) {
	headSeq, headHash, err := Head(ctx, db)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, &BrokenError{Seq: 0, Reason: "head row is missing"}
	}
	if err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, `SELECT seq, at, actor_id, actor_name, action,
		object_type, object_id, region_code, detail, prev_hash, hash
		FROM audit_log WHERE seq <= ? ORDER BY seq`, headSeq)
	if err != nil {
		return 0, fmt.Errorf("audit: verify: %w", err)
	}
	defer rows.Close()
	prevHash := genesis
	var last int64
	for rows.Next() {
		var r Record
		var detail string
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorID, &r.ActorName, &r.Action,
			&r.ObjectType, &r.ObjectID, &r.RegionCode, &detail, &r.PrevHash, &r.Hash); err != nil {
			return checked, fmt.Errorf("audit: verify after entry %d: %w", last, err)
		}
		r.Detail = []byte(detail)
		switch {
		case r.Seq != last+1:
			return checked, &BrokenError{Seq: last + 1,
				Reason: fmt.Sprintf("entry %d is missing (next entry is %d)", last+1, r.Seq)}
		case r.Hash != r.computeHash():
			return checked, &BrokenError{Seq: r.Seq, Reason: "content does not match its hash"}
		case r.PrevHash != prevHash:
			return checked, &BrokenError{Seq: r.Seq,
				Reason: fmt.Sprintf("prev_hash does not match the hash of entry %d", last)}
		}
		last, prevHash = r.Seq, r.Hash
		checked++
	}
	if err := rows.Err(); err != nil {
		return checked, fmt.Errorf("audit: verify after entry %d: %w", last, err)
	}
	if last != headSeq {
		return checked, &BrokenError{Seq: last + 1,
			Reason: fmt.Sprintf("head records %d entries but the chain ends at %d", headSeq, last)}
	}
	if prevHash != headHash {
		return checked, &BrokenError{Seq: last, Reason: "head hash does not match the last entry"}
	}
	return checked, nil
}
