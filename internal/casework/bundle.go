package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// A bundle (一件事一次办) joins several service items that one life or
// business event needs, such as opening a restaurant: the applicant fills
// one merged form and provides one set of materials, and the bundle is
// split into one application per item, each going to its own department
// in parallel. The bundle's result is given once all of them are decided.
//
// How the merged form is made (Merge): the fields of the items, in item
// order, each key asked once. A key several items ask for must mean the
// same thing in each, so a bundle is refused when:
//   - the same key has different types in two items;
//   - a choice key has no option every item accepts (the merged field
//     offers the options all items accept, in the first item's order).
//
// Otherwise the first item's label and help are shown, and the field is
// required if any item requires it. Each application receives the values
// of its own item's fields only.
//
// How materials are merged: a shared (共享) material is one entry per
// certificate type (the business licence asked by three items is asked, or
// fetched, once); any other material is one entry per name. The entry's
// class is the strictest of its items' (必要 before 容缺 before 非必要), and
// what the applicant gives for it (a file, consent to use a certificate, a
// 容缺 promise) is given to every item that lists it, a promise only to
// items where the material may be missing.

// Bundle kinds for the policy.
const (
	// BundleKind is a bundle definition: published and withdrawn by the
	// administrators and approvers of the root region.
	BundleKind = "casework_bundle"
	// BundleApplicationKind is one bundle application.
	BundleApplicationKind = "casework_bundle_application"
)

// Outbox topic of bundle applications; the payload is a BundleEvent.
const TopicBundleSubmitted = "casework.bundle.submitted"

// BundleStatus is where a bundle definition stands.
type BundleStatus string

// The bundle statuses.
const (
	BundleDraft     BundleStatus = "draft"     // 草稿
	BundlePublished BundleStatus = "published" // 已发布
	BundleWithdrawn BundleStatus = "withdrawn" // 已停用
)

// Name returns the Chinese name of s.
func (s BundleStatus) Name() string {
	switch s {
	case BundleDraft:
		return "草稿"
	case BundlePublished:
		return "已发布"
	case BundleWithdrawn:
		return "已停用"
	}
	return string(s)
}

// Errors of bundles besides field errors.
var (
	// ErrBundleNotFound: no such bundle, or not published.
	ErrBundleNotFound = bundleNotFound{}
	// ErrBundleConflict: the items' forms cannot be merged (a field key
	// means different things); returned as a *FieldError under "items".
	ErrBundleConflict = errors.New("casework: the items' forms conflict (事项表单字段冲突)")
)

type bundleNotFound struct{}

func (bundleNotFound) Error() string {
	return "casework: bundle not found (一件事不存在或未发布)"
}
func (bundleNotFound) NotFound() bool { return true }

// BundleSpec is the editable content of a bundle.
type BundleSpec struct {
	Code        string   `json:"code" pattern:"^[A-Za-z0-9-]{2,40}$"`
	Name        string   `json:"name" maxLength:"100"`
	Description string   `json:"description,omitempty" maxLength:"2000"`
	Items       []string `json:"items" doc:"Codes of the catalogue items, in order; at least two"`
}

// Bundle is a bundle definition.
type Bundle struct {
	BundleSpec
	ID          int64        `json:"id"`
	RegionCode  string       `json:"region_code"`
	Status      BundleStatus `json:"status"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	PublishedAt time.Time    `json:"published_at,omitzero"`
	UpdatedBy   string       `json:"updated_by"`
	RowVersion  int64        `json:"row_version"`
}

// MergedField is one field of a bundle's merged form.
type MergedField struct {
	catalog.FormField
	// Items are the codes of the items asking for it.
	Items []string `json:"items"`
}

// MergedMaterial is one entry of a bundle's merged materials.
type MergedMaterial struct {
	// Key identifies the entry: "cert:<type>" for a shared material,
	// "name:<name>" otherwise.
	Key             string                `json:"key"`
	Names           []string              `json:"names" doc:"The items' names for it, without repeats"`
	Class           catalog.MaterialClass `json:"class"`
	CertificateType string                `json:"certificate_type,omitempty"`
	Items           []string              `json:"items"`
	Note            string                `json:"note,omitempty"`
	// SupplyDays is, for a shortfall entry, the shortest limit (working
	// days) among its items: what the applicant is told to keep.
	SupplyDays int `json:"supply_days,omitempty"`
}

// ProducedMaterial is a shared material of an item that another item of
// the same bundle produces (the business licence the registration
// issues): not asked of the applicant, the department takes it from the
// bundle's own result.
type ProducedMaterial struct {
	Name            string   `json:"name"`
	CertificateType string   `json:"certificate_type"`
	By              string   `json:"by" doc:"Name of the item of the bundle that produces it"`
	Items           []string `json:"items" doc:"Codes of the items that list it"`
}

// Name returns the names of the entry joined for display.
func (mm MergedMaterial) Name() string { return strings.Join(mm.Names, " / ") }

// Merged is a bundle's items with their merged form and materials.
type Merged struct {
	Items     []*catalog.Item  `json:"-"`
	Fields    []MergedField    `json:"fields"`
	Materials []MergedMaterial `json:"materials"`
	// Produced are the materials the bundle itself produces, asked of no
	// one.
	Produced []ProducedMaterial `json:"produced,omitempty"`
	// Total counts the materials of all the items; Total minus
	// len(Materials) are asked for no more than once.
	Total int `json:"total"`
	// PromisedDays and LegalDays are the longest limits among the items:
	// the bundle's result comes within them.
	PromisedDays int `json:"promised_days"`
	LegalDays    int `json:"legal_days"`
}

// Saved returns how many materials merging spared the applicant.
func (mg *Merged) Saved() int { return mg.Total - len(mg.Materials) }

// materialKey returns the merge key of material mt.
func materialKey(mt catalog.Material) string {
	if mt.Class == catalog.ClassShared && mt.CertificateType != "" {
		return "cert:" + mt.CertificateType
	}
	return "name:" + mt.Name
}

// strictness orders material classes for merging.
var strictness = map[catalog.MaterialClass]int{catalog.ClassOptional: 0, catalog.ClassShortfall: 1, catalog.ClassRequired: 2}

// Merge merges the forms and materials of items (see the package notes on
// bundles). Conflicts are reported as *FieldError under "items", each
// matching ErrInvalid, all at once.
func Merge(items []*catalog.Item) (*Merged, error) {
	var p problems
	mg := &Merged{Items: items}
	fieldAt := map[string]int{}
	matAt := map[string]int{}
	producer := map[string]*catalog.Item{} // certificate type → the item issuing it
	for _, it := range items {
		if it.CertificateType != "" && producer[it.CertificateType] == nil {
			producer[it.CertificateType] = it
		}
	}
	for _, it := range items {
		mg.PromisedDays, mg.LegalDays = max(mg.PromisedDays, it.PromisedLimitDays), max(mg.LegalDays, it.LegalLimitDays)
		for _, f := range it.Fields {
			i, seen := fieldAt[f.Key]
			if !seen {
				fieldAt[f.Key] = len(mg.Fields)
				f.Options = slices.Clone(f.Options)
				mg.Fields = append(mg.Fields, MergedField{FormField: f, Items: []string{it.Code}})
				continue
			}
			mf := &mg.Fields[i]
			if mf.Type != f.Type {
				p.Add("items", "字段“%s”在“%s”中为%s，在“%s”中为%s，不能合并 (field %s has different types)",
					f.Key, mg.itemName(mf.Items[0]), mf.Type.Name(), it.Name, f.Type.Name(), f.Key)
				continue
			}
			if f.Type.HasOptions() {
				mf.Options = slices.DeleteFunc(mf.Options, func(o string) bool { return !slices.Contains(f.Options, o) })
				if len(mf.Options) == 0 {
					p.Add("items", "字段“%s”在各事项中没有共同的选项，不能合并 (choice field %s has no option in common)", f.Key, f.Key)
					continue
				}
			}
			mf.Required = mf.Required || f.Required
			if mf.Help == "" {
				mf.Help = f.Help
			}
			mf.Items = append(mf.Items, it.Code)
		}
		for _, mt := range it.Materials {
			mg.Total++
			if by := producer[mt.CertificateType]; mt.Class == catalog.ClassShared && by != nil && by.Code != it.Code {
				if j := slices.IndexFunc(mg.Produced, func(pm ProducedMaterial) bool { return pm.CertificateType == mt.CertificateType }); j >= 0 {
					mg.Produced[j].Items = append(mg.Produced[j].Items, it.Code)
				} else {
					mg.Produced = append(mg.Produced, ProducedMaterial{Name: mt.Name, CertificateType: mt.CertificateType,
						By: by.Name, Items: []string{it.Code}})
				}
				continue
			}
			key := materialKey(mt)
			i, seen := matAt[key]
			if !seen {
				matAt[key] = len(mg.Materials)
				mg.Materials = append(mg.Materials, MergedMaterial{Key: key, Names: []string{mt.Name}, Class: mt.Class,
					CertificateType: mt.CertificateType, Items: []string{it.Code}, Note: mt.Note})
				if mt.Class == catalog.ClassShortfall {
					mg.Materials[len(mg.Materials)-1].SupplyDays = mt.SupplyDays()
				}
				continue
			}
			mm := &mg.Materials[i]
			if mt.Class == catalog.ClassShortfall && (mm.SupplyDays == 0 || mt.SupplyDays() < mm.SupplyDays) {
				mm.SupplyDays = mt.SupplyDays()
			}
			if !slices.Contains(mm.Names, mt.Name) {
				mm.Names = append(mm.Names, mt.Name)
			}
			if mm.Class != catalog.ClassShared && strictness[mt.Class] > strictness[mm.Class] {
				mm.Class = mt.Class
			}
			if mm.Note == "" {
				mm.Note = mt.Note
			}
			mm.Items = append(mm.Items, it.Code)
		}
	}
	if len(p) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrBundleConflict, p.Err())
	}
	return mg, nil
}

func (mg *Merged) itemName(code string) string {
	for _, it := range mg.Items {
		if it.Code == code {
			return it.Name
		}
	}
	return code
}

// produced returns the bundle item producing material mt, if it does.
func (mg *Merged) produced(it *catalog.Item, mt catalog.Material) (ProducedMaterial, bool) {
	for _, pm := range mg.Produced {
		if pm.CertificateType == mt.CertificateType && mt.Class == catalog.ClassShared && slices.Contains(pm.Items, it.Code) {
			return pm, true
		}
	}
	return ProducedMaterial{}, false
}

// material returns the merged entry of the material mt of an item.
func (mg *Merged) material(mt catalog.Material) (int, *MergedMaterial) {
	key := materialKey(mt)
	for i := range mg.Materials {
		if mg.Materials[i].Key == key {
			return i, &mg.Materials[i]
		}
	}
	return -1, nil
}

var bundleCodePattern = regexp.MustCompile(`^[A-Za-z0-9-]{2,40}$`)

// bundleObject describes a bundle of region to the policy.
func bundleObject(region string) auth.Object {
	return auth.Object{Kind: BundleKind, RegionCode: region}
}

// bundleRules lets the administrators and approvers of a region manage its
// bundles; everyone may read published ones (checked by status, not here).
func bundleRules() auth.KindRules {
	region := auth.ScopeRegion
	return auth.KindRules{
		auth.ActAdminister: {auth.RoleAdmin: region, auth.RoleApprover: region},
		auth.ActCreate:     {auth.RoleAdmin: region, auth.RoleApprover: region},
	}
}

// bundleApplicationRules: the applicant (and their enterprise) reach their
// own; window clerks, supervisors and administrators those taken in within
// their region; a department's staff those with an application of theirs.
func bundleApplicationRules() auth.KindRules {
	own, dept, region := auth.ScopeOwn, auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleCitizen: own, auth.RoleEnterprise: own, auth.RoleClerk: region, auth.RoleHandler: dept,
			auth.RoleApprover: dept, auth.RoleSupervisor: region, auth.RoleAdmin: region},
	}
}

// registerBundleKinds registers the bundle kinds with policy; New calls
// it, so the policy is complete before any request is served.
func registerBundleKinds(policy *auth.Policy) error {
	if err := policy.Register(BundleKind, bundleRules()); err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	if err := policy.Register(BundleApplicationKind, bundleApplicationRules()); err != nil {
		return fmt.Errorf("casework: %w", err)
	}
	return nil
}

// auditEntry builds an audit entry about a casework object other than an
// application.
func auditEntry(a *auth.Actor, action, objectType string, id int64, region string, detail any) audit.Entry {
	return audit.Entry{ActorID: actorID(a), ActorName: actorName(a), Action: action, ObjectType: objectType,
		ObjectID: strconv.FormatInt(id, 10), RegionCode: region, Detail: detail}
}

// rootRegion returns the top of the region tree above code.
func (m *Module) rootRegion(ctx context.Context, code string) (string, error) {
	for range 8 {
		r, err := m.d.Org.GetRegion(ctx, code)
		if err != nil {
			return "", fmt.Errorf("casework: region %s: %w", code, err)
		}
		if r.ParentCode == "" {
			return r.Code, nil
		}
		code = r.ParentCode
	}
	return code, nil
}

// checkBundle normalises d and checks it against the published catalogue,
// returning the items and their merged form.
func (m *Module) checkBundle(ctx context.Context, d *BundleSpec) (*Merged, error) {
	var p problems
	d.Code, d.Name, d.Description = strings.TrimSpace(d.Code), strings.TrimSpace(d.Name), strings.TrimSpace(d.Description)
	if !bundleCodePattern.MatchString(d.Code) {
		p.Add("code", "编码为2至40位字母、数字或连字符 (2–40 letters, digits or hyphens)")
	}
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 100 {
		p.Add("name", "名称必填，不超过100字 (name required, at most 100 characters)")
	}
	if utf8.RuneCountInString(d.Description) > 2000 {
		p.Add("description", "说明不超过2000字 (at most 2000 characters)")
	}
	var codes []string
	for _, c := range d.Items {
		if c = strings.TrimSpace(c); c != "" && !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	d.Items = codes
	if len(codes) < 2 || len(codes) > 10 {
		p.Add("items", "须包含2至10个不同的事项 (two to ten different items)")
	}
	var items []*catalog.Item
	for i, c := range codes {
		it, err := m.d.Catalog.Published(ctx, c)
		if errors.Is(err, catalog.ErrNotFound) {
			p.Add(fmt.Sprintf("items[%d]", i), "事项%s不存在或未发布 (no such published item)", c)
			continue
		}
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	return Merge(items)
}

// SaveBundle creates the bundle d.Code, or replaces the content of the
// existing one (a published bundle stays published: it is checked the
// same way). Only administrators and approvers of the root region may.
func (m *Module) SaveBundle(ctx context.Context, a *auth.Actor, d BundleSpec) (*Bundle, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.HasAny(auth.RoleAdmin, auth.RoleApprover, auth.RoleSystem) {
		return nil, ErrForbidden
	}
	mg, err := m.checkBundle(ctx, &d)
	if err != nil {
		return nil, err
	}
	// A bundle belongs to the root region: it may join items of the city
	// and of any district.
	region := a.RegionCode
	if region == "" && a.Has(auth.RoleSystem) {
		region = mg.Items[0].RegionCode
	}
	root, err := m.rootRegion(ctx, region)
	if err != nil || m.d.Policy.Authorize(a, auth.ActAdminister, bundleObject(root)) != nil {
		return nil, ErrForbidden
	}
	items, _ := json.Marshal(d.Items)
	now := m.now()
	var b *Bundle
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		old, err := m.loadBundle(ctx, tx, d.Code)
		switch {
		case errors.Is(err, ErrBundleNotFound):
			b = &Bundle{BundleSpec: d, RegionCode: root, Status: BundleDraft, CreatedAt: now, UpdatedAt: now,
				UpdatedBy: actorName(a), RowVersion: 1}
			err = tx.QueryRowContext(ctx, `INSERT INTO casework_bundles (code, name, description, region_code, items, status,
				created_at, updated_at, published_at, updated_by, row_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 1)
				RETURNING id`, d.Code, d.Name, d.Description, root, string(items), b.Status, now, now, b.UpdatedBy).Scan(&b.ID)
			if err != nil {
				return fmt.Errorf("casework: save bundle: %w", err)
			}
		case err != nil:
			return err
		default:
			b = old
			b.BundleSpec, b.UpdatedAt, b.UpdatedBy = d, now, actorName(a)
			if _, err := tx.ExecContext(ctx, `UPDATE casework_bundles SET name = ?, description = ?, items = ?, updated_at = ?,
				updated_by = ?, row_version = row_version + 1 WHERE id = ?`, d.Name, d.Description, string(items), now,
				b.UpdatedBy, b.ID); err != nil {
				return fmt.Errorf("casework: save bundle: %w", err)
			}
			b.RowVersion++
		}
		return m.auditBundle(ctx, tx, a, "casework.bundle_save", b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// SetBundleStatus publishes (BundlePublished) or withdraws
// (BundleWithdrawn) bundle code. Publishing checks it again against the
// catalogue as it is now.
func (m *Module) SetBundleStatus(ctx context.Context, a *auth.Actor, code string, st BundleStatus) (*Bundle, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if st != BundlePublished && st != BundleWithdrawn {
		return nil, &FieldError{Path: "status", Message: "只能发布或停用 (publish or withdraw)"}
	}
	var b *Bundle
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if b, err = m.loadBundle(ctx, tx, code); err != nil {
			return err
		}
		if m.d.Policy.Authorize(a, auth.ActAdminister, bundleObject(b.RegionCode)) != nil {
			return ErrForbidden
		}
		if st == BundlePublished {
			d := b.BundleSpec
			if _, err := m.checkBundle(ctx, &d); err != nil {
				return err
			}
		}
		now := m.now()
		b.Status, b.UpdatedAt, b.UpdatedBy = st, now, actorName(a)
		if st == BundlePublished {
			b.PublishedAt = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE casework_bundles SET status = ?, updated_at = ?, updated_by = ?,
			published_at = ?, row_version = row_version + 1 WHERE id = ?`, st, now, b.UpdatedBy, nullable(b.PublishedAt),
			b.ID); err != nil {
			return fmt.Errorf("casework: bundle %s: %w", code, err)
		}
		b.RowVersion++
		return m.auditBundle(ctx, tx, a, "casework.bundle_"+string(st), b)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (m *Module) auditBundle(ctx context.Context, tx store.IDB, a *auth.Actor, action string, b *Bundle) error {
	if _, err := m.d.Audit.Append(ctx, tx, auditEntry(a, action, "casework_bundle", b.ID, b.RegionCode,
		map[string]any{"code": b.Code, "name": b.Name, "items": b.Items, "status": b.Status})); err != nil {
		return fmt.Errorf("casework: %s: %w", action, err)
	}
	return outbox.Add(ctx, tx, m.now(), "casework.bundle.changed", map[string]any{"code": b.Code, "status": b.Status})
}

const bundleCols = `id, code, name, description, region_code, items, status, created_at, updated_at, published_at, updated_by, row_version`

func scanBundle(r scanner) (*Bundle, error) {
	var b Bundle
	var items string
	var published sql.NullTime
	if err := r.Scan(&b.ID, &b.Code, &b.Name, &b.Description, &b.RegionCode, &items, &b.Status, &b.CreatedAt,
		&b.UpdatedAt, &published, &b.UpdatedBy, &b.RowVersion); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &b.Items); err != nil {
		return nil, fmt.Errorf("casework: bundle %s: items: %w", b.Code, err)
	}
	b.CreatedAt, b.UpdatedAt, b.PublishedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC(), nt(published)
	return &b, nil
}

func (m *Module) loadBundle(ctx context.Context, db store.IDB, code string) (*Bundle, error) {
	b, err := scanBundle(db.QueryRowContext(ctx, "SELECT "+bundleCols+" FROM casework_bundles WHERE code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBundleNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("casework: bundle %s: %w", code, err)
	}
	return b, nil
}

// Bundles lists bundle definitions by code: the published ones, or all
// when all is true (for the management pages).
func (m *Module) Bundles(ctx context.Context, all bool) ([]Bundle, error) {
	q := "SELECT " + bundleCols + " FROM casework_bundles"
	var args []any
	if !all {
		q += " WHERE status = ?"
		args = append(args, BundlePublished)
	}
	rows, err := m.d.DB.QueryContext(ctx, q+" ORDER BY code", args...)
	if err != nil {
		return nil, fmt.Errorf("casework: bundles: %w", err)
	}
	defer rows.Close()
	var out []Bundle
	for rows.Next() {
		b, err := scanBundle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// BundleGuide returns published bundle code with its items (their
// published versions now) and merged form and materials.
func (m *Module) BundleGuide(ctx context.Context, code string) (*Bundle, *Merged, error) {
	b, err := m.loadBundle(ctx, m.d.DB, code)
	if err != nil {
		return nil, nil, err
	}
	if b.Status != BundlePublished {
		return nil, nil, ErrBundleNotFound
	}
	d := b.BundleSpec
	mg, err := m.checkBundle(ctx, &d)
	if err != nil {
		// An item withdrawn or changed since publication: the bundle
		// cannot be applied for until staff fix it.
		return b, nil, err
	}
	return b, mg, nil
}

// ManagedBundle returns bundle code in any status for its managers.
func (m *Module) ManagedBundle(ctx context.Context, a *auth.Actor, code string) (*Bundle, error) {
	b, err := m.loadBundle(ctx, m.d.DB, code)
	if err != nil {
		return nil, err
	}
	if m.d.Policy.Authorize(a, auth.ActAdminister, bundleObject(b.RegionCode)) != nil {
		return nil, ErrBundleNotFound
	}
	return b, nil
}
