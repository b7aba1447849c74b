package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct {
		kind     store.Kind
		in, want string
	}{
		{store.SQLite, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{store.Postgres, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{store.Postgres, `UPDATE t SET note = 'why?', "odd?" = ? WHERE id = ?`, `UPDATE t SET note = 'why?', "odd?" = $1 WHERE id = $2`},
		{store.Postgres, "SELECT 'it''s ?' WHERE x = ?", "SELECT 'it''s ?' WHERE x = $1"},
		{store.Postgres, "SELECT 1", "SELECT 1"},
	} {
		if got := store.Rebind(c.kind, c.in); got != c.want {
			t.Errorf("Rebind(%s, %q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

// Statements run through Exec and QueryRow are prepared once and store
// what bun would have stored: a time written by the driver is found by a
// query bun formats, and the other way round.
func TestPreparedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE ps (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL,
			due TIMESTAMP, name TEXT NOT NULL, done BOOLEAN NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		cst := time.FixedZone("CST", 8*3600)
		at := time.Date(2026, 9, 30, 8, 1, 2, 123456789, cst) // not UTC, finer than a microsecond
		const insert = "INSERT INTO ps (id, at, due, name, done) VALUES (?, ?, ?, ?, ?)"
		before := store.Prepared(db)
		for i := range 3 {
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := store.Exec(ctx, tx, insert, i+1, at, store.Nullable(time.Time{}), fmt.Sprintf("n%d", i), i%2 == 0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := store.Prepared(db) - before; n != 1 {
			t.Errorf("three inserts prepared %d statements, want 1", n)
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM ps WHERE at = ? AND due IS NULL", store.Time(at)).Scan(ctx, &n); err != nil || n != 3 {
			t.Errorf("rows found by bun at the written time: %d, %v; want 3", n, err)
		}
		var name string
		var got time.Time
		var done bool
		if err := store.QueryRow(ctx, db, "SELECT name, at, done FROM ps WHERE at = ? AND id = ?", at, 2).
			Scan(&name, &got, &done); err != nil || name != "n1" || !got.Equal(store.Time(at)) || done {
			t.Errorf("QueryRow on the pool = %q %v %v, %v", name, got, done, err)
		}
		rows, err := store.Query(ctx, db, "SELECT id FROM ps WHERE at >= ? ORDER BY id", at.Add(-time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int
		for rows.Next() {
			var id int
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		if fmt.Sprint(ids) != "[1 2 3]" {
			t.Errorf("Query = %v, want [1 2 3]", ids)
		}

		// A rollback discards a prepared statement's work.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := store.Exec(ctx, tx, insert, 9, at, nil, "gone", true); err != nil {
				return err
			}
			// A savepoint shares the transaction and its statements.
			return tx.RunInTx(ctx, nil, func(ctx context.Context, sp store.Tx) error {
				if _, err := store.Exec(ctx, sp, insert, 10, at, nil, "gone too", true); err != nil {
					return err
				}
				return errors.New("roll back")
			})
		})
		if err == nil {
			t.Fatal("transaction committed")
		}
		// Outside WithTx's context the query runs through bun, with the same result.
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Exec(ctx, tx, insert, 4, at, at, "bun", false); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := db.NewRaw("SELECT COUNT(*) FROM ps WHERE at = ?", store.Time(at)).Scan(ctx, &n); err != nil || n != 4 {
			t.Errorf("after rollback and a bun transaction: %d rows, %v; want 4", n, err)
		}
		// A statement that does not prepare reports its error.
		if _, err := store.Exec(ctx, db, "INSERT INTO no_such_table (x) VALUES (?)", 1); err == nil {
			t.Error("insert into a missing table succeeded")
		}
	})
}

// Past maxStmts distinct texts, queries still run, unprepared, and the
// cache stops growing.
func TestPreparedBound(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	for i := range store.MaxStmts + 5 {
		var n int
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return store.QueryRow(ctx, tx, fmt.Sprintf("SELECT ? + %d", i), 1).Scan(&n)
		})
		if err != nil || n != i+1 {
			t.Fatalf("query %d = %d, %v", i, n, err)
		}
	}
	if n := store.Prepared(db); n > store.MaxStmts {
		t.Errorf("%d statements prepared, bound %d", n, store.MaxStmts)
	}
}

// WithTx checkpoints the SQLite WAL itself every CheckpointEvery commits,
// long before SQLite's own threshold, so the WAL starts over (its
// checkpoint sequence number, bytes 12–15 of its header, goes up).
func TestCheckpoint(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "ck.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE ck (n INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	insert := func() {
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := store.Exec(ctx, tx, "INSERT INTO ck (n) VALUES (?)", 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	seq := func() uint32 {
		b, err := os.ReadFile(filepath.Join(dir, "ck.db-wal"))
		if err != nil || len(b) < 32 {
			t.Fatalf("WAL header: %d bytes, %v", len(b), err)
		}
		return binary.BigEndian.Uint32(b[12:16])
	}
	insert()
	first := seq()
	for range store.CheckpointEvery + 1 {
		insert()
	}
	if seq() == first {
		t.Errorf("WAL not restarted after %d commits", store.CheckpointEvery+1)
	}
}
