package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/store"
)

// Sign-in errors. ErrBadCredentials is the same for an unknown user and a
// wrong password so that the answer does not reveal which usernames exist;
// callers answer ErrLocked the same way (see SignIn).
var (
	ErrBadCredentials = errors.New("auth: wrong username or password (用户名或密码错误)")
	ErrLocked         = errors.New("auth: too many failed sign-ins from this address, locked for a while (失败次数过多，已暂时锁定)")
	ErrDisabled       = errors.New("auth: account disabled (账号已停用)")
	ErrNotFound       = errors.New("auth: not found")
	// ErrWrongPassword refuses a password change whose current password
	// is wrong.
	ErrWrongPassword = errors.New("auth: current password is wrong (当前密码不正确)")
	// ErrSamePassword refuses a password change to the current password.
	ErrSamePassword = &WeakPasswordError{Code: "same",
		Text: "新密码不能与当前密码相同 (the new password must differ from the current one)"}
)

// Token prefixes. API tokens carry a recognisable prefix so that secret
// scanners can spot a leaked one and Authenticate knows where to look.
const (
	SessionTokenPrefix = "yss_"
	APITokenPrefix     = "ysk_"
)

// Options tune sign-in and sessions. Zero fields take the defaults noted.
type Options struct {
	Password        PasswordParams // argon2id cost; DefaultPasswordParams
	MaxFailures     int            // failures from one address that lock a username there; 5
	Lockout         time.Duration  // how long such a lock lasts; 15 min
	Throttle        Throttle       // per-address and per-username slowing
	IdleTimeout     time.Duration  // session ends after this long unused; 30 min
	AbsoluteTimeout time.Duration  // session ends this long after sign-in; 12 h
	// Audit records sign-ins, failures, lockouts, sign-outs, ended
	// sessions and password changes; nil records nothing (tests).
	Audit *audit.Log
}

func (o Options) withDefaults() Options {
	o.Password = o.Password.orDefault()
	if o.MaxFailures <= 0 {
		o.MaxFailures = 5
	}
	if o.Lockout <= 0 {
		o.Lockout = 15 * time.Minute
	}
	o.Throttle = o.Throttle.withDefaults()
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.AbsoluteTimeout <= 0 {
		o.AbsoluteTimeout = 12 * time.Hour
	}
	return o
}

// ClientMeta describes the client signing in, kept with the session so a
// user can review where they are signed in, and recorded in the audit log.
type ClientMeta struct {
	IP        string
	UserAgent string
}

// Service signs users in and out and turns tokens back into actors. It reads
// the users table that package org maintains (the credential columns
// password_hash, auth_epoch, status and password_change_required are
// auth's to interpret) and owns the sessions, api_tokens and
// signin_throttle tables.
//
// Sign-in state is written by the service itself, not in a caller's
// transaction: a failed attempt must be counted even though the request
// fails. The service also writes the audit entries of sign-in events.
//
// The actor of an API token is remembered for up to TokenCacheTTL, so that
// an integration posting many requests costs no query per request. Revoking
// the token (RevokeAPIToken) or signing its user out everywhere
// (SignOutUser, which disabling a user in the administration pages calls)
// takes effect on this node at once and on other nodes within
// TokenCacheTTL; a change to the user's roles, departments or status takes
// effect within TokenCacheTTL. Sessions are read on every request.
type Service struct {
	db     *store.DB
	now    func() time.Time
	opts   Options
	dummy  string // hash spent on unknown users to keep timing alike
	tokens tokenCache
}

// NewService returns a Service on db. now is the clock (time.Now in
// production); opts may be zero.
func NewService(db *store.DB, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	opts = opts.withDefaults()
	return &Service{db: db, now: now, opts: opts, dummy: hashPassword("not a real password", opts.Password)}
}

// Options returns the options in force, defaults filled in.
func (s *Service) Options() Options { return s.opts }

// credential is the part of a user row sign-in needs.
type credential struct {
	ID           int64  `bun:"id"`
	Username     string `bun:"username"`
	DisplayName  string `bun:"display_name"`
	RegionCode   string `bun:"region_code"`
	PasswordHash string `bun:"password_hash"`
	AuthEpoch    int64  `bun:"auth_epoch"`
	Status       string `bun:"status"`
}

// StatusDisabled is the users.status value of a disabled account.
const StatusDisabled = "disabled"

// plausibleUsername reports whether an account could have username: no
// control characters, valid UTF-8, at most 128 bytes. Others are not
// looked up (PostgreSQL refuses a NUL byte in text) and fail as unknown.
func plausibleUsername(username string) bool {
	if len(username) > 128 || !utf8.ValidString(username) {
		return false
	}
	for _, r := range username {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// normalizeUsername folds a username the way accounts store it.
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SignIn checks username and password and opens a session, returning its
// token (to be set as a cookie) and the actor. Attempts are throttled as
// Throttle describes. It fails with
//
//   - a *ThrottledError (ErrThrottled) before checking anything, when the
//     client address or the username must wait;
//   - ErrLocked when this address failed Options.MaxFailures times for the
//     username within Options.Lockout, even with the right password;
//   - ErrBadCredentials for an unknown user or a wrong password;
//   - ErrDisabled, only once the password is right.
//
// Callers should answer ErrLocked, ErrBadCredentials and ErrDisabled alike:
// an unknown username costs the same password hash and database work as a
// known one, so neither answer nor timing tells which exist. Each outcome
// but throttling is audited, with the client's address and, for failures,
// the username attempted (never the password).
func (s *Service) SignIn(ctx context.Context, username, password string, meta ClientMeta) (string, *Actor, error) {
	username = normalizeUsername(username)
	now := store.Time(s.now())
	keys := keysFor(username, meta.IP)
	st, err := s.throttleState(ctx, keys, now)
	if err != nil {
		return "", nil, err
	}
	if w := st.wait(s.opts, now); w > 0 {
		return "", nil, &ThrottledError{RetryAfter: w}
	}
	got, w, err := s.reserve(ctx, keys, st, now)
	if err != nil {
		return "", nil, err
	}
	if w > 0 {
		return "", nil, &ThrottledError{RetryAfter: w}
	}
	var c credential
	found := false
	if plausibleUsername(username) {
		err = s.db.NewSelect().Table("users").
			Column("id", "username", "display_name", "region_code", "password_hash", "auth_epoch", "status").
			Where("username = ?", username).Scan(ctx, &c)
		found = err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", nil, fmt.Errorf("auth: sign in: %w", err)
		}
	}
	if st.locked(s.opts, false) || got.locked(s.opts, true) {
		VerifyPassword(s.dummy, password)
		return "", nil, s.failed(ctx, &c, username, meta, "locked", ErrLocked, nil)
	}
	ok := false
	if found && c.PasswordHash != "" {
		ok, _ = VerifyPassword(c.PasswordHash, password)
	} else {
		VerifyPassword(s.dummy, password) // unknown, or external sign-in only
	}
	if !ok {
		var lockout *time.Time
		if got.pair.n == s.opts.MaxFailures {
			until := now.Add(s.opts.Lockout)
			lockout = &until
		}
		return "", nil, s.failed(ctx, &c, username, meta, "bad_credentials", ErrBadCredentials, lockout)
	}
	if c.Status == StatusDisabled {
		return "", nil, s.failed(ctx, &c, username, meta, "disabled", ErrDisabled, nil)
	}
	var token string
	var actor *Actor
	err = s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if needsRehash(c.PasswordHash, s.opts.Password) {
			if _, err := tx.NewUpdate().Table("users").
				Set("password_hash = ?", hashPassword(password, s.opts.Password)).
				Where("id = ?", c.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if err := forgive(ctx, tx, keys, now); err != nil {
			return err
		}
		var err error
		if token, actor, err = s.startSession(ctx, tx, c.ID, c.AuthEpoch, now, meta); err != nil {
			return err
		}
		return s.record(ctx, tx, audit.Entry{ActorID: c.ID, ActorName: c.DisplayName, Action: "auth.signin",
			ObjectType: "user", ObjectID: strconv.FormatInt(c.ID, 10), RegionCode: c.RegionCode,
			Detail: clientDetail(meta, nil)})
	})
	if err != nil {
		return "", nil, fmt.Errorf("auth: sign in: %w", err)
	}
	return token, actor, nil
}

// failed audits a refused sign-in (and the lockout it caused, if lockout
// is set) and returns refusal, or the error of writing the record.
func (s *Service) failed(ctx context.Context, c *credential, username string, meta ClientMeta, reason string, refusal error, lockout *time.Time) error {
	if s.opts.Audit == nil {
		return refusal
	}
	obj, region := "", ""
	if c.ID != 0 {
		obj, region = strconv.FormatInt(c.ID, 10), c.RegionCode
	}
	detail := clientDetail(meta, map[string]any{"username": printable(username, 64), "reason": reason})
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := s.record(ctx, tx, audit.Entry{ActorName: anonymous, Action: "auth.signin_failed",
			ObjectType: "user", ObjectID: obj, RegionCode: region, Detail: detail}); err != nil {
			return err
		}
		if lockout == nil {
			return nil
		}
		return s.record(ctx, tx, audit.Entry{ActorName: anonymous, Action: "auth.lockout",
			ObjectType: "user", ObjectID: obj, RegionCode: region,
			Detail: clientDetail(meta, map[string]any{"username": printable(username, 64),
				"until": lockout.UTC().Format(time.RFC3339)})})
	})
	if err != nil {
		return fmt.Errorf("auth: record failed sign-in: %w", err)
	}
	return refusal
}

// anonymous is the actor name of entries made before anyone signed in;
// sweeper that of the platform's own housekeeping.
const (
	anonymous = "anonymous"
	sweeper   = "system"
)

// record appends e to the audit log, if there is one.
func (s *Service) record(ctx context.Context, tx bun.IDB, e audit.Entry) error {
	if s.opts.Audit == nil {
		return nil
	}
	_, err := s.opts.Audit.Append(ctx, tx, e)
	return err
}

// clientDetail is the detail of a sign-in entry: the client's address and
// user agent, with extra fields.
func clientDetail(meta ClientMeta, extra map[string]any) map[string]any {
	d := map[string]any{"client": printable(meta.IP, 64), "user_agent": printable(meta.UserAgent, 128)}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// printable shortens s to n characters and replaces control characters,
// so that what an anonymous client typed is recorded as harmless text.
func printable(s string, n int) string {
	s = truncate(s, n)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Bidi_Control, r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// StartSession opens a session for a user whose identity was established
// some other way, such as an IdentityProvider. It refuses a disabled user.
func (s *Service) StartSession(ctx context.Context, userID int64, meta ClientMeta) (string, *Actor, error) {
	var token string
	var actor *Actor
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var c credential
		err := tx.NewSelect().Table("users").Column("id", "auth_epoch", "status").
			Where("id = ?", userID).Scan(ctx, &c)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if c.Status == StatusDisabled {
			return ErrDisabled
		}
		token, actor, err = s.startSession(ctx, tx, c.ID, c.AuthEpoch, store.Time(s.now()), meta)
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("auth: start session for user %d: %w", userID, err)
	}
	return token, actor, nil
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`
	ID            int64     `bun:"id,pk,autoincrement"`
	TokenHash     string    `bun:"token_hash"`
	UserID        int64     `bun:"user_id"`
	AuthEpoch     int64     `bun:"auth_epoch"`
	IP            string    `bun:"ip"`
	UserAgent     string    `bun:"user_agent"`
	CreatedAt     time.Time `bun:"created_at"`
	LastSeenAt    time.Time `bun:"last_seen_at"`
	ExpiresAt     time.Time `bun:"expires_at"`
}

func (s *Service) startSession(ctx context.Context, tx bun.IDB, userID, epoch int64, now time.Time, meta ClientMeta) (string, *Actor, error) {
	token := newToken(SessionTokenPrefix)
	row := &sessionRow{
		TokenHash: hashToken(token), UserID: userID, AuthEpoch: epoch,
		IP: truncate(meta.IP, 64), UserAgent: truncate(meta.UserAgent, 256),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.AbsoluteTimeout),
	}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return "", nil, err
	}
	a, err := loadActor(ctx, tx, userID)
	if err != nil {
		return "", nil, err
	}
	return token, a, nil
}

// Authenticate returns the actor a session or API token stands for, or
// ErrUnauthenticated when the token is unknown, expired, revoked, or its
// user is disabled or has changed password since the session began. Each
// use of a session moves its idle deadline.
func (s *Service) Authenticate(ctx context.Context, token string) (*Actor, error) {
	switch {
	case strings.HasPrefix(token, SessionTokenPrefix):
		return s.authSession(ctx, token)
	case strings.HasPrefix(token, APITokenPrefix):
		return s.authAPIToken(ctx, token)
	}
	return nil, ErrUnauthenticated
}

// touchEvery limits how often a session's last-seen time is written: the
// sliding idle deadline needs no finer grain, and it saves a write per
// request.
const touchEvery = time.Minute

func (s *Service) authSession(ctx context.Context, token string) (*Actor, error) {
	var row sessionRow
	err := s.db.NewSelect().Model(&row).Where("token_hash = ?", hashToken(token)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	now := store.Time(s.now())
	if !now.Before(row.ExpiresAt) || !now.Before(row.LastSeenAt.Add(s.opts.IdleTimeout)) {
		if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("id = ?", row.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: end expired session: %w", err)
		}
		return nil, ErrUnauthenticated
	}
	var c credential
	err = s.db.NewSelect().Table("users").Column("id", "auth_epoch", "status").
		Where("id = ?", row.UserID).Scan(ctx, &c)
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	if c.Status == StatusDisabled || c.AuthEpoch != row.AuthEpoch {
		return nil, ErrUnauthenticated
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if _, err := s.db.NewUpdate().Model((*sessionRow)(nil)).Set("last_seen_at = ?", now).
			Where("id = ?", row.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: touch session: %w", err)
		}
	}
	a, err := loadActor(ctx, s.db, row.UserID)
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	return a, nil
}

// SignOut ends the session token names, audited as the session's user.
// Ending an unknown or already ended session is not an error.
func (s *Service) SignOut(ctx context.Context, token string, meta ClientMeta) error {
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var row sessionRow
		err := tx.NewSelect().Model(&row).Where("token_hash = ?", hashToken(token)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.endSession(ctx, tx, row.UserID, row.ID, "auth.signout", meta)
	})
	if err != nil {
		return fmt.Errorf("auth: sign out: %w", err)
	}
	return nil
}

// EndSession ends one of a user's own sessions (from their list of
// sessions), audited. A session that is not the user's is ErrNotFound.
func (s *Service) EndSession(ctx context.Context, userID, sessionID int64, meta ClientMeta) error {
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return s.endSession(ctx, tx, userID, sessionID, "auth.session_end", meta)
	})
	if err != nil {
		return fmt.Errorf("auth: end session %d: %w", sessionID, err)
	}
	return nil
}

func (s *Service) endSession(ctx context.Context, tx bun.IDB, userID, sessionID int64, action string, meta ClientMeta) error {
	res, err := tx.NewDelete().Model((*sessionRow)(nil)).Where("id = ? AND user_id = ?", sessionID, userID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	var c credential
	if err := tx.NewSelect().Table("users").Column("id", "display_name", "region_code").
		Where("id = ?", userID).Scan(ctx, &c); err != nil {
		return err
	}
	return s.record(ctx, tx, audit.Entry{ActorID: userID, ActorName: c.DisplayName, Action: action,
		ObjectType: "session", ObjectID: strconv.FormatInt(sessionID, 10), RegionCode: c.RegionCode,
		Detail: clientDetail(meta, nil)})
}

// SignOutUser ends every session of a user, for "sign out everywhere" and
// for administrators responding to a compromised account. The user's API
// tokens stay valid, but their remembered actors are dropped, so that a
// disabled user's tokens are refused on this node at once (other nodes:
// within TokenCacheTTL).
func (s *Service) SignOutUser(ctx context.Context, userID int64) error {
	_, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Exec(ctx)
	s.tokens.forgetUser(userID)
	if err != nil {
		return fmt.Errorf("auth: sign out user %d: %w", userID, err)
	}
	return nil
}

// Session is one open session, as a user reviews them.
type Session struct {
	ID         int64     `json:"id"`
	IP         string    `json:"client_address"`
	UserAgent  string    `json:"user_agent"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Current marks the session the listing was asked for with.
	Current bool `json:"current"`
}

// ListSessions returns a user's open sessions, newest first, marking the
// one currentToken opened (if any).
func (s *Service) ListSessions(ctx context.Context, userID int64, currentToken string) ([]Session, error) {
	var rows []sessionRow
	if err := s.db.NewSelect().Model(&rows).Where("user_id = ?", userID).Order("id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: list sessions: %w", err)
	}
	out := make([]Session, 0, len(rows))
	now := s.now()
	current := ""
	if currentToken != "" {
		current = hashToken(currentToken)
	}
	for _, r := range rows {
		if !now.Before(r.ExpiresAt) || !now.Before(r.LastSeenAt.Add(s.opts.IdleTimeout)) {
			continue
		}
		out = append(out, Session{ID: r.ID, IP: r.IP, UserAgent: r.UserAgent,
			CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt,
			Current: current != "" && r.TokenHash == current})
	}
	return out, nil
}

// ChangePassword changes the password of the user whose session
// currentToken is, after checking their current password (a wrong one
// counts as a failed sign-in from meta's address, and is throttled alike).
// The new password must pass CheckPassword and differ from the current
// one. The user's other sessions end; the current one stays valid, and a
// pending forced change (a password set by an administrator) is done.
// Audited as auth.password_change.
func (s *Service) ChangePassword(ctx context.Context, currentToken, current, next string, meta ClientMeta) error {
	var sess sessionRow
	err := s.db.NewSelect().Model(&sess).Where("token_hash = ?", hashToken(currentToken)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrUnauthenticated
	}
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	var c credential
	if err := s.db.NewSelect().Table("users").
		Column("id", "username", "display_name", "region_code", "password_hash", "auth_epoch", "status").
		Where("id = ?", sess.UserID).Scan(ctx, &c); err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	now := store.Time(s.now())
	keys := keysFor(c.Username, meta.IP)
	st, err := s.throttleState(ctx, keys, now)
	if err != nil {
		return err
	}
	if w := st.wait(s.opts, now); w > 0 {
		return &ThrottledError{RetryAfter: w}
	}
	ok := false
	if c.PasswordHash != "" {
		ok, _ = VerifyPassword(c.PasswordHash, current)
	}
	if !ok {
		if _, _, err := s.reserve(ctx, keys, st, now); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	if current == next {
		return ErrSamePassword
	}
	if err := CheckPassword(next, c.Username); err != nil {
		return err
	}
	hash := hashPassword(next, s.opts.Password)
	err = s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var epoch int64
		if err := tx.NewRaw(`UPDATE users SET password_hash = ?, password_change_required = FALSE,
	auth_epoch = auth_epoch + 1, updated_at = ? WHERE id = ? RETURNING auth_epoch`,
			hash, now, c.ID).Scan(ctx, &epoch); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*sessionRow)(nil)).Set("auth_epoch = ?", epoch).
			Where("id = ?", sess.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*sessionRow)(nil)).
			Where("user_id = ? AND id <> ?", c.ID, sess.ID).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, audit.Entry{ActorID: c.ID, ActorName: c.DisplayName, Action: "auth.password_change",
			ObjectType: "user", ObjectID: strconv.FormatInt(c.ID, 10), RegionCode: c.RegionCode,
			Detail: clientDetail(meta, nil)})
	})
	if err != nil {
		return fmt.Errorf("auth: change password: %w", err)
	}
	return nil
}

// DeleteExpired removes sessions past their absolute or idle deadline and
// returns how many, in one audit entry (auth.sessions_expired) per sweep
// that removed any; it also drops sign-in counters no longer needed. A periodic job calls it; Authenticate never accepts an
// expired session whether or not it has been removed.
func (s *Service) DeleteExpired(ctx context.Context) (int64, error) {
	now := store.Time(s.now())
	var n int64
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.NewDelete().Model((*sessionRow)(nil)).
			Where("expires_at <= ? OR last_seen_at <= ?", now, now.Add(-s.opts.IdleTimeout)).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		// One entry per sweep: the sessions ended by their timeouts.
		return s.record(ctx, tx, audit.Entry{ActorName: sweeper, Action: "auth.sessions_expired",
			ObjectType: "session", Detail: map[string]int64{"count": n}})
	})
	if err != nil {
		return 0, fmt.Errorf("auth: delete expired sessions: %w", err)
	}
	if _, err := s.deleteIdleCounters(ctx, now); err != nil {
		return n, err
	}
	return n, nil
}

// APIToken describes an API token; the secret itself is shown once, when it
// is created, and never stored.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`
	ID            int64      `bun:"id,pk,autoincrement"`
	UserID        int64      `bun:"user_id"`
	Name          string     `bun:"name"`
	TokenHash     string     `bun:"token_hash" json:"-"`
	CreatedAt     time.Time  `bun:"created_at"`
	ExpiresAt     *time.Time `bun:"expires_at"`
	LastUsedAt    *time.Time `bun:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at"`
}

// Active reports whether the token can still be used at now.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// CreateAPIToken issues an API token for a user, valid for ttl (zero: until
// revoked), and returns the token, to be shown once, and its id.
func (s *Service) CreateAPIToken(ctx context.Context, userID int64, name string, ttl time.Duration) (string, int64, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 64 {
		return "", 0, fmt.Errorf("auth: create API token: name must be 1 to 64 characters (名称须为1至64个字符)")
	}
	if ttl < 0 {
		return "", 0, fmt.Errorf("auth: create API token: negative lifetime")
	}
	now := store.Time(s.now())
	token := newToken(APITokenPrefix)
	row := &APIToken{UserID: userID, Name: name, TokenHash: hashToken(token), CreatedAt: now}
	if ttl > 0 {
		exp := now.Add(ttl)
		row.ExpiresAt = &exp
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var c credential
		err := tx.NewSelect().Table("users").Column("id", "status").Where("id = ?", userID).Scan(ctx, &c)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if c.Status == StatusDisabled {
			return ErrDisabled
		}
		_, err = tx.NewInsert().Model(row).Exec(ctx)
		return err
	})
	if err != nil {
		return "", 0, fmt.Errorf("auth: create API token for user %d: %w", userID, err)
	}
	return token, row.ID, nil
}

// RevokeAPIToken revokes the token id of user userID. It returns
// ErrNotFound when the user has no such token. The token is refused on this
// node at once and on other nodes within TokenCacheTTL.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res, err := s.db.NewUpdate().Model((*APIToken)(nil)).Set("revoked_at = ?", store.Time(s.now())).
		Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).Exec(ctx)
	s.tokens.forgetToken(id)
	if err != nil {
		return fmt.Errorf("auth: revoke API token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("auth: revoke API token %d: %w", id, ErrNotFound)
	}
	return nil
}

// ListAPITokens returns a user's tokens, revoked and expired ones included,
// newest first.
func (s *Service) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	if err := s.db.NewSelect().Model(&ts).Where("user_id = ?", userID).Order("id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: list API tokens: %w", err)
	}
	return ts, nil
}

func (s *Service) authAPIToken(ctx context.Context, token string) (*Actor, error) {
	hash := hashToken(token)
	now := store.Time(s.now())
	a, gen, ok := s.tokens.get(hash, now)
	if ok {
		return a, nil
	}
	var t APIToken
	err := s.db.NewSelect().Model(&t).Where("token_hash = ?", hash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	if !t.Active(now) {
		return nil, ErrUnauthenticated
	}
	var c credential
	if err := s.db.NewSelect().Table("users").Column("id", "status").Where("id = ?", t.UserID).Scan(ctx, &c); err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	if c.Status == StatusDisabled {
		return nil, ErrUnauthenticated
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= touchEvery {
		if _, err := s.db.NewUpdate().Model((*APIToken)(nil)).Set("last_used_at = ?", now).
			Where("id = ?", t.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("auth: touch API token: %w", err)
		}
	}
	a, err = loadActor(ctx, s.db, t.UserID)
	if err != nil {
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	s.tokens.put(hash, &t, a, now, gen)
	return a.clone(), nil
}

// ForgetToken drops API token id from this node's cache, so its next use
// reads it afresh. The platform calls it when another node reports a change
// to the token (package cluster); RevokeAPIToken calls it itself.
func (s *Service) ForgetToken(id int64) { s.tokens.forgetToken(id) }

// ForgetUser drops every remembered API token of user id, after a change to
// the user's status, roles or departments.
func (s *Service) ForgetUser(id int64) { s.tokens.forgetUser(id) }

// ForgetTokens drops every remembered API token (when changes may have been
// missed).
func (s *Service) ForgetTokens() { s.tokens.forget(func(cachedToken) bool { return true }) }

// loadActor builds the actor of a user from its row, roles and departments.
// It is read on every request of a session, so role and department changes
// take effect at once there (for API tokens: within TokenCacheTTL).
func loadActor(ctx context.Context, db bun.IDB, userID int64) (*Actor, error) {
	var u struct {
		DisplayName string `bun:"display_name"`
		RegionCode  string `bun:"region_code"`
		USCC        string `bun:"uscc"`
		MustChange  bool   `bun:"password_change_required"`
	}
	if err := db.NewSelect().Table("users").Column("display_name", "region_code", "uscc", "password_change_required").
		Where("id = ?", userID).Scan(ctx, &u); err != nil {
		return nil, fmt.Errorf("load user %d: %w", userID, err)
	}
	a := &Actor{UserID: userID, Name: u.DisplayName, RegionCode: u.RegionCode, USCC: u.USCC,
		MustChangePassword: u.MustChange}
	var roles []string
	if err := db.NewSelect().Table("user_roles").Column("role").Where("user_id = ?", userID).
		Order("role").Scan(ctx, &roles); err != nil {
		return nil, fmt.Errorf("load roles of user %d: %w", userID, err)
	}
	for _, r := range roles {
		if Role(r).Valid() {
			a.Roles = append(a.Roles, Role(r))
		}
	}
	if err := db.NewSelect().Table("user_departments").Column("department_id").Where("user_id = ?", userID).
		Order("department_id").Scan(ctx, &a.DepartmentIDs); err != nil {
		return nil, fmt.Errorf("load departments of user %d: %w", userID, err)
	}
	return a, nil
}

// newToken returns prefix followed by 32 random bytes in unpadded base64url.
func newToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what is stored for a token: its SHA-256, hex-encoded. Tokens
// carry 256 bits of randomness, so a fast hash suffices.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// TokenCacheTTL bounds how long Service remembers the actor of an API token.
// Within it, a request with the token costs no query; a change made on
// another node (the token revoked, the user disabled, roles or departments
// changed) takes effect here after at most this long. Changes made through
// this node's Service (RevokeAPIToken, SignOutUser) take effect at once.
const TokenCacheTTL = 5 * time.Second

// maxCachedTokens bounds the remembered tokens. Tokens belong to
// integrations, so a node sees few; an attacker presenting unknown tokens
// adds nothing, because only tokens that authenticate are remembered.
const maxCachedTokens = 1024

// tokenCache remembers, by token hash, the actor of API tokens that
// authenticated recently.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
	// gen counts the forget calls. An actor read from the database is
	// remembered only if no forget happened since the read began, so a
	// request racing with a revocation cannot put the token back.
	gen uint64
}

type cachedToken struct {
	tokenID   int64
	actor     *Actor     // never handed out: callers get clones
	expiresAt *time.Time // the token's own expiry
	at        time.Time  // when it was read from the database
}

// get returns a copy of the actor remembered for hash if it was read less
// than TokenCacheTTL before now and the token has not expired since.
// Otherwise it returns the generation to pass to put after reading the
// token afresh.
func (c *tokenCache) get(hash string, now time.Time) (*Actor, uint64, bool) {
	c.mu.Lock()
	e, ok := c.m[hash]
	gen := c.gen
	c.mu.Unlock()
	if !ok || now.Before(e.at) || now.Sub(e.at) >= TokenCacheTTL ||
		(e.expiresAt != nil && !now.Before(*e.expiresAt)) {
		return nil, gen, false
	}
	return e.actor.clone(), gen, true
}

// put remembers a, the actor of token t, read at now, unless something was
// forgotten since get returned gen.
func (c *tokenCache) put(hash string, t *APIToken, a *Actor, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[string]cachedToken{}
	}
	if _, ok := c.m[hash]; !ok && len(c.m) >= maxCachedTokens {
		for k, e := range c.m {
			if now.Before(e.at) || now.Sub(e.at) >= TokenCacheTTL {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: drop any one
			if len(c.m) < maxCachedTokens {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[hash] = cachedToken{tokenID: t.ID, actor: a.clone(), expiresAt: t.ExpiresAt, at: now}
}

// forgetToken drops token id.
func (c *tokenCache) forgetToken(id int64) {
	c.forget(func(e cachedToken) bool { return e.tokenID == id })
}

// forgetUser drops every token of user id.
func (c *tokenCache) forgetUser(id int64) {
	c.forget(func(e cachedToken) bool { return e.actor.UserID == id })
}

func (c *tokenCache) forget(match func(cachedToken) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for k, e := range c.m {
		if match(e) {
			delete(c.m, k)
		}
	}
}

// clone returns a copy of a that shares no slice with it, so that a caller
// changing its actor cannot change the one remembered.
func (a *Actor) clone() *Actor {
	b := *a
	b.Roles = slices.Clone(a.Roles)
	b.DepartmentIDs = slices.Clone(a.DepartmentIDs)
	return &b
}
