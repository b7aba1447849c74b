package auth_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	db    *store.DB
	clock *clock
	org   *org.Service
	auth  *auth.Service
	user  *org.User // handler "wangwu" in departments A and B, password "Correct horse 1"
	deptA int64
	deptB int64
}

const password = "Correct horse 1"

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)}
	box, err := pii.New([]byte("test secret key, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	o := org.NewService(db, box, c.Now)
	o.Password = auth.TestPasswordParams
	for _, r := range []org.Region{{Code: "440300", Name: "深圳市"}, {Code: "440304", Name: "福田区", ParentCode: "440300"}} {
		if _, err := o.CreateRegion(ctx, db, r); err != nil {
			t.Fatal(err)
		}
	}
	a, err := o.CreateDepartment(ctx, db, org.NewDepartment{Code: "A", Name: "甲局", RegionCode: "440304"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.CreateDepartment(ctx, db, org.NewDepartment{Code: "B", Name: "乙局", RegionCode: "440304"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := o.CreateUser(ctx, db, org.NewUser{Username: "wangwu", DisplayName: "王五", Password: password,
		Roles: []auth.Role{auth.RoleHandler}, RegionCode: "440304", DepartmentIDs: []int64{a.ID, b.ID}})
	if err != nil {
		t.Fatal(err)
	}
	s := auth.NewService(db, c.Now, auth.Options{Password: auth.TestPasswordParams, Audit: audit.New(c.Now)})
	return &env{db: db, clock: c, org: o, auth: s, user: u, deptA: a.ID, deptB: b.ID}
}

func (e *env) signIn(t *testing.T) string {
	t.Helper()
	tok, _, err := e.auth.SignIn(context.Background(), "wangwu", password, auth.ClientMeta{IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	return tok
}

func (e *env) mustAuth(t *testing.T, tok string) *auth.Actor {
	t.Helper()
	a, err := e.auth.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	return a
}

func (e *env) refused(t *testing.T, tok, why string) {
	t.Helper()
	if a, err := e.auth.Authenticate(context.Background(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("%s: Authenticate = %v, %v; want ErrUnauthenticated", why, a, err)
	}
}

func TestSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok, a, err := e.auth.SignIn(ctx, " WangWu ", password, auth.ClientMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, auth.SessionTokenPrefix) || len(tok) != len(auth.SessionTokenPrefix)+43 {
			t.Errorf("token %q: want prefix and 32 bytes base64url", tok)
		}
		want := []int64{e.deptA, e.deptB}
		if a.UserID != e.user.ID || a.Name != "王五" || !a.Has(auth.RoleHandler) || a.RegionCode != "440304" ||
			!slices.Equal(a.DepartmentIDs, want) {
			t.Errorf("actor = %+v", a)
		}
		if got := e.mustAuth(t, tok); got.UserID != e.user.ID || !slices.Equal(got.DepartmentIDs, want) {
			t.Errorf("Authenticate actor = %+v", got)
		}
		// Only the hash of the token is stored.
		var stored string
		if err := db.NewSelect().Table("sessions").Column("token_hash").Limit(1).Scan(ctx, &stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, tok[len(auth.SessionTokenPrefix):]) || len(stored) != 64 {
			t.Errorf("stored token %q is not a SHA-256", stored)
		}
		for _, tc := range []struct{ user, pw string }{{"wangwu", "wrong horse"}, {"nobody", password}, {"", ""}} {
			if _, _, err := e.auth.SignIn(ctx, tc.user, tc.pw, auth.ClientMeta{}); !errors.Is(err, auth.ErrBadCredentials) {
				t.Errorf("SignIn(%q, %q) err = %v, want ErrBadCredentials", tc.user, tc.pw, err)
			}
		}
		for _, bad := range []string{"", "garbage", auth.SessionTokenPrefix + "x", auth.APITokenPrefix + "x", tok[:len(tok)-1]} {
			e.refused(t, bad, "bad token "+bad)
		}
		// Role and department changes show on the next request.
		only := []int64{e.deptB}
		roles := []auth.Role{auth.RoleHandler, auth.RoleApprover}
		if _, err := e.org.UpdateUser(ctx, db, e.user.ID, org.UserUpdate{DepartmentIDs: &only, Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		if got := e.mustAuth(t, tok); !slices.Equal(got.DepartmentIDs, only) || !got.Has(auth.RoleApprover) {
			t.Errorf("after update actor = %+v", got)
		}
	})
}

func TestEnterpriseActor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		uscc := "91440300MA5FXXXX1" + string(ids.USCCCheck("91440300MA5FXXXX1"))
		if _, err := e.org.CreateUser(ctx, db, org.NewUser{Username: "acme", DisplayName: "某某公司", Password: password,
			Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "440304", USCC: uscc}); err != nil {
			t.Fatal(err)
		}
		_, a, err := e.auth.SignIn(ctx, "acme", password, auth.ClientMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if a.USCC != uscc || a.IsStaff() {
			t.Errorf("enterprise actor = %+v", a)
		}
	})
}

// A username is locked only for the address that failed: the rightful
// user, from their own address, signs in while an attacker is locked out,
// and the lock answers like a wrong password.
func TestLockoutPerAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		attacker := auth.ClientMeta{IP: "203.0.113.9"}
		owner := auth.ClientMeta{IP: "198.51.100.20"}
		signIn := func(pw string, m auth.ClientMeta) error {
			_, _, err := e.auth.SignIn(ctx, "wangwu", pw, m)
			return err
		}
		// A success resets the pair's count: four failures, a success,
		// four more failures do not lock.
		for range 4 {
			if err := signIn("wrong", owner); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("failure: %v", err)
			}
		}
		if err := signIn(password, owner); err != nil {
			t.Fatalf("success after 4 failures: %v", err)
		}
		for i := 1; i <= 5; i++ {
			if err := signIn("wrong", attacker); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("attacker failure %d: %v", i, err)
			}
		}
		if err := signIn(password, attacker); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("right password from the locked address: %v", err)
		}
		if err := signIn(password, owner); err != nil {
			t.Fatalf("owner locked out by another address: %v", err)
		}
		// An IPv6 attacker is one address per /64.
		v6 := func(host string) auth.ClientMeta { return auth.ClientMeta{IP: "2001:db8:1:2::" + host} }
		for i := range 5 {
			signIn("wrong", v6(strconv.Itoa(i+1)))
		}
		if err := signIn(password, v6("99")); !errors.Is(err, auth.ErrLocked) {
			t.Errorf("another address of the same /64: %v, want ErrLocked", err)
		}
		e.clock.Add(14 * time.Minute)
		if err := signIn(password, attacker); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("after 14 minutes: %v", err)
		}
		e.clock.Add(15 * time.Minute)
		if err := signIn(password, attacker); err != nil {
			t.Fatalf("15 minutes after the last try: %v", err)
		}
		// An administrator's reset (ClearFailures) lifts a lock at once.
		// (An hour on, so that the username's own count, which by now
		// slows new addresses, has lapsed.)
		e.clock.Add(time.Hour)
		attacker = auth.ClientMeta{IP: "203.0.113.10"}
		for range 5 {
			signIn("wrong", attacker)
		}
		if err := signIn(password, attacker); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("before reset: %v, want ErrLocked", err)
		}
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := e.org.SetPassword(ctx, tx, e.user.ID, "A new passw0rd", true); err != nil {
				return err
			}
			return e.auth.ClearFailures(ctx, tx, "WangWu")
		}); err != nil {
			t.Fatal(err)
		}
		if err := signIn("A new passw0rd", attacker); err != nil {
			t.Fatalf("after reset: %v", err)
		}
	})
}

// One address failing against many usernames is slowed down with
// exponential waits (429 with Retry-After at the web layer), before any
// password is checked; known and unknown usernames count alike.
func TestThrottleByAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		scanner := auth.ClientMeta{IP: "203.0.113.50"}
		for i := range 10 {
			user := "nobody" + strconv.Itoa(i)
			if i%2 == 0 {
				user = "wangwu"
			}
			if _, _, err := e.auth.SignIn(ctx, user, "wrong", scanner); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("free failure %d: %v", i+1, err)
			}
		}
		retry := func(why string) time.Duration {
			t.Helper()
			_, _, err := e.auth.SignIn(ctx, "someone", "wrong", scanner)
			var th *auth.ThrottledError
			if !errors.As(err, &th) || !errors.Is(err, auth.ErrThrottled) {
				t.Fatalf("%s: err = %v, want ThrottledError", why, err)
			}
			return th.RetryAfter
		}
		if d := retry("11th attempt at once"); d != time.Second {
			t.Errorf("first wait = %v, want 1s", d)
		}
		// The right password does not pass while throttled.
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, scanner); !errors.Is(err, auth.ErrThrottled) {
			t.Errorf("right password while throttled: %v", err)
		}
		waits := []time.Duration{}
		for range 4 {
			e.clock.Add(retry("before the wait"))
			if _, _, err := e.auth.SignIn(ctx, "someone", "wrong", scanner); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("after the wait: %v", err)
			}
			waits = append(waits, retry("after another failure"))
		}
		if !slices.Equal(waits, []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}) {
			t.Errorf("waits = %v, want doubling", waits)
		}
		// Other addresses are not slowed, and the owner signs in.
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, auth.ClientMeta{IP: "198.51.100.20"}); err != nil {
			t.Errorf("owner from another address: %v", err)
		}
		// The address is forgiven after an hour without failures.
		e.clock.Add(time.Hour)
		if _, _, err := e.auth.SignIn(ctx, "someone", "wrong", scanner); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("an hour later: %v", err)
		}
	})
}

// Many addresses against one username slow it down but never lock it: the
// wait is capped, and an address that signed in as the user before is not
// slowed at all. An unknown username behaves the same.
func TestThrottleByUsername(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		home := auth.ClientMeta{IP: "198.51.100.20"}
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, home); err != nil {
			t.Fatal(err)
		}
		for _, user := range []string{"wangwu", "nobody"} {
			for i := range 20 {
				bot := auth.ClientMeta{IP: "203.0.113." + strconv.Itoa(i+1)}
				if _, _, err := e.auth.SignIn(ctx, user, "wrong", bot); !errors.Is(err, auth.ErrBadCredentials) {
					t.Fatalf("%s: failure %d: %v", user, i+1, err)
				}
			}
			_, _, err := e.auth.SignIn(ctx, user, "wrong", auth.ClientMeta{IP: "192.0.2.77"})
			var th *auth.ThrottledError
			if !errors.As(err, &th) || th.RetryAfter != time.Second {
				t.Errorf("%s: 21st failure from a new address: %v, want a 1s wait", user, err)
			}
		}
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, home); err != nil {
			t.Errorf("known address slowed by others' failures: %v", err)
		}
		// The wait is capped at a minute, then a new address may try.
		for i := range 30 {
			e.clock.Add(time.Minute)
			e.auth.SignIn(ctx, "wangwu", "wrong", auth.ClientMeta{IP: "203.0.114." + strconv.Itoa(i+1)})
		}
		_, _, err := e.auth.SignIn(ctx, "wangwu", password, auth.ClientMeta{IP: "192.0.2.78"})
		var th *auth.ThrottledError
		if !errors.As(err, &th) || th.RetryAfter > time.Minute {
			t.Fatalf("new address after 50 failures: %v, want a wait of at most a minute", err)
		}
		e.clock.Add(th.RetryAfter)
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, auth.ClientMeta{IP: "192.0.2.78"}); err != nil {
			t.Errorf("after the capped wait: %v", err)
		}
	})
}

// Concurrent attempts from one address each see the ones before them: a
// burst cannot slip more guesses past the lock than the limit.
func TestLockoutConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		m := auth.ClientMeta{IP: "203.0.113.9"}
		var wg sync.WaitGroup
		var mu sync.Mutex
		bad := 0
		for range 12 {
			wg.Go(func() {
				_, _, err := e.auth.SignIn(ctx, "wangwu", "wrong", m)
				if errors.Is(err, auth.ErrBadCredentials) {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if bad > 5 {
			t.Errorf("%d attempts checked the password, want at most 5", bad)
		}
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, m); err == nil {
			t.Error("right password after the burst signed in")
		}
	})
}

// Every sign-in event is an audit entry naming the client; failures name
// the username tried, never the password.
func TestSignInAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		m := auth.ClientMeta{IP: "203.0.113.9", UserAgent: "Mozilla/5.0 test"}
		tok, _, err := e.auth.SignIn(ctx, "wangwu", password, m)
		if err != nil {
			t.Fatal(err)
		}
		e.auth.SignIn(ctx, "nobody\x00", "s3cret-Guess!", m)
		for range 5 {
			e.auth.SignIn(ctx, "wangwu", "s3cret-Guess!", m)
		}
		if err := e.auth.SignOut(ctx, tok, m); err != nil {
			t.Fatal(err)
		}
		recs, _, err := audit.List(ctx, db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for i := len(recs) - 1; i >= 0; i-- {
			r := recs[i]
			if !strings.HasPrefix(r.Action, "auth.") {
				continue
			}
			actions = append(actions, r.Action)
			d := string(r.Detail)
			if strings.Contains(d, "s3cret") || strings.Contains(d, password) {
				t.Errorf("%s detail holds a password: %s", r.Action, d)
			}
			if !strings.Contains(d, `"client":"203.0.113.9"`) {
				t.Errorf("%s detail lacks the client address: %s", r.Action, d)
			}
		}
		want := []string{"auth.signin", "auth.signin_failed",
			"auth.signin_failed", "auth.signin_failed", "auth.signin_failed", "auth.signin_failed",
			"auth.signin_failed", "auth.lockout", "auth.signout"}
		if !slices.Equal(actions, want) {
			t.Errorf("actions = %v, want %v", actions, want)
		}
		var unknown audit.Record
		for _, r := range recs {
			if r.Action == "auth.signin_failed" && strings.Contains(string(r.Detail), "nobody") {
				unknown = r
			}
		}
		if !strings.Contains(string(unknown.Detail), "\"username\":\"nobody\uFFFD\"") || unknown.ActorID != 0 {
			t.Errorf("unknown user's failure = %+v, want the username tried, control character replaced", unknown)
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Errorf("chain: %v", err)
		}
	})
}

// A password set by an administrator marks the actor until its holder
// changes it; the change checks the current password and the rules, keeps
// the current session and ends the others, and is audited.
func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := e.org.SetPassword(ctx, db, e.user.ID, "Temp-2026-go", true); err != nil {
			t.Fatal(err)
		}
		m := auth.ClientMeta{IP: "198.51.100.20"}
		cur, a, err := e.auth.SignIn(ctx, "wangwu", "Temp-2026-go", m)
		if err != nil {
			t.Fatal(err)
		}
		other, _, _ := e.auth.SignIn(ctx, "wangwu", "Temp-2026-go", m)
		if !a.MustChangePassword || !e.mustAuth(t, cur).MustChangePassword {
			t.Error("admin-set password: actor not marked")
		}
		for _, tc := range []struct {
			current, next string
			want          error
		}{
			{"wrong", "Brand-new-9", auth.ErrWrongPassword},
			{"Temp-2026-go", "Temp-2026-go", auth.ErrSamePassword},
			{"Temp-2026-go", "short1A", auth.ErrPasswordLength},
			{"Temp-2026-go", "Wangwu-2026", auth.ErrPasswordUsername},
			{"Temp-2026-go", "Admin@123", auth.ErrPasswordCommon},
		} {
			if err := e.auth.ChangePassword(ctx, cur, tc.current, tc.next, m); !errors.Is(err, tc.want) {
				t.Errorf("ChangePassword(%q, %q) = %v, want %v", tc.current, tc.next, err, tc.want)
			}
		}
		if err := e.auth.ChangePassword(ctx, cur, "Temp-2026-go", "Brand-new-9", m); err != nil {
			t.Fatal(err)
		}
		if a := e.mustAuth(t, cur); a.MustChangePassword {
			t.Error("still marked after the change")
		}
		e.refused(t, other, "other session after a password change")
		if _, _, err := e.auth.SignIn(ctx, "wangwu", "Brand-new-9", m); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{})
		n := 0
		for _, r := range recs {
			if r.Action == "auth.password_change" && r.ActorID == e.user.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d auth.password_change entries, want 1", n)
		}
		// A wrong current password counts as a failed sign-in: five lock
		// the address out of changing (and signing in).
		for range 5 {
			if err := e.auth.ChangePassword(ctx, cur, "wrong", "Brand-new-10", m); !errors.Is(err, auth.ErrWrongPassword) {
				t.Fatalf("wrong current password: %v", err)
			}
		}
		if _, _, err := e.auth.SignIn(ctx, "wangwu", "Brand-new-9", m); !errors.Is(err, auth.ErrLocked) {
			t.Errorf("after five wrong current passwords: %v, want ErrLocked", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		t.Run("idle", func(t *testing.T) {
			tok := e.signIn(t)
			e.clock.Add(29 * time.Minute)
			e.mustAuth(t, tok)
			e.clock.Add(29 * time.Minute) // 58 minutes in, but used 29 minutes ago
			e.mustAuth(t, tok)
			e.clock.Add(30 * time.Minute)
			e.refused(t, tok, "idle 30 minutes")
			e.clock.Add(-30 * time.Minute)
			e.refused(t, tok, "expired session is gone")
		})
		t.Run("absolute", func(t *testing.T) {
			tok := e.signIn(t)
			for range 35 { // 35 × 20 min = 11 h 40 min
				e.clock.Add(20 * time.Minute)
				e.mustAuth(t, tok)
			}
			e.clock.Add(20 * time.Minute) // 12 h
			e.refused(t, tok, "12 hours after sign-in")
		})
		t.Run("cleanup", func(t *testing.T) {
			live := e.signIn(t)
			n, err := e.auth.DeleteExpired(context.Background())
			if err != nil || n != 0 {
				t.Errorf("DeleteExpired = %d, %v; want 0 (both earlier sessions already removed)", n, err)
			}
			e.signIn(t)
			e.clock.Add(31 * time.Minute)
			if n, err := e.auth.DeleteExpired(context.Background()); err != nil || n != 2 {
				t.Errorf("DeleteExpired = %d, %v; want 2", n, err)
			}
			recs, _, _ := audit.List(context.Background(), e.db, audit.Filter{})
			if len(recs) == 0 || recs[0].Action != "auth.sessions_expired" || string(recs[0].Detail) != `{"count":2}` {
				t.Errorf("newest audit entry %+v, want the sweep of 2 sessions", recs[0])
			}
			e.refused(t, live, "cleaned up")
		})
	})
}

func TestSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok1, tok2 := e.signIn(t), e.signIn(t)
		ss, err := e.auth.ListSessions(ctx, e.user.ID, tok2)
		if err != nil || len(ss) != 2 || ss[0].IP != "192.0.2.1" || !ss[0].Current || ss[1].Current {
			t.Errorf("ListSessions = %+v, %v; want two, the newest current", ss, err)
		}
		if err := e.auth.SignOut(ctx, tok1, auth.ClientMeta{}); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok1, "signed out")
		e.mustAuth(t, tok2)
		if err := e.auth.SignOut(ctx, tok1, auth.ClientMeta{}); err != nil {
			t.Errorf("second sign-out: %v", err)
		}
		// A user ends one of their sessions; another's is not theirs.
		tok4 := e.signIn(t)
		ss, _ = e.auth.ListSessions(ctx, e.user.ID, "")
		if err := e.auth.EndSession(ctx, e.user.ID+1, ss[0].ID, auth.ClientMeta{}); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("ending another user's session: %v, want ErrNotFound", err)
		}
		e.mustAuth(t, tok4)
		if err := e.auth.EndSession(ctx, e.user.ID, ss[0].ID, auth.ClientMeta{}); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok4, "ended from the list")
		e.mustAuth(t, tok2)
		if err := e.auth.SignOutUser(ctx, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok2, "signed out everywhere")
		// A password change ends the sessions opened before it.
		tok3 := e.signIn(t)
		if err := e.org.SetPassword(ctx, db, e.user.ID, "Another passw0rd", false); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok3, "after password change")
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok, id, err := e.auth.CreateAPIToken(ctx, e.user.ID, "对接系统", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, auth.APITokenPrefix) || len(tok) != len(auth.APITokenPrefix)+43 {
			t.Errorf("API token %q", tok)
		}
		if a := e.mustAuth(t, tok); a.UserID != e.user.ID || len(a.DepartmentIDs) != 2 {
			t.Errorf("API token actor = %+v", a)
		}
		e.clock.Add(24 * time.Hour) // no idle timeout for API tokens
		e.mustAuth(t, tok)
		short, _, err := e.auth.CreateAPIToken(ctx, e.user.ID, "临时", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.mustAuth(t, short)
		e.clock.Add(time.Hour)
		e.refused(t, short, "expired API token")
		ts, err := e.auth.ListAPITokens(ctx, e.user.ID)
		if err != nil || len(ts) != 2 || ts[1].ID != id || ts[1].LastUsedAt == nil || ts[0].Active(e.clock.Now()) {
			t.Errorf("ListAPITokens = %+v, %v", ts, err)
		}
		if err := e.auth.RevokeAPIToken(ctx, e.user.ID+1, id); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("revoking through another user: %v", err)
		}
		e.mustAuth(t, tok)
		if err := e.auth.RevokeAPIToken(ctx, e.user.ID, id); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok, "revoked API token")
		if err := e.auth.RevokeAPIToken(ctx, e.user.ID, id); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
		if _, _, err := e.auth.CreateAPIToken(ctx, e.user.ID, " ", 0); err == nil {
			t.Error("token without a name created")
		}
		if _, _, err := e.auth.CreateAPIToken(ctx, 9999, "x", 0); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("token for unknown user: %v", err)
		}
	})
}

func TestDisabledUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		sess := e.signIn(t)
		api, _, err := e.auth.CreateAPIToken(ctx, e.user.ID, "x", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.org.DisableUser(ctx, db, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, sess, "session of disabled user")
		e.refused(t, api, "API token of disabled user")
		if _, _, err := e.auth.SignIn(ctx, "wangwu", password, auth.ClientMeta{}); !errors.Is(err, auth.ErrDisabled) {
			t.Errorf("SignIn disabled, right password: %v", err)
		}
		if _, _, err := e.auth.SignIn(ctx, "wangwu", "wrong", auth.ClientMeta{}); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("SignIn disabled, wrong password: %v", err)
		}
		if _, _, err := e.auth.StartSession(ctx, e.user.ID, auth.ClientMeta{}); !errors.Is(err, auth.ErrDisabled) {
			t.Errorf("StartSession disabled: %v", err)
		}
		if _, _, err := e.auth.CreateAPIToken(ctx, e.user.ID, "y", 0); !errors.Is(err, auth.ErrDisabled) {
			t.Errorf("CreateAPIToken disabled: %v", err)
		}
		if err := e.org.EnableUser(ctx, db, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, sess, "old session after re-enabling")
		e.mustAuth(t, api)
		e.mustAuth(t, e.signIn(t))
	})
}

func TestPasswordRehashedOnSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		stronger := auth.TestPasswordParams
		stronger.Time = 2
		s := auth.NewService(db, e.clock.Now, auth.Options{Password: stronger})
		if _, _, err := s.SignIn(ctx, "wangwu", password, auth.ClientMeta{}); err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := db.NewSelect().Table("users").Column("password_hash").Where("id = ?", e.user.ID).Scan(ctx, &hash); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(hash, "t=2,") {
			t.Errorf("hash not upgraded: %s", hash)
		}
		if _, _, err := s.SignIn(ctx, "wangwu", password, auth.ClientMeta{}); err != nil {
			t.Errorf("sign-in with upgraded hash: %v", err)
		}
	})
}

// An API token's actor is remembered for TokenCacheTTL: changes made
// elsewhere show after it, revocation and signing out on this node at once.
func TestAPITokenCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok, id, err := e.auth.CreateAPIToken(ctx, e.user.ID, "对接系统", 0)
		if err != nil {
			t.Fatal(err)
		}
		a := e.mustAuth(t, tok)
		a.Roles[0], a.DepartmentIDs = auth.RoleAdmin, nil // the caller's copy
		if a := e.mustAuth(t, tok); !slices.Equal(a.Roles, []auth.Role{auth.RoleHandler}) || len(a.DepartmentIDs) != 2 {
			t.Errorf("remembered actor changed through a returned one: %+v", a)
		}

		// A role change made elsewhere shows once the entry is older than the TTL.
		roles := []auth.Role{auth.RoleHandler, auth.RoleSupervisor}
		if _, err := e.org.UpdateUser(ctx, db, e.user.ID, org.UserUpdate{Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		if a := e.mustAuth(t, tok); len(a.Roles) != 1 {
			t.Errorf("within the TTL: roles %v, want the remembered ones", a.Roles)
		}
		e.clock.Add(auth.TokenCacheTTL)
		if a := e.mustAuth(t, tok); len(a.Roles) != 2 {
			t.Errorf("after the TTL: roles %v, want both", a.Roles)
		}

		// Disabling the user is seen within the TTL, or at once with SignOutUser.
		if err := e.org.DisableUser(ctx, db, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.mustAuth(t, tok) // remembered: the documented bound
		if err := e.auth.SignOutUser(ctx, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok, "disabled and signed out")
		if err := e.org.EnableUser(ctx, db, e.user.ID); err != nil {
			t.Fatal(err)
		}

		// Revocation is at once; expiry is checked on remembered tokens too.
		e.mustAuth(t, tok)
		if err := e.auth.RevokeAPIToken(ctx, e.user.ID, id); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok, "revoked while remembered")
		short, _, err := e.auth.CreateAPIToken(ctx, e.user.ID, "临时", 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		e.mustAuth(t, short)
		e.clock.Add(2 * time.Second)
		e.refused(t, short, "expired while remembered")
	})
}
