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
// Because the head is one row, whoever advances it holds its lock until the
// commit, and every other writing transaction that appends waits. Append
// therefore does not write at once inside a transaction opened by
// store.DB.WithTx: it checks the entry, stamps its time and keeps it with
// the transaction (store.Deferred). Just before COMMIT the transaction's
// entries are written together: one UPDATE advances the head by their
// number and returns the previous hash, their hashes are chained in Go,
// one multi-row INSERT stores them and the head's hash is set (on
// PostgreSQL the INSERT and the hash share one statement). The lock is thus
// held for the last two or three statements and the commit, however long
// the transaction ran before, and a transaction recording nine decisions
// pays for three statements instead of twenty-seven. The guarantees are
// unchanged: the entries commit or roll back with the change (a rollback
// discards them before any is written, so it leaves no gap), sequence
// numbers stay contiguous, each entry links to the one before, and Verify
// is the same. Entries of one transaction keep their order; their times
// are those of the Append calls. Outside WithTx, inside a savepoint, or
// through AppendNow, an entry is written at once as before.
//
// The chain shows edits, deletions and reordering done with plain SQL. It
// cannot, on its own, show a cut of the newest entries or a rewrite by
// someone with write access who recomputes every hash and the head. So the
// entries are also the leaves of an RFC 6962 Merkle tree whose heads the
// node signs with a key kept outside the database (HeadSigner, TreeHead),
// keeps in a file beside the data and publishes; VerifySigned checks the
// record against them, and InclusionProof and ConsistencyProof let anyone
// check an entry, or that the log only grew, without the database.
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
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

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

// Append records e in tx. tx must be the transaction that makes the change
// e describes, so that both commit or neither does; a rolled-back
// transaction leaves no entry and no gap.
//
// When tx was opened by store.DB.WithTx and ctx is the context WithTx gave
// its function, the entry is checked now but written at the end of the
// transaction, just before COMMIT, together with the transaction's other
// entries (see the package documentation); seq is then 0, because the
// entry's place in the chain is assigned when it is written. Otherwise the
// entry is written at once and seq is its sequence number. Callers that
// need the number use AppendNow.
func (l *Log) Append(ctx context.Context, tx store.IDB, e Entry) (seq int64, err error) {
	r, err := l.record(tx, e)
	if err != nil {
		return 0, err
	}
	if p, ok := store.Deferred(ctx, tx, pendingKey{}, flush); ok {
		p.records = append(p.records, r)
		return 0, nil
	}
	rs := []Record{r}
	if err := write(ctx, tx, rs); err != nil {
		return 0, err
	}
	return rs[0].Seq, nil
}

// AppendNow is Append writing the entry at once, in any transaction, and
// returning its sequence number. It takes the head's row lock at once and
// keeps it until tx ends, so prefer Append.
func (l *Log) AppendNow(ctx context.Context, tx store.IDB, e Entry) (seq int64, err error) {
	r, err := l.record(tx, e)
	if err != nil {
		return 0, err
	}
	rs := []Record{r}
	if err := write(ctx, tx, rs); err != nil {
		return 0, err
	}
	return rs[0].Seq, nil
}

// record checks e and returns it as a record without its place in the
// chain (seq, prev_hash, hash).
func (l *Log) record(tx store.IDB, e Entry) (Record, error) {
	switch tx.(type) {
	case bun.Tx, *bun.Tx:
	default:
		return Record{}, ErrNotInTx
	}
	if err := e.validate(); err != nil {
		return Record{}, err
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return Record{}, fmt.Errorf("%w: detail: %v", ErrInvalidEntry, err)
	}
	if len(detail) > MaxDetail {
		return Record{}, fmt.Errorf("%w: detail is %d bytes, limit %d", ErrInvalidEntry, len(detail), MaxDetail)
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	return Record{
		At:         store.Time(now()),
		ActorID:    e.ActorID,
		ActorName:  e.ActorName,
		Action:     e.Action,
		ObjectType: e.ObjectType,
		ObjectID:   e.ObjectID,
		RegionCode: e.RegionCode,
		Detail:     detail,
	}, nil
}

// pendingKey keys a transaction's deferred entries; every Log shares them,
// so a transaction advances the head once whichever Logs appended.
type pendingKey struct{}

// pending holds the entries a transaction appended, in order, until its
// commit.
type pending struct {
	records []Record
}

// flush writes a transaction's deferred entries just before its COMMIT.
func flush(ctx context.Context, tx store.Tx, p *pending) error {
	if len(p.records) == 0 {
		return nil
	}
	return write(ctx, tx, p.records)
}

// insertBatch bounds the rows of one INSERT: 11 parameters a row stays far
// below both engines' limits on bound parameters.
const insertBatch = 200

const insertCols = `INSERT INTO audit_log
	(seq, at, actor_id, actor_name, action, object_type, object_id, region_code, detail, prev_hash, hash) VALUES `

// write gives rs their places at the end of the chain and stores them in
// tx: it advances the head by len(rs) (taking its row lock on PostgreSQL,
// so concurrent writers queue there and each sees its predecessor's hash),
// computes the hashes here, inserts the entries with one multi-row INSERT
// and sets the head's hash. On PostgreSQL the INSERT and the head's hash go
// in one statement, so the lock is held for two round trips and the commit.
func write(ctx context.Context, tx store.IDB, rs []Record) error {
	var last int64
	var prev string
	if err := store.QueryRow(ctx, tx, "UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash",
		len(rs)).Scan(&last, &prev); err != nil {
		return fmt.Errorf("audit: append %s: advance head: %w", rs[0].Action, err)
	}
	first := last - int64(len(rs)) + 1
	for i := range rs {
		rs[i].Seq, rs[i].PrevHash = first+int64(i), prev
		rs[i].Hash = rs[i].computeHash()
		prev = rs[i].Hash
	}
	pg := tx.Dialect().Name() == dialect.PG
	for start := 0; start < len(rs); start += insertBatch {
		batch := rs[start:min(start+insertBatch, len(rs))]
		var q strings.Builder
		args := make([]any, 0, 11*len(batch)+1)
		lastBatch := start+insertBatch >= len(rs)
		if pg && lastBatch {
			q.WriteString("WITH ins AS (")
		}
		q.WriteString(insertCols)
		for i, r := range batch {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.Seq, r.At, r.ActorID, r.ActorName, r.Action, r.ObjectType, r.ObjectID,
				r.RegionCode, string(r.Detail), r.PrevHash, r.Hash)
		}
		if pg && lastBatch {
			q.WriteString(") UPDATE audit_head SET hash = ? WHERE id = 1")
			args = append(args, prev)
		}
		if _, err := store.Exec(ctx, tx, q.String(), args...); err != nil {
			return fmt.Errorf("audit: append %s: insert %d-%d: %w", batch[0].Action, batch[0].Seq, batch[len(batch)-1].Seq, err)
		}
	}
	if !pg {
		if _, err := store.Exec(ctx, tx, "UPDATE audit_head SET hash = ? WHERE id = 1", prev); err != nil {
			return fmt.Errorf("audit: append %s: set head hash: %w", rs[0].Action, err)
		}
	}
	return nil
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
