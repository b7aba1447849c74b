package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit on SQLite. SQLite has one writer; every WithTx used to be one
// transaction with its own COMMIT, whose WAL append (and, every so often,
// checkpoint) the queued writers all waited for. Now the caller that gets
// the writer's turn runs, in one transaction, its own function and those of
// the callers queued behind it, each inside its own SAVEPOINT, and commits
// once. A function that fails is rolled back to its savepoint and its caller
// gets its error at once; the others are told of success only after the
// COMMIT succeeded, so an acknowledged write is a committed one, and a failed
// COMMIT fails every caller of the group. The B-tree pages that consecutive
// writes share (the tables' last leaves, the indexes' hot pages, the audit
// head) are written once per group instead of once per caller.
//
// A function is run by whichever goroutine leads its group, with its
// caller's context values but not its cancellation: once a function has
// started, it runs to the end (an interrupted write would abort the whole
// SQLite transaction, and with it the other callers' work). A caller whose
// context ends, or whose wait exceeds writerWait, before its function was
// taken gets the error and its function never runs.

// groupMax bounds the functions one transaction runs, so that one COMMIT
// does not grow without bound and the first caller's wait stays short.
const groupMax = 64

// groupJob is one WithTx call waiting to run in a group.
type groupJob struct {
	ctx   context.Context
	fn    func(ctx context.Context, tx Tx) error
	state atomic.Int32 // jobWaiting, jobTaken or jobAbandoned
	done  chan error   // buffered: the leader never blocks on it
}

const (
	jobWaiting int32 = iota
	jobTaken
	jobAbandoned
)

// groupQueue holds the jobs waiting for a leader, oldest first.
type groupQueue struct {
	mu   sync.Mutex
	jobs []*groupJob
}

func (q *groupQueue) push(j *groupJob) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
}

// take removes up to n jobs still waiting (dropping abandoned ones) and
// marks them taken.
func (q *groupQueue) take(n int) []*groupJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*groupJob
	i := 0
	for ; i < len(q.jobs) && len(out) < n; i++ {
		if j := q.jobs[i]; j.state.CompareAndSwap(jobWaiting, jobTaken) {
			out = append(out, j)
		}
	}
	q.jobs = append(q.jobs[:0], q.jobs[i:]...)
	return out
}

// withGroupTx is WithTx on SQLite.
func (db *DB) withGroupTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err // ended before it was queued: it never runs
	}
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.group.push(j)
	t := time.NewTimer(writerWait)
	defer t.Stop()
	for {
		select {
		case err := <-j.done:
			return err
		case db.writer <- struct{}{}:
			n := db.lead()
			<-db.writer
			if n > 0 {
				db.checkpoint(ctx, n)
			}
		case <-ctx.Done():
			if j.state.CompareAndSwap(jobWaiting, jobAbandoned) {
				return ctx.Err()
			}
			return <-j.done // a leader runs it: wait for the outcome
		case <-t.C:
			if j.state.CompareAndSwap(jobWaiting, jobAbandoned) {
				return ErrBusy
			}
			return <-j.done
		}
	}
}

// lead runs the queued jobs in one transaction while holding the writer's
// turn, and returns how many committed.
func (db *DB) lead() int {
	jobs := db.group.take(groupMax)
	if len(jobs) == 0 {
		return 0
	}
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range jobs {
			j.done <- err
		}
		return 0
	}
	var ok []*groupJob
	fail := func(err error, rest []*groupJob) int {
		_ = tx.Rollback()
		for _, j := range ok {
			j.done <- err
		}
		for _, j := range rest {
			j.done <- err
		}
		return 0
	}
	for i, j := range jobs {
		ctx := context.WithoutCancel(j.ctx)
		if _, err := tx.Tx.ExecContext(ctx, "SAVEPOINT ys_group"); err != nil {
			return fail(fmt.Errorf("store: group savepoint: %w", err), jobs[i:])
		}
		if err := db.runJob(ctx, tx, j); err != nil {
			_, rerr := tx.Tx.ExecContext(ctx, "ROLLBACK TO ys_group")
			if rerr == nil {
				_, rerr = tx.Tx.ExecContext(ctx, "RELEASE ys_group")
			}
			if rerr != nil {
				// The whole transaction is gone (SQLite rolls back
				// on some errors): nobody's work stands.
				j.done <- err
				return fail(fmt.Errorf("store: group rollback after %v: %w", err, rerr), jobs[i+1:])
			}
			j.done <- err
			continue
		}
		if _, err := tx.Tx.ExecContext(ctx, "RELEASE ys_group"); err != nil {
			return fail(fmt.Errorf("store: group release: %w", err), jobs[i:])
		}
		ok = append(ok, j)
	}
	if len(ok) == 0 {
		_ = tx.Rollback()
		return 0
	}
	err = tx.Commit()
	for _, j := range ok {
		j.done <- err
	}
	if err != nil {
		return 0
	}
	return len(ok)
}

// runJob runs j's function and its deferred work in tx, turning a panic
// into an error for j's caller so that the others in the group are not
// lost with it.
func (db *DB) runJob(ctx context.Context, tx Tx, j *groupJob) (err error) {
	st := &txState{tx: tx, db: db}
	defer st.close()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("store: panic in transaction: %v", v)
		}
	}()
	ctx = context.WithValue(ctx, txStateKey{}, st)
	if err := j.fn(ctx, tx); err != nil {
		return err
	}
	if err := st.runHooks(ctx); err != nil {
		return err
	}
	return nil
}
