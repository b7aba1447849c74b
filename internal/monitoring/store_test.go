package monitoring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &Store{DB: db}
		x, tokX, err := s.Register(ctx, RegisteredDevice{Device: Device{USCC: "X", Kind: "cold_chain"}, DepartmentID: 1, Location: "冷库1", Unit: "℃"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		y, _, err := s.Register(ctx, RegisteredDevice{Device: Device{USCC: "Y", Kind: "cold_chain"}, DepartmentID: 1, Location: "冷库2", Unit: "℃"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.Authenticate(ctx, tokX)
		if err != nil || d.ID != x.ID {
			t.Fatalf("authenticate: %v %+v", err, d)
		}
		devsX, err := s.Devices(ctx, d.USCC)
		if err != nil {
			t.Fatal(err)
		}
		// A token of business X cannot post for Y's device.
		if err := ValidateBatch([]Reading{{y.ID, t0, "temp_c", -18}}, plain(devsX), nil, t0); err == nil {
			t.Error("X posted for Y")
		}
		batch := []Reading{{x.ID, t0, "temp_c", -18}, {x.ID, t0.Add(time.Minute), "temp_c", -17}}
		for want, i := int64(2), 0; i < 2; want, i = 0, i+1 {
			var n int64
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				n, err = s.Insert(ctx, tx, batch)
				return err
			})
			if err != nil || n != want {
				t.Fatalf("insert %d: n=%d err=%v, want %d (idempotent)", i, n, err, want)
			}
		}
		if err := s.Revoke(ctx, x.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, tokX); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("revoked token: %v", err)
		}
	})
}
