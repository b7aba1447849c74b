package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prepared statements for hot paths.
//
// bun writes a query's arguments into its text, so every execution is a new
// statement for the database to parse and plan: on SQLite the parser alone
// was a fifth of the CPU of taking in a hotline order. The helpers here send
// the arguments separately instead, through a statement prepared once per
// database and connection (database/sql keeps one per connection and
// re-prepares on a new one), so a statement run a thousand times is parsed
// a handful of times. Queries keep bun's portable ? placeholders; Rebind
// turns them into PostgreSQL's $1, $2, ….
//
// Use them where a statement runs on every request and its arguments are
// plain values (numbers, strings, booleans, times, nil): they pass through
// database/sql's conversions, not bun's, so a slice or a struct is refused
// where bun would have encoded it.

// maxStmts bounds the statements a DB keeps prepared. Hot paths have a few
// dozen; past the bound a new query text still has its arguments bound by
// the driver, which then parses it on each use, so a caller generating many
// distinct texts cannot grow the cache without limit.
const maxStmts = 256

// stmtCache holds a DB's prepared statements by their ?-placeholder text.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// Rebind returns query with its ? placeholders written as kind's driver
// expects them: unchanged for SQLite, $1, $2, … for PostgreSQL. Question
// marks inside quoted strings and identifiers are left alone.
func Rebind(kind Kind, query string) string {
	if kind != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Stmt returns query, written with ? placeholders, as a statement prepared
// once for db and bound to tx when tx is a transaction of db (a bun.Tx, its
// pointer, or a savepoint within it); with db itself, or nil, the statement
// runs on the pool. A statement bound to a transaction is closed by
// database/sql when the transaction ends; the shared one stays prepared
// until db is closed. It fails when the query does not prepare, or when tx
// is something else (another database, a bun.Conn).
//
// Arguments passed to the statement bypass bun's formatting: see
// PrepareArgs.
func (db *DB) Stmt(ctx context.Context, tx IDB, query string) (*sql.Stmt, error) {
	var sqlTx *sql.Tx
	switch t := tx.(type) {
	case nil, *DB:
		if t != nil && t != db {
			return nil, errForeignTx
		}
	case Tx:
		sqlTx = t.Tx
	case *Tx:
		sqlTx = t.Tx
	default:
		return nil, errForeignTx
	}
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if sqlTx == nil {
		return st, nil
	}
	return sqlTx.StmtContext(ctx, st), nil
}

// prepared returns the shared statement for query, preparing it on first
// use, or errStmtsFull once maxStmts others are prepared.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	c := &db.stmts
	c.mu.Lock()
	st, full := c.m[query], len(c.m) >= maxStmts
	c.mu.Unlock()
	switch {
	case st != nil:
		return st, nil
	case full:
		return nil, errStmtsFull
	}
	st, err := db.DB.DB.PrepareContext(ctx, Rebind(db.kind, query))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil { // prepared concurrently
		st.Close()
		return old, nil
	}
	if len(c.m) >= maxStmts {
		st.Close()
		return nil, errStmtsFull
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// errStmtsFull reports that the cache holds maxStmts statements already.
var errStmtsFull = errors.New("store: statement cache full")

// errForeignTx reports a handle Stmt cannot bind a statement to.
var errForeignTx = errors.New("store: not this database or one of its transactions")

// PrepareArgs returns args (a copy when one changes) as bun would have
// written them: times in UTC, truncated to the microsecond. SQLite keeps
// times as text, which must read the same whoever wrote it (a different
// zone or precision would compare and sort differently), and pgx would
// store a zoned time's wall clock in a TIMESTAMP column and round, where bun
// truncates.
func (db *DB) PrepareArgs(args []any) []any {
	out := args
	for i, a := range args {
		var v any
		switch t := a.(type) {
		case time.Time:
			v = Time(t)
		case *time.Time:
			if t != nil {
				v = Time(*t)
			}
		default:
			continue
		}
		if &out[0] == &args[0] { // copy before the first change: args is the caller's
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	return out
}

// handle finds the DB and transaction behind idb for the package-level
// helpers: idb itself when it is a *DB, or the DB of the WithTx call whose
// context ctx is, when idb is that transaction or a savepoint within it.
func handle(ctx context.Context, idb IDB) *DB {
	switch t := idb.(type) {
	case *DB:
		return t
	case Tx:
		return txDB(ctx, t.Tx)
	case *Tx:
		if t != nil {
			return txDB(ctx, t.Tx)
		}
	}
	return nil
}

func txDB(ctx context.Context, tx *sql.Tx) *DB {
	st, _ := ctx.Value(txStateKey{}).(*txState)
	if st == nil || st.db == nil || st.tx.Tx != tx {
		return nil
	}
	return st.db
}

// runner is what the package-level helpers run a query on: a bun handle,
// a *sql.DB or *sql.Tx, or a prepared statement (stmtRunner).
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// stmtRunner runs its statement, ignoring the query text.
type stmtRunner struct{ st *sql.Stmt }

func (s stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return s.st.ExecContext(ctx, args...)
}

func (s stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return s.st.QueryContext(ctx, args...)
}

func (s stmtRunner) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return s.st.QueryRowContext(ctx, args...)
}

// run returns where to run query on idb, the query text to pass and the
// arguments to bind: a prepared statement when idb is known (see handle),
// the driver with bound arguments when the statement cache is full, and
// bun otherwise, or when the query does not prepare (bun then reports the
// error as it always did).
func run(ctx context.Context, idb IDB, query string, args []any) (runner, string, []any) {
	db := handle(ctx, idb)
	if db == nil {
		return idb, query, args
	}
	st, err := db.Stmt(ctx, idb, query)
	switch {
	case err == nil:
		return stmtRunner{st}, query, db.PrepareArgs(args)
	case errors.Is(err, errStmtsFull):
		var r runner = db.DB.DB
		if t := sqlTxOf(idb); t != nil {
			r = t
		}
		return r, Rebind(db.kind, query), db.PrepareArgs(args)
	}
	return idb, query, args
}

func sqlTxOf(idb IDB) *sql.Tx {
	switch t := idb.(type) {
	case Tx:
		return t.Tx
	case *Tx:
		return t.Tx
	}
	return nil
}

// Exec runs query, written with ? placeholders, on idb with args bound by
// the driver through a statement prepared once (see DB.Stmt). idb is a
// *DB, or a transaction opened by DB.WithTx whose context ctx is (the
// statement cache is found through it); on anything else the query runs
// through bun's ExecContext as before, with the same result.
func Exec(ctx context.Context, idb IDB, query string, args ...any) (sql.Result, error) {
	r, q, a := run(ctx, idb, query, args)
	return r.ExecContext(ctx, q, a...)
}

// QueryRow is Exec for a statement returning at most one row.
func QueryRow(ctx context.Context, idb IDB, query string, args ...any) *sql.Row {
	r, q, a := run(ctx, idb, query, args)
	return r.QueryRowContext(ctx, q, a...)
}

// Query is Exec for a statement returning rows, which the caller closes.
func Query(ctx context.Context, idb IDB, query string, args ...any) (*sql.Rows, error) {
	r, q, a := run(ctx, idb, query, args)
	return r.QueryContext(ctx, q, a...)
}
