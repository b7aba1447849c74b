package hotline_test

import (
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
)

// BenchmarkQueuePage reads the dispatcher's order list page (20 rows, each
// with its time left read from its workflow instance, its department and
// the masked number) against a baseline measured in the same run: the API
// read of one order by its id through the same stack.
func BenchmarkQueuePage(b *testing.B) {
	benchDBs(b, func(b *testing.B, db *store.DB) {
		w := setup(b, db, hotline.Config{})
		ctx := context.Background()
		var last *hotline.Order
		for i := range 200 {
			n := complaint("1390000" + strconv.Itoa(1000+i))
			n.Address += strconv.Itoa(i) // no duplicates
			last = w.intake(n)
			if i%2 == 0 {
				if _, err := w.m.Dispatch(ctx, w.a("disp"), last.ID, hotline.DispatchInput{Lead: w.deptB}); err != nil {
					b.Fatal(err)
				}
			}
		}
		c := w.client(b, "disp")
		get := func(b *testing.B, p string) {
			resp, err := c.Get(w.srv.URL + p)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("%s: %d", p, resp.StatusCode)
			}
		}
		b.Run("baseline-get-one", func(b *testing.B) {
			for b.Loop() {
				get(b, "/api/v1/hotline/orders/"+strconv.FormatInt(last.ID, 10))
			}
		})
		b.Run("orders-page", func(b *testing.B) {
			for b.Loop() {
				get(b, "/hotline/orders")
			}
		})
		b.Run("orders-page-filtered", func(b *testing.B) {
			for b.Loop() {
				get(b, "/hotline/orders?status=dispatched&dept="+strconv.FormatInt(w.deptB, 10))
			}
		})
	})
}
