package flow

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// Errors callers map to HTTP statuses. Each is returned wrapped with context.
var (
	ErrNotFound            = errors.New("flow: not found")                     // 404
	ErrNoSuchAction        = errors.New("flow: action not possible from here") // 409 / 400
	ErrForbidden           = errors.New("flow: not allowed")                   // 403
	ErrConflict            = errors.New("flow: changed by someone else")       // 409
	ErrFinished            = errors.New("flow: case already finished")         // 409
	ErrExtensionNotAllowed = errors.New("flow: extension not possible")        // 409 / 400
)

// InputError reports the inputs of an action that are missing or malformed,
// all of them at once.
type InputError struct {
	Action   string
	Problems []InputProblem
}

// InputProblem is one bad input; Key is "comment" for a missing comment.
type InputProblem struct {
	Key     string
	Message string // Chinese, shown to the user
}

func (e *InputError) Error() string {
	s := fmt.Sprintf("flow: action %q: bad input:", e.Action)
	for _, p := range e.Problems {
		s += " " + p.Key + ": " + p.Message + ";"
	}
	return s
}

// Calendar is the working-day arithmetic the engine needs;
// *calendar.Calendar provides it. The engine asks for the current calendar
// on every use so an administrator's edit takes effect at once.
type Calendar interface {
	AddWorkingDays(from time.Time, n int) time.Time
	WorkingDaysBetween(from, to time.Time) int
	Deadline(start time.Time, l calendar.Limit) time.Time
	Shift(due time.Time, u calendar.Unit, pausedFrom, pausedTo time.Time) time.Time
}

// Auditor appends to the audit log; *audit.Log provides it.
type Auditor interface {
	Append(ctx context.Context, tx store.IDB, e audit.Entry) (int64, error)
}

// Outbox topics the engine writes.
const (
	TopicStarted    = "flow.started"
	TopicTransition = "flow.transition"
	TopicEscalated  = "flow.escalated"
	TopicExtension  = "flow.extension"
)

// ObjectType is the audit object type of instances.
const ObjectType = "flow_instance"

// Engine runs workflow instances. It is safe for concurrent use; many
// engines (nodes) may share one PostgreSQL database.
type Engine struct {
	db  *store.DB
	cal func() Calendar
	log Auditor
	// Now is the clock; tests set it.
	Now func() time.Time
	// Event writes an outbox event in the transaction; outbox.Add by default.
	Event func(ctx context.Context, tx store.IDB, now time.Time, topic string, payload any) error
	// Events writes several outbox events at once (StartMany);
	// outbox.AddAll by default, Event one by one when nil.
	Events func(ctx context.Context, tx store.IDB, now time.Time, msgs []outbox.Message) error

	mu     sync.RWMutex
	defs   map[defID]*Definition // parsed definitions, immutable once stored
	latest map[string]latestDef  // the newest version of each key, as last seen
}

// latestDef is the newest version of a definition as seen at a moment.
type latestDef struct {
	def  *Definition
	seen time.Time // monotonic wall time, not the business clock
}

// latestTTL bounds how long a node keeps starting cases on a definition
// version after another node loaded a newer one. Loading on this node
// takes effect at once.
const latestTTL = 30 * time.Second

type defID struct {
	key     string
	version int
}

// New returns an engine on db. cal is asked for the calendar on every use;
// log records every decision; now is the clock (time.Now when nil).
func New(db *store.DB, cal func() Calendar, log Auditor, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{db: db, cal: cal, log: log, Now: now, Event: outbox.Add, Events: outbox.AddAll,
		defs: map[defID]*Definition{}, latest: map[string]latestDef{}}
}

func (e *Engine) now() time.Time { return store.Time(e.Now()) }

// LoadDefinition parses raw and stores it as the next version of its key,
// unless it has the same content as the latest version, in which case that
// version is returned and created is false. Instances already running keep
// the version they started on.
func (e *Engine) LoadDefinition(ctx context.Context, raw []byte, by *auth.Actor) (def *Definition, created bool, err error) {
	d, err := Parse(raw)
	if err != nil {
		return nil, false, err
	}
	body := d.canonical()
	sum := sha256.Sum256(body)
	checksum := hex.EncodeToString(sum[:])
	var byID int64
	if by != nil {
		byID = by.UserID
	}
	err = e.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var last int
		var lastSum string
		err := tx.QueryRowContext(ctx, `SELECT version, checksum FROM flow_definitions
			WHERE def_key = ? ORDER BY version DESC LIMIT 1`, d.Key).Scan(&last, &lastSum)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastSum == checksum {
			d.Version = last
			return nil
		}
		d.Version = last + 1
		created = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO flow_definitions
			(def_key, version, name, body, checksum, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			d.Key, d.Version, d.Name, string(body), checksum, e.now(), byID); err != nil {
			return err
		}
		if e.log != nil {
			ent := audit.Entry{Action: "flow.definition_load", ObjectType: "flow_definition",
				ObjectID: d.Key + "@" + strconv.Itoa(d.Version), Detail: map[string]any{"checksum": checksum}}
			if by != nil {
				ent.ActorID, ent.ActorName = by.UserID, by.Name
			}
			if _, err := e.log.Append(ctx, tx, ent); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if store.IsUniqueViolation(err) {
			err = fmt.Errorf("%w: another version of %q was loaded at the same time", ErrConflict, d.Key)
		}
		return nil, false, fmt.Errorf("flow: load definition %q: %w", d.Key, err)
	}
	e.remember(d, true)
	return d, created, nil
}

// remember caches d; when newest is set it is also the key's latest version.
func (e *Engine) remember(d *Definition, newest bool) {
	e.mu.Lock()
	e.defs[defID{d.Key, d.Version}] = d
	if cur, ok := e.latest[d.Key]; newest && (!ok || cur.def.Version <= d.Version) {
		e.latest[d.Key] = latestDef{def: d, seen: time.Now()}
	}
	e.mu.Unlock()
}

// ForgetLatest makes the engine read the latest version of definition key
// again on its next use; the empty key forgets every key's latest version.
// Stored versions never change, so they stay cached. The platform calls it
// when another node loads a definition (package cluster).
func (e *Engine) ForgetLatest(key string) {
	e.mu.Lock()
	if key == "" {
		clear(e.latest)
	} else {
		delete(e.latest, key)
	}
	e.mu.Unlock()
}

// Definition returns version of the definition key; version 0 means the
// latest.
func (e *Engine) Definition(ctx context.Context, key string, version int) (*Definition, error) {
	return e.definition(ctx, e.db, key, version)
}

// definition is Definition reading through db, so that a caller inside a
// transaction needs no second connection (on SQLite a second connection
// can wait on the writer the caller itself is). Parsed definitions are
// cached: stored versions never change, and the latest version is re-read
// after latestTTL.
func (e *Engine) definition(ctx context.Context, db store.IDB, key string, version int) (*Definition, error) {
	e.mu.RLock()
	var d *Definition
	if version > 0 {
		d = e.defs[defID{key, version}]
	} else if l, ok := e.latest[key]; ok && time.Since(l.seen) < latestTTL {
		d = l.def
	}
	e.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	latest := version == 0
	q := "SELECT version, body FROM flow_definitions WHERE def_key = ? ORDER BY version DESC LIMIT 1"
	args := []any{key}
	if version > 0 {
		q = "SELECT version, body FROM flow_definitions WHERE def_key = ? AND version = ?"
		args = append(args, version)
	}
	var body string
	err := db.QueryRowContext(ctx, q, args...).Scan(&version, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("flow: definition %q version %d: %w", key, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("flow: definition %q: %w", key, err)
	}
	if d = e.cached(key, version); d == nil {
		if d, err = Parse([]byte(body)); err != nil {
			return nil, fmt.Errorf("flow: stored definition %q@%d: %w", key, version, err)
		}
		d.Version = version
	}
	e.remember(d, latest)
	return d, nil
}

// cached returns the parsed definition key@version if it is cached.
func (e *Engine) cached(key string, version int) *Definition {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.defs[defID{key, version}]
}

// DefinitionInfo describes one stored version.
type DefinitionInfo struct {
	Key       string
	Version   int
	Name      string
	Checksum  string
	CreatedAt time.Time
	CreatedBy int64
}

// Definitions lists every stored version, by key then newest first.
func (e *Engine) Definitions(ctx context.Context) ([]DefinitionInfo, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT def_key, version, name, checksum, created_at, created_by
		FROM flow_definitions ORDER BY def_key, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("flow: definitions: %w", err)
	}
	defer rows.Close()
	var out []DefinitionInfo
	for rows.Next() {
		var i DefinitionInfo
		if err := rows.Scan(&i.Key, &i.Version, &i.Name, &i.Checksum, &i.CreatedAt, &i.CreatedBy); err != nil {
			return nil, fmt.Errorf("flow: definitions: %w", err)
		}
		i.CreatedAt = i.CreatedAt.UTC()
		out = append(out, i)
	}
	return out, rows.Err()
}

func (e *Engine) audit(ctx context.Context, tx store.IDB, actor *auth.Actor, action string, in *Instance, detail any) error {
	if e.log == nil {
		return nil
	}
	ent := audit.Entry{Action: action, ObjectType: ObjectType, ObjectID: strconv.FormatInt(in.ID, 10),
		RegionCode: in.RegionCode, Detail: detail}
	if actor != nil {
		ent.ActorID, ent.ActorName = actor.UserID, actor.Name
	}
	_, err := e.log.Append(ctx, tx, ent)
	return err
}
