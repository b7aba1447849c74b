package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Two nodes' limiters on one database share the count: three events a
// minute from one address are three in all, whichever node takes them;
// the window ends a minute after its first event; another address and
// another scope count apart.
func TestLimiterSharedAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := store.NewLimiter(db, "test.search", 3, time.Minute)
		b := store.NewLimiter(db, "test.search", 3, time.Minute)
		other := store.NewLimiter(db, "test.other", 3, time.Minute)
		t0 := time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)
		allow := func(l *store.Limiter, key string, at time.Time) (bool, time.Duration) {
			t.Helper()
			ok, wait, err := l.Allow(ctx, key, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok, wait
		}
		for i, l := range []*store.Limiter{a, b, a} {
			if ok, _ := allow(l, "203.0.113.7", t0.Add(time.Duration(i)*time.Second)); !ok {
				t.Fatalf("event %d refused", i+1)
			}
		}
		if full, wait, err := b.Full(ctx, "203.0.113.7", t0.Add(3*time.Second)); err != nil || !full || wait != 57*time.Second {
			t.Fatalf("node b after 3 events on both: full %v, wait %s, %v", full, wait, err)
		}
		if ok, wait := allow(b, "203.0.113.7", t0.Add(10*time.Second)); ok || wait != 50*time.Second {
			t.Fatalf("4th event on node b: allowed %v, wait %s; want refused for 50s", ok, wait)
		}
		if ok, _ := allow(a, "203.0.113.8", t0.Add(10*time.Second)); !ok {
			t.Fatal("another address refused")
		}
		if ok, _ := allow(other, "203.0.113.7", t0.Add(10*time.Second)); !ok {
			t.Fatal("another scope refused")
		}
		if ok, _ := allow(a, "203.0.113.7", t0.Add(time.Minute)); !ok {
			t.Fatal("refused after the window ended")
		}
		if full, _, _ := b.Full(ctx, "203.0.113.7", t0.Add(time.Minute+time.Second)); full {
			t.Fatal("a new window is full after one event")
		}
		var keys int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM rate_limits WHERE key LIKE '203.%'`).Scan(&keys); err != nil || keys != 0 {
			t.Fatalf("addresses stored in clear: %d %v", keys, err)
		}
	})
}
