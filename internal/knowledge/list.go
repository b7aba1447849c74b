package knowledge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
)

// ExpiringWithin is how far ahead Query.Expiring looks.
const ExpiringWithin = 30 * 24 * time.Hour

// Query selects working copies for List. Zero values do not filter.
type Query struct {
	Q            string // words in the title, questions, tags or answer
	CategoryCode string // this category and those below it
	DepartmentID int64
	Status       Status
	// Expiring selects articles whose validity ends within ExpiringWithin,
	// so their departments can renew them in time.
	Expiring bool
	Limit    int          // 1–200; 0 means 20
	After    store.Cursor // the page after this position (Page.Next of the page before)
}

func limitOf(n int) int {
	if n <= 0 {
		return 20
	}
	return min(n, 200)
}

// likePattern turns user text into a LIKE pattern matching it anywhere,
// escaping the wildcards with '!'.
func likePattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}

// regionPrefix returns a LIKE pattern matching every region code within code.
func regionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case strings.HasSuffix(code, "0000"):
		return code[:2] + "%"
	case strings.HasSuffix(code, "00"):
		return code[:4] + "%"
	}
	return code
}

// List returns one page of the working copies within a's reach that match
// q, most recently changed first, and where it ends: a keyset page on
// (updated_at, id), with the count bounded at store.CountBound. It searches
// the working copy (drafts included) by substring, so staff find what they
// just wrote before it is published and indexed.
func (m *Module) List(ctx context.Context, a *auth.Actor, q Query) ([]*Article, store.Page, error) {
	if a == nil {
		return nil, store.Page{}, auth.ErrUnauthenticated
	}
	var rows []articleRow
	sel := m.d.DB.NewSelect().Model(&rows)
	// The same filter counts: the ids, newest first, up to the bound.
	cnt := m.d.DB.NewSelect().Model((*articleRow)(nil)).Column("a.id")
	both := func(f func(*bun.SelectQuery) *bun.SelectQuery) { sel, cnt = f(sel), f(cnt) }
	regionWide := a.HasAny(auth.RoleAdmin, auth.RoleSupervisor, auth.RoleOperator, auth.RoleDispatcher, auth.RoleClerk) &&
		a.RegionCode != ""
	deptWide := a.HasAny(auth.RoleHandler, auth.RoleApprover) && len(a.DepartmentIDs) > 0
	switch {
	case a.Has(auth.RoleSystem):
	case regionWide && deptWide:
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
				return s.Where("region_code LIKE ?", regionPrefix(a.RegionCode)).
					WhereOr("department_id IN (?)", bun.In(a.DepartmentIDs))
			})
		})
	case regionWide:
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("region_code LIKE ?", regionPrefix(a.RegionCode))
		})
	case deptWide:
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("department_id IN (?)", bun.In(a.DepartmentIDs))
		})
	default:
		return []*Article{}, store.Page{}, nil
	}
	if q.CategoryCode != "" {
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("category_code LIKE ?", categoryPrefix(q.CategoryCode))
		})
	}
	if q.DepartmentID > 0 {
		both(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("department_id = ?", q.DepartmentID) })
	}
	if q.Status != "" {
		both(func(s *bun.SelectQuery) *bun.SelectQuery { return s.Where("status = ?", q.Status) })
	}
	if q.Expiring {
		now := m.d.Now()
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("valid_until IS NOT NULL AND valid_until > ? AND valid_until <= ?", store.Time(now), store.Time(now.Add(ExpiringWithin)))
		})
	}
	like := m.d.DB.Like()
	for _, w := range strings.Fields(q.Q) {
		pat := likePattern(w)
		both(func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
				return s.Where("title "+like+" ? ESCAPE '!'", pat).WhereOr("questions "+like+" ? ESCAPE '!'", pat).
					WhereOr("tags "+like+" ? ESCAPE '!'", pat).WhereOr("answer "+like+" ? ESCAPE '!'", pat)
			})
		})
	}
	var pg store.Page
	var n int
	if err := m.d.DB.NewSelect().TableExpr("(?) AS bounded", cnt.Order("a.updated_at DESC", "a.id DESC").Limit(store.CountBound+1)).
		ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil {
		return nil, store.Page{}, fmt.Errorf("knowledge: list: count: %w", err)
	}
	pg.Count = n
	if !q.After.IsZero() {
		ks, kargs := store.Before("a.updated_at", "a.id", q.After)
		sel = sel.Where(ks, kargs...)
	}
	limit := limitOf(q.Limit)
	if err := sel.Order("a.updated_at DESC", "a.id DESC").Limit(int64(limit + 1)).Scan(ctx); err != nil {
		return nil, store.Page{}, fmt.Errorf("knowledge: list: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		pg.Next = store.Cursor{At: last.UpdatedAt, ID: last.ID}
	}
	out := make([]*Article, len(rows))
	for i := range rows {
		out[i] = m.withNames(ctx, rows[i].article())
	}
	return out, pg, nil
}

// PublicQuery selects published articles for the FAQ.
type PublicQuery struct {
	Q            string // the question in the asker's words
	CategoryCode string // this category and those below it
	Limit        int    // 1–200; 0 means 20
	Offset       int
}

// PublicResult is one page of the FAQ.
type PublicResult struct {
	Items []*Version `json:"items"`
	Total int        `json:"total"`
	// Related says no article holds every word of Q, and Items are instead
	// the closest ones by Rank (one page, no more).
	Related bool `json:"related"`
}

// PublicList returns the published, currently valid articles matching q:
// with words, those holding every word, best first, or failing that the
// nearest ones (Rank); without, all of them by category.
func (m *Module) PublicList(ctx context.Context, q PublicQuery) (*PublicResult, error) {
	limit := limitOf(q.Limit)
	within := m.validIDs(m.d.DB, m.d.Now())
	var narrow func(*bun.SelectQuery) *bun.SelectQuery
	if q.CategoryCode != "" {
		narrow = func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("pv.category_code LIKE ?", categoryPrefix(q.CategoryCode))
		}
		within = narrow(within)
	}
	res := &PublicResult{Items: []*Version{}}
	if strings.TrimSpace(q.Q) != "" {
		hits, total, err := m.d.Search.Search(ctx, m.d.DB, SearchKind, q.Q,
			search.Options{Limit: limit, Offset: max(q.Offset, 0), Within: within})
		if errors.Is(err, search.ErrEmptyQuery) {
			return m.PublicList(ctx, PublicQuery{CategoryCode: q.CategoryCode, Limit: q.Limit, Offset: q.Offset})
		}
		if err != nil {
			return nil, fmt.Errorf("knowledge: faq search: %w", err)
		}
		ranked := make([]Ranked, len(hits))
		for i, h := range hits {
			ranked[i] = Ranked{ID: h.DocID, Score: h.Score, Complete: true}
		}
		if total == 0 && q.Offset <= 0 {
			if ranked, err = m.rank(ctx, q.Q, limit, narrow); err != nil {
				return nil, err
			}
			res.Related, total = true, len(ranked)
		}
		if len(ranked) > 0 {
			if res.Items, err = m.published(ctx, m.d.DB, ranked); err != nil {
				return nil, err
			}
		}
		res.Total = total
		return res, m.addNames(ctx, res.Items)
	}
	var rows []versionRow
	n, err := m.d.DB.NewSelect().Model(&rows).
		Join("JOIN kb_articles AS a ON a.id = v.article_id AND a.version = v.version").
		Where("v.article_id IN (?)", within).
		Order("v.category_code", "v.article_id").Limit(int64(limit)).Offset(int64(max(q.Offset, 0))).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("knowledge: faq list: %w", err)
	}
	for i := range rows {
		res.Items = append(res.Items, rows[i].version())
	}
	res.Total = int(n)
	return res, m.addNames(ctx, res.Items)
}

func (m *Module) addNames(ctx context.Context, vs []*Version) error {
	for _, v := range vs {
		v.DepartmentName = m.departmentName(ctx, v.DepartmentID)
	}
	return nil
}

// CategoryCount is a category with how many public articles it holds.
type CategoryCount struct {
	Category
	Count int `json:"count"`
}

// PublicCategories lists the categories holding published, valid
// articles, by code.
func (m *Module) PublicCategories(ctx context.Context) ([]CategoryCount, error) {
	var rows []struct {
		Code string `bun:"category_code"`
		N    int    `bun:"n"`
	}
	err := m.d.DB.NewSelect().TableExpr("kb_versions AS v").ColumnExpr("v.category_code, COUNT(*) AS n").
		Join("JOIN kb_articles AS a ON a.id = v.article_id AND a.version = v.version").
		Where("v.article_id IN (?)", m.validIDs(m.d.DB, m.d.Now())).
		Group("v.category_code").Order("v.category_code").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("knowledge: faq categories: %w", err)
	}
	out := make([]CategoryCount, 0, len(rows))
	for _, r := range rows {
		i := slices.IndexFunc(Categories, func(c Category) bool { return c.Code == r.Code })
		c := Category{Code: r.Code, Name: r.Code}
		if i >= 0 {
			c = Categories[i]
		}
		out = append(out, CategoryCount{Category: c, Count: r.N})
	}
	return out, nil
}

// PublicArticle returns the latest published version of article id if it
// is valid now, and ErrNotFound for a draft, an archived, expired or not
// yet valid article. countView adds one to its views.
func (m *Module) PublicArticle(ctx context.Context, id int64, countView bool) (*Version, error) {
	var row versionRow
	err := m.d.DB.NewSelect().Model(&row).
		Join("JOIN kb_articles AS a ON a.id = v.article_id AND a.version = v.version").
		Where("v.article_id = ?", id).
		Where("v.article_id IN (?)", m.validIDs(m.d.DB, m.d.Now())).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("knowledge: public article %d: %w", id, err)
	}
	if countView {
		if _, err := m.d.DB.NewRaw("UPDATE kb_articles SET views = views + 1 WHERE id = ?", id).Exec(ctx); err != nil {
			return nil, fmt.Errorf("knowledge: count view of %d: %w", id, err)
		}
	}
	v := row.version()
	v.DepartmentName = m.departmentName(ctx, v.DepartmentID)
	return v, nil
}
