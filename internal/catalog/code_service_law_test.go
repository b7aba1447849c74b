package catalog_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// A new item's code carries its type's letters (catalog/code.go: the
// parts of the code the catalogue knows; GB/T 39554.1's own structure is
// not in the reference): a 行政备案 item coded XK is refused with 422 on
// code and nothing is stored; coded BA it is taken; a draft's code is
// checked again when it is edited.
func TestNewItemCodeCarriesTypeLetters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		d := w.food()
		d.Type = catalog.TypeFiling
		_, err := w.m.Create(ctx, w.actors["admin"], d)
		if !errors.Is(err, catalog.ErrInvalid) || web.StatusOf(err) != http.StatusUnprocessableEntity {
			t.Fatalf("filing item coded XK: %v, want 422", err)
		}
		if fes := catalog.FieldErrors(err); len(fes) != 1 || fes[0].Path != "code" {
			t.Errorf("field errors %v, want one on code", fes)
		}
		if n := count(t, db, "catalog_items"); n != 0 {
			t.Errorf("%d items stored after the refusal", n)
		}
		d.Code = "990102-BA-900"
		it, err := w.m.Create(ctx, w.actors["admin"], d)
		if err != nil {
			t.Fatalf("filing item coded BA: %v", err)
		}
		d.Type = catalog.TypeLicensing
		if _, err := w.m.Update(ctx, w.actors["admin"], it.ID, d, 0); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("draft changed to licensing keeping BA: %v, want ErrInvalid", err)
		}
	})
}
