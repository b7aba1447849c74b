package certificate_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// benchEngines runs fn on SQLite and, when YS_TEST_POSTGRES is set, on
// PostgreSQL.
func benchEngines(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.OpenSQLite(b)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, storetest.OpenPostgres(b)) })
	}
}

// benchTokens issues n certificates and returns their tokens.
func benchTokens(b *testing.B, w *world, n int) []string {
	var toks []string
	err := w.tx(func(ctx context.Context, tx store.Tx) error {
		for range n {
			c, err := w.m.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-SPJY", Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA, Fields: map[string]string{
					"legal_representative": "李娜", "address": "滨江路88号", "main_form": "餐饮服务", "items": "热食类"}})
			if err != nil {
				return err
			}
			toks = append(toks, c.Token)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return toks
}

// load drives url(i) with b.RunParallel over keep-alive connections and
// reports requests/s and the 99th percentile latency.
func load(b *testing.B, url func(i int) string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 × GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		i := 0
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Get(url(i))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
			i++
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkBaselineHTTP is the floor to compare verification with: a bare
// net/http handler doing one primary-key SELECT on the certificates table,
// over the same kind of connections.
func BenchmarkBaselineHTTP(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		w := setup(b, db)
		toks := benchTokens(b, w, 100)
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			var number string
			if err := db.QueryRowContext(r.Context(), `SELECT number FROM certificates WHERE id = ?`, 1+len(r.URL.Path)%100).Scan(&number); err != nil {
				http.Error(rw, err.Error(), 500)
				return
			}
			rw.Header().Set("Content-Type", "application/json")
			io.WriteString(rw, `{"number":"`+number+`"}`)
		}))
		defer srv.Close()
		load(b, func(i int) string { return srv.URL + "/" + toks[i%len(toks)] })
	})
}

// BenchmarkVerifyHTTP verifies certificates through the real handler
// (middleware, huma, the service), with the cache (default) and without.
func BenchmarkVerifyHTTP(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *store.DB) {
		w := setup(b, db)
		toks := benchTokens(b, w, 100)
		for _, mode := range []struct {
			name string
			ttl  time.Duration
		}{{"cached", 30 * time.Second}, {"uncached", -1}} {
			b.Run(mode.name, func(b *testing.B) {
				srv := w.server(b, mode.ttl)
				load(b, func(i int) string { return srv + "/api/v1/certificates/verify/" + toks[i%len(toks)] })
			})
		}
	})
}
