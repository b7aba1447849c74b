// Package entity is the register of businesses (经营主体名录): companies,
// 个体工商户 and other market entities by their 统一社会信用代码, with the
// history of their changes and the typed facts other departments share
// about them (职工人数, 纳税额, 高新技术企业认定, …), so that credit rules,
// inspections and policies can ask for them by name.
//
// The register is loaded in bulk from the registration authority's CSV or
// xlsx exports (Import) and kept up to date through the API. The legal
// representative's identity number is sealed at rest and shown masked.
// An enterprise account is linked to its business by the code it holds.
package entity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of the register's entries.
const ObjectKind = "entity"

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
)

type notFound struct{}

func (notFound) Error() string  { return "entity: no such business (未找到该经营主体)" }
func (notFound) NotFound() bool { return true }

// Types are the kinds of market entity the register knows.
var Types = []string{"有限责任公司", "股份有限公司", "个人独资企业", "合伙企业", "农民专业合作社", "个体工商户",
	"外商投资企业", "分公司", "其他"}

// Statuses are the registration statuses (登记状态).
var Statuses = []string{"存续", "在业", "吊销", "注销", "迁出", "撤销"}

// industryPattern is a GB/T 4754-2017 code: a section letter, optionally
// followed by a division (2 digits), group (3) or class (4).
var industryPattern = regexp.MustCompile(`^[A-T]([0-9]{2}([0-9]([0-9])?)?)?$`)

// Input is one business as registered.
type Input struct {
	USCC          string `json:"uscc" maxLength:"18"`
	Name          string `json:"name" maxLength:"200"`
	Type          string `json:"type" maxLength:"20"`
	LegalRep      string `json:"legal_representative" maxLength:"100"`
	LegalRepID    string `json:"legal_representative_id,omitempty" maxLength:"18" doc:"居民身份证号; stored sealed, shown masked"`
	Address       string `json:"address" maxLength:"300"`
	RegionCode    string `json:"region_code" pattern:"^[0-9]{6}$"`
	Industry      string `json:"industry" maxLength:"5" doc:"GB/T 4754-2017 code, e.g. H6210"`
	CapitalYuan   int64  `json:"capital_yuan" minimum:"0"`
	EstablishedOn string `json:"established_on" doc:"YYYY-MM-DD"`
	Status        string `json:"status" maxLength:"10"`
	Scope         string `json:"scope,omitempty" maxLength:"4000"`
}

// Entity is a business in the register.
type Entity struct {
	USCC             string    `json:"uscc"`
	Name             string    `json:"name"`
	Type             string    `json:"type"`
	LegalRep         string    `json:"legal_representative"`
	LegalRepIDMasked string    `json:"legal_representative_id_masked,omitempty"`
	Address          string    `json:"address"`
	RegionCode       string    `json:"region_code"`
	Industry         string    `json:"industry"`
	CapitalYuan      int64     `json:"capital_yuan"`
	EstablishedOn    string    `json:"established_on"`
	Status           string    `json:"status"`
	Scope            string    `json:"scope,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`
	Version          int64     `json:"version"`
}

// Change is one field's change in the history.
type Change struct {
	Field     string    `json:"field"`
	Old       string    `json:"old"`
	New       string    `json:"new"`
	Source    string    `json:"source" doc:"api or the import file"`
	ChangedAt time.Time `json:"changed_at"`
}

// Deps are the services the register uses.
type Deps struct {
	DB     *store.DB
	Box    *pii.Box
	Policy *auth.Policy
	Now    func() time.Time
	// Catalogue declares the facts departments share; nil is the
	// embedded default (facts.go).
	Catalogue *Catalogue
	// DepartmentCode names a department by its code, to match it with the
	// sources the catalogue declares; without it only the system actor
	// writes facts.
	DepartmentCode func(ctx context.Context, id int64) (string, error)
	// Registrars returns the departments that keep the register (登记机关,
	// market regulation): their handlers may import it. Nil leaves the
	// import to administrators.
	Registrars func(ctx context.Context) ([]int64, error)
}

// Service is the register.
type Service struct {
	d   Deps
	srv *web.Server
}

// New returns the register, registering its kind with the policy.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Box == nil || d.Policy == nil {
		return nil, errors.New("entity: DB, Box and Policy are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("entity: %w", err)
	}
	return &Service{d: d}, nil
}

// PolicyRules: staff of every department read the register (it is the
// shared base of supervision); a business reads its own entry; the root
// region's administrators load and correct it (the registration authority
// feeds it through them or through the system actor); departments' staff
// add facts (ActAct).
func PolicyRules() auth.KindRules {
	all := auth.ScopeAll
	return auth.KindRules{
		auth.ActRead: {auth.RoleClerk: all, auth.RoleHandler: all, auth.RoleApprover: all, auth.RoleSupervisor: all,
			auth.RoleAdmin: all, auth.RoleEnterprise: auth.ScopeOwn},
		auth.ActAdminister: {auth.RoleAdmin: auth.ScopeRegion},
		auth.ActAct:        {auth.RoleHandler: all, auth.RoleApprover: all},
	}
}

func object(uscc, region string) auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: region, OwnerUSCC: uscc}
}

// ctrl reports text that valid.Text refuses: control characters, bidi
// overrides, invalid UTF-8.
func ctrl(s string) bool { return valid.Text("", s) != nil }

// check validates and normalises in, returning every problem at once.
func check(in *Input, today calendar.Date) error {
	var p valid.Problems
	in.USCC = ids.NormalizeUSCC(in.USCC)
	if ids.ValidateUSCC(in.USCC) != nil {
		p.Add("uscc", "统一社会信用代码不正确 (invalid unified social credit code)")
	}
	for _, f := range []struct {
		path     string
		v        *string
		max      int
		required bool
	}{{"name", &in.Name, 200, true}, {"type", &in.Type, 20, true}, {"legal_representative", &in.LegalRep, 100, true},
		{"address", &in.Address, 300, true}, {"status", &in.Status, 10, true}, {"scope", &in.Scope, 4000, false}} {
		*f.v = strings.TrimSpace(*f.v)
		switch {
		case *f.v == "" && f.required:
			p.Add(f.path, "必填 (required)")
		case utf8.RuneCountInString(*f.v) > f.max:
			p.Add(f.path, "不超过%d字 (at most %d characters)", f.max, f.max)
		case ctrl(*f.v):
			p.Add(f.path, "含有不允许的控制字符 (control characters are not allowed)")
		}
	}
	if in.Type != "" && !contains(Types, in.Type) {
		p.Add("type", "主体类型为 %s 之一 (unknown type)", strings.Join(Types, "、"))
	}
	if in.Status != "" && !contains(Statuses, in.Status) {
		p.Add("status", "登记状态为 %s 之一 (unknown status)", strings.Join(Statuses, "、"))
	}
	if in.LegalRepID = ids.NormalizeCitizenID(in.LegalRepID); in.LegalRepID != "" && ids.ValidateCitizenID(in.LegalRepID) != nil {
		p.Add("legal_representative_id", "身份证号不正确 (invalid identity number)")
	}
	if ids.ValidateRegionCode(in.RegionCode) != nil {
		p.Add("region_code", "行政区划代码为6位数字 (six-digit GB/T 2260 code)")
	}
	if in.Industry = strings.ToUpper(strings.TrimSpace(in.Industry)); !industryPattern.MatchString(in.Industry) {
		p.Add("industry", "行业代码按 GB/T 4754-2017，如 H6210 (GB/T 4754 code)")
	}
	if in.CapitalYuan < 0 {
		p.Add("capital_yuan", "注册资本不能为负 (capital may not be negative)")
	}
	if d, err := calendar.ParseDate(in.EstablishedOn); err != nil {
		p.Add("established_on", "成立日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
	} else if d.After(today) {
		p.Add("established_on", "成立日期不能晚于今天 (cannot be in the future)")
	}
	if len(p) > 0 {
		return p.Err()
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParseCapital reads registered capital in 万元 as written in registers
// ("50", "1,200.5", "30万") and returns yuan.
func ParseCapital(s string) (int64, error) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "，", "", "万元", "", "万", "", " ", "").Replace(s))
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e12 || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: capital %q", ErrInvalid, s)
	}
	return int64(math.Round(f * 10000)), nil
}

const cols = `uscc, name, type, legal_rep, legal_rep_id_enc, address, region_code, industry, capital_yuan, established_on,
	status, scope, updated_at, version`

func (s *Service) scan(r interface{ Scan(...any) error }) (*Entity, error) {
	var e Entity
	var enc string
	if err := r.Scan(&e.USCC, &e.Name, &e.Type, &e.LegalRep, &enc, &e.Address, &e.RegionCode, &e.Industry, &e.CapitalYuan,
		&e.EstablishedOn, &e.Status, &e.Scope, &e.UpdatedAt, &e.Version); err != nil {
		return nil, err
	}
	if id, err := s.d.Box.Open(enc); err == nil && id != "" {
		e.LegalRepIDMasked = pii.MaskID(id)
	}
	e.UpdatedAt = e.UpdatedAt.UTC()
	return &e, nil
}

// Get returns business uscc, if a may read it.
func (s *Service) Get(ctx context.Context, a *auth.Actor, uscc string) (*Entity, error) {
	e, err := s.scan(s.d.DB.QueryRowContext(ctx, "SELECT "+cols+" FROM entities WHERE uscc = ?", ids.NormalizeUSCC(uscc)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("entity: get %s: %w", uscc, err)
	}
	if a == nil || (!a.Has(auth.RoleSystem) && s.d.Policy.Authorize(a, auth.ActRead, object(e.USCC, e.RegionCode)) != nil) {
		return nil, ErrNotFound
	}
	return e, nil
}

// Exists reports whether uscc is in the register: the question other
// modules ask before writing about a business.
func (s *Service) Exists(ctx context.Context, uscc string) (bool, error) {
	var n int
	if err := s.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM entities WHERE uscc = ?", ids.NormalizeUSCC(uscc)).Scan(&n); err != nil {
		return false, fmt.Errorf("entity: exists %s: %w", uscc, err)
	}
	return n > 0, nil
}

// History returns the changes of business uscc, newest first, if a may
// read it.
func (s *Service) History(ctx context.Context, a *auth.Actor, uscc string) ([]Change, error) {
	if _, err := s.Get(ctx, a, uscc); err != nil {
		return nil, err
	}
	rows, err := s.d.DB.QueryContext(ctx, `SELECT field, old_value, new_value, source, changed_at FROM entity_history
		WHERE uscc = ? ORDER BY id DESC LIMIT 500`, ids.NormalizeUSCC(uscc))
	if err != nil {
		return nil, fmt.Errorf("entity: history %s: %w", uscc, err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.Field, &c.Old, &c.New, &c.Source, &c.ChangedAt); err != nil {
			return nil, err
		}
		c.ChangedAt = c.ChangedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
