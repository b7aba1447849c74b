package revision_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

type set struct {
	Rows []string `json:"rows"`
}

// TestReplace: the first replacement keeps the content found as a
// baseline; a stale base is refused and writes nothing, also when the
// apply step would have succeeded; Latest, Get and List read back.
func TestReplace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := revision.Store{}
		a := &auth.Actor{UserID: 7, Name: "管理员"}
		stored := set{Rows: []string{"a", "b"}}
		replace := func(base string, next set) (revision.Revision, error) {
			var rev revision.Revision
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				rev, err = st.Replace(ctx, tx, revision.Replacement{Kind: "test", Key: "k", Base: base, Current: stored,
					Next: next, Size: len(next.Rows), Actor: a,
					Apply: func(context.Context, store.IDB) error { stored = next; return nil }})
				return err
			})
			return rev, err
		}
		h0, _ := revision.Hash(stored)
		rev, err := replace(h0, set{Rows: []string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		if rev.Seq != 2 || rev.ActorName != "管理员" || rev.Reason != revision.ReasonSave {
			t.Fatalf("rev = %+v", rev)
		}
		if _, err := replace(h0, set{Rows: nil}); !errors.Is(err, revision.ErrStale) {
			t.Fatalf("stale base: %v", err)
		}
		if len(stored.Rows) != 1 {
			t.Fatal("a stale replacement applied")
		}
		list, err := st.List(ctx, db, "test", "k", 0)
		if err != nil || len(list) != 2 || list[1].Reason != revision.ReasonBaseline || list[0].Snapshot != nil {
			t.Fatalf("list = %+v, %v", list, err)
		}
		base, err := st.Get(ctx, db, "test", "k", list[1].ID)
		if err != nil || !strings.Contains(string(base.Snapshot), `"b"`) || base.Hash != h0 {
			t.Fatalf("baseline = %+v, %v", base, err)
		}
		if _, err := st.Get(ctx, db, "test", "other", list[1].ID); !errors.Is(err, revision.ErrNotFound) {
			t.Fatalf("a revision of another set: %v", err)
		}
		// No base: no check; the content is already the latest, so no
		// second baseline.
		if rev, err = replace("", set{Rows: []string{"c"}}); err != nil || rev.Seq != 3 {
			t.Fatalf("rev = %+v, %v", rev, err)
		}
		latest, err := st.Latest(ctx, db, "test", "k")
		if err != nil || latest.ID != rev.ID {
			t.Fatalf("latest = %+v, %v", latest, err)
		}
	})
}

// TestConcurrentReplace: of two administrators confirming against the
// same version at once, one saves and the other is refused as stale, on
// both engines (SQLite serialises the writers, so the second reads the new
// content; PostgreSQL lets both read the old one, and the revisions'
// unique sequence stops the second).
func TestConcurrentReplace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE t_set (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO t_set (id, v) VALUES (1, 'a')"); err != nil {
			t.Fatal(err)
		}
		h0, _ := revision.Hash(set{Rows: []string{"a"}})
		st := revision.Store{}
		start := make(chan struct{})
		errs := make(chan error, 2)
		for _, v := range []string{"b", "c"} {
			go func() {
				<-start
				errs <- db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
					_, err := st.Replace(ctx, tx, revision.Replacement{Kind: "test", Key: "k", Base: h0,
						ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) {
							var cur string
							err := tx.QueryRowContext(ctx, "SELECT v FROM t_set WHERE id = 1").Scan(&cur)
							return set{Rows: []string{cur}}, err
						},
						Next: set{Rows: []string{v}},
						Apply: func(ctx context.Context, tx store.IDB) error {
							time.Sleep(50 * time.Millisecond) // hold the transaction open
							_, err := tx.ExecContext(ctx, "UPDATE t_set SET v = ? WHERE id = 1", v)
							return err
						}})
					return err
				})
			}()
		}
		close(start)
		var ok, stale int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, revision.ErrStale):
				stale++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || stale != 1 {
			t.Fatalf("%d saved, %d refused as stale; want one each", ok, stale)
		}
	})
}

func TestDiff(t *testing.T) {
	got := revision.Diff(
		[]revision.Row{{"2026-01-01", "holiday 元旦"}, {"2026-02-01", "holiday x"}, {"note", "n"}},
		[]revision.Row{{"note", "n"}, {"2026-02-01", "workday x"}, {"2026-03-01", "holiday y"}})
	want := []revision.Change{
		{Op: revision.Removed, Key: "2026-01-01", Old: "holiday 元旦"},
		{Op: revision.Changed, Key: "2026-02-01", Old: "holiday x", New: "workday x"},
		{Op: revision.Added, Key: "2026-03-01", New: "holiday y"},
	}
	if len(got) != len(want) {
		t.Fatalf("diff = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if c := revision.Count(got); c != (revision.Counts{Added: 1, Removed: 1, Changed: 1}) {
		t.Errorf("count = %+v", c)
	}
}

// TestParseForm: only a browser's form content types, whole, with the
// required fields.
func TestParseForm(t *testing.T) {
	for _, c := range []struct {
		name, ct, body string
		want           int
	}{
		{"ok", "application/x-www-form-urlencoded", "days=x", 0},
		{"ok with charset", "application/x-www-form-urlencoded; charset=UTF-8", "days=", 0},
		{"missing field", "application/x-www-form-urlencoded", "note=x", http.StatusUnprocessableEntity},
		{"text", "text/plain", "days=x", http.StatusUnsupportedMediaType},
		{"none", "", "days=x", http.StatusUnsupportedMediaType},
		{"json", "application/json", `{"days":"x"}`, http.StatusUnsupportedMediaType},
		{"bad escape", "application/x-www-form-urlencoded", "days=%zz", http.StatusBadRequest},
		{"truncated multipart", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"days\"\r\n\r\nabc", http.StatusBadRequest},
		{"multipart", "multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"days\"\r\n\r\nabc\r\n--XX--\r\n", 0},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.body))
		if c.ct != "" {
			r.Header.Set("Content-Type", c.ct)
		}
		err := revision.ParseForm(r, 1<<20, "days")
		got := 0
		var fe *revision.FormError
		if errors.As(err, &fe) {
			got = fe.Status
		} else if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: status %d, want %d (%v)", c.name, got, c.want, err)
		}
		if c.want == 0 && c.name == "multipart" && r.PostForm.Get("days") != "abc" {
			t.Errorf("multipart days = %q", r.PostForm.Get("days"))
		}
	}
}
