// Package audit keeps the platform's tamper-evident record of decisions: an
// append-only log whose entries are chained by SHA-256.
//
// Every entry is written in the same transaction as the change it records, so
// a decision and its record commit or roll back together. Entries carry a
// contiguous sequence number assigned here (not by the database), the hash of
// the entry before, and their own hash over a length-prefixed encoding of all
// their fields. A one-row head table holds the last sequence number and hash;
// updating it serialises concurrent appenders (a row lock on PostgreSQL, the
// single writer on SQLite) and lets Verify notice a deleted tail.
//
// The chain shows edits, deletions and reordering done with plain SQL. It
// cannot, on its own, stop someone with write access who recomputes every
// hash after a change; publishing the head (see Head) somewhere outside the
// database closes that gap.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
)

// MaxDetail is the largest encoded Detail an entry may carry. The log records
// decisions, not documents; larger evidence belongs in the file store, with
// its content hash in Detail.
const MaxDetail = 16 << 10

// maxField bounds the short text fields (names, actions, object ids).
const maxField = 512

// genesis is the prev_hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// timeFormat is the fixed, UTC, microsecond form in which times are hashed.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// ErrInvalidEntry is returned (wrapped) by Append for an entry that cannot be
// recorded; nothing is written.
var ErrInvalidEntry = errors.New("audit: invalid entry")

// ErrNotInTx is returned by Append when it is not given a transaction: an
// entry written outside the transaction of its change could survive the
// change's rollback, or be lost while the change commits.
var ErrNotInTx = errors.New("audit: append needs a transaction")

// Entry is one decision to record.
type Entry struct {
	ActorID    int64  // 0 for the system
	ActorName  string // shown as recorded, even if the user is later renamed
	Action     string // e.g. "flow.transition", "user.create", "calendar.set_year"
	ObjectType string // e.g. "flow_instance", "user"
	ObjectID   string
	RegionCode string // optional GB/T 2260 code, for scoped listing
	Detail     any    // JSON-marshalled; keep it small (see MaxDetail)
}

// Record is an entry as stored, with its place in the chain.
type Record struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    int64           `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	RegionCode string          `json:"region_code,omitempty"`
	Detail     json.RawMessage `json:"detail"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// Log appends entries. Its clock is injected so tests control the recorded
// times.
type Log struct {
	Now func() time.Time
}

// New returns a Log reading the time from now (time.Now when nil).
func New(now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{Now: now}
}

// Append records e in tx and returns its sequence number. tx must be the
// transaction that makes the change e describes, so that both commit or
// neither does; a rolled-back transaction leaves no entry and no gap.
func (l *Log) Append(ctx context.Context, tx store.IDB, e Entry) (seq int64, err error) {
	switch tx.(type) {
	case bun.Tx, *bun.Tx:
	default:
		return 0, ErrNotInTx
	}
	if err := e.validate(); err != nil {
		return 0, err
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return 0, fmt.Errorf("%w: detail: %v", ErrInvalidEntry, err)
	}
	if len(detail) > MaxDetail {
		return 0, fmt.Errorf("%w: detail is %d bytes, limit %d", ErrInvalidEntry, len(detail), MaxDetail)
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	r := Record{
		At:         store.Time(now()),
		ActorID:    e.ActorID,
		ActorName:  e.ActorName,
		Action:     e.Action,
		ObjectType: e.ObjectType,
		ObjectID:   e.ObjectID,
		RegionCode: e.RegionCode,
		Detail:     detail,
	}
	// Advancing the head first takes its row lock on PostgreSQL, so
	// concurrent appenders queue here and each sees its predecessor's hash.
	// RETURNING yields the new seq and the (not yet changed) previous hash.
	if err := tx.NewRaw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").
		Scan(ctx, &r.Seq, &r.PrevHash); err != nil {
		return 0, fmt.Errorf("audit: append %s: advance head: %w", e.Action, err)
	}
	r.Hash = r.computeHash()
	if _, err := tx.NewRaw(`INSERT INTO audit_log
		(seq, at, actor_id, actor_name, action, object_type, object_id, region_code, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.At, r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
		r.RegionCode, string(r.Detail), r.PrevHash, r.Hash).Exec(ctx); err != nil {
		return 0, fmt.Errorf("audit: append %s: insert %d: %w", e.Action, r.Seq, err)
	}
	if _, err := tx.NewRaw("UPDATE audit_head SET hash = ? WHERE id = 1", r.Hash).Exec(ctx); err != nil {
		return 0, fmt.Errorf("audit: append %s: set head hash: %w", e.Action, err)
	}
	return r.Seq, nil
}

func (e *Entry) validate() error {
	if e.Action == "" {
		return fmt.Errorf("%w: action is empty", ErrInvalidEntry)
	}
	if e.ObjectType == "" {
		return fmt.Errorf("%w: object type is empty", ErrInvalidEntry)
	}
	if e.ActorID < 0 {
		return fmt.Errorf("%w: negative actor id %d", ErrInvalidEntry, e.ActorID)
	}
	for _, f := range []struct{ name, v string }{
		{"actor name", e.ActorName}, {"action", e.Action}, {"object type", e.ObjectType},
		{"object id", e.ObjectID}, {"region code", e.RegionCode},
	} {
		if len(f.v) > maxField {
			return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidEntry, f.name, maxField)
		}
		// Invalid UTF-8 would not survive PostgreSQL TEXT unchanged and the
		// stored entry would no longer match its hash.
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidEntry, f.name)
		}
	}
	return nil
}

// computeHash returns the hex SHA-256 of r's canonical encoding: a version
// tag, then every field as an 8-byte big-endian length followed by its bytes,
// so that no two different entries encode alike.
func (r *Record) computeHash() string {
	h := sha256.New()
	h.Write([]byte("yingshang-audit-v1"))
	field(h, strconv.FormatInt(r.Seq, 10))
	field(h, r.At.UTC().Format(timeFormat))
	field(h, strconv.FormatInt(r.ActorID, 10))
	field(h, r.ActorName)
	field(h, r.Action)
	field(h, r.ObjectType)
	field(h, r.ObjectID)
	field(h, r.RegionCode)
	field(h, string(r.Detail))
	field(h, r.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// Head returns the sequence number and hash of the last entry (0 and the
// all-zero genesis hash for an empty log). Publishing it periodically outside
// the database lets a later Verify prove that no one rewrote the whole chain.
func Head(ctx context.Context, db store.IDB) (seq int64, hash string, err error) {
	if err := db.NewRaw("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(ctx, &seq, &hash); err != nil {
		return 0, "", fmt.Errorf("audit: read head: %w", err)
	}
	return seq, hash, nil
}
