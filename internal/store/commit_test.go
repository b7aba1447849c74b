package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

type counterKey struct{}

// Deferred work runs once, inside the transaction, just before COMMIT; a
// rollback skips it; its error rolls the transaction back; without WithTx's
// context there is nothing to defer to.
func TestDeferred(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE deferred_rows (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		count := func() (n int) {
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM deferred_rows").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		flushes := 0
		flush := func(ctx context.Context, tx store.Tx, v *[]int) error {
			flushes++
			for _, n := range *v {
				if n < 0 {
					return errors.New("negative")
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO deferred_rows (n) VALUES (?)", n); err != nil {
					return err
				}
			}
			return nil
		}
		add := func(ctx context.Context, tx store.Tx, ns ...int) error {
			for _, n := range ns {
				v, ok := store.Deferred(ctx, tx, counterKey{}, flush)
				if !ok {
					return errors.New("cannot defer inside WithTx")
				}
				*v = append(*v, n)
			}
			return nil
		}
		// Committed: one flush writes all three, after fn returned.
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := add(ctx, tx, 1, 2, 3); err != nil {
				return err
			}
			if flushes != 0 {
				t.Error("flushed before fn returned")
			}
			return nil
		})
		if err != nil || flushes != 1 || count() != 3 {
			t.Fatalf("commit: err %v, %d flushes, %d rows; want nil, 1, 3", err, flushes, count())
		}
		// Rolled back: no flush.
		boom := errors.New("boom")
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := add(ctx, tx, 4); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || flushes != 1 || count() != 3 {
			t.Fatalf("rollback: err %v, %d flushes, %d rows", err, flushes, count())
		}
		// A failing flush rolls back what fn wrote too.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO deferred_rows (n) VALUES (9)"); err != nil {
				return err
			}
			return add(ctx, tx, 5, -1)
		})
		if err == nil || count() != 3 {
			t.Fatalf("failing flush: err %v, %d rows; want an error and 3 rows", err, count())
		}
		// Outside WithTx's context, or in a savepoint, the caller must act
		// at once.
		err = db.WithTx(ctx, func(txctx context.Context, tx store.Tx) error {
			if _, ok := store.Deferred(ctx, tx, counterKey{}, flush); ok {
				t.Error("deferred with a context not from WithTx")
			}
			if _, ok := store.Deferred(txctx, db, counterKey{}, flush); ok {
				t.Error("deferred on the database instead of the transaction")
			}
			return tx.RunInTx(txctx, nil, func(ctx context.Context, sp store.Tx) error {
				if _, ok := store.Deferred(ctx, sp, counterKey{}, flush); ok {
					t.Error("deferred inside a savepoint")
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
