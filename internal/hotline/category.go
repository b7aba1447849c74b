package hotline

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// Category is a node of the request category tree, coded in the style of
// GB/T 39666-2020: six digits, two per level (XX0000 a domain, XXYY00 a
// field, XXYYZZ a matter).
type Category struct {
	Code       string `json:"code"`
	ParentCode string `json:"parent_code,omitempty"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	Active     bool   `json:"active"`
}

// Level returns 1 for a domain, 2 for a field and 3 for a matter.
func (c Category) Level() int {
	switch {
	case strings.HasSuffix(c.Code, "0000"):
		return 1
	case strings.HasSuffix(c.Code, "00"):
		return 2
	}
	return 3
}

// parentOf returns the code of the parent of a well-formed code, or "".
func parentOf(code string) string {
	switch {
	case len(code) != 6 || strings.HasSuffix(code, "0000"):
		return ""
	case strings.HasSuffix(code, "00"):
		return code[:2] + "0000"
	}
	return code[:4] + "00"
}

// defaultCategories is the tree a new installation starts with.
//
// GB/T 39666-2020 (政府热线服务分类与代码) defines the national tree, but
// the reference (../shared/reference/hotline-12345.md) gives only its shape
// — six-digit codes, two digits per level — not its codes and names, and
// the seeds do not give them either. So no code below is the standard's:
// the whole tree is a local one in the standard's shape, and none of its
// codes is claimed as national. When the standard's first two levels are
// at hand they replace the domains and fields here, and the matters a city
// adds stay marked as local additions.
var defaultCategories = []Category{
	{Code: "010000", Name: "城乡建设", NameEn: "Urban and rural construction"},
	{Code: "010100", Name: "市容环卫", NameEn: "City appearance and sanitation"},
	{Code: "010101", Name: "占道经营", NameEn: "Street vending on the road"},
	{Code: "010102", Name: "垃圾清运", NameEn: "Refuse collection"},
	{Code: "010103", Name: "违规户外广告", NameEn: "Illegal outdoor advertising"},
	{Code: "010200", Name: "违法建设", NameEn: "Illegal construction"},
	{Code: "010201", Name: "私搭乱建", NameEn: "Unauthorised structures"},
	{Code: "010300", Name: "物业管理", NameEn: "Property management"},
	{Code: "010301", Name: "物业服务质量", NameEn: "Property service quality"},
	{Code: "010302", Name: "电梯故障", NameEn: "Lift failures"},
	{Code: "010400", Name: "市政设施", NameEn: "Municipal facilities"},
	{Code: "010401", Name: "道路破损", NameEn: "Damaged roads"},
	{Code: "010402", Name: "路灯故障", NameEn: "Street-light failures"},
	{Code: "010403", Name: "供水停水", NameEn: "Water supply interruptions"},
	{Code: "010404", Name: "供电停电", NameEn: "Power cuts"},
	{Code: "010405", Name: "燃气停气", NameEn: "Gas supply interruptions"},
	{Code: "010406", Name: "供暖停暖", NameEn: "Heating interruptions"},
	{Code: "020000", Name: "市场监管", NameEn: "Market regulation"},
	{Code: "020100", Name: "食品安全", NameEn: "Food safety"},
	{Code: "020101", Name: "餐饮卫生", NameEn: "Restaurant hygiene"},
	{Code: "020102", Name: "过期食品", NameEn: "Expired food"},
	{Code: "020200", Name: "消费维权", NameEn: "Consumer rights"},
	{Code: "020201", Name: "预付卡退费", NameEn: "Prepaid card refunds"},
	{Code: "020202", Name: "价格欺诈", NameEn: "Price fraud"},
	{Code: "030000", Name: "劳动保障", NameEn: "Labour and social security"},
	{Code: "030100", Name: "欠薪", NameEn: "Unpaid wages"},
	{Code: "030101", Name: "农民工工资拖欠", NameEn: "Migrant workers' unpaid wages"},
	{Code: "030200", Name: "社会保险", NameEn: "Social insurance"},
	{Code: "030201", Name: "社保缴费", NameEn: "Social insurance contributions"},
	{Code: "040000", Name: "交通运输", NameEn: "Transport"},
	{Code: "040100", Name: "出租车", NameEn: "Taxis"},
	{Code: "040101", Name: "拒载绕路", NameEn: "Refusing or detouring passengers"},
	{Code: "040200", Name: "公交服务", NameEn: "Bus service"},
	{Code: "040201", Name: "公交线路", NameEn: "Bus routes"},
	{Code: "050000", Name: "生态环境", NameEn: "Ecology and environment"},
	{Code: "050100", Name: "噪声污染", NameEn: "Noise pollution"},
	{Code: "050101", Name: "施工噪声", NameEn: "Construction noise"},
	{Code: "050102", Name: "社会生活噪声", NameEn: "Neighbourhood noise"},
	{Code: "050200", Name: "大气污染", NameEn: "Air pollution"},
	{Code: "050201", Name: "餐饮油烟", NameEn: "Restaurant fumes"},
	{Code: "060000", Name: "卫生健康", NameEn: "Health"},
	{Code: "060100", Name: "医疗服务", NameEn: "Medical services"},
	{Code: "060101", Name: "医疗纠纷", NameEn: "Medical disputes"},
	{Code: "070000", Name: "营商环境", NameEn: "Business environment"},
	{Code: "070100", Name: "拖欠账款", NameEn: "Overdue payments to enterprises"},
	{Code: "070101", Name: "政府机关拖欠企业账款", NameEn: "Government arrears to enterprises"},
	{Code: "070200", Name: "政务失信", NameEn: "Government breach of faith"},
	{Code: "070201", Name: "招商承诺不兑现", NameEn: "Unkept investment promises"},
	{Code: "070300", Name: "政策落实", NameEn: "Policy implementation"},
	{Code: "070301", Name: "惠企政策不兑现", NameEn: "Business support not delivered"},
	{Code: "070400", Name: "政务服务", NameEn: "Government services"},
	{Code: "070401", Name: "办事效率", NameEn: "Service efficiency"},
}

// seedCategories writes the default tree when the table is empty.
func (m *Module) seedCategories(ctx context.Context) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_categories").Scan(&n); err != nil {
		return fmt.Errorf("hotline: categories: %w", err)
	}
	if n > 0 {
		return nil
	}
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, c := range defaultCategories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hotline_categories (code, parent_code, name, name_en, active)
				VALUES (?, ?, ?, ?, TRUE)`, c.Code, parentOf(c.Code), c.Name, c.NameEn); err != nil {
				return fmt.Errorf("hotline: seed category %s: %w", c.Code, err)
			}
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorName: "system", Action: "hotline.seed_categories",
			ObjectType: "hotline_category", ObjectID: "*", Detail: map[string]int{"categories": len(defaultCategories)}})
		return err
	})
}

// ReloadCategories reads the category tree again. The platform calls it
// when another node changes a category (package cluster).
func (m *Module) ReloadCategories(ctx context.Context) error { return m.loadCategories(ctx) }

// loadCategories refreshes the in-memory tree that intake validates against.
func (m *Module) loadCategories(ctx context.Context) error {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT code, parent_code, name, name_en, active FROM hotline_categories ORDER BY code")
	if err != nil {
		return fmt.Errorf("hotline: categories: %w", err)
	}
	defer rows.Close()
	cats := map[string]Category{}
	for rows.Next() {
		var c Category
		if err := rows.Scan(&c.Code, &c.ParentCode, &c.Name, &c.NameEn, &c.Active); err != nil {
			return fmt.Errorf("hotline: categories: %w", err)
		}
		cats[c.Code] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hotline: categories: %w", err)
	}
	m.mu.Lock()
	m.cats = cats
	m.mu.Unlock()
	return nil
}

// Categories returns the category tree in code order (parents before
// their children).
func (m *Module) Categories() []Category {
	m.mu.RLock()
	out := make([]Category, 0, len(m.cats))
	for _, c := range m.cats {
		out = append(out, c)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Category returns the category code, and whether it exists.
func (m *Module) Category(code string) (Category, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.cats[code]
	return c, ok
}

// CategoryPath returns "城乡建设 / 市容环卫 / 占道经营" for a code.
func (m *Module) CategoryPath(code string) string {
	var parts []string
	for c := code; c != ""; c = parentOf(c) {
		cat, ok := m.Category(c)
		if !ok {
			break
		}
		parts = append([]string{cat.Name}, parts...)
	}
	if len(parts) == 0 {
		return code
	}
	return strings.Join(parts, " / ")
}

// activeCategory reports whether an order may be filed under code.
func (m *Module) activeCategory(code string) bool {
	c, ok := m.Category(code)
	return ok && c.Active
}

// SaveCategory adds or changes a category (administrators). Its parent must
// exist; codes follow the six-digit, two-per-level pattern.
func (m *Module) SaveCategory(ctx context.Context, a *auth.Actor, c Category) error {
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: Kind, RegionCode: m.region(a)}); err != nil {
		return err
	}
	c.Code, c.Name, c.NameEn = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name), strings.TrimSpace(c.NameEn)
	var p problems
	if len(c.Code) != 6 || !digits(c.Code) || c.Code == "000000" {
		p.add("code", "分类代码须为6位数字 (code must be 6 digits)")
	} else if par := parentOf(c.Code); par != "" {
		if _, ok := m.Category(par); !ok {
			p.add("code", "上级分类不存在 (the parent category does not exist)")
		}
	}
	if n := utf8.RuneCountInString(c.Name); n == 0 || n > 50 {
		p.add("name", "分类名称须为1至50字 (name must be 1–50 characters)")
	}
	if err := p.err(); err != nil {
		return err
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := m.changeCategories(ctx, tx, a, func(ctx context.Context, tx store.IDB) error {
			_, err := store.Exec(ctx, tx, `INSERT INTO hotline_categories (code, parent_code, name, name_en, active)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
				active = excluded.active`, c.Code, parentOf(c.Code), c.Name, c.NameEn, c.Active)
			return err
		})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.save_category",
			ObjectType: "hotline_category", ObjectID: c.Code, Detail: map[string]any{"category": c, "revision": rev.Seq}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: save category %s: %w", c.Code, err)
	}
	return m.loadCategories(ctx)
}

// changeCategories runs apply, a change to the tree, in tx, keeping the
// tree before and after as revisions.
func (m *Module) changeCategories(ctx context.Context, tx store.IDB, a *auth.Actor,
	apply func(ctx context.Context, tx store.IDB) error) (revision.Revision, error) {
	return m.revs.Replace(ctx, tx, revision.Replacement{
		ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) { return readCategories(ctx, tx) }, Kind: RevisionCategories, Key: categoriesKey,
		Actor: a, Apply: apply,
		Read: func(ctx context.Context, tx store.IDB) (any, error) {
			cats, err := readCategories(ctx, tx)
			return cats, err
		}})
}
