package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	slow := ModuleFunc(func(s *Server) error {
		s.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "done")
		})
		return nil
	})
	s, err := New(Config{Modules: []Module{slow}, ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel() // shut down while /slow is being served

	// New connections are refused once shutdown has begun.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) before the in-flight request finished", err)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	stuck := ModuleFunc(func(s *Server) error {
		s.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) })
		return nil
	})
	s, err := New(Config{Modules: []Module{stuck}, ShutdownTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	go http.Get("http://" + ln.Addr().String() + "/stuck")
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-served:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve = %v, want a shutdown deadline error", err)
		}
	case <-time.After(time.Second):
		t.Fatal("shutdown did not respect its deadline")
	}
}

func TestHealthz(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, err := New(Config{DB: db})
		if err != nil {
			t.Fatal(err)
		}
		w := do(s, httptest.NewRequest("GET", "/healthz", nil))
		if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "ok" {
			t.Errorf("healthy: %d %q", w.Code, w.Body)
		}
		rec := httptest.NewRecorder()
		s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if m := rec.Body.String(); !strings.Contains(m, "\nys_db_open_connections ") {
			t.Errorf("/metrics lacks the pool gauges:\n%s", m)
		}
		db.Close()
		if w := do(s, httptest.NewRequest("GET", "/healthz", nil)); w.Code != http.StatusServiceUnavailable {
			t.Errorf("database closed: %d, want 503", w.Code)
		}
	})
}

type notFoundErr struct{}

func (notFoundErr) Error() string  { return "hotline: order 5 not found" }
func (notFoundErr) NotFound() bool { return true }

type fieldErr struct{ field, msg string }

func (e fieldErr) Error() string { return e.msg }
func (e fieldErr) Field() string { return e.field }

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{auth.ErrUnauthenticated, 401},
		{fmt.Errorf("wrapped: %w", auth.ErrBadCredentials), 401},
		{auth.ErrForbidden, 403},
		{auth.ErrLocked, 401}, // answered as a wrong password
		{&auth.ThrottledError{RetryAfter: time.Second}, 429},
		{sql.ErrNoRows, 404},
		{fmt.Errorf("get: %w", notFoundErr{}), 404},
		{fmt.Errorf("check: %w", errors.Join(fieldErr{"uscc", "bad check digit"}, fieldErr{"phone", "too short"})), 422},
		{&http.MaxBytesError{Limit: 1}, 413},
		{errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestProblem(t *testing.T) {
	s, _ := newTestServer(t)
	ctx := context.Background()
	err := s.Problem(ctx, fmt.Errorf("register: %w", errors.Join(fieldErr{"uscc", "bad check digit"}, fieldErr{"phone", "too short"})))
	var m *huma.ErrorModel
	if !errors.As(err, &m) || m.Status != 422 || len(m.Errors) != 2 ||
		m.Errors[0].Location != "body.uscc" || m.Errors[1].Location != "body.phone" {
		t.Errorf("validation problem: %+v", m)
	}
	err = s.Problem(ctx, errors.New("pq: password authentication failed for user yingshang"))
	if !errors.As(err, &m) || m.Status != 500 || strings.Contains(m.Detail, "password") || len(m.Errors) != 0 {
		t.Errorf("internal error leaked: %+v", m)
	}
}

// TestUniqueViolationIs409 runs on each database: both drivers' unique
// violations must map to 409 Conflict.
func TestUniqueViolationIs409(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE web_uniq (k TEXT NOT NULL UNIQUE)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO web_uniq (k) VALUES ('a')"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, "INSERT INTO web_uniq (k) VALUES ('a')")
		if got := StatusOf(fmt.Errorf("org: create: %w", err)); got != http.StatusConflict {
			t.Errorf("StatusOf(%v) = %d, want 409", err, got)
		}
		err = db.NewSelect().Table("web_uniq").Column("k").Where("k = 'zzz'").Scan(ctx, new(string))
		if got := StatusOf(err); got != http.StatusNotFound {
			t.Errorf("StatusOf(%v) = %d, want 404", err, got)
		}
	})
}
