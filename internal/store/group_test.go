package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Many concurrent write transactions on SQLite, every third failing: the
// failures leave nothing behind, every success is in the database when its
// WithTx returns, though they are committed in groups.
func TestGroupCommit(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE g (n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	const writers = 90
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Go(func() {
			errs[i] = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO g (n) VALUES (?)", i); err != nil {
					return err
				}
				time.Sleep(time.Millisecond) // let others queue
				if i%3 == 0 {
					return refused
				}
				var seen int
				if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM g WHERE n = ?", i).Scan(&seen); err != nil || seen != 1 {
					return errors.New("own write not visible in the transaction")
				}
				return nil
			})
			if errs[i] == nil {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM g WHERE n = ?", i).Scan(&n); err != nil || n != 1 {
					errs[i] = errors.New("acknowledged write not committed")
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i%3 == 0 && !errors.Is(err, refused):
			t.Errorf("writer %d: %v, want its own error", i, err)
		case i%3 != 0 && err != nil:
			t.Errorf("writer %d: %v", i, err)
		}
	}
	var rows, bad int
	db.QueryRowContext(ctx, "SELECT count(*), coalesce(sum(n % 3 = 0), 0) FROM g").Scan(&rows, &bad)
	if rows != writers-writers/3 || bad != 0 {
		t.Errorf("%d rows, %d of refused writers; want %d and 0", rows, bad, writers-writers/3)
	}
}

// A caller whose context ends while it waits never runs; a panic in one
// function fails only its caller.
func TestGroupCommitCancelAndPanic(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE g (n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			close(started)
			<-hold
			_, err := tx.ExecContext(ctx, "INSERT INTO g (n) VALUES (1)")
			return err
		})
	})
	<-started
	cctx, cancel := context.WithCancel(ctx)
	ran := false
	errc := make(chan error, 1)
	go func() {
		errc <- db.WithTx(cctx, func(ctx context.Context, tx store.Tx) error { ran = true; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled waiter: %v, ran %v", err, ran)
	}
	close(hold)
	wg.Wait()
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error { panic("boom") })
	if err == nil {
		t.Error("a panicking function succeeded")
	}
	if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO g (n) VALUES (2)")
		return err
	}); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
	var n int
	db.QueryRowContext(ctx, "SELECT count(*) FROM g").Scan(&n)
	if n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
}
