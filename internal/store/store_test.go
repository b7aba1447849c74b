package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The SQLite and PostgreSQL migration sets must carry the same versions and
// names, or the two engines drift apart.
func TestMigrationsInStep(t *testing.T) {
	lite, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := store.Migrations(store.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i,
				lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
		if lite[i].Version != i+1 {
			t.Errorf("migration %s: version %d, want %d (no gaps)", lite[i].Name, lite[i].Version, i+1)
		}
	}
}

type row struct {
	bun.BaseModel `bun:"table:rt"`
	ID            int64     `bun:"id,pk,autoincrement"`
	At            time.Time `bun:"at"`
	Name          string    `bun:"name"`
}

func TestStoreRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Migrating twice applies nothing the second time.
		n, err := db.Migrate(ctx)
		if err != nil || n != 0 {
			t.Fatalf("second migrate: applied %d, err %v", n, err)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE rt (id INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL, name TEXT NOT NULL UNIQUE)"); err != nil {
			t.Fatal(err)
		}
		at := store.Time(time.Date(2026, 9, 30, 8, 1, 2, 123456789, time.FixedZone("CST", 8*3600)))
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.NewInsert().Model(&row{ID: 1, At: at, Name: "a"}).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got row
		if err := db.NewSelect().Model(&got).Where("id = 1").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if !got.At.Equal(at) {
			t.Errorf("time round trip: got %v want %v", got.At, at)
		}
		// A rolled-back transaction leaves nothing behind.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.NewInsert().Model(&row{ID: 2, At: at, Name: "b"}).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewInsert().Model(&row{ID: 3, At: at, Name: "a"}).Exec(ctx)
			if !store.IsUniqueViolation(err) {
				t.Errorf("duplicate name: want unique violation, got %v", err)
			}
			return err
		})
		if err == nil {
			t.Fatal("transaction with a failed insert committed")
		}
		cnt, err := db.NewSelect().Model((*row)(nil)).Count(ctx)
		if err != nil || cnt != 1 {
			t.Errorf("after rollback: %d rows, err %v; want 1", cnt, err)
		}
		// Times compare correctly in SQL on both engines.
		cnt, err = db.NewSelect().Model((*row)(nil)).Where("at < ?", at.Add(time.Microsecond)).Where("at > ?", at.Add(-time.Second)).Count(ctx)
		if err != nil || cnt != 1 {
			t.Errorf("time comparison: %d rows, err %v; want 1", cnt, err)
		}
	})
}

// Concurrent writers on SQLite queue for their turn instead of failing
// with SQLITE_BUSY, even when each needs a second connection for a read
// while it holds the write lock.
func TestConcurrentWritersWithReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE cw (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		const writers, each = 16, 10
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				for i := range each {
					err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
						var n int
						// A read on another connection while this transaction writes.
						if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cw").Scan(&n); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx, "INSERT INTO cw (id, n) VALUES (?, ?)", w*1000+i+1, n)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cw").Scan(&n); err != nil || n != writers*each {
			t.Errorf("%d rows, err %v; want %d", n, err, writers*each)
		}
	})
}
