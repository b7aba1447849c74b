// Package store opens the platform's database, SQLite embedded or PostgreSQL
// for scale-out, and holds the few helpers whose SQL differs between the two.
//
// Every other package speaks to the database through bun with portable SQL;
// when a query needs dialect-specific text it asks this package for it, so
// that the differences live in one place.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Kind names a supported database engine.
type Kind string

// The supported database engines.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// DB is an open platform database. It embeds *bun.DB so callers build queries
// with bun directly.
type DB struct {
	*bun.DB
	kind Kind
	// writer admits one write transaction at a time on SQLite. SQLite has
	// one writer anyway; queueing in Go keeps waiting writers from holding
	// pool connections, which the writer in progress may need for a read.
	writer chan struct{}
	// commits counts the transactions WithTx committed on SQLite;
	// checkpointing is set while one of them checkpoints the WAL (see
	// checkpoint).
	commits       atomic.Uint64
	checkpointing atomic.Bool
	// stmts holds the statements prepared for Exec, QueryRow and Query.
	stmts stmtCache
	// group queues the SQLite write transactions waiting for a group
	// commit (see group.go).
	group groupQueue
}

// writerWait bounds how long a write transaction waits for its turn on
// SQLite, like the busy timeout: a caller that nests transactions gets an
// error instead of waiting forever.
const writerWait = 10 * time.Second

// IDB is what queries run on: the database itself or a transaction.
type IDB = bun.IDB

// Tx is an open transaction.
type Tx = bun.Tx

// Open opens the database named by url: "postgres://…" (or "postgresql://…")
// for PostgreSQL, otherwise "sqlite:PATH", "file:PATH" or a plain file path for
// SQLite. SQLite files are opened in WAL mode with foreign keys on, a busy
// timeout and immediate write transactions, so that concurrent writers queue
// instead of failing.
func Open(ctx context.Context, url string) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		sqldb, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(32)
		sqldb.SetMaxIdleConns(32)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{DB: bun.NewDB(sqldb, pgdialect.New()), kind: Postgres}
	default:
		path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "file:")
		if path == "" {
			return nil, errors.New("open sqlite: empty path")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
			if err := PrivateFile(path); err != nil {
				return nil, fmt.Errorf("open sqlite: %w", err)
			}
		}
		// Temporary tables and sort spills stay in memory, each connection
		// keeps up to 16 MiB of pages (four connections: 64 MiB at most),
		// and reads go through a 256 MiB memory map instead of a read call
		// per page. synchronous=NORMAL is WAL's durable setting: a commit
		// survives a crash of the program; only a power loss or a crash of the
		// operating system may undo
		// the last ones.
		dsn := "file:" + path + "?_txlock=immediate" +
			"&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
			"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)" +
			"&_pragma=wal_autocheckpoint(10000)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_pragma=mmap_size(268435456)" +
			"&_time_format=sqlite"
		sqldb, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is SQLite's rule; a small pool lets readers run
		// beside it in WAL mode without piling up lock waits.
		sqldb.SetMaxOpenConns(4)
		sqldb.SetMaxIdleConns(4)
		db = &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), kind: SQLite, writer: make(chan struct{}, 1)}
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", db.kind, err)
	}
	return db, nil
}

// PrivateFile creates path empty if it does not exist and makes it, and
// the SQLite -wal and -shm files beside it, readable by the owner only
// (0600): the database holds personal data, and SQLite creates its -wal and
// -shm files with the permissions of the database file.
func PrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Kind reports which engine db runs on.
func (db *DB) Kind() Kind { return db.kind }

// WithTx runs fn in one transaction, committing when fn returns nil and
// rolling back otherwise. Every state change and the audit entry recording it
// are written through one WithTx call.
//
// On SQLite write transactions queue for their turn before taking a
// connection; one still waiting after writerWait fails with ErrBusy. The
// caller that gets the turn commits the queued functions together, each in
// its own savepoint (group commit, see group.go): fn may then run on another
// goroutine, with ctx's values but not its cancellation. Every
// checkpointEvery committed functions, the leading caller then checkpoints
// the WAL, after giving up its turn.
//
// The context fn receives carries the transaction's deferred work (see
// Deferred): after fn returns nil, that work runs in the transaction, and
// then it commits. Pass that context on to the calls made with tx.
func (db *DB) WithTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if db.writer != nil {
		return db.withGroupTx(ctx, fn)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st := &txState{tx: tx, db: db}
	defer st.close()
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	ctx = context.WithValue(ctx, txStateKey{}, st)
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := st.runHooks(ctx); err != nil {
		return err
	}
	committed = true
	return tx.Commit()
}

// checkpointEvery is how many WithTx commits pass between two WAL
// checkpoints on SQLite. At the 20–30 pages a typical transaction writes, the
// WAL stays below SQLite's own checkpoint threshold (1000 pages).
const checkpointEvery = 32

// checkpoint copies the WAL back into the database file every
// checkpointEvery commits, after the commit has given up the writer's turn.
//
// SQLite checkpoints by itself in the commit that takes the WAL past 1000
// pages: the copy and its two fsyncs then run inside tx.Commit, while
// WithTx still holds the writer's turn, and every queued writer waits for
// them (a tenth to a fifth of hotline intake's throughput). A PASSIVE
// checkpoint run here instead overlaps the next writer's transaction, as
// SQLite allows; SQLite's own threshold remains a safety net for writes
// made outside WithTx. An error is ignored: the next checkpoint, or
// SQLite's, catches up.
func (db *DB) checkpoint(ctx context.Context, n int) {
	after := db.commits.Add(uint64(n))
	if after/checkpointEvery == (after-uint64(n))/checkpointEvery || !db.checkpointing.CompareAndSwap(false, true) {
		return
	}
	defer db.checkpointing.Store(false)
	_, _ = db.DB.DB.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_checkpoint(PASSIVE)")
}

// ErrBusy reports that a SQLite write transaction could not start in time:
// the database is overloaded, or a caller began a transaction inside another.
var ErrBusy = errors.New("store: timed out waiting for the SQLite writer")

// ForUpdateSkipLocked returns the locking clause that lets many nodes claim
// distinct due rows (timers, outbox events) without waiting for each other.
// SQLite has one writer at a time and no row locks, so there it is empty.
func (db *DB) ForUpdateSkipLocked() string {
	if db.kind == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Like returns the operator for a case-insensitive pattern match.
func (db *DB) Like() string {
	if db.kind == Postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// Time returns t in UTC truncated to the microsecond, the precision both
// databases keep, so a value read back compares equal to the one written.
func Time(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine, so callers can turn it into a 409 instead of a 500.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
}
