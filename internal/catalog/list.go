package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
)

// Query selects items for List and StaffList. Zero values do not filter.
type Query struct {
	Q            string   // words in the name, code, department, basis, conditions or materials
	DepartmentID int64    // owning department
	Type         ItemType // item type
	RegionCode   string   // owned by this region or a region within it
	Online       *bool    // may be applied for online
	Instant      *bool    // decided on the spot (即办件)
	Status       Status   // StaffList only
	Limit        int      // 1–200; 0 means 20
	Offset       int
}

func (q Query) limit() int {
	if q.Limit <= 0 {
		return 20
	}
	return min(q.Limit, 200)
}

// likePattern turns user text into a LIKE pattern matching it anywhere,
// escaping the wildcards with '!'.
func likePattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}

// regionPrefixPattern returns a LIKE pattern matching every region code
// within code.
func regionPrefixPattern(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2] + "%"
	case strings.HasSuffix(code, "00"):
		return code[:4] + "%"
	}
	return code
}

// List returns one page of the published catalogue matching q, and the
// number of matches. Withdrawn items and unpublished edits never appear.
// With a search index, matches come in its ranking; otherwise by code.
func (m *Module) List(ctx context.Context, q Query) ([]*Item, int, error) {
	sel := m.d.DB.NewSelect().Model((*versionRow)(nil)).
		Join("JOIN catalog_items AS i ON i.id = v.item_id AND i.version = v.version").
		Where("i.status = ?", StatusPublished)
	if q.DepartmentID > 0 {
		sel = sel.Where("v.department_id = ?", q.DepartmentID)
	}
	if q.Type != "" {
		sel = sel.Where("v.item_type = ?", q.Type)
	}
	if q.RegionCode != "" {
		sel = sel.Where("v.region_code LIKE ?", regionPrefixPattern(q.RegionCode))
	}
	if q.Online != nil {
		sel = sel.Where("v.online = ?", *q.Online)
	}
	if q.Instant != nil {
		sel = sel.Where("v.instant = ?", *q.Instant)
	}
	words := strings.Fields(q.Q)
	var ranked []int64
	if len(words) > 0 && m.d.Search != nil {
		ids, err := m.d.Search.SearchIDs(ctx, m.d.DB, SearchKind, q.Q)
		if err != nil {
			return nil, 0, fmt.Errorf("catalog: search %q: %w", q.Q, err)
		}
		if len(ids) == 0 {
			return []*Item{}, 0, nil
		}
		sel = sel.Where("v.item_id IN (?)", bun.In(ids))
		ranked = ids
	} else {
		for _, w := range words {
			sel = sel.Where("v.search_text "+m.d.DB.Like()+" ? ESCAPE '!'", likePattern(w))
		}
	}
	var rows []versionRow
	if ranked == nil {
		n, err := sel.Order("v.code").Limit(int64(q.limit())).Offset(int64(max(q.Offset, 0))).ScanAndCount(ctx, &rows)
		if err != nil {
			return nil, 0, fmt.Errorf("catalog: list: %w", err)
		}
		items, err := decode(rows)
		return items, int(n), err
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, 0, fmt.Errorf("catalog: search: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b versionRow) int {
		return slices.Index(ranked, a.ItemID) - slices.Index(ranked, b.ItemID)
	})
	total := len(rows)
	rows = rows[min(max(q.Offset, 0), total):min(max(q.Offset, 0)+q.limit(), total)]
	items, err := decode(rows)
	return items, total, err
}

func decode(rows []versionRow) ([]*Item, error) {
	out := make([]*Item, 0, len(rows))
	for i := range rows {
		it, err := rows[i].item()
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// StaffList returns one page of working copies within a's scope matching q
// (materials and fields left out), and the number of matches.
func (m *Module) StaffList(ctx context.Context, a *auth.Actor, q Query) ([]*Item, int, error) {
	if a == nil {
		return nil, 0, auth.ErrUnauthenticated
	}
	var rows []itemRow
	sel := m.d.DB.NewSelect().Model(&rows)
	regionWide := a.HasAny(auth.RoleAdmin, auth.RoleSupervisor, auth.RoleClerk) && a.RegionCode != ""
	deptWide := a.HasAny(auth.RoleApprover, auth.RoleHandler) && len(a.DepartmentIDs) > 0
	switch {
	case a.Has(auth.RoleSystem):
	case regionWide && deptWide:
		sel = sel.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("region_code LIKE ?", regionPrefixPattern(a.RegionCode)).
				WhereOr("department_id IN (?)", bun.In(a.DepartmentIDs))
		})
	case regionWide:
		sel = sel.Where("region_code LIKE ?", regionPrefixPattern(a.RegionCode))
	case deptWide:
		sel = sel.Where("department_id IN (?)", bun.In(a.DepartmentIDs))
	default:
		return []*Item{}, 0, nil
	}
	if q.DepartmentID > 0 {
		sel = sel.Where("department_id = ?", q.DepartmentID)
	}
	if q.Type != "" {
		sel = sel.Where("item_type = ?", q.Type)
	}
	if q.Status != "" {
		sel = sel.Where("status = ?", q.Status)
	}
	if q.RegionCode != "" {
		sel = sel.Where("region_code LIKE ?", regionPrefixPattern(q.RegionCode))
	}
	for _, w := range strings.Fields(q.Q) {
		pat := likePattern(w)
		like := m.d.DB.Like()
		sel = sel.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("code "+like+" ? ESCAPE '!'", pat).WhereOr("name "+like+" ? ESCAPE '!'", pat).
				WhereOr("short_name "+like+" ? ESCAPE '!'", pat)
		})
	}
	n, err := sel.Order("code").Limit(int64(q.limit())).Offset(int64(max(q.Offset, 0))).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("catalog: staff list: %w", err)
	}
	out := make([]*Item, len(rows))
	for i := range rows {
		out[i] = rows[i].item()
		out[i].DepartmentName = m.departmentName(ctx, rows[i].DepartmentID)
	}
	return out, int(n), nil
}
