package benchdata

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/yingshang/yingshang/internal/store"
)

// bulkTables are the tables the seeder fills, parents (orders,
// applications, certificates, instances) before the rows that refer to
// them.
var bulkTables = []string{"hotline_orders", "casework_applications", "certificates", "flow_instances", "flow_history",
	"flow_timers", "flow_instance_waits", "hotline_order_assists"}

// Sizes of the writes. On SQLite a multi-row INSERT holds up to
// sqliteVars parameters (SQLite's limit is 32,766) and maxBatch rows, and
// a transaction txRows rows; on PostgreSQL one COPY carries copyRows rows.
const (
	sqliteVars = 30000
	maxBatch   = 500
	txRows     = 200000
	copyRows   = 20000
)

// writer writes the seeder's rows on one connection of its own: on SQLite
// multi-row INSERTs prepared once per transaction and statement size, in
// large transactions; on PostgreSQL COPY (pgx CopyFrom), which skips the
// parsing and planning of an INSERT per batch.
type writer struct {
	kind    store.Kind
	conn    *sql.Conn
	tx      *sql.Tx // SQLite's open transaction
	inTx    int
	tables  map[string]*bulk
	order   []*bulk     // tables in the order of bulkTables, then first use
	restore []deferment // what deferChecks took away, put back by restoreChecks
}

// bulk is the queued rows of one table.
type bulk struct {
	table string
	cols  []string
	rows  [][]any
	limit int       // rows queued before a write
	stmt  *sql.Stmt // SQLite: the INSERT of limit rows, in the open transaction
}

// deferment is an index or constraint dropped for the load, and the
// statement that creates it again.
type deferment struct {
	name, create string
}

func newWriter(ctx context.Context, db *store.DB) (*writer, error) {
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("seed: connection: %w", err)
	}
	w := &writer{kind: db.Kind(), conn: conn, tables: map[string]*bulk{}}
	// Session settings for a load that is rerun, not recovered, if the
	// machine fails: on SQLite no fsync and no foreign-key look-ups (the
	// seeder writes parents first), and a page cache that holds the
	// tables' growing ends and the wait rows' B-tree; on PostgreSQL no wait
	// for the WAL flush at commit and memory to build the indexes
	// afterwards. close puts the store's settings back.
	settings := []string{"PRAGMA synchronous = OFF", "PRAGMA foreign_keys = OFF", "PRAGMA cache_size = -262144"}
	if w.kind == store.Postgres {
		settings = []string{"SET synchronous_commit = off", "SET maintenance_work_mem = '256MB'"}
	}
	for _, q := range settings {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("seed: %s: %w", q, err)
		}
	}
	return w, nil
}

// close gives the connection back to the pool with the settings every
// connection of the store has (store.Open).
func (w *writer) close() {
	if w.tx != nil {
		_ = w.tx.Rollback()
	}
	reset := []string{"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -16384"}
	if w.kind == store.Postgres {
		reset = []string{"RESET synchronous_commit", "RESET maintenance_work_mem"}
	}
	for _, q := range reset {
		if _, err := w.conn.ExecContext(context.Background(), q); err != nil {
			// A connection in an unknown state is not given back.
			_ = w.conn.Raw(func(any) error { return driver.ErrBadConn })
			break
		}
	}
	w.conn.Close()
}

// deferChecks drops the secondary indexes of the bulk tables (and on
// PostgreSQL their foreign keys) for the load, to be created again by
// restoreChecks once the rows are in: one sort per index instead of a
// random B-tree insertion per row and index, and one validating join per
// foreign key instead of a look-up per row. Primary keys and the indexes
// behind constraints stay. Unique indexes are checked when they are
// created again, so nothing the schema refuses can be seeded; a seed that
// fails midway leaves the database without them (seed an empty one again).
func (w *writer) deferChecks(ctx context.Context, out io.Writer) error {
	var q string
	in := "'" + strings.Join(bulkTables, "', '") + "'"
	switch w.kind {
	case store.Postgres:
		q = `SELECT 'c:' || c.conrelid::regclass::text || ':' || quote_ident(c.conname),
			'ALTER TABLE ' || c.conrelid::regclass::text || ' ADD CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname IN (` + in + `)
		UNION ALL
		SELECT 'i:' || quote_ident(i.indexname), i.indexdef
		FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename IN (` + in + `)
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
			WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`
	default:
		q = `SELECT 'i:"' || name || '"', sql FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (` + in + `)`
	}
	rows, err := w.conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("seed: indexes: %w", err)
	}
	var ds []deferment
	for rows.Next() {
		var d deferment
		if err := rows.Scan(&d.name, &d.create); err != nil {
			rows.Close()
			return fmt.Errorf("seed: indexes: %w", err)
		}
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seed: indexes: %w", err)
	}
	// Foreign keys first: on PostgreSQL an index may not be dropped while a
	// constraint needs it (those indexes are kept above anyway).
	for _, d := range ds {
		var drop string
		switch kind, rest, _ := strings.Cut(d.name, ":"); kind {
		case "c":
			table, name, _ := strings.Cut(rest, ":")
			drop = "ALTER TABLE " + table + " DROP CONSTRAINT " + name
		default:
			drop = "DROP INDEX " + rest
		}
		if _, err := w.conn.ExecContext(ctx, drop); err != nil {
			return fmt.Errorf("seed: %s: %w", drop, err)
		}
		w.restore = append(w.restore, d)
	}
	fmt.Fprintf(out, "%d indexes and constraints of the bulk tables are created after the load\n", len(ds))
	return nil
}

// restoreChecks creates again what deferChecks dropped, indexes before the
// foreign keys that their validation may use.
func (w *writer) restoreChecks(ctx context.Context, out io.Writer) error {
	var idx, fks []deferment
	for _, d := range w.restore {
		if strings.HasPrefix(d.name, "c:") {
			fks = append(fks, d)
		} else {
			idx = append(idx, d)
		}
	}
	start := time.Now()
	for i, d := range append(idx, fks...) {
		fmt.Fprintf(out, "\rindexing %d/%d, %.0fs%30s", i+1, len(w.restore), time.Since(start).Seconds(), "")
		if _, err := w.conn.ExecContext(ctx, d.create); err != nil {
			return fmt.Errorf("seed: %s: %w", d.create, err)
		}
	}
	w.restore = nil
	if len(idx)+len(fks) > 0 {
		fmt.Fprintf(out, "\rindexed in %s%40s\n", time.Since(start).Round(time.Second), "")
	}
	return nil
}

// add queues row for table, writing the table's rows when enough are
// queued.
func (s *seeder) add(ctx context.Context, table string, cols []string, row []any) error {
	w := s.out
	b := w.tables[table]
	if b == nil {
		b = &bulk{table: table, cols: cols, limit: copyRows}
		if w.kind == store.SQLite {
			b.limit = max(1, min(maxBatch, sqliteVars/len(cols)))
		}
		w.tables[table] = b
		w.order = nil
	}
	b.rows = append(b.rows, row)
	if len(b.rows) < b.limit {
		return nil
	}
	return w.flush(ctx, b)
}

// flush writes b's rows, after the queued rows of the tables before it in
// bulkTables (parents first, so that every row finds what it refers to).
func (w *writer) flush(ctx context.Context, b *bulk) error {
	for _, p := range w.tablesInOrder() {
		if p == b {
			break
		}
		if len(p.rows) > 0 {
			if err := w.write(ctx, p); err != nil {
				return err
			}
		}
	}
	if err := w.write(ctx, b); err != nil {
		return err
	}
	if w.kind == store.SQLite && w.inTx >= txRows {
		return w.commit(ctx)
	}
	return nil
}

func (w *writer) tablesInOrder() []*bulk {
	if w.order == nil {
		for _, t := range bulkTables {
			if b := w.tables[t]; b != nil {
				w.order = append(w.order, b)
			}
		}
	}
	return w.order
}

// write sends b's queued rows to the database.
func (w *writer) write(ctx context.Context, b *bulk) error {
	n := len(b.rows)
	if w.kind == store.Postgres {
		err := w.conn.Raw(func(dc any) error {
			_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{b.table}, b.cols, pgx.CopyFromRows(b.rows))
			return err
		})
		if err != nil {
			return fmt.Errorf("seed: copy %s: %w", b.table, err)
		}
		b.rows = b.rows[:0]
		return nil
	}
	if w.tx == nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("seed: begin: %w", err)
		}
		w.tx = tx
	}
	args := make([]any, 0, n*len(b.cols))
	for _, r := range b.rows {
		args = append(args, r...)
	}
	var err error
	if n == b.limit {
		if b.stmt == nil {
			if b.stmt, err = w.tx.PrepareContext(ctx, insertQuery(b.table, b.cols, n)); err != nil {
				return fmt.Errorf("seed: %s: %w", b.table, err)
			}
		}
		_, err = b.stmt.ExecContext(ctx, args...)
	} else {
		_, err = w.tx.ExecContext(ctx, insertQuery(b.table, b.cols, n), args...)
	}
	if err != nil {
		return fmt.Errorf("seed: %s: %w", b.table, err)
	}
	w.inTx += n
	b.rows = b.rows[:0]
	return nil
}

// commit writes every table's queued rows, parents first, and ends
// SQLite's transaction.
func (w *writer) commit(ctx context.Context) error {
	for _, b := range w.tablesInOrder() {
		if len(b.rows) > 0 {
			if err := w.write(ctx, b); err != nil {
				return err
			}
		}
	}
	if w.tx == nil {
		return nil
	}
	for _, b := range w.tables {
		if b.stmt != nil {
			b.stmt.Close()
			b.stmt = nil
		}
	}
	err := w.tx.Commit()
	w.tx, w.inTx = nil, 0
	if err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	return nil
}

// insertQuery is the INSERT of n rows of cols into table, with SQLite's
// placeholders.
func insertQuery(table string, cols []string, n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// finish writes the rest, creates the deferred indexes and constraints,
// moves PostgreSQL's id sequences past the ids written and refreshes the
// planner's statistics.
func (s *seeder) finish(ctx context.Context) error {
	w := s.out
	if err := w.commit(ctx); err != nil {
		return err
	}
	if err := w.restoreChecks(ctx, s.w); err != nil {
		return err
	}
	fmt.Fprintf(s.w, "\ranalyzing…%40s", "")
	if w.kind == store.Postgres {
		for t := range s.nextID {
			if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", t, t)); err != nil {
				return fmt.Errorf("seed: sequence of %s: %w", t, err)
			}
		}
	}
	// On PostgreSQL, VACUUM as well: a bulk load leaves the visibility map
	// empty, so no index-only scan is possible until autovacuum's insert
	// threshold catches up, and the bounded counts (up to 1,001 index
	// entries) would read hundreds of heap pages instead: the approver's
	// application count took 100–600 ms on a freshly seeded 1,000,000 and
	// 1–7 ms after VACUUM. A database that has run for a while is vacuumed.
	stmt := "ANALYZE"
	if w.kind == store.Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	if _, err := w.conn.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("seed: %s: %w", stmt, err)
	}
	fmt.Fprintf(s.w, "\rseeded %d orders and %d applications in %s\n", s.o.Orders, s.o.Applications, time.Since(s.start).Round(time.Second))
	return nil
}
