package outbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
)

// Handler reacts to one event. Returning an error makes the dispatcher try
// the event again later; handlers must tolerate seeing an event twice.
type Handler func(ctx context.Context, e Event) error

// Dispatcher delivers pending events to subscribed handlers. Many
// dispatchers, on many nodes, may share one database: each claims a batch
// under a lease (taken with FOR UPDATE SKIP LOCKED on PostgreSQL), so two
// never hold the same event at once.
//
// A failed event is retried after a backoff that doubles with each attempt
// from MinBackoff up to MaxBackoff; other events are delivered meanwhile. An
// event whose topic no handler subscribes to is marked delivered and dropped.
type Dispatcher struct {
	Now func() time.Time
	// Lease is how long a claimed batch belongs to this dispatcher. If the
	// dispatcher dies, its events become due again when the lease ends.
	Lease time.Duration
	// HandlerTimeout bounds one handler call. A batch stops early, releasing
	// the rest, when less than this remains of its lease.
	HandlerTimeout time.Duration
	MinBackoff     time.Duration
	MaxBackoff     time.Duration

	db  *store.DB
	log *slog.Logger

	mu   sync.RWMutex
	subs []subscription
}

type subscription struct {
	pattern string
	h       Handler
}

// NewDispatcher returns a dispatcher delivering events from db, logging to
// log (discarded when nil) and reading the time from now (time.Now when nil).
func NewDispatcher(db *store.DB, log *slog.Logger, now func() time.Time) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Dispatcher{
		Now:            now,
		Lease:          5 * time.Minute,
		HandlerTimeout: 30 * time.Second,
		MinBackoff:     5 * time.Second,
		MaxBackoff:     time.Hour,
		db:             db,
		log:            log,
	}
}

// Subscribe registers h for topic. A topic ending in ".*" subscribes to every
// topic under that prefix ("flow.*" receives "flow.transitioned"); "*" alone
// receives everything. Subscribing with an empty or malformed topic is a
// programming error and panics.
func (d *Dispatcher) Subscribe(topic string, h func(ctx context.Context, e Event) error) {
	base, wild := strings.CutSuffix(topic, ".*")
	if topic != "*" {
		if err := validTopic(base); err != nil {
			panic(fmt.Sprintf("outbox: subscribe %q: %v", topic, err))
		}
	}
	if h == nil {
		panic(fmt.Sprintf("outbox: subscribe %q: nil handler", topic))
	}
	if wild {
		topic = base + "."
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.subs = append(d.subs, subscription{pattern: topic, h: h})
}

func (d *Dispatcher) handlers(topic string) []Handler {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var hs []Handler
	for _, s := range d.subs {
		switch {
		case s.pattern == "*",
			s.pattern == topic,
			strings.HasSuffix(s.pattern, ".") && strings.HasPrefix(topic, s.pattern):
			hs = append(hs, s.h)
		}
	}
	return hs
}

// Run delivers events until ctx is done, then returns nil. It drains the
// backlog batch after batch and, once no full batch is waiting, polls every
// interval. Database errors are logged and retried at the next poll.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration) error {
	const batch = 100
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		claimed, _, err := d.runOnce(ctx, batch)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			d.log.ErrorContext(ctx, "outbox dispatch failed", "err", err)
			t.Reset(interval)
		case claimed == batch:
			t.Reset(0)
		default:
			t.Reset(interval)
		}
	}
}

// RunOnce claims up to batch due events, delivers them and returns how many
// were delivered. A handler's failure is recorded on its event, not
// returned; err reports database failures.
func (d *Dispatcher) RunOnce(ctx context.Context, batch int) (delivered int, err error) {
	_, delivered, err = d.runOnce(ctx, batch)
	return delivered, err
}

type claimedRow struct {
	ID        int64     `bun:"id"`
	Topic     string    `bun:"topic"`
	Payload   string    `bun:"payload"`
	CreatedAt time.Time `bun:"created_at"`
	Attempts  int       `bun:"attempts"`
}

func (d *Dispatcher) runOnce(ctx context.Context, batch int) (claimed, delivered int, err error) {
	if batch <= 0 {
		return 0, 0, fmt.Errorf("outbox: batch size %d", batch)
	}
	token := rand.Text()
	now := store.Time(d.Now())
	until := now.Add(d.Lease)
	var rows []claimedRow
	err = d.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rows = nil
		if err := tx.NewRaw(`SELECT id, topic, payload, created_at, attempts FROM outbox
			WHERE delivered_at IS NULL AND (not_before IS NULL OR not_before <= ?)
			ORDER BY id LIMIT ?`+d.db.ForUpdateSkipLocked(), now, batch).Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
			rows[i].Attempts++
		}
		_, err := tx.NewRaw(`UPDATE outbox SET attempts = attempts + 1, not_before = ?, claim_token = ?
			WHERE id IN (?)`, until, token, bun.In(ids)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: claim: %w", err)
	}
	// The delivered events are marked in one statement per batch, in the
	// group commit's transaction, rather than each in a transaction of its
	// own beside it: on SQLite every one of those took the write lock away
	// from intake, one for every order taken in. An event handled but not
	// yet marked when the process dies is delivered again after its lease,
	// as one whose mark was lost always could be (delivery is at least
	// once).
	var done []int64
	mark := func() error {
		if len(done) == 0 {
			return nil
		}
		at := store.Time(d.Now())
		err := d.db.WithTx(context.WithoutCancel(ctx), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.NewRaw(`UPDATE outbox SET delivered_at = ?, not_before = NULL, claim_token = NULL
				WHERE id IN (?) AND delivered_at IS NULL`, at, bun.In(done)).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("outbox: mark %d events delivered: %w", len(done), err)
		}
		delivered += len(done)
		done = done[:0]
		return nil
	}
	for i, r := range rows {
		// Stop while the lease still covers the events not yet handled,
		// and hand them back so another dispatcher need not wait it out.
		if ctx.Err() != nil || store.Time(d.Now()).Add(d.HandlerTimeout).After(until) {
			if err := mark(); err != nil {
				return len(rows), delivered, err
			}
			d.release(ctx, token, rows[i:])
			return len(rows), delivered, ctx.Err()
		}
		e := Event{ID: r.ID, Topic: r.Topic, Payload: []byte(r.Payload), CreatedAt: r.CreatedAt.UTC(), Attempt: r.Attempts}
		if herr := d.deliver(ctx, e); herr != nil {
			if err := d.fail(ctx, token, e, herr); err != nil {
				if merr := mark(); merr != nil {
					err = errors.Join(err, merr)
				}
				return len(rows), delivered, err
			}
			continue
		}
		done = append(done, e.ID)
	}
	if err := mark(); err != nil {
		return len(rows), delivered, err
	}
	return len(rows), delivered, nil
}

// deliver calls every handler subscribed to e's topic, even after one fails,
// so that one broken subscriber does not starve the others.
func (d *Dispatcher) deliver(ctx context.Context, e Event) error {
	hs := d.handlers(e.Topic)
	if len(hs) == 0 {
		d.log.DebugContext(ctx, "outbox event has no subscriber", "id", e.ID, "topic", e.Topic)
		return nil
	}
	var errs []error
	for _, h := range hs {
		if err := d.call(ctx, h, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// call runs one handler under HandlerTimeout, turning a panic into an error
// so that a bad event cannot take the dispatcher down.
func (d *Dispatcher) call(ctx context.Context, h Handler, e Event) (err error) {
	ctx, cancel := context.WithTimeout(ctx, d.HandlerTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, e)
}

// fail records a handler failure and schedules the next attempt. The update
// is conditional on the claim still being ours.
func (d *Dispatcher) fail(ctx context.Context, token string, e Event, herr error) error {
	wait := d.backoff(e.Attempt)
	d.log.WarnContext(ctx, "outbox handler failed", "id", e.ID, "topic", e.Topic,
		"attempt", e.Attempt, "retry_in", wait, "err", herr)
	msg := herr.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	if _, err := d.db.NewRaw(`UPDATE outbox SET last_error = ?, not_before = ?, claim_token = NULL
		WHERE id = ? AND claim_token = ?`, strings.ToValidUTF8(msg, "?"), store.Time(d.Now()).Add(wait), e.ID, token).Exec(ctx); err != nil {
		return fmt.Errorf("outbox: record failure of %d: %w", e.ID, err)
	}
	return nil
}

// release hands unprocessed claimed events back without counting an attempt.
func (d *Dispatcher) release(ctx context.Context, token string, rows []claimedRow) {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := d.db.NewRaw(`UPDATE outbox SET attempts = attempts - 1, not_before = NULL, claim_token = NULL
		WHERE claim_token = ? AND id IN (?)`, token, bun.In(ids)).Exec(ctx); err != nil {
		d.log.ErrorContext(ctx, "outbox release failed", "ids", ids, "err", err)
	}
}

// backoff returns the wait before attempt+1: MinBackoff doubled per earlier
// attempt, at most MaxBackoff.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	w := d.MinBackoff
	for i := 1; i < attempt && w < d.MaxBackoff; i++ {
		w *= 2
	}
	return min(w, d.MaxBackoff)
}
