package store

import (
	"context"
	"fmt"
	"sync"
)

// Work that belongs to a transaction but is cheaper done once, at its end,
// registers here: WithTx runs it inside the transaction after the caller's
// function returned nil and just before COMMIT. The audit log uses it to
// write all of a transaction's entries with one advance of the chain's head,
// so that the head's row lock is held only for the last statements of the
// transaction instead of from the first entry to the commit.

// txState is what WithTx keeps about its transaction in the context it
// passes on.
type txState struct {
	tx Tx
	db *DB // whose statement cache the transaction's queries use

	mu      sync.Mutex
	closing bool // the hooks are running or the transaction has ended
	keys    map[any]any
	hooks   []func(ctx context.Context, tx Tx) error
}

type txStateKey struct{}

// Deferred returns the value kept under key for the transaction tx, creating
// it on first use and registering flush to run on it inside tx just before
// COMMIT. Later calls with the same key and transaction return the same
// value; flush runs once. Keys are compared like map keys: use an unexported
// type.
//
// ok is false, and nothing is registered, when the caller must do the work
// at once instead: when ctx does not come from the WithTx call that opened
// tx, when tx is a savepoint (bun's Tx.RunInTx) whose rollback would not
// discard deferred work, or when the hooks of tx are already running.
//
// A flush error rolls the transaction back and is returned by WithTx. Flush
// functions run in the order their keys were first used.
func Deferred[T any](ctx context.Context, tx IDB, key any, flush func(ctx context.Context, tx Tx, v *T) error) (v *T, ok bool) {
	st, _ := ctx.Value(txStateKey{}).(*txState)
	if st == nil || !st.owns(tx) {
		return nil, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closing {
		return nil, false
	}
	if old, found := st.keys[key]; found {
		return old.(*T), true
	}
	v = new(T)
	if st.keys == nil {
		st.keys = map[any]any{}
	}
	st.keys[key] = v
	st.hooks = append(st.hooks, func(ctx context.Context, tx Tx) error { return flush(ctx, tx, v) })
	return v, true
}

// owns reports whether tx is the very transaction WithTx opened, not a
// savepoint within it or another transaction.
func (st *txState) owns(tx IDB) bool {
	var t Tx
	switch x := tx.(type) {
	case Tx:
		t = x
	case *Tx:
		if x == nil {
			return false
		}
		t = *x
	default:
		return false
	}
	return sameTx(t, st.tx)
}

// sameTx compares two bun transactions field by field (the *sql.Tx, the
// savepoint name and the context they carry). Comparing the contexts could
// panic for a context type that is not comparable; such a pair is treated
// as different, which only means the work is done at once.
func sameTx(a, b Tx) (same bool) {
	if a.Tx != b.Tx {
		return false
	}
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// runHooks runs the registered flush functions in tx. Hooks may not
// register further deferred work: Deferred answers ok=false from here on.
func (st *txState) runHooks(ctx context.Context) error {
	st.mu.Lock()
	st.closing = true
	hooks := st.hooks
	st.mu.Unlock()
	for _, h := range hooks {
		if err := h(ctx, st.tx); err != nil {
			return fmt.Errorf("store: before commit: %w", err)
		}
	}
	return nil
}

// close marks the transaction ended, for a function that kept its context
// and calls Deferred after WithTx returned.
func (st *txState) close() {
	st.mu.Lock()
	st.closing = true
	st.mu.Unlock()
}
