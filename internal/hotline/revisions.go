package hotline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// The hotline's configuration is kept as revisions, so that a change can
// be undone from the versions pages: the dispatch directory per region
// (key: the region code of its lines), the limits per request type (key:
// the type) and the category tree (key: "tree").
const (
	RevisionDirectory  = "hotline.directory"
	RevisionLimits     = "hotline.limits"
	RevisionCategories = "hotline.categories"
	categoriesKey      = "tree"
)

// dirLine is a directory line as its revisions keep it.
type dirLine struct {
	CategoryCode string `json:"category_code"`
	DepartmentID int64  `json:"department_id"`
	Note         string `json:"note,omitempty"`
}

// readDirectory reads the directory lines of region, by category.
func readDirectory(ctx context.Context, db store.IDB, region string) ([]dirLine, error) {
	rows, err := store.Query(ctx, db, `SELECT category_code, department_id, note FROM hotline_directory
		WHERE region_code = ? ORDER BY category_code`, region)
	if err != nil {
		return nil, fmt.Errorf("hotline: directory of %s: %w", region, err)
	}
	defer rows.Close()
	out := []dirLine{}
	for rows.Next() {
		var l dirLine
		if err := rows.Scan(&l.CategoryCode, &l.DepartmentID, &l.Note); err != nil {
			return nil, fmt.Errorf("hotline: directory of %s: %w", region, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// readCategories reads the whole tree, by code.
func readCategories(ctx context.Context, db store.IDB) ([]Category, error) {
	rows, err := store.Query(ctx, db, "SELECT code, parent_code, name, name_en, active FROM hotline_categories ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("hotline: categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.Code, &c.ParentCode, &c.Name, &c.NameEn, &c.Active); err != nil {
			return nil, fmt.Errorf("hotline: categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// readLimits reads the limits of t as their revisions keep them (without
// the time of the change).
func readLimits(ctx context.Context, db store.IDB, t Type) (Limits, error) {
	l := Limits{Type: t}
	err := store.QueryRow(ctx, db, `SELECT sign_n, sign_unit, urgent_sign_n, urgent_sign_unit, handle_n, handle_unit
		FROM hotline_limits WHERE order_type = ?`, t).Scan(&l.SignFor.N, &l.SignFor.Unit, &l.UrgentSignFor.N,
		&l.UrgentSignFor.Unit, &l.Handle.N, &l.Handle.Unit)
	if err != nil {
		return Limits{}, fmt.Errorf("hotline: limits %s: %w", t, err)
	}
	return l, nil
}

func (m *Module) dropDirectoryCache() {
	m.mu.Lock()
	m.dirAt = time.Time{}
	m.mu.Unlock()
}

// directorySet exposes a region's directory lines to the versions pages.
type directorySet struct{ m *Module }

func (s directorySet) Authorize(ctx context.Context, a *auth.Actor, key string) error {
	if ids.ValidateRegionCode(key) != nil {
		return ErrNotFound
	}
	if !a.HasAny(auth.RoleDispatcher, auth.RoleAdmin) ||
		s.m.d.Policy.Authorize(a, auth.ActAct, auth.Object{Kind: Kind, RegionCode: key}) != nil {
		return auth.ErrForbidden
	}
	return nil
}

func (s directorySet) Current(ctx context.Context, key string) (any, error) {
	return readDirectory(ctx, s.m.d.DB, key)
}

func (s directorySet) Rows(ctx context.Context, snapshot json.RawMessage) ([]revision.Row, error) {
	var lines []dirLine
	if err := json.Unmarshal(snapshot, &lines); err != nil {
		return nil, fmt.Errorf("hotline: directory snapshot: %w", err)
	}
	rows := make([]revision.Row, len(lines))
	for i, l := range lines {
		v := s.m.departmentName(ctx, l.DepartmentID)
		if l.Note != "" {
			v += "（" + l.Note + "）"
		}
		rows[i] = revision.Row{Key: l.CategoryCode + " " + s.m.CategoryPath(l.CategoryCode), Value: v}
	}
	return rows, nil
}

// Restore replaces the region's lines with the snapshot's, each checked
// as a new line would be.
func (s directorySet) Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error {
	if err := s.Authorize(ctx, a, key); err != nil {
		return err
	}
	var lines []dirLine
	if err := json.Unmarshal(snapshot, &lines); err != nil {
		return fmt.Errorf("hotline: directory snapshot: %w", err)
	}
	var p problems
	for _, l := range lines {
		if _, ok := s.m.Category(l.CategoryCode); !ok {
			p.add("category_code", "诉求分类 "+l.CategoryCode+" 已不存在 (the category no longer exists)")
		}
		if d, err := s.m.d.Org.GetDepartment(ctx, l.DepartmentID); err != nil || !d.Active {
			p.add("department_id", fmt.Sprintf("承办部门 %d 不存在或已停用 (unknown or inactive department)", l.DepartmentID))
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	err := s.m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := s.m.revs.Replace(ctx, tx, revision.Replacement{Kind: RevisionDirectory, Key: key, Base: base,
			ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) { return readDirectory(ctx, tx, key) }, Next: lines, Size: len(lines), Actor: a, RegionCode: key, Reason: revision.ReasonRestore, RestoredFrom: from,
			Apply: func(ctx context.Context, tx store.IDB) error {
				if _, err := store.Exec(ctx, tx, "DELETE FROM hotline_directory WHERE region_code = ?", key); err != nil {
					return err
				}
				now := store.Time(s.m.d.Now())
				for _, l := range lines {
					if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_directory (category_code, region_code, department_id, note, updated_at)
						VALUES (?, ?, ?, ?, ?)`, l.CategoryCode, key, l.DepartmentID, l.Note, now); err != nil {
						return err
					}
				}
				return nil
			}})
		if err != nil {
			return err
		}
		_, err = s.m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.directory_restore",
			ObjectType: "hotline_directory", ObjectID: key, RegionCode: key,
			Detail: map[string]any{"lines": len(lines), "revision": rev.Seq, "restored_from": from}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: restore directory of %s: %w", key, err)
	}
	s.m.dropDirectoryCache()
	return nil
}

func (s directorySet) Title(ctx context.Context, key string) string {
	name := key
	if r, err := s.m.d.Org.GetRegion(ctx, key); err == nil {
		name = r.Name
	}
	return "派单目录 · " + name
}

func (s directorySet) Link(string) string { return "/hotline/directory" }

// limitsSet exposes each request type's limits to the versions pages.
type limitsSet struct{ m *Module }

func (s limitsSet) Authorize(ctx context.Context, a *auth.Actor, key string) error {
	if !Type(key).Valid() {
		return ErrNotFound
	}
	if !s.m.canConfigure(ctx, a) {
		return auth.ErrForbidden
	}
	return nil
}

func (s limitsSet) Current(ctx context.Context, key string) (any, error) {
	return readLimits(ctx, s.m.d.DB, Type(key))
}

func (s limitsSet) Rows(_ context.Context, snapshot json.RawMessage) ([]revision.Row, error) {
	var l Limits
	if err := json.Unmarshal(snapshot, &l); err != nil {
		return nil, fmt.Errorf("hotline: limits snapshot: %w", err)
	}
	text := func(x flow.Limit) string { return fmt.Sprintf("%d %s", x.N, x.Unit) }
	return []revision.Row{{Key: "sign_for", Value: text(l.SignFor)}, {Key: "urgent_sign_for", Value: text(l.UrgentSignFor)},
		{Key: "handle", Value: text(l.Handle)}}, nil
}

func (s limitsSet) Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error {
	var l Limits
	if err := json.Unmarshal(snapshot, &l); err != nil || l.Type != Type(key) {
		return fmt.Errorf("hotline: limits snapshot of %s: %w", key, errors.Join(err, ErrNotFound))
	}
	if !s.m.canConfigure(ctx, a) {
		return auth.ErrForbidden
	}
	return s.m.setLimits(ctx, a, l, base, revision.ReasonRestore, from)
}

func (s limitsSet) Title(_ context.Context, key string) string {
	return "处理时限 (limits) · " + Type(key).Name()
}

func (s limitsSet) Link(key string) string { return "/hotline/limits/" + key }

// categoriesSet exposes the category tree to the versions pages.
type categoriesSet struct{ m *Module }

func (s categoriesSet) Authorize(ctx context.Context, a *auth.Actor, key string) error {
	if key != categoriesKey {
		return ErrNotFound
	}
	if !s.m.canConfigure(ctx, a) {
		return auth.ErrForbidden
	}
	return nil
}

func (s categoriesSet) Current(ctx context.Context, _ string) (any, error) {
	return readCategories(ctx, s.m.d.DB)
}

func (s categoriesSet) Rows(_ context.Context, snapshot json.RawMessage) ([]revision.Row, error) {
	var cats []Category
	if err := json.Unmarshal(snapshot, &cats); err != nil {
		return nil, fmt.Errorf("hotline: categories snapshot: %w", err)
	}
	rows := make([]revision.Row, len(cats))
	for i, c := range cats {
		v := c.Name + " / " + c.NameEn
		if !c.Active {
			v += " · 停用 (inactive)"
		}
		rows[i] = revision.Row{Key: c.Code, Value: v}
	}
	return rows, nil
}

// Restore gives every category of the snapshot its names and state back;
// a category added since is deactivated, not deleted, since orders may be
// filed under it.
func (s categoriesSet) Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error {
	if err := s.Authorize(ctx, a, key); err != nil {
		return err
	}
	var cats []Category
	if err := json.Unmarshal(snapshot, &cats); err != nil || len(cats) == 0 {
		return fmt.Errorf("hotline: categories snapshot: %w", errors.Join(err, ErrNotFound))
	}
	err := s.m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := s.m.revs.Replace(ctx, tx, revision.Replacement{Kind: RevisionCategories, Key: categoriesKey, Base: base,
			ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) { return readCategories(ctx, tx) }, Size: len(cats), Actor: a, Reason: revision.ReasonRestore, RestoredFrom: from,
			Apply: func(ctx context.Context, tx store.IDB) error {
				if _, err := store.Exec(ctx, tx, "UPDATE hotline_categories SET active = FALSE"); err != nil {
					return err
				}
				for _, c := range cats {
					if _, err := store.Exec(ctx, tx, `INSERT INTO hotline_categories (code, parent_code, name, name_en, active)
						VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
						active = excluded.active`, c.Code, parentOf(c.Code), c.Name, c.NameEn, c.Active); err != nil {
						return err
					}
				}
				return nil
			},
			Read: func(ctx context.Context, tx store.IDB) (any, error) { return readCategories(ctx, tx) }})
		if err != nil {
			return err
		}
		_, err = s.m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.restore_categories",
			ObjectType: "hotline_category", ObjectID: "*", Detail: map[string]any{"categories": len(cats), "revision": rev.Seq, "restored_from": from}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: restore categories: %w", err)
	}
	return s.m.loadCategories(ctx)
}

func (s categoriesSet) Title(context.Context, string) string { return "诉求分类 (categories)" }

func (s categoriesSet) Link(string) string { return "/hotline/categories" }

// configForm reads a configuration form strictly (see revision.ParseForm).
// It returns the field errors of a form missing required fields (422), or
// writes the error page of a body that is no form at all and returns
// false.
func (m *Module) configForm(w http.ResponseWriter, r *http.Request, required ...string) (map[string]string, bool) {
	err := revision.ParseForm(r, 1<<20, required...)
	if err == nil {
		return nil, true
	}
	var fe *revision.FormError
	if errors.As(err, &fe) && fe.Status == http.StatusUnprocessableEntity {
		return map[string]string{fe.Field: "表单不完整，未作任何更改 (the form is incomplete; nothing was changed)"}, true
	}
	m.s.Error(w, r, fe.Status, "")
	return nil, false
}
