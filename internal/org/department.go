package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// Department is a government department (or a unit of one) within a region,
// such as a district's market regulation bureau.
type Department struct {
	bun.BaseModel `bun:"table:departments"`
	ID            int64     `bun:"id,pk,autoincrement"`
	Code          string    `bun:"code"` // unique, e.g. the organisation's USCC or an internal code
	Name          string    `bun:"name"`
	NameEN        string    `bun:"name_en"`
	RegionCode    string    `bun:"region_code"`
	Active        bool      `bun:"active"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// Object describes the department to auth.Authorize.
func (d *Department) Object() auth.Object {
	return auth.Object{Kind: "department", RegionCode: d.RegionCode, DepartmentIDs: []int64{d.ID}}
}

// NewDepartment is the input to CreateDepartment.
type NewDepartment struct {
	Code       string
	Name       string
	NameEN     string
	RegionCode string
}

var departmentCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CreateDepartment adds an active department in an existing region. The
// code must be unique (ErrConflict otherwise).
func (s *Service) CreateDepartment(ctx context.Context, tx store.IDB, in NewDepartment) (*Department, error) {
	d := &Department{
		Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), NameEN: strings.TrimSpace(in.NameEN),
		RegionCode: strings.TrimSpace(in.RegionCode), Active: true,
	}
	var p problems
	if !departmentCode.MatchString(d.Code) {
		p.add("code", CodeFormat, "部门编码须为1至64位字母、数字或 _ . - (code must be 1–64 letters, digits, _ . -)")
	}
	checkName(&p, "name", d.Name, true)
	checkName(&p, "name_en", d.NameEN, false)
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := checkRegion(ctx, tx, &p, "region_code", d.RegionCode); err != nil {
			return err
		}
		if d.Code != "" {
			n, err := tx.NewSelect().Model((*Department)(nil)).Where("code = ?", d.Code).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				p.add("code", CodeTaken, "部门编码已存在 (department code already exists)")
			}
		}
		if len(p) > 0 {
			return p.err()
		}
		d.CreatedAt = s.stamp()
		d.UpdatedAt = d.CreatedAt
		_, err := tx.NewInsert().Model(d).Exec(ctx)
		if store.IsUniqueViolation(err) {
			return invalid("code", CodeTaken, "部门编码已存在 (department code already exists)")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: create department %q: %w", in.Code, err)
	}
	return d, nil
}

// checkRegion records a problem unless code names an existing region.
func checkRegion(ctx context.Context, db bun.IDB, p *problems, field, code string) error {
	if code == "" {
		p.add(field, CodeRequired, "行政区划必填 (region is required)")
		return nil
	}
	_, err := getRegion(ctx, db, code)
	if errors.Is(err, ErrNotFound) {
		p.add(field, CodeUnknown, "行政区划不存在 (region does not exist)")
		return nil
	}
	return err
}

// DepartmentUpdate holds the fields UpdateDepartment changes; nil fields
// stay as they are. The code and region of a department do not change:
// cases and users refer to it, and scope follows its region.
type DepartmentUpdate struct {
	Name   *string
	NameEN *string
	Active *bool
}

// UpdateDepartment changes a department's names or active flag. An inactive
// department keeps its users and cases but cannot be given new users.
func (s *Service) UpdateDepartment(ctx context.Context, tx store.IDB, id int64, up DepartmentUpdate) (*Department, error) {
	var d *Department
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if d, err = getDepartment(ctx, tx, id); err != nil {
			return err
		}
		var p problems
		if up.Name != nil {
			d.Name = strings.TrimSpace(*up.Name)
			checkName(&p, "name", d.Name, true)
		}
		if up.NameEN != nil {
			d.NameEN = strings.TrimSpace(*up.NameEN)
			checkName(&p, "name_en", d.NameEN, false)
		}
		if up.Active != nil {
			d.Active = *up.Active
		}
		if len(p) > 0 {
			return p.err()
		}
		d.UpdatedAt = s.stamp()
		_, err = tx.NewUpdate().Model(d).Column("name", "name_en", "active", "updated_at").WherePK().Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("org: update department %d: %w", id, err)
	}
	s.forgetDepartment(id)
	return d, nil
}

// departmentTTL bounds how long a department read through Department is
// served from memory. A change on this node drops it at once; one made on
// another node shows within this time.
const departmentTTL = 5 * time.Minute

type cachedDepartment struct {
	d    Department
	seen time.Time // monotonic wall time, not the business clock
}

// Department returns department id like GetDepartment, from a cache: every
// list page names the departments of its rows, and departments rarely
// change. The result must not be modified.
func (s *Service) Department(ctx context.Context, id int64) (*Department, error) {
	s.mu.Lock()
	c, ok := s.depts[id]
	s.mu.Unlock()
	if ok && time.Since(c.seen) < departmentTTL {
		return &c.d, nil
	}
	d, err := s.GetDepartment(ctx, id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.depts[id] = cachedDepartment{d: *d, seen: time.Now()}
	s.mu.Unlock()
	return d, nil
}

// DepartmentName returns the name of department id, or "#id" when it cannot
// be read, so a list still renders.
func (s *Service) DepartmentName(ctx context.Context, id int64) string {
	d, err := s.Department(ctx, id)
	if err != nil {
		return "#" + strconv.FormatInt(id, 10)
	}
	return d.Name
}

// forgetDepartment drops department id from the cache after a change.
func (s *Service) forgetDepartment(id int64) {
	s.mu.Lock()
	delete(s.depts, id)
	s.mu.Unlock()
}

// ForgetDepartment drops department id from this node's cache; id 0 drops
// every department. The platform calls it when another node reports a
// change (package cluster).
func (s *Service) ForgetDepartment(id int64) {
	if id == 0 {
		s.mu.Lock()
		clear(s.depts)
		s.mu.Unlock()
		return
	}
	s.forgetDepartment(id)
}

// GetDepartment returns the department with id, or ErrNotFound.
func (s *Service) GetDepartment(ctx context.Context, id int64) (*Department, error) {
	d, err := getDepartment(ctx, s.db, id)
	if err != nil {
		return nil, fmt.Errorf("org: get department %d: %w", id, err)
	}
	return d, nil
}

func getDepartment(ctx context.Context, db bun.IDB, id int64) (*Department, error) {
	d := new(Department)
	err := db.NewSelect().Model(d).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DepartmentFilter selects departments for ListDepartments.
type DepartmentFilter struct {
	RegionCode string // within this region (and the regions it contains)
	Q          string // part of the code or name, Chinese or English
	Active     *bool
	Page       Page
}

// ListDepartments returns one page of departments ordered by region and
// code, and the number matching the filter.
func (s *Service) ListDepartments(ctx context.Context, f DepartmentFilter) ([]Department, int, error) {
	var ds []Department
	q := s.db.NewSelect().Model(&ds)
	if f.RegionCode != "" {
		q = q.Where("region_code LIKE ?", regionPrefixPattern(f.RegionCode))
	}
	if f.Q != "" {
		pat := likePattern(f.Q)
		like := s.db.Like()
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("code "+like+" ? ESCAPE '!'", pat).
				WhereOr("name "+like+" ? ESCAPE '!'", pat).
				WhereOr("name_en "+like+" ? ESCAPE '!'", pat)
		})
	}
	if f.Active != nil {
		q = q.Where("active = ?", *f.Active)
	}
	limit, offset := f.Page.limitOffset()
	n, err := q.Order("region_code", "code").Limit(limit).Offset(offset).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list departments: %w", err)
	}
	return ds, int(n), nil
}
