package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
)

// itemRow is the working copy of an item.
type itemRow struct {
	bun.BaseModel     `bun:"table:catalog_items"`
	ID                int64     `bun:"id,pk,autoincrement"`
	Code              string    `bun:"code"`
	RegionCode        string    `bun:"region_code"`
	Name              string    `bun:"name"`
	ShortName         string    `bun:"short_name"`
	DepartmentID      int64     `bun:"department_id"`
	ItemType          string    `bun:"item_type"`
	LegalBasis        string    `bun:"legal_basis"`
	Conditions        string    `bun:"conditions"`
	ReviewStandard    string    `bun:"review_standard"`
	LegalLimitDays    int       `bun:"legal_limit_days"`
	PromisedLimitDays int       `bun:"promised_limit_days"`
	Kind              string    `bun:"kind"`
	FeeFen            int64     `bun:"fee_fen"`
	FeeBasis          string    `bun:"fee_basis"`
	WindowAddress     string    `bun:"window_address"`
	WindowHours       string    `bun:"window_hours"`
	WindowPhone       string    `bun:"window_phone"`
	Online            bool      `bun:"online"`
	CrossRegion       bool      `bun:"cross_region"`
	ScopeRegions      string    `bun:"scope_regions"` // comma-separated
	CertificateType   string    `bun:"certificate_type"`
	Commitment        bool      `bun:"commitment"`
	RuleExpr          string    `bun:"rule_expr"`
	RuleVersion       int       `bun:"rule_version"`
	RuleExamples      string    `bun:"rule_examples"` // JSON array of RuleExample, or ""
	Status            string    `bun:"status"`
	Version           int       `bun:"version"`
	Dirty             bool      `bun:"dirty"`
	WithdrawReason    string    `bun:"withdraw_reason"`
	RowVersion        int64     `bun:"row_version"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
	UpdatedBy         int64     `bun:"updated_by"`
}

type materialRow struct {
	bun.BaseModel         `bun:"table:catalog_materials"`
	ID                    int64  `bun:"id,pk,autoincrement"`
	ItemID                int64  `bun:"item_id"`
	Position              int    `bun:"position"`
	Name                  string `bun:"name"`
	Class                 string `bun:"class"`
	Copies                int    `bun:"copies"`
	Form                  string `bun:"form"`
	Note                  string `bun:"note"`
	CertificateType       string `bun:"certificate_type"`
	CommitmentReplaceable bool   `bun:"commitment_replaceable"`
	ShortfallDays         int    `bun:"shortfall_days"`
	Template              string `bun:"template"` // FileRef as JSON, or ""
	Example               string `bun:"example"`
}

type fieldRow struct {
	bun.BaseModel `bun:"table:catalog_fields"`
	ID            int64  `bun:"id,pk,autoincrement"`
	ItemID        int64  `bun:"item_id"`
	Position      int    `bun:"position"`
	Key           string `bun:"field_key"`
	Label         string `bun:"label"`
	LabelEn       string `bun:"label_en"`
	Type          string `bun:"field_type"`
	Required      bool   `bun:"required"`
	Options       string `bun:"options"` // JSON array
	Help          string `bun:"help"`
}

// versionRow is one published version: an immutable snapshot and the
// columns the public list filters on.
type versionRow struct {
	bun.BaseModel   `bun:"table:catalog_versions,alias:v"`
	ID              int64     `bun:"id,pk,autoincrement"`
	ItemID          int64     `bun:"item_id"`
	Version         int       `bun:"version"`
	Code            string    `bun:"code"`
	RegionCode      string    `bun:"region_code"`
	Name            string    `bun:"name"`
	DepartmentID    int64     `bun:"department_id"`
	ItemType        string    `bun:"item_type"`
	Online          bool      `bun:"online"`
	Instant         bool      `bun:"instant"`
	CrossRegion     bool      `bun:"cross_region"`
	SearchText      string    `bun:"search_text"`
	Snapshot        string    `bun:"snapshot"`
	PublishedAt     time.Time `bun:"published_at"`
	PublishedBy     int64     `bun:"published_by"`
	PublishedByName string    `bun:"published_by_name"`
}

// fill copies the draft content d into the row.
func (r *itemRow) fill(d *Draft) {
	r.Code, r.Name, r.ShortName, r.DepartmentID = d.Code, d.Name, d.ShortName, d.DepartmentID
	r.ItemType, r.LegalBasis, r.Conditions, r.ReviewStandard = string(d.Type), d.LegalBasis, d.Conditions, d.ReviewStandard
	r.LegalLimitDays, r.PromisedLimitDays, r.Kind = d.LegalLimitDays, d.PromisedLimitDays, string(d.Kind)
	r.FeeFen, r.FeeBasis = d.Fee.Fen, d.Fee.Basis
	r.WindowAddress, r.WindowHours, r.WindowPhone = d.Window.Address, d.Window.Hours, d.Window.Phone
	r.Online, r.CrossRegion, r.ScopeRegions = d.Online, d.CrossRegion, strings.Join(d.ScopeRegions, ",")
	r.CertificateType, r.Commitment = d.CertificateType, d.Commitment
	r.RuleExpr, r.RuleVersion, r.RuleExamples = "", 0, ""
	if d.Rule != nil {
		r.RuleExpr, r.RuleVersion = d.Rule.Expr, d.Rule.Version
		if len(d.Rule.Examples) > 0 {
			b, _ := json.Marshal(d.Rule.Examples)
			r.RuleExamples = string(b)
		}
	}
}

// item returns the working copy described by the row, without materials
// and fields.
func (r *itemRow) item() *Item {
	it := &Item{ID: r.ID, RegionCode: r.RegionCode, Status: Status(r.Status), Version: r.Version,
		Dirty: r.Dirty, WithdrawReason: r.WithdrawReason, RowVersion: r.RowVersion, UpdatedAt: r.UpdatedAt}
	it.Draft = Draft{Code: r.Code, Name: r.Name, ShortName: r.ShortName, DepartmentID: r.DepartmentID,
		Type: ItemType(r.ItemType), LegalBasis: r.LegalBasis, Conditions: r.Conditions, ReviewStandard: r.ReviewStandard,
		LegalLimitDays: r.LegalLimitDays, PromisedLimitDays: r.PromisedLimitDays, Kind: Kind(r.Kind),
		Fee: Fee{Fen: r.FeeFen, Basis: r.FeeBasis}, Window: Window{Address: r.WindowAddress, Hours: r.WindowHours, Phone: r.WindowPhone},
		Online: r.Online, CrossRegion: r.CrossRegion, CertificateType: r.CertificateType, Commitment: r.Commitment,
		Materials: []Material{}, Fields: []FormField{}}
	if r.ScopeRegions != "" {
		it.ScopeRegions = strings.Split(r.ScopeRegions, ",")
	}
	if r.RuleExpr != "" {
		it.Rule = &ApprovalRule{Expr: r.RuleExpr, Version: r.RuleVersion}
		if r.RuleExamples != "" {
			// Written by fill from a checked draft; a row that does not
			// decode shows no examples rather than no item.
			_ = json.Unmarshal([]byte(r.RuleExamples), &it.Rule.Examples)
		}
	}
	return it
}

func refJSON(f *FileRef) string {
	if f == nil {
		return ""
	}
	b, _ := json.Marshal(f)
	return string(b)
}

func refFrom(s string) *FileRef {
	if s == "" {
		return nil
	}
	var f FileRef
	if json.Unmarshal([]byte(s), &f) != nil {
		return nil
	}
	return &f
}

// loadRow reads the working copy with id.
func loadRow(ctx context.Context, db bun.IDB, id int64) (*itemRow, error) {
	var r itemRow
	err := db.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: load item %d: %w", id, err)
	}
	return &r, nil
}

// loadWorking reads the working copy with id, with its materials and fields.
func loadWorking(ctx context.Context, db bun.IDB, id int64) (*Item, error) {
	r, err := loadRow(ctx, db, id)
	if err != nil {
		return nil, err
	}
	it := r.item()
	var ms []materialRow
	if err := db.NewSelect().Model(&ms).Where("item_id = ?", id).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("catalog: load materials of %d: %w", id, err)
	}
	for _, m := range ms {
		it.Materials = append(it.Materials, Material{Name: m.Name, Class: MaterialClass(m.Class), Copies: m.Copies,
			Form: PaperForm(m.Form), Note: m.Note, CertificateType: m.CertificateType,
			CommitmentReplaceable: m.CommitmentReplaceable, ShortfallDays: m.ShortfallDays, Template: refFrom(m.Template),
			Example: refFrom(m.Example)})
	}
	var fs []fieldRow
	if err := db.NewSelect().Model(&fs).Where("item_id = ?", id).Order("position").Scan(ctx); err != nil {
		return nil, fmt.Errorf("catalog: load fields of %d: %w", id, err)
	}
	for _, f := range fs {
		ff := FormField{Key: f.Key, Label: f.Label, LabelEn: f.LabelEn, Type: FieldType(f.Type), Required: f.Required, Help: f.Help}
		if f.Options != "" {
			if err := json.Unmarshal([]byte(f.Options), &ff.Options); err != nil {
				return nil, fmt.Errorf("catalog: field %s of %d: %w", f.Key, id, err)
			}
		}
		it.Fields = append(it.Fields, ff)
	}
	return it, nil
}

// saveChildren replaces the materials and fields of item id with d's.
func saveChildren(ctx context.Context, tx bun.IDB, id int64, d *Draft) error {
	if _, err := tx.NewDelete().Model((*materialRow)(nil)).Where("item_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("catalog: replace materials: %w", err)
	}
	if _, err := tx.NewDelete().Model((*fieldRow)(nil)).Where("item_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("catalog: replace fields: %w", err)
	}
	if len(d.Materials) > 0 {
		rows := make([]materialRow, len(d.Materials))
		for i, m := range d.Materials {
			rows[i] = materialRow{ItemID: id, Position: i, Name: m.Name, Class: string(m.Class), Copies: m.Copies,
				Form: string(m.Form), Note: m.Note, CertificateType: m.CertificateType,
				CommitmentReplaceable: m.CommitmentReplaceable, ShortfallDays: m.ShortfallDays, Template: refJSON(m.Template),
				Example: refJSON(m.Example)}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("catalog: save materials: %w", err)
		}
	}
	if len(d.Fields) > 0 {
		rows := make([]fieldRow, len(d.Fields))
		for i, f := range d.Fields {
			opts := ""
			if len(f.Options) > 0 {
				b, _ := json.Marshal(f.Options)
				opts = string(b)
			}
			rows[i] = fieldRow{ItemID: id, Position: i, Key: f.Key, Label: f.Label, LabelEn: f.LabelEn,
				Type: string(f.Type), Required: f.Required, Options: opts, Help: f.Help}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("catalog: save fields: %w", err)
		}
	}
	return nil
}

// snapshot decodes a stored version.
func (v *versionRow) item() (*Item, error) {
	var it Item
	if err := json.Unmarshal([]byte(v.Snapshot), &it); err != nil {
		return nil, fmt.Errorf("catalog: decode %s v%d: %w", v.Code, v.Version, err)
	}
	return &it, nil
}

// searchText is what the fallback search matches in a published version:
// names, code, department, legal basis, conditions and material names.
func searchText(it *Item) string {
	parts := []string{it.Code, it.Name, it.ShortName, it.DepartmentName, it.Type.Name(), it.LegalBasis, it.Conditions}
	for _, m := range it.Materials {
		parts = append(parts, m.Name)
	}
	return strings.Join(parts, "\n")
}

// searchFields is what the search index holds of a published version, the
// names weighing most.
func searchFields(it *Item) []search.Field {
	mats := make([]string, 0, len(it.Materials))
	for _, m := range it.Materials {
		mats = append(mats, m.Name)
	}
	return []search.Field{
		{Text: it.Name, Weight: 5},
		{Text: it.ShortName + " " + it.Code, Weight: 3},
		{Text: strings.Join(mats, "\n"), Weight: 2},
		{Text: it.DepartmentName + "\n" + it.Type.Name() + "\n" + it.LegalBasis + "\n" + it.Conditions, Weight: 1},
	}
}

// stamp is the current time as stored.
func (m *Module) stamp() time.Time { return store.Time(m.d.Now()) }
