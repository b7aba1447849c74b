package cluster_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/cluster"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// recorder keeps the keys a handler was called with.
type recorder struct {
	mu   sync.Mutex
	keys []string
}

func (r *recorder) handle(_ context.Context, key string) {
	r.mu.Lock()
	r.keys = append(r.keys, key)
	r.mu.Unlock()
}

// wait reports whether key arrives within d, and forgets what came before.
func (r *recorder) wait(key string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for i, k := range r.keys {
			if k == key {
				r.keys = r.keys[i+1:]
				r.mu.Unlock()
				return true
			}
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// A committed change reaches the handler with its key; a rolled-back one
// never does; after the connection is killed the listener reconnects, says
// "everything" (the empty key) and delivers again.
func TestListener(t *testing.T) {
	db := storetest.OpenPostgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	l := cluster.New(db, nil)
	l.MinBackoff = 10 * time.Millisecond
	var rec recorder
	l.On("departments", rec.handle)
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if !rec.wait("", 5*time.Second) {
		t.Fatal("no initial everything-changed call")
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO regions (code, name, level) VALUES ('990100', '云澜市', 2)`)
	var id int64
	if err := db.QueryRowContext(ctx, `INSERT INTO departments (code, name, name_en, region_code, active, created_at, updated_at)
		VALUES ('A', '甲', '', '990100', TRUE, now(), now()) RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE departments SET name = '乙' WHERE id = ?`, id)
	key := strconv.FormatInt(id, 10)
	if !rec.wait(key, time.Second) {
		t.Fatalf("no notification %q within 1 s of the update", key)
	}

	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE departments SET name = '丙' WHERE id = ?`, id); err != nil {
			return err
		}
		return context.Canceled // roll back
	})
	if err == nil {
		t.Fatal("transaction committed")
	}
	if rec.wait(key, 300*time.Millisecond) {
		t.Error("a rolled-back change was notified")
	}

	// Kill the listening backend: the listener must come back.
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()
		AND datname = current_database() AND query LIKE ?`, "%"+cluster.Channel(schemaOf(t, db))+"%")
	if !rec.wait("", 5*time.Second) {
		t.Fatal("no everything-changed call after the connection was killed")
	}
	exec(`UPDATE departments SET name = '丁' WHERE id = ?`, id)
	if !rec.wait(key, time.Second) {
		t.Fatal("no notification after reconnecting")
	}
	if l.Received() < 2 {
		t.Errorf("received %d notifications, want at least 2", l.Received())
	}
}

func schemaOf(t *testing.T, db *store.DB) string {
	var s string
	if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// On SQLite there is nothing to listen to: Run returns at once.
func TestListenerSQLite(t *testing.T) {
	l := cluster.New(storetest.OpenSQLite(t), nil)
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run on SQLite did not return")
	}
}
