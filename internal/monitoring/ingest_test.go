package monitoring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func post(t testing.TB, url, tok string, items []Reading) int {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"items": items})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func openAlerts(t testing.TB, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM monitoring_alerts WHERE closed_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIngestHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &Store{DB: db}
		x, tokX, _ := st.Register(ctx, RegisteredDevice{Device: Device{USCC: "X", Kind: "cold_chain"}, DepartmentID: 1, Location: "a", Unit: "℃"}, t0)
		y, _, _ := st.Register(ctx, RegisteredDevice{Device: Device{USCC: "Y", Kind: "cold_chain"}, DepartmentID: 1, Location: "b", Unit: "℃"}, t0)
		svc := NewService(st, rules(t), Responder{})
		svc.Now = func() time.Time { return t0.Add(time.Hour) }
		srv := httptest.NewServer(svc)
		defer srv.Close()
		if c := post(t, srv.URL, tokX, []Reading{{x.ID, t0, "temp_c", -10}}); c != 200 {
			t.Fatalf("post: %d", c)
		}
		if n := openAlerts(t, db); n != 1 {
			t.Errorf("open alerts %d, want 1", n)
		}
		if c := post(t, srv.URL, tokX, []Reading{{x.ID, t0.Add(time.Minute), "temp_c", -18}, {y.ID, t0, "temp_c", -18}}); c != 403 {
			t.Errorf("X for Y: %d, want 403", c)
		}
		if c := post(t, srv.URL, tokX, []Reading{{x.ID, t0.Add(time.Minute), "temp_c", -18}, {x.ID, t0.Add(time.Minute), "", -18}}); c != 422 {
			t.Errorf("no metric: %d, want 422", c)
		}
		if c := post(t, srv.URL, tokX, make([]Reading, MaxBatch+1)); c != 413 {
			t.Errorf("oversized batch: %d, want 413", c)
		}
		if c := post(t, srv.URL, "ysdev_not-a-token", []Reading{{x.ID, t0.Add(time.Minute), "temp_c", -18}}); c != 401 {
			t.Errorf("unknown token: %d, want 401", c)
		}
		var count int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitoring_readings`).Scan(&count)
		if count != 1 {
			t.Errorf("readings stored %d, want 1 (all or nothing)", count)
		}
		st.Revoke(ctx, x.ID)
		if c := post(t, srv.URL, tokX, []Reading{{x.ID, t0.Add(2 * time.Minute), "temp_c", -18}}); c != 401 {
			t.Errorf("revoked: %d, want 401", c)
		}
	})
}

// BenchmarkIngest posts batches of 5,000 readings through HTTP, with rule
// evaluation and without (the baseline), on SQLite (and PostgreSQL when
// YS_TEST_POSTGRES is set).
func BenchmarkIngest(b *testing.B) {
	engines := map[string]func(testing.TB) *store.DB{"sqlite": storetest.OpenSQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		engines["postgres"] = storetest.OpenPostgres
	}
	for _, eng := range []string{"sqlite", "postgres"} {
		open := engines[eng]
		if open == nil {
			continue
		}
		for _, skip := range []bool{true, false} {
			name := eng + "/" + map[bool]string{true: "baseline-no-rules", false: "with-rules"}[skip]
			b.Run(name, func(b *testing.B) {
				db := open(b)
				ctx := context.Background()
				st := &Store{DB: db}
				var ids []int64
				var tok string
				for i := 0; i < 10; i++ {
					d, tk, err := st.Register(ctx, RegisteredDevice{Device: Device{USCC: "X", Kind: "cold_chain"}, DepartmentID: 1, Location: fmt.Sprint(i), Unit: "℃"}, t0)
					if err != nil {
						b.Fatal(err)
					}
					ids, tok = append(ids, d.ID), tk
				}
				svc := NewService(st, mustRules(b), Responder{})
				svc.SkipRules = skip
				svc.Now = func() time.Time { return t0.Add(100 * 24 * time.Hour) }
				srv := httptest.NewServer(svc)
				defer srv.Close()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					items := make([]Reading, MaxBatch)
					for j := range items {
						items[j] = Reading{ids[j%10], t0.Add(time.Duration(i*MaxBatch+j) * time.Second), "temp_c", -18}
					}
					if c := post(b, srv.URL, tok, items); c != 200 {
						b.Fatalf("post: %d", c)
					}
				}
				b.ReportMetric(float64(b.N*MaxBatch)/b.Elapsed().Seconds(), "readings/s")
			})
		}
	}
}

func mustRules(tb testing.TB) *RuleSet {
	rs, err := DefaultRules()
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}
