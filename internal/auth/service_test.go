package auth_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	user  *org.User // handler "wangwu" in departments A and B, password "correct horse"
	deptA int64
	deptB int64
}

const password = "correct horse"

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
	s := auth.NewService(db, c.Now, auth.Options{Password: auth.TestPasswordParams})
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

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		signIn := func(pw string) error {
			_, _, err := e.auth.SignIn(ctx, "wangwu", pw, auth.ClientMeta{})
			return err
		}
		// A success resets the count: four failures, a success, four more
		// failures do not lock.
		for range 4 {
			if err := signIn("wrong"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatalf("failure: %v", err)
			}
		}
		if err := signIn(password); err != nil {
			t.Fatalf("success after 4 failures: %v", err)
		}
		for i := 1; i <= 5; i++ {
			err := signIn("wrong")
			want := auth.ErrBadCredentials
			if i == 5 {
				want = auth.ErrLocked
			}
			if !errors.Is(err, want) {
				t.Fatalf("failure %d: err = %v, want %v", i, err, want)
			}
		}
		if err := signIn(password); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("right password while locked: %v", err)
		}
		if u, _ := e.org.GetUser(ctx, e.user.ID); u.LockedUntil == nil {
			t.Error("user shows no lock")
		}
		e.clock.Add(14 * time.Minute)
		if err := signIn(password); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("after 14 minutes: %v", err)
		}
		e.clock.Add(time.Minute)
		if err := signIn(password); err != nil {
			t.Fatalf("after 15 minutes: %v", err)
		}
		// The count starts again from zero.
		for range 4 {
			signIn("wrong")
		}
		if err := signIn(password); err != nil {
			t.Fatalf("4 failures after unlock locked the account: %v", err)
		}
		// An administrator's password reset clears a lockout.
		for range 5 {
			signIn("wrong")
		}
		if err := e.org.SetPassword(ctx, db, e.user.ID, "a new password"); err != nil {
			t.Fatal(err)
		}
		if err := signIn("a new password"); err != nil {
			t.Fatalf("after reset: %v", err)
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
			e.refused(t, live, "cleaned up")
		})
	})
}

func TestSignOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		tok1, tok2 := e.signIn(t), e.signIn(t)
		if ss, err := e.auth.ListSessions(ctx, e.user.ID); err != nil || len(ss) != 2 || ss[0].IP != "192.0.2.1" {
			t.Errorf("ListSessions = %+v, %v", ss, err)
		}
		if err := e.auth.SignOut(ctx, tok1); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok1, "signed out")
		e.mustAuth(t, tok2)
		if err := e.auth.SignOut(ctx, tok1); err != nil {
			t.Errorf("second sign-out: %v", err)
		}
		if err := e.auth.SignOutUser(ctx, e.user.ID); err != nil {
			t.Fatal(err)
		}
		e.refused(t, tok2, "signed out everywhere")
		// A password change ends the sessions opened before it.
		tok3 := e.signIn(t)
		if err := e.org.SetPassword(ctx, db, e.user.ID, "another password"); err != nil {
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
