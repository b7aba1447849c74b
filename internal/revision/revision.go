// Package revision keeps the earlier versions of the sets of rows that
// administrators replace as a whole — a calendar year's special days, a
// catalogue item's materials and form fields, a workflow definition — so
// that no form can wipe data for good.
//
// Every such replacement goes through [Store.Replace] in the caller's
// transaction: it checks that the set still has the version the
// administrator previewed (its hash, carried by the confirm button or an
// If-Match header), records the content found as a baseline when the log
// holds none, applies the change and records the new content. Restoring a
// revision is itself a replacement and a new revision, so nothing is ever
// lost by restoring either. [Diff] shows what a replacement would change;
// [Pages] serves the list of a set's versions with a restore button.
package revision

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/uptrace/bun/dialect"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// ErrNotFound is returned for a revision that does not exist in the set
// asked for.
var ErrNotFound = errors.New("revision: not found")

// ErrStale is returned when the set changed after the administrator saw
// it: the confirm (or If-Match) carries another version's hash. The web
// layer answers 409.
var ErrStale = staleError{}

type staleError struct{}

func (staleError) Error() string {
	return "revision: the set was changed by someone else since it was shown; review the changes again"
}

// Conflict makes the web layer answer 409.
func (staleError) Conflict() bool { return true }

// Reasons a revision was recorded.
const (
	ReasonSave     = "save"
	ReasonBaseline = "baseline" // the content found before the first recorded replacement
	ReasonRestore  = "restore"
)

// Revision is one recorded version of a set.
type Revision struct {
	ID           int64           `json:"id"`
	Kind         string          `json:"kind"`
	Key          string          `json:"key"`
	Seq          int             `json:"seq" doc:"1, 2, … within the set"`
	Hash         string          `json:"hash" doc:"SHA-256 of the snapshot: the set's version tag"`
	Snapshot     json.RawMessage `json:"snapshot,omitempty"`
	Size         int             `json:"size" doc:"Rows in the set"`
	ActorID      int64           `json:"actor_id"`
	ActorName    string          `json:"actor_name"`
	RegionCode   string          `json:"region_code,omitempty"`
	Reason       string          `json:"reason" enum:"save,baseline,restore"`
	RestoredFrom int64           `json:"restored_from,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// Store reads and writes the revisions table. Its methods take the
// database or the caller's transaction.
type Store struct {
	// Now stamps created_at; nil means time.Now.
	Now func() time.Time
}

func (s Store) now() time.Time {
	if s.Now != nil {
		return store.Time(s.Now())
	}
	return store.Time(time.Now())
}

// Hash returns the version tag of a set's content: the hex SHA-256 of its
// JSON encoding (encoding/json writes struct fields in order and map keys
// sorted, so equal content has equal hashes).
func Hash(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("revision: hash: %w", err)
	}
	return hashBytes(b), nil
}

func hashBytes(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Replacement describes one replacement of a set.
type Replacement struct {
	Kind, Key string
	// Base is the hash of the content the administrator saw and confirmed
	// against; "" skips the check (an API call without If-Match).
	Base string
	// Current is the content stored now, read in the transaction; Next is
	// what replaces it. Both are encoded as the snapshots. When Next is
	// nil, Read is called after Apply to read the new content.
	Current, Next any
	Read          func(ctx context.Context, tx store.IDB) (any, error)
	// ReadCurrent, when set, reads Current in tx after the set is locked
	// (on PostgreSQL, whose transactions would otherwise both read the
	// content before either committed), so that of two replacements
	// confirmed against the same version one is refused as stale.
	ReadCurrent func(ctx context.Context, tx store.IDB) (any, error)
	// Size is the number of rows of Next, shown in the list of versions.
	Size int
	// Apply writes Next in tx.
	Apply func(ctx context.Context, tx store.IDB) error

	Actor        *auth.Actor
	RegionCode   string
	Reason       string // ReasonSave when empty
	RestoredFrom int64
}

// Replace runs the replacement r in tx and returns the revision recording
// the new content. It refuses with ErrStale when r.Base is set and is not
// the hash of r.Current, or when another replacement of the same set
// committed first.
func (s Store) Replace(ctx context.Context, tx store.IDB, r Replacement) (Revision, error) {
	if r.ReadCurrent != nil {
		if tx.Dialect().Name() == dialect.PG {
			h := fnv.New64a()
			h.Write([]byte(r.Kind + "\x00" + r.Key))
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())); err != nil {
				return Revision{}, fmt.Errorf("revision: lock %s %s: %w", r.Kind, r.Key, err)
			}
		}
		c, err := r.ReadCurrent(ctx, tx)
		if err != nil {
			return Revision{}, err
		}
		r.Current = c
	}
	cur, err := json.Marshal(r.Current)
	if err != nil {
		return Revision{}, fmt.Errorf("revision: %s %s: encode current: %w", r.Kind, r.Key, err)
	}
	curHash := hashBytes(cur)
	if r.Base != "" && r.Base != curHash {
		return Revision{}, fmt.Errorf("revision: %s %s: %w", r.Kind, r.Key, ErrStale)
	}
	latest, err := s.Latest(ctx, tx, r.Kind, r.Key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Revision{}, err
	}
	actorID, actorName := int64(0), "system"
	if r.Actor != nil {
		actorID, actorName = r.Actor.UserID, r.Actor.Name
	}
	seq := latest.Seq
	if latest.Hash != curHash {
		// The content found is not the last recorded one (data from before
		// revisions were kept, or a seed): keep it, so it can be restored.
		seq++
		base := Revision{Kind: r.Kind, Key: r.Key, Seq: seq, Hash: curHash, Snapshot: cur, Size: -1,
			ActorName: "system", RegionCode: r.RegionCode, Reason: ReasonBaseline}
		if err := s.insert(ctx, tx, &base); err != nil {
			return Revision{}, err
		}
	}
	if err := r.Apply(ctx, tx); err != nil {
		return Revision{}, err
	}
	nv := r.Next
	if nv == nil && r.Read != nil {
		if nv, err = r.Read(ctx, tx); err != nil {
			return Revision{}, err
		}
	}
	next, err := json.Marshal(nv)
	if err != nil {
		return Revision{}, fmt.Errorf("revision: %s %s: encode next: %w", r.Kind, r.Key, err)
	}
	reason := r.Reason
	if reason == "" {
		reason = ReasonSave
	}
	rev := Revision{Kind: r.Kind, Key: r.Key, Seq: seq + 1, Hash: hashBytes(next), Snapshot: next, Size: r.Size,
		ActorID: actorID, ActorName: actorName, RegionCode: r.RegionCode, Reason: reason, RestoredFrom: r.RestoredFrom}
	if err := s.insert(ctx, tx, &rev); err != nil {
		return Revision{}, err
	}
	return rev, nil
}

func (s Store) insert(ctx context.Context, tx store.IDB, r *Revision) error {
	r.CreatedAt = s.now()
	err := store.QueryRow(ctx, tx, `INSERT INTO revisions (kind, set_key, seq, hash, snapshot, size, actor_id, actor_name,
		region_code, reason, restored_from, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Kind, r.Key, r.Seq, r.Hash, string(r.Snapshot), r.Size, r.ActorID, r.ActorName, r.RegionCode, r.Reason,
		r.RestoredFrom, r.CreatedAt).Scan(&r.ID)
	if store.IsUniqueViolation(err) {
		// Two replacements of one set raced: the other committed first.
		return fmt.Errorf("revision: %s %s: %w", r.Kind, r.Key, ErrStale)
	}
	if err != nil {
		return fmt.Errorf("revision: record %s %s: %w", r.Kind, r.Key, err)
	}
	return nil
}

const columns = `id, kind, set_key, seq, hash, size, actor_id, actor_name, region_code, reason, restored_from, created_at`

func scan(sc interface{ Scan(...any) error }, r *Revision, snapshot bool) error {
	dst := []any{&r.ID, &r.Kind, &r.Key, &r.Seq, &r.Hash, &r.Size, &r.ActorID, &r.ActorName, &r.RegionCode,
		&r.Reason, &r.RestoredFrom, &r.CreatedAt}
	var snap string
	if snapshot {
		dst = append(dst, &snap)
	}
	if err := sc.Scan(dst...); err != nil {
		return err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	if snapshot {
		r.Snapshot = json.RawMessage(snap)
	}
	return nil
}

// Latest returns the newest revision of a set, with its snapshot, or
// ErrNotFound.
func (s Store) Latest(ctx context.Context, db store.IDB, kind, key string) (Revision, error) {
	var r Revision
	err := scan(store.QueryRow(ctx, db, `SELECT `+columns+`, snapshot FROM revisions
		WHERE kind = ? AND set_key = ? ORDER BY seq DESC LIMIT 1`, kind, key), &r, true)
	if errors.Is(err, sql.ErrNoRows) {
		return Revision{}, ErrNotFound
	}
	if err != nil {
		return Revision{}, fmt.Errorf("revision: latest %s %s: %w", kind, key, err)
	}
	return r, nil
}

// Get returns revision id of the set (kind, key), with its snapshot, or
// ErrNotFound, also when id belongs to another set.
func (s Store) Get(ctx context.Context, db store.IDB, kind, key string, id int64) (Revision, error) {
	var r Revision
	err := scan(store.QueryRow(ctx, db, `SELECT `+columns+`, snapshot FROM revisions
		WHERE id = ? AND kind = ? AND set_key = ?`, id, kind, key), &r, true)
	if errors.Is(err, sql.ErrNoRows) {
		return Revision{}, fmt.Errorf("revision: %s %s #%d: %w", kind, key, id, ErrNotFound)
	}
	if err != nil {
		return Revision{}, fmt.Errorf("revision: get %s %s #%d: %w", kind, key, id, err)
	}
	return r, nil
}

// MaxList bounds the versions List returns.
const MaxList = 200

// List returns the newest limit revisions of a set, newest first, without
// their snapshots.
func (s Store) List(ctx context.Context, db store.IDB, kind, key string, limit int) ([]Revision, error) {
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	rows, err := store.Query(ctx, db, `SELECT `+columns+` FROM revisions
		WHERE kind = ? AND set_key = ? ORDER BY seq DESC LIMIT ?`, kind, key, limit)
	if err != nil {
		return nil, fmt.Errorf("revision: list %s %s: %w", kind, key, err)
	}
	defer rows.Close()
	var out []Revision
	for rows.Next() {
		var r Revision
		if err := scan(rows, &r, false); err != nil {
			return nil, fmt.Errorf("revision: list %s %s: %w", kind, key, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revision: list %s %s: %w", kind, key, err)
	}
	return out, nil
}
