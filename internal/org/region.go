package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Region is an administrative division with its GB/T 2260 code: a province
// (level 1), a prefecture-level city (2) or a county-level district (3).
type Region struct {
	bun.BaseModel `bun:"table:regions"`
	Code          string `bun:"code,pk"`
	Name          string `bun:"name"`
	NameEN        string `bun:"name_en"`
	// ParentCode is the region containing this one, empty for the top of
	// the tree the deployment holds (often the city itself).
	ParentCode string `bun:"parent_code,nullzero"`
	Level      int    `bun:"level"`
}

// CreateRegion adds a region. The code must be a valid GB/T 2260 code not
// yet present; the parent, when given, must exist, contain the region by
// code structure and sit at a higher level. Level is set from the code.
func (s *Service) CreateRegion(ctx context.Context, tx store.IDB, r Region) (*Region, error) {
	r.Code = strings.TrimSpace(r.Code)
	r.Name = strings.TrimSpace(r.Name)
	r.NameEN = strings.TrimSpace(r.NameEN)
	r.ParentCode = strings.TrimSpace(r.ParentCode)
	var p problems
	codeOK := ids.ValidateRegionCode(r.Code) == nil
	if !codeOK {
		p.add("code", CodeFormat, "行政区划代码须为6位数字 (region code must be 6 digits, GB/T 2260)")
	} else {
		r.Level = ids.RegionLevel(r.Code)
	}
	checkName(&p, "name", r.Name, true)
	checkName(&p, "name_en", r.NameEN, false)
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if codeOK && r.ParentCode != "" {
			parent, err := getRegion(ctx, tx, r.ParentCode)
			switch {
			case errors.Is(err, ErrNotFound):
				p.add("parent_code", CodeUnknown, "上级区划不存在 (parent region does not exist)")
			case err != nil:
				return err
			case parent.Level >= r.Level || !ids.RegionContains(parent.Code, r.Code):
				p.add("parent_code", CodeNotAllowed, "上级区划须包含本区划 (parent must contain the region by its code)")
			}
		}
		if codeOK {
			if _, err := getRegion(ctx, tx, r.Code); err == nil {
				p.add("code", CodeTaken, "行政区划代码已存在 (region code already exists)")
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		if len(p) > 0 {
			return p.err()
		}
		_, err := tx.NewInsert().Model(&r).Exec(ctx)
		if store.IsUniqueViolation(err) {
			return invalid("code", CodeTaken, "行政区划代码已存在 (region code already exists)")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: create region %s: %w", r.Code, err)
	}
	return &r, nil
}

// GetRegion returns the region with code, or ErrNotFound.
func (s *Service) GetRegion(ctx context.Context, code string) (*Region, error) {
	r, err := getRegion(ctx, s.db, code)
	if err != nil {
		return nil, fmt.Errorf("org: get region %s: %w", code, err)
	}
	return r, nil
}

func getRegion(ctx context.Context, db bun.IDB, code string) (*Region, error) {
	var r Region
	err := db.NewSelect().Model(&r).Where("code = ?", code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// ListRegions returns the regions within under (all regions when under is
// empty), ordered by code, so parents come before their children.
func (s *Service) ListRegions(ctx context.Context, under string) ([]Region, error) {
	var rs []Region
	q := s.db.NewSelect().Model(&rs).Order("code")
	if under != "" {
		if ids.ValidateRegionCode(under) != nil {
			return nil, invalid("region_code", CodeFormat, "行政区划代码须为6位数字 (region code must be 6 digits)")
		}
		q = q.Where("code LIKE ?", regionPrefixPattern(under))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("org: list regions: %w", err)
	}
	return rs, nil
}

// checkName validates a display name: required when required, at most 64
// characters.
func checkName(p *problems, field, v string, required bool) {
	switch {
	case v == "" && required:
		p.add(field, CodeRequired, "名称必填 (name is required)")
	case utf8.RuneCountInString(v) > 64:
		p.add(field, CodeTooLong, "名称不超过64个字符 (name is at most 64 characters)")
	}
}
