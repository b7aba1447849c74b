package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/revision"
)

// itemSet exposes the working copies of items to the versions pages.
type itemSet struct{ m *Module }

func (s itemSet) id(key string) (int64, error) {
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != key {
		return 0, ErrNotFound
	}
	return id, nil
}

func (s itemSet) Authorize(ctx context.Context, a *auth.Actor, key string) error {
	id, err := s.id(key)
	if err != nil {
		return err
	}
	r, err := s.m.readable(ctx, s.m.d.DB, a, id)
	if err != nil {
		return err
	}
	return s.m.d.Policy.Authorize(a, auth.ActAct, object(r.RegionCode, r.DepartmentID))
}

func (s itemSet) Current(ctx context.Context, key string) (any, error) {
	id, err := s.id(key)
	if err != nil {
		return nil, err
	}
	it, err := loadWorking(ctx, s.m.d.DB, id)
	if err != nil {
		return nil, err
	}
	return it.Draft, nil
}

// Rows flattens a working copy by label, as the versions page of
// published versions compares them.
func (s itemSet) Rows(_ context.Context, snapshot json.RawMessage) ([]revision.Row, error) {
	var d Draft
	if err := json.Unmarshal(snapshot, &d); err != nil {
		return nil, fmt.Errorf("catalog: item snapshot: %w", err)
	}
	var rows []revision.Row
	for _, e := range flatten(&Item{Draft: d}) {
		if e.value != "" {
			rows = append(rows, revision.Row{Key: e.label, Value: e.value})
		}
	}
	return rows, nil
}

func (s itemSet) Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error {
	id, err := s.id(key)
	if err != nil {
		return err
	}
	var d Draft
	if err := json.Unmarshal(snapshot, &d); err != nil {
		return fmt.Errorf("catalog: item snapshot: %w", err)
	}
	_, err = s.m.update(ctx, a, id, d, 0, base, revision.ReasonRestore, from)
	return err
}

func (s itemSet) Title(ctx context.Context, key string) string {
	id, err := s.id(key)
	if err != nil {
		return key
	}
	it, err := loadWorking(ctx, s.m.d.DB, id)
	if err != nil {
		return key
	}
	return it.Code + " " + it.Name
}

func (s itemSet) Link(key string) string { return "/catalog/manage/" + key }

// parseSetForm reads an edit form of the item in the path strictly (see
// revision.ParseForm): a body that is not a whole form with the required
// fields changes nothing and is answered 4xx — 422 with the edit page.
func (m *Module) parseSetForm(w http.ResponseWriter, r *http.Request, required ...string) bool {
	err := revision.ParseForm(r, 1<<20, required...)
	if err == nil {
		return true
	}
	var fe *revision.FormError
	if errors.As(err, &fe) && fe.Status == http.StatusUnprocessableEntity {
		m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, []*FieldError{{Path: fe.Field,
			Message: "表单不完整，未作任何更改 (the form is incomplete; nothing was changed)"}})
		return false
	}
	m.s.Error(w, r, fe.Status, "")
	return false
}
