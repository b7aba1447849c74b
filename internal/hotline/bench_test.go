package hotline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func benchDBs(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, storetest.OpenSQLite(b)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		b.Run("postgres", func(b *testing.B) { fn(b, storetest.OpenPostgres(b)) })
	}
}

// post sends body to url with the bearer token and fails on a non-2xx.
func post(b *testing.B, c *http.Client, url, token string, body []byte) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Errorf("POST %s: %s", url, resp.Status)
	}
}

func orderBody(i int64) []byte {
	body, _ := json.Marshal(map[string]any{"channel": "phone", "type": "complaint", "category_code": "010101",
		"content":     fmt.Sprintf("江滨路%d号夜市占道经营严重，晚上油烟噪声扰民，行人无法通行", i),
		"caller_name": "李先生", "caller_phone": fmt.Sprintf("139%08d", i%100000000),
		"region_code": "990102", "address": fmt.Sprintf("临江区江滨路%d号", i)})
	return body
}

func report(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkIntakeHTTP takes in orders through the JSON API, as an operator
// with an API token: validation, duplicate check, dispatch suggestion,
// numbering, the encrypted insert, the workflow start (instance, history,
// timers, event) and its audit entry, each order in one transaction.
func BenchmarkIntakeHTTP(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		w := setup(b, db, hotline.Config{})
		w.now = time.Now()
		token, _, err := w.auth.CreateAPIToken(context.Background(), w.a("op").UserID, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		url := w.srv.URL + "/api/v1/hotline/orders"
		var n atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				post(b, c, url, token, orderBody(n.Add(1)))
			}
		})
		report(b)
	})
}

// BenchmarkBaselineInsertHTTP is the floor to compare with: a bare
// net/http handler that decodes the same JSON and inserts the same order
// row with one INSERT, nothing else.
func BenchmarkBaselineInsertHTTP(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		var seq atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			var in hotline.NewOrder
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(rw, err.Error(), 400)
				return
			}
			now := time.Now().UTC()
			_, err := db.ExecContext(r.Context(), `INSERT INTO hotline_orders (number, channel, order_type, category_code,
				title, content, caller_name, caller_phone, caller_phone_idx, caller_user_id, taken_by, uscc, region_code,
				address, urgent, confidential, status, instance_id, lead_department_id, assist_department_ids, source_ref,
				direct_closed, reply_text, visit_satisfaction, visit_note, reopen_count, transfer_outcome, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0, 0, '', ?, ?, FALSE, FALSE, 'new', 0, 0, '', '', FALSE, '', '', '', 0, '', ?, ?)`,
				fmt.Sprintf("b%d", seq.Add(1)), in.Channel, in.Type, in.CategoryCode, in.Content, in.Content, in.CallerName,
				in.CallerPhone, in.RegionCode, in.Address, now, now)
			if err != nil {
				http.Error(rw, err.Error(), 500)
				return
			}
			rw.Header().Set("Content-Type", "application/json")
			rw.Write([]byte(`{"ok":true}`))
		}))
		defer srv.Close()
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var n atomic.Int64
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				post(b, c, srv.URL, "", orderBody(n.Add(1)))
			}
		})
		report(b)
	})
}

// BenchmarkDuplicatesSamePlace is the duplicate check of a report in a
// burst about one place: 60 similar, unmerged orders at the same address
// from other callers, all within the duplicate window.
func BenchmarkDuplicatesSamePlace(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		w := setup(b, db, hotline.Config{})
		w.now = time.Now()
		for i := range 60 {
			n := complaint(fmt.Sprintf("1390000%04d", i))
			n.Content = fmt.Sprintf("江滨路夜市占道经营严重，晚上十点后油烟噪声扰民，行人无法通行（第%d位来电）", i)
			w.intake(n)
		}
		next := complaint("13700009999")
		ctx := context.Background()
		b.ResetTimer()
		for b.Loop() {
			if _, err := w.m.Duplicates(ctx, next); err != nil {
				b.Fatal(err)
			}
		}
	})
}
