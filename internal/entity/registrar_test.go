package entity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The handlers of the department keeping the register (登记机关) import it
// within their own region; other handlers may not import at all.
func TestRegistrarImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
		s, err := entity.New(entity.Deps{DB: db, Box: box, Policy: auth.NewPolicy(), Now: func() time.Time { return now },
			Registrars: func(context.Context) ([]int64, error) { return []int64{7}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		registrar := &auth.Actor{UserID: 5, Name: "承办", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{7}}
		other := &auth.Actor{UserID: 6, Name: "城管", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{8}}
		if ok, err := s.MayImport(ctx, other); ok || err != nil {
			t.Errorf("another department's handler may import: %v %v", ok, err)
		}
		if _, err := s.Import(ctx, other, strings.NewReader(heading+csvRow(1)), entity.ImportOptions{Format: "csv"}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("another department's handler imports: %v", err)
		}
		rep, err := s.Import(ctx, registrar, strings.NewReader(heading+csvRow(1)+csvRow(2)), entity.ImportOptions{Format: "csv"})
		if err != nil || !rep.Applied || rep.Created != 2 {
			t.Fatalf("the registrar's import: %+v %v", rep, err)
		}
		// A row of another district is refused, naming row and field.
		far := strings.Replace(csvRow(3), ",990102,", ",990103,", 1)
		rep, err = s.Import(ctx, registrar, strings.NewReader(heading+far), entity.ImportOptions{Format: "csv"})
		if err != nil || rep.Applied || len(rep.Rejected) != 1 || rep.Rejected[0].Row != 2 || rep.Rejected[0].Field != "region_code" {
			t.Fatalf("a row outside the region: %+v %v", rep, err)
		}
	})
}
