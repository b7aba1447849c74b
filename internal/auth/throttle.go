package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
)

// ErrThrottled matches (errors.Is) every *ThrottledError.
var ErrThrottled = errors.New("auth: too many sign-in attempts, try again later (尝试过于频繁，请稍后再试)")

// ThrottledError refuses a sign-in attempt without checking the password:
// the client address, or the username from addresses it has not signed in
// from, failed too often lately. RetryAfter is how long to wait.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", ErrThrottled, e.RetryAfter.Round(time.Second))
}

// Is makes every ThrottledError match ErrThrottled.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// Throttle tunes how failed sign-ins are slowed and locked. Three counters
// are kept in the database, so that every node sees the same state:
//
//   - per client address: the first AddressFree failures within
//     AddressWindow cost nothing; after that each attempt must wait, after
//     the address's last failure, one second doubled per further failure, up
//     to AddressMaxDelay (answered 429 with Retry-After). This is what stops
//     one client from guessing at many accounts.
//   - per (username, address) pair: MaxFailures failures lock the username
//     for that address only, for Lockout (Options). An attacker thus locks
//     the account only for themselves; its holder signs in from their own
//     address as usual.
//   - per username, over all addresses: from UsernameSlow failures within
//     AddressWindow on, attempts are spaced like an address's, up to
//     UsernameMaxDelay, which bounds how fast many addresses together can
//     guess one password. It never locks, and does not apply at all to an
//     address that signed in as the username within KnownFor.
//
// Usernames are counted whether or not an account has them, so neither the
// answers nor their timing tell which exist. Zero fields take the defaults
// noted.
type Throttle struct {
	AddressFree      int           // 10
	AddressWindow    time.Duration // 1 h; counters idle this long start again
	AddressMaxDelay  time.Duration // 15 min
	UsernameSlow     int           // 20
	UsernameMaxDelay time.Duration // 1 min
	KnownFor         time.Duration // 30 days
}

func (t Throttle) withDefaults() Throttle {
	if t.AddressFree <= 0 {
		t.AddressFree = 10
	}
	if t.AddressWindow <= 0 {
		t.AddressWindow = time.Hour
	}
	if t.AddressMaxDelay <= 0 {
		t.AddressMaxDelay = 15 * time.Minute
	}
	if t.UsernameSlow <= 0 {
		t.UsernameSlow = 20
	}
	if t.UsernameMaxDelay <= 0 {
		t.UsernameMaxDelay = time.Minute
	}
	if t.KnownFor <= 0 {
		t.KnownFor = 30 * 24 * time.Hour
	}
	return t
}

// backoff is the wait after the n-th failure when the first free ones are
// free: one second at n == free, doubling, at most max.
func backoff(n, free int, max time.Duration) time.Duration {
	if n < free {
		return 0
	}
	shift := n - free
	if shift > 30 {
		return max
	}
	d := time.Second << shift
	if d > max {
		return max
	}
	return d
}

// throttleKeys are the counters one attempt touches.
type throttleKeys struct {
	addr, user, pair string
	subject          string // the username's hash, for clearing
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AddressKey is the part of a client address that throttling counts: the
// address itself for IPv4, its /64 network for IPv6 (one subscriber usually
// holds a whole /64). Unparsable addresses are counted as given.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

func keysFor(username, ip string) throttleKeys {
	addr := AddressKey(ip)
	return throttleKeys{
		addr:    hashKey("addr", addr),
		user:    hashKey("user", username),
		pair:    hashKey("pair", username, addr),
		subject: hashKey("user", username),
	}
}

type throttleRow struct {
	bun.BaseModel `bun:"table:signin_throttle"`
	Key           string     `bun:"key,pk"`
	Subject       string     `bun:"subject"`
	Failures      int        `bun:"failures"`
	FailedAt      *time.Time `bun:"failed_at"`
	SucceededAt   *time.Time `bun:"succeeded_at"`
}

// counter is one counter as an attempt sees it: failures within its window
// and the time of the last one.
type counter struct {
	n    int
	last time.Time
}

// throttleState is the three counters of an attempt before it is made.
type throttleState struct {
	addr, user, pair counter
	known            bool // the pair signed in within KnownFor
}

func (s *Service) throttleState(ctx context.Context, k throttleKeys, now time.Time) (throttleState, error) {
	var rows []throttleRow
	if err := s.db.NewSelect().Model(&rows).Where("key IN (?)", bun.In([]string{k.addr, k.user, k.pair})).
		Scan(ctx); err != nil {
		return throttleState{}, fmt.Errorf("auth: read sign-in counters: %w", err)
	}
	var st throttleState
	t := s.opts.Throttle
	for _, r := range rows {
		c := counter{n: r.Failures}
		if r.FailedAt != nil {
			c.last = *r.FailedAt
		}
		switch r.Key {
		case k.addr:
			st.addr = fresh(c, now, t.AddressWindow)
		case k.user:
			st.user = fresh(c, now, t.AddressWindow)
		case k.pair:
			st.pair = fresh(c, now, s.opts.Lockout)
			st.known = r.SucceededAt != nil && now.Sub(*r.SucceededAt) < t.KnownFor
		}
	}
	return st, nil
}

// fresh forgets a counter idle for window.
func fresh(c counter, now time.Time, window time.Duration) counter {
	if c.last.IsZero() || now.Sub(c.last) >= window {
		return counter{}
	}
	return c
}

// wait returns how long the attempt must wait before it may be made, or 0.
func (st throttleState) wait(o Options, now time.Time) time.Duration {
	t := o.Throttle
	var w time.Duration
	if d := backoff(st.addr.n, t.AddressFree, t.AddressMaxDelay); d > 0 {
		w = max(w, st.addr.last.Add(d).Sub(now))
	}
	if !st.known {
		if d := backoff(st.user.n, t.UsernameSlow, t.UsernameMaxDelay); d > 0 {
			w = max(w, st.user.last.Add(d).Sub(now))
		}
	}
	if w > 0 && w < time.Second {
		w = time.Second
	}
	return w
}

// locked reports whether the pair is locked out: before an attempt, when
// MaxFailures failures were counted; after reserve counted the attempt,
// when it is beyond them (a concurrent attempt got there first).
func (st throttleState) locked(o Options, counted bool) bool {
	if counted {
		return st.pair.n > o.MaxFailures
	}
	return st.pair.n >= o.MaxFailures
}

// reserve counts the attempt as a failure before its password is checked,
// so that concurrent attempts each see the ones before them; a successful
// sign-in takes it back (forgive). It returns the counters including this
// attempt and, when another attempt was counted concurrently at a step
// where waiting applies, the wait that refuses this one.
func (s *Service) reserve(ctx context.Context, k throttleKeys, st throttleState, now time.Time) (throttleState, time.Duration, error) {
	t := s.opts.Throttle
	var got throttleState
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if got.addr.n, err = bump(ctx, tx, k.addr, "", now, t.AddressWindow); err != nil {
			return err
		}
		if got.user.n, err = bump(ctx, tx, k.user, k.subject, now, t.AddressWindow); err != nil {
			return err
		}
		got.pair.n, err = bump(ctx, tx, k.pair, k.subject, now, s.opts.Lockout)
		return err
	})
	if err != nil {
		return got, 0, fmt.Errorf("auth: count sign-in attempt: %w", err)
	}
	got.known = st.known
	got.addr.last, got.user.last, got.pair.last = now, now, now
	var w time.Duration
	if got.addr.n > t.AddressFree && got.addr.n != st.addr.n+1 {
		w = max(w, backoff(got.addr.n-1, t.AddressFree, t.AddressMaxDelay))
	}
	if !st.known && got.user.n > t.UsernameSlow && got.user.n != st.user.n+1 {
		w = max(w, backoff(got.user.n-1, t.UsernameSlow, t.UsernameMaxDelay))
	}
	return got, w, nil
}

// bump adds one failure to counter key, starting it again if its last
// failure is older than window, and returns the new count.
func bump(ctx context.Context, tx bun.IDB, key, subject string, now time.Time, window time.Duration) (int, error) {
	var n int
	err := tx.NewRaw(`INSERT INTO signin_throttle (key, subject, failures, failed_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
	failures = CASE WHEN signin_throttle.failed_at IS NULL OR signin_throttle.failed_at <= ?
		THEN 1 ELSE signin_throttle.failures + 1 END,
	failed_at = excluded.failed_at
RETURNING failures`, key, subject, now, now.Add(-window)).Scan(ctx, &n)
	return n, err
}

// forgive takes back the failure reserve counted for a sign-in that
// succeeded, clears the pair's failures and marks the pair as known.
func forgive(ctx context.Context, tx bun.IDB, k throttleKeys, now time.Time) error {
	if _, err := tx.NewUpdate().Model((*throttleRow)(nil)).
		Set("failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END").
		Where("key IN (?)", bun.In([]string{k.addr, k.user})).Exec(ctx); err != nil {
		return fmt.Errorf("auth: forgive sign-in attempt: %w", err)
	}
	if _, err := tx.NewRaw(`INSERT INTO signin_throttle (key, subject, failures, succeeded_at) VALUES (?, ?, 0, ?)
ON CONFLICT (key) DO UPDATE SET failures = 0, succeeded_at = excluded.succeeded_at`,
		k.pair, k.subject, now).Exec(ctx); err != nil {
		return fmt.Errorf("auth: mark known sign-in address: %w", err)
	}
	return nil
}

// ClearFailures forgets the failed sign-ins counted against username, from
// every address (its pair locks included), for an administrator who resets
// the account's password or re-enables it. Address counters stay. tx may
// be the transaction of the change.
func (s *Service) ClearFailures(ctx context.Context, tx bun.IDB, username string) error {
	subject := hashKey("user", normalizeUsername(username))
	if _, err := tx.NewDelete().Model((*throttleRow)(nil)).Where("subject = ?", subject).Exec(ctx); err != nil {
		return fmt.Errorf("auth: clear sign-in failures: %w", err)
	}
	return nil
}

// deleteIdleCounters removes counters nobody needs any more: no failure for
// a day and no successful sign-in within KnownFor.
func (s *Service) deleteIdleCounters(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.NewDelete().Model((*throttleRow)(nil)).
		Where("(failed_at IS NULL OR failed_at <= ?)", now.Add(-24*time.Hour)).
		Where("(succeeded_at IS NULL OR succeeded_at <= ?)", now.Add(-s.opts.Throttle.KnownFor)).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("auth: delete idle sign-in counters: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
