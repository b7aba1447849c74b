package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Limiter allows N events per key in a window, counted in the database
// (table rate_limits) so that every node of a deployment shares the count:
// a client cannot multiply a limit by the number of nodes behind the load
// balancer. A key's window starts at its first event and lasts Window;
// each event is one upsert. Keys are stored as SHA-256 digests, so the
// table holds no client addresses.
type Limiter struct {
	db     *DB
	scope  string
	n      int
	window time.Duration
	events atomic.Uint64 // prunes ended windows every pruneEvery events
}

// pruneEvery is how many events pass between deletions of the rows whose
// window ended, so the table holds about the keys seen in one window.
const pruneEvery = 1024

// NewLimiter returns a limiter of n events per window for scope, a short
// name of what is limited ("credit.public", "hotline.submit").
func NewLimiter(db *DB, scope string, n int, window time.Duration) *Limiter {
	return &Limiter{db: db, scope: scope, n: n, window: window}
}

func limiterKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Allow records an event for key at now. When the key was already at its
// limit in the current window it answers false and how long until the
// window ends; refused events are counted too, so retrying does not help.
func (l *Limiter) Allow(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	n, wait, err := l.Hit(ctx, key, now)
	if err != nil {
		return false, 0, err
	}
	if n > l.n {
		return false, wait, nil
	}
	return true, 0, nil
}

// Hit records an event for key at now and returns the events of the
// key's window so far, this one included, and the time left in the window.
func (l *Limiter) Hit(ctx context.Context, key string, now time.Time) (int, time.Duration, error) {
	now = Time(now)
	ended := now.Add(-l.window)
	var n int
	var start time.Time
	err := l.db.QueryRowContext(ctx, `INSERT INTO rate_limits (scope, key, hits, window_start) VALUES (?, ?, 1, ?)
ON CONFLICT (scope, key) DO UPDATE SET
	hits = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.hits + 1 END,
	window_start = CASE WHEN rate_limits.window_start <= ? THEN excluded.window_start ELSE rate_limits.window_start END
RETURNING hits, window_start`, l.scope, limiterKey(key), now, ended, ended).Scan(&n, &start)
	if err != nil {
		return 0, 0, fmt.Errorf("store: rate limit %s: %w", l.scope, err)
	}
	if l.events.Add(1)%pruneEvery == 0 {
		if _, err := l.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE scope = ? AND window_start <= ?`, l.scope, ended); err != nil {
			return 0, 0, fmt.Errorf("store: rate limit %s: prune: %w", l.scope, err)
		}
	}
	return n, start.Add(l.window).Sub(now), nil
}

// Full reports, without recording an event, whether key has used its
// limit in the current window, and how long until the window ends.
func (l *Limiter) Full(ctx context.Context, key string, now time.Time) (bool, time.Duration, error) {
	now = Time(now)
	var n int
	var start time.Time
	err := l.db.QueryRowContext(ctx, `SELECT hits, window_start FROM rate_limits WHERE scope = ? AND key = ?`,
		l.scope, limiterKey(key)).Scan(&n, &start)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, 0, nil
	case err != nil:
		return false, 0, fmt.Errorf("store: rate limit %s: %w", l.scope, err)
	}
	if !start.After(now.Add(-l.window)) || n < l.n {
		return false, 0, nil
	}
	return true, start.Add(l.window).Sub(now), nil
}
