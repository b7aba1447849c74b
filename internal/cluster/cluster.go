// Package cluster tells every node sharing one PostgreSQL database, at once,
// which cached rows another node changed, so that per-node caches (API
// tokens, departments, the calendar, certificates, rendered public pages…)
// stay true without short time-to-live bounds.
//
// Triggers on the cached tables (migration 0021) call pg_notify with the
// payload "table:key" on a channel named after the schema. A Listener holds
// one dedicated connection that LISTENs on that channel and calls the
// handlers registered for the table. NOTIFY is delivered at commit, so a
// handler never runs before the change is visible. When the connection
// breaks, the Listener reconnects with backoff; each time it starts
// listening it calls every handler with the empty key, "everything may have
// changed", because notifications sent while it was not listening are lost.
//
// SQLite serves one node, whose caches are dropped in process: Run returns
// at once there.
package cluster

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/yingshang/yingshang/internal/store"
)

// Handler is called with the key of a changed row (the column the table's
// trigger names, as text). An empty key means that any row of the table may
// have changed. Handlers run one at a time on the listener's goroutine, so
// they must be quick: drop a cache entry, not rebuild a report.
type Handler func(ctx context.Context, key string)

// Listener delivers change notifications to handlers. Register handlers
// with On before Run.
type Listener struct {
	db  *store.DB
	log *slog.Logger

	mu       sync.RWMutex
	handlers map[string][]Handler

	// Backoff bounds the wait before reconnecting (it doubles from
	// MinBackoff up to MaxBackoff).
	MinBackoff, MaxBackoff time.Duration

	listening atomic.Bool
	received  atomic.Uint64
}

// New returns a listener on db. log receives connection losses (nil
// discards them).
func New(db *store.DB, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{db: db, log: log, handlers: map[string][]Handler{},
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second}
}

// On registers fn for changes to table.
func (l *Listener) On(table string, fn Handler) {
	l.mu.Lock()
	l.handlers[table] = append(l.handlers[table], fn)
	l.mu.Unlock()
}

// Listening reports whether the listener's connection is up and LISTENing.
func (l *Listener) Listening() bool { return l.listening.Load() }

// Received counts the notifications delivered since the listener started.
func (l *Listener) Received() uint64 { return l.received.Load() }

// Run listens until ctx ends. On SQLite it returns nil at once. Its error
// is ctx's only: connection failures are logged and retried.
func (l *Listener) Run(ctx context.Context) error {
	if l.db.Kind() != store.Postgres {
		return nil
	}
	wait := l.MinBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := l.session(ctx)
		l.listening.Store(false)
		if ctx.Err() != nil {
			break
		}
		if time.Since(start) > l.MaxBackoff {
			wait = l.MinBackoff // it had been working: retry soon
		}
		l.log.WarnContext(ctx, "cluster: change notifications interrupted; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, l.MaxBackoff)
	}
	return nil
}

// session takes a connection from the pool for itself, LISTENs and delivers
// notifications until the connection or ctx fails. Once LISTENing it first
// tells every handler that anything may have changed: notifications sent
// before (while the node started, or while it was disconnected) are lost.
func (l *Listener) session(ctx context.Context) error {
	conn, err := l.db.DB.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("cluster: connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("cluster: driver connection is %T, not pgx", dc)
		}
		// However listen ends, the connection is LISTENing or broken:
		// database/sql must not hand it to anyone else.
		return errors.Join(l.listen(ctx, sc.Conn()), driver.ErrBadConn)
	})
}

func (l *Listener) listen(ctx context.Context, c *pgx.Conn) error {
	var schema string
	if err := c.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("cluster: schema: %w", err)
	}
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{Channel(schema)}.Sanitize()); err != nil {
		return fmt.Errorf("cluster: listen: %w", err)
	}
	l.listening.Store(true)
	l.everything(ctx)
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("cluster: wait: %w", err)
		}
		l.received.Add(1)
		l.deliver(ctx, n.Payload)
	}
}

// Channel is the notification channel of schema, as migration 0021's
// trigger function names it.
func Channel(schema string) string {
	if r := []rune(schema); len(r) > 60 {
		schema = string(r[:60])
	}
	return "ys:" + schema
}

// deliver calls the handlers of the payload's table.
func (l *Listener) deliver(ctx context.Context, payload string) {
	table, key, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	l.mu.RLock()
	hs := l.handlers[table]
	l.mu.RUnlock()
	for _, h := range hs {
		h(ctx, key)
	}
}

// everything calls every handler with the empty key.
func (l *Listener) everything(ctx context.Context) {
	l.mu.RLock()
	var hs []Handler
	for _, t := range l.handlers {
		hs = append(hs, t...)
	}
	l.mu.RUnlock()
	for _, h := range hs {
		h(ctx, "")
	}
}
