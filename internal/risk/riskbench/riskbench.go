// Package riskbench is the workload of the credit risk classification
// benchmark, shared by go test -bench and yingshang bench risk: a register
// of N businesses with M credit records, listings and facts written
// directly into the tables in bulk (multi-row inserts on SQLite, COPY on
// PostgreSQL), so that a million businesses and ten million records are
// seeded in minutes.
package riskbench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Options size the data.
type Options struct {
	Businesses int
	Records    int
	Now        time.Time
	Seed       uint64
	// Progress, when set, receives a line now and then.
	Progress io.Writer
	// Facts, when set, adds more facts of business i (0-based) through
	// add, recorded as of 30 days ago: what another benchmark's rules
	// read (the policy matching benchmark's).
	Facts func(i int, add func(name, typ, value string) error) error
	// Department is the department_id of the seeded credit records. 0
	// (none) leaves a class warning nobody to go to, so none is raised;
	// another routes every business's warning to that department.
	Department int64
}

// Regions are the county codes the businesses are spread over.
var Regions = []string{"990102", "990103", "990104", "990105", "990106", "990107", "990108", "990109", "990110", "990111"}

// USCC returns the code of business i (0-based) of n: businesses are
// numbered region by region, so codes rise with i.
func USCC(i, n int) string {
	per := (n + len(Regions) - 1) / len(Regions)
	body := fmt.Sprintf("91%sMA%07d", Regions[i/per], i)
	return body + string(ids.USCCCheck(body))
}

// record kinds in proportion: complaints and annual reports most, then
// penalties, inspections and licences.
var kinds = []string{"complaint", "complaint", "complaint", "annual_report", "annual_report", "penalty", "penalty",
	"inspection", "inspection", "license", "license", "honour", "commitment", "tax_arrears", "enforcement", "judicial"}

var industries = []string{"H6210", "F5211", "C1391", "E4710", "I6510", "L7212", "Q8411", "G5430", "K7010", "R8710", "B0610"}

var statuses = []string{"存续", "存续", "存续", "存续", "存续", "存续", "存续", "存续", "在业", "吊销"}

// Seed writes the data into an empty migrated database.
func Seed(ctx context.Context, db *store.DB, o Options) error {
	rnd := rand.New(rand.NewPCG(o.Seed, 7))
	today := calendar.DateOf(o.Now)
	start := time.Now()
	w, err := newWriter(ctx, db)
	if err != nil {
		return err
	}
	defer w.close()
	now := store.Time(o.Now)
	ent := w.table("entities", "uscc", "name", "type", "legal_rep", "legal_rep_id_enc", "legal_rep_id_index", "address",
		"region_code", "industry", "capital_yuan", "established_on", "status", "scope", "created_at", "updated_at", "version")
	recs := w.table("credit_records", "uscc", "kind", "department_id", "region_code", "decision_date", "created_at", "created_by")
	abn := w.table("credit_abnormal", "uscc", "reason", "listed_on", "department_id", "region_code", "created_at", "created_by")
	ser := w.table("credit_serious", "uscc", "cause", "listed_on", "department_id", "region_code", "created_at")
	facts := w.table("entity_facts", "uscc", "name", "type", "value", "as_of", "department_id", "recorded_at", "recorded_by")
	per := float64(o.Records) / float64(max(o.Businesses, 1))
	written := 0
	grades := []string{"A", "A", "B", "B", "B", "M", "C", "D"}
	for i := range o.Businesses {
		u := USCC(i, o.Businesses)
		region := u[2:8]
		rep := ""
		if i%50 == 1 {
			rep = fmt.Sprintf("rep%08d", i-1) // shares the legal representative of the business before
		} else if i%50 == 0 {
			rep = fmt.Sprintf("rep%08d", i)
		}
		est := today.AddDays(-30 - rnd.IntN(9000)).String()
		if err := ent.add(u, fmt.Sprintf("基准测试企业%d", i), "有限责任公司", "法人", "", rep, "云澜市", region,
			industries[rnd.IntN(len(industries))], int64(rnd.IntN(5000)+1)*10000, est, statuses[rnd.IntN(len(statuses))], "",
			now, now, 1); err != nil {
			return err
		}
		// Records: as many as the average asks for, spread 0..2×.
		n := int(per*2*rnd.Float64() + 0.5)
		if i == o.Businesses-1 {
			n = max(o.Records-written, 0)
		}
		n = min(n, max(o.Records-written, 0))
		for range n {
			if err := recs.add(u, kinds[rnd.IntN(len(kinds))], o.Department, region, today.AddDays(-rnd.IntN(5*365)).String(), now, 0); err != nil {
				return err
			}
		}
		written += n
		if rnd.IntN(100) < 3 {
			if err := abn.add(u, "annual_report", today.AddDays(-rnd.IntN(1000)).String(), 0, region, now, 0); err != nil {
				return err
			}
		}
		if rnd.IntN(200) == 0 {
			if err := ser.add(u, "penalty", today.AddDays(-rnd.IntN(700)).String(), 0, region, now); err != nil {
				return err
			}
		}
		if rnd.IntN(2) == 0 {
			if err := facts.add(u, "纳税信用等级", "text", grades[rnd.IntN(len(grades))], today.AddDays(-rnd.IntN(700)).String(), 0, now, 0); err != nil {
				return err
			}
		}
		if o.Facts != nil {
			asOf := today.AddDays(-30).String()
			if err := o.Facts(i, func(name, typ, value string) error {
				return facts.add(u, name, typ, value, asOf, 0, now, 0)
			}); err != nil {
				return err
			}
		}
		if o.Progress != nil && (i+1)%100000 == 0 {
			fmt.Fprintf(o.Progress, "  seeded %d/%d businesses, %d records, %.0fs\n", i+1, o.Businesses, written, time.Since(start).Seconds())
		}
	}
	if err := w.finish(ctx); err != nil {
		return err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "  seeded %d businesses and %d records in %.0fs; analysing…\n", o.Businesses, written, time.Since(start).Seconds())
	}
	if db.Kind() == store.Postgres {
		// Index-only scans need the visibility map a VACUUM sets.
		_, err = db.DB.DB.ExecContext(ctx, "VACUUM ANALYZE")
	} else {
		_, err = db.DB.DB.ExecContext(ctx, "ANALYZE")
	}
	if err != nil {
		return fmt.Errorf("riskbench: analyse: %w", err)
	}
	return nil
}

// writer bulk-loads tables: on SQLite multi-row INSERTs in large
// transactions on one connection; on PostgreSQL COPY.
type writer struct {
	ctx    context.Context
	db     *store.DB
	conn   *sql.Conn
	tx     *sql.Tx
	inTx   int
	tables []*table
}

type table struct {
	w    *writer
	name string
	cols []string
	rows [][]any
	stmt *sql.Stmt
}

const (
	batchRows = 400     // rows of one INSERT (SQLite)
	flushRows = 50000   // rows buffered before a COPY (PostgreSQL)
	txRows    = 200_000 // rows of one SQLite transaction
)

func newWriter(ctx context.Context, db *store.DB) (*writer, error) {
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("riskbench: %w", err)
	}
	w := &writer{ctx: ctx, db: db, conn: conn}
	if db.Kind() == store.SQLite {
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
			conn.Close()
			return nil, fmt.Errorf("riskbench: %w", err)
		}
	}
	return w, nil
}

func (w *writer) close() {
	if w.tx != nil {
		w.tx.Rollback()
	}
	if w.db.Kind() == store.SQLite {
		w.conn.ExecContext(context.WithoutCancel(w.ctx), "PRAGMA synchronous = NORMAL")
	}
	w.conn.Close()
}

func (w *writer) table(name string, cols ...string) *table {
	t := &table{w: w, name: name, cols: cols}
	w.tables = append(w.tables, t)
	return t
}

func (t *table) add(vals ...any) error {
	t.rows = append(t.rows, vals)
	limit := batchRows
	if t.w.db.Kind() == store.Postgres {
		limit = flushRows
	}
	if len(t.rows) < limit {
		return nil
	}
	return t.flush()
}

func (t *table) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	w := t.w
	if w.db.Kind() == store.Postgres {
		err := w.conn.Raw(func(dc any) error {
			c := dc.(*stdlib.Conn).Conn()
			_, err := c.CopyFrom(w.ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows))
			return err
		})
		if err != nil {
			return fmt.Errorf("riskbench: copy %s: %w", t.name, err)
		}
		t.rows = t.rows[:0]
		return nil
	}
	if w.tx == nil {
		tx, err := w.conn.BeginTx(w.ctx, nil)
		if err != nil {
			return fmt.Errorf("riskbench: begin: %w", err)
		}
		w.tx = tx
		for _, x := range w.tables {
			x.stmt = nil
		}
	}
	args := make([]any, 0, len(t.rows)*len(t.cols))
	for _, r := range t.rows {
		args = append(args, r...)
	}
	var err error
	if len(t.rows) == batchRows {
		if t.stmt == nil {
			if t.stmt, err = w.tx.PrepareContext(w.ctx, t.query(batchRows)); err != nil {
				return fmt.Errorf("riskbench: %s: %w", t.name, err)
			}
		}
		_, err = t.stmt.ExecContext(w.ctx, args...)
	} else {
		_, err = w.tx.ExecContext(w.ctx, t.query(len(t.rows)), args...)
	}
	if err != nil {
		return fmt.Errorf("riskbench: %s: %w", t.name, err)
	}
	w.inTx += len(t.rows)
	t.rows = t.rows[:0]
	if w.inTx >= txRows {
		return w.commit()
	}
	return nil
}

func (t *table) query(n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	for i := range n {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

func (w *writer) commit() error {
	w.inTx = 0
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx = nil
	if err != nil {
		return fmt.Errorf("riskbench: commit: %w", err)
	}
	return nil
}

func (w *writer) finish(ctx context.Context) error {
	for _, t := range w.tables {
		if err := t.flush(); err != nil {
			return err
		}
	}
	if err := w.commit(); err != nil {
		return err
	}
	if w.db.Kind() == store.Postgres {
		for _, t := range []string{"credit_records", "credit_abnormal", "credit_serious", "entity_facts"} {
			if _, err := w.conn.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), COALESCE((SELECT MAX(id) FROM %s), 0) + 1, false)", t, t)); err != nil {
				return fmt.Errorf("riskbench: sequence of %s: %w", t, err)
			}
		}
	}
	return nil
}
