package fairreview

import (
	"context"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The public may write 5 comments or reports in 100 seconds per address,
// counted in the database (every node shares it): the sixth waits out the
// window, after which the count starts again.
func TestPublicWritesAreBraked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		for i := range 5 {
			if ok, _ := e.m.allowWrite(ctx); !ok {
				t.Fatalf("write %d refused", i+1)
			}
		}
		ok, wait := e.m.allowWrite(ctx)
		if ok || wait <= 0 || wait > 100*time.Second {
			t.Fatalf("sixth write: allowed %v, wait %v", ok, wait)
		}
		e.now = e.now.Add(101 * time.Second)
		if ok, _ := e.m.allowWrite(ctx); !ok {
			t.Error("a write after the window was refused")
		}
	})
}
