package certificate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// FieldSpec describes one field a certificate of a type carries.
type FieldSpec struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	LabelEn  string `json:"label_en,omitempty"`
	Type     string `json:"type"` // text, date (YYYY-MM-DD) or number
	Required bool   `json:"required,omitempty"`
}

// Type is a kind of certificate and its rules.
type Type struct {
	Code   string
	Name   string
	NameEn string
	// IssuerDepartmentID is the department that owns the type: it answers
	// verification requests (部门核验) about it. Certificates may be issued
	// by other departments of the same line (district bureaus).
	IssuerDepartmentID int64
	HolderKind         HolderKind
	// ValidityMonths is the default validity; 0 means no expiry.
	ValidityMonths int
	// NumberPrefix begins the numbers of the type's certificates:
	// prefix + issuer region code + year + 7-digit serial.
	NumberPrefix string
	Fields       []FieldSpec
}

// Field returns the spec of field key, or nil.
func (t *Type) Field(key string) *FieldSpec {
	for i := range t.Fields {
		if t.Fields[i].Key == key {
			return &t.Fields[i]
		}
	}
	return nil
}

var (
	typeCodePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{1,63}$`)
	fieldKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	prefixPattern   = regexp.MustCompile(`^[A-Z]{1,6}$`)
	datePattern     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	numberPattern   = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// DefaultTypes returns the certificate types every city issues, with
// their issuing departments left for the caller to set.
func DefaultTypes() []Type {
	text := func(key, label, en string, req bool) FieldSpec {
		return FieldSpec{Key: key, Label: label, LabelEn: en, Type: "text", Required: req}
	}
	date := func(key, label, en string, req bool) FieldSpec {
		return FieldSpec{Key: key, Label: label, LabelEn: en, Type: "date", Required: req}
	}
	num := func(key, label, en string, req bool) FieldSpec {
		return FieldSpec{Key: key, Label: label, LabelEn: en, Type: "number", Required: req}
	}
	return []Type{
		{Code: "CT-YYZZ", Name: "营业执照（电子营业执照）", NameEn: "Business licence (electronic)",
			HolderKind: HolderEnterprise, NumberPrefix: "YZ", Fields: []FieldSpec{
				text("entity_type", "类型", "Entity type", true),
				text("legal_representative", "法定代表人", "Legal representative", true),
				num("registered_capital", "注册资本（万元）", "Registered capital (10k CNY)", false),
				date("established", "成立日期", "Date of establishment", true),
				text("address", "住所", "Address", true),
				text("scope", "经营范围", "Business scope", true),
			}},
		{Code: "CT-SPJY", Name: "食品经营许可证", NameEn: "Food business licence",
			HolderKind: HolderEnterprise, ValidityMonths: 60, NumberPrefix: "JY", Fields: []FieldSpec{
				text("legal_representative", "法定代表人（负责人）", "Legal representative", true),
				text("address", "经营场所", "Premises", true),
				text("main_form", "主体业态", "Main business form", true),
				text("items", "经营项目", "Business items", true),
			}},
		{Code: "CT-GGWS", Name: "公共场所卫生许可证", NameEn: "Public place hygiene permit",
			HolderKind: HolderEnterprise, ValidityMonths: 48, NumberPrefix: "WS", Fields: []FieldSpec{
				text("place_name", "单位名称（场所）", "Place", true),
				text("address", "地址", "Address", true),
				text("items", "许可项目", "Permitted activities", true),
				num("area", "营业面积（平方米）", "Floor area (m²)", false),
			}},
		{Code: "CT-SGXK", Name: "建筑工程施工许可证", NameEn: "Construction permit",
			HolderKind: HolderEnterprise, NumberPrefix: "SG", Fields: []FieldSpec{
				text("project", "工程名称", "Project", true),
				text("location", "建设地址", "Location", true),
				num("scale", "建设规模（平方米）", "Floor area (m²)", true),
				num("contract_price", "合同价格（万元）", "Contract price (10k CNY)", false),
				text("builder", "施工单位", "Contractor", true),
				date("planned_start", "计划开工", "Planned start", false),
				date("planned_finish", "计划竣工", "Planned completion", false),
			}},
		{Code: "CT-HWGG", Name: "户外广告设置许可", NameEn: "Outdoor advertising permit",
			HolderKind: HolderEnterprise, ValidityMonths: 36, NumberPrefix: "HG", Fields: []FieldSpec{
				text("location", "设置地点", "Location", true),
				text("form", "设置形式", "Form", true),
				text("size", "规格（米）", "Size (m)", true),
			}},
		{Code: "CT-SFZ", Name: "居民身份证（电子证照）", NameEn: "Resident identity card (electronic)",
			HolderKind: HolderPerson, ValidityMonths: 240, NumberPrefix: "SF", Fields: []FieldSpec{
				text("sex", "性别", "Sex", true),
				text("ethnicity", "民族", "Ethnicity", true),
				date("birth_date", "出生日期", "Date of birth", true),
				text("address", "住址", "Address", true),
			}},
		{Code: "CT-CSZM", Name: "出生医学证明", NameEn: "Medical birth certificate",
			HolderKind: HolderPerson, NumberPrefix: "CS", Fields: []FieldSpec{
				text("sex", "性别", "Sex", true),
				date("birth_date", "出生日期", "Date of birth", true),
				text("birth_place", "出生地点", "Place of birth", true),
				text("institution", "接生机构", "Delivering institution", true),
				text("mother_name", "母亲姓名", "Mother", true),
				text("father_name", "父亲姓名", "Father", false),
			}},
		{Code: "CT-YSZY", Name: "医师执业证书", NameEn: "Physician practising certificate",
			HolderKind: HolderPerson, NumberPrefix: "YS", Fields: []FieldSpec{
				text("category", "执业类别", "Category", true),
				text("scope", "执业范围", "Scope of practice", true),
				text("institution", "执业地点（机构）", "Institution", true),
			}},
		{Code: "CT-GSWS", Name: "供水单位卫生许可证", NameEn: "Water supplier hygiene permit",
			HolderKind: HolderEnterprise, ValidityMonths: 48, NumberPrefix: "GS", Fields: []FieldSpec{
				text("address", "地址", "Address", true),
				text("supply_mode", "供水方式", "Mode of supply", true),
			}},
		{Code: "CT-YSXK", Name: "商品房预售许可证", NameEn: "Pre-sale permit for commercial housing",
			HolderKind: HolderEnterprise, NumberPrefix: "YX", Fields: []FieldSpec{
				text("project", "项目名称", "Project", true),
				text("location", "房屋坐落", "Location", true),
				num("area", "预售面积（平方米）", "Floor area for pre-sale (m²)", true),
			}},
		{Code: "CT-JZZZ", Name: "建筑业企业资质证书", NameEn: "Construction enterprise qualification",
			HolderKind: HolderEnterprise, ValidityMonths: 60, NumberPrefix: "JZ", Fields: []FieldSpec{
				text("qualification", "资质类别及等级", "Qualification and grade", true),
			}},
		{Code: "CT-GHXK", Name: "建设工程规划许可证", NameEn: "Construction project planning permit",
			HolderKind: HolderEnterprise, NumberPrefix: "GH", Fields: []FieldSpec{
				text("project", "建设项目名称", "Project", true),
				text("location", "建设位置", "Location", true),
				num("scale", "建设规模（平方米）", "Floor area (m²)", true),
			}},
		{Code: "CT-BDCQ", Name: "不动产权证书", NameEn: "Real property certificate",
			HolderKind: HolderEnterprise, NumberPrefix: "BD", Fields: []FieldSpec{
				text("location", "坐落", "Location", true),
				text("use", "用途", "Use", true),
				num("area", "面积（平方米）", "Area (m²)", true),
			}},
	}
}

func (t *Type) validate() error {
	var ps []error
	if !typeCodePattern.MatchString(t.Code) {
		ps = append(ps, invalid("code", "类型代码为字母开头的字母、数字或 _.-，如 CT-YYZZ (type code: a letter, then letters, digits, _.-, e.g. CT-YYZZ)"))
	}
	if strings.TrimSpace(t.Name) == "" || utf8.RuneCountInString(t.Name) > 100 {
		ps = append(ps, invalid("name", "名称必填，不超过100字 (name required, at most 100 characters)"))
	}
	if t.HolderKind != HolderPerson && t.HolderKind != HolderEnterprise {
		ps = append(ps, invalid("holder_kind", "持证主体须为自然人或企业 (holder kind must be person or enterprise)"))
	}
	if t.ValidityMonths < 0 || t.ValidityMonths > 1200 {
		ps = append(ps, invalid("validity_months", "有效期月数须在0到1200之间 (validity months 0–1200)"))
	}
	if !prefixPattern.MatchString(t.NumberPrefix) {
		ps = append(ps, invalid("number_prefix", "编号前缀为1到6个大写字母 (number prefix: 1–6 capital letters)"))
	}
	seen := map[string]bool{}
	for _, f := range t.Fields {
		switch {
		case !fieldKeyPattern.MatchString(f.Key) || seen[f.Key]:
			ps = append(ps, invalid("fields", "字段键无效或重复："+f.Key+" (bad or repeated field key)"))
		case f.Type != "text" && f.Type != "date" && f.Type != "number":
			ps = append(ps, invalid("fields", "字段类型须为 text、date 或 number："+f.Key+" (bad field type)"))
		case strings.TrimSpace(f.Label) == "":
			ps = append(ps, invalid("fields", "字段须有名称："+f.Key+" (field label required)"))
		}
		seen[f.Key] = true
	}
	return joinProblems(ps)
}

// DefineType creates or replaces type t in tx, with an audit entry.
// Certificates already issued keep the fields they were signed with.
func (s *Service) DefineType(ctx context.Context, tx store.IDB, t Type, actor *auth.Actor) error {
	if err := t.validate(); err != nil {
		return err
	}
	if t.IssuerDepartmentID <= 0 {
		return invalid("issuer_department_id", "须指定发证部门 (issuing department required)")
	}
	dept, err := s.department(ctx, t.IssuerDepartmentID)
	if err != nil {
		return invalid("issuer_department_id", "发证部门不存在 (no such department)")
	}
	if err := s.d.Policy.Authorize(actor, auth.ActAdminister, auth.Object{Kind: "department", RegionCode: dept.RegionCode}); err != nil {
		return fmt.Errorf("certificate: define type %s: %w", t.Code, err)
	}
	fields, err := json.Marshal(t.Fields)
	if err != nil {
		return fmt.Errorf("certificate: define type %s: %w", t.Code, err)
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE certificate_types SET name = ?, name_en = ?, issuer_department_id = ?,
		holder_kind = ?, validity_months = ?, number_prefix = ?, fields = ?, updated_at = ? WHERE code = ?`,
		t.Name, t.NameEn, t.IssuerDepartmentID, t.HolderKind, t.ValidityMonths, t.NumberPrefix, string(fields), now, t.Code)
	if err != nil {
		return fmt.Errorf("certificate: define type %s: %w", t.Code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.ExecContext(ctx, `INSERT INTO certificate_types (code, name, name_en, issuer_department_id, holder_kind,
			validity_months, number_prefix, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.Code, t.Name, t.NameEn, t.IssuerDepartmentID, t.HolderKind, t.ValidityMonths, t.NumberPrefix, string(fields), now, now)
		if err != nil {
			return fmt.Errorf("certificate: define type %s: %w", t.Code, err)
		}
	}
	s.mu.Lock()
	delete(s.types, t.Code)
	s.mu.Unlock()
	_, err = s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(actor), ActorName: actorName(actor),
		Action: "certificate.define_type", ObjectType: "certificate_type", ObjectID: t.Code, RegionCode: dept.RegionCode,
		Detail: map[string]any{"name": t.Name, "issuer_department_id": t.IssuerDepartmentID, "validity_months": t.ValidityMonths}})
	return err
}

const typeCols = `code, name, name_en, issuer_department_id, holder_kind, validity_months, number_prefix, fields`

func scanType(r interface{ Scan(...any) error }) (*Type, error) {
	var t Type
	var fields string
	if err := r.Scan(&t.Code, &t.Name, &t.NameEn, &t.IssuerDepartmentID, &t.HolderKind, &t.ValidityMonths, &t.NumberPrefix, &fields); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
		return nil, fmt.Errorf("certificate: type %s fields: %w", t.Code, err)
	}
	return &t, nil
}

// GetType returns type code.
func (s *Service) GetType(ctx context.Context, db store.IDB, code string) (*Type, error) {
	t, err := scanType(db.QueryRowContext(ctx, `SELECT `+typeCols+` FROM certificate_types WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("certificate: type %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: type %q: %w", code, err)
	}
	return t, nil
}

// Types returns every type, by code.
func (s *Service) Types(ctx context.Context) ([]Type, error) {
	rows, err := s.d.DB.QueryContext(ctx, `SELECT `+typeCols+` FROM certificate_types ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("certificate: types: %w", err)
	}
	defer rows.Close()
	var out []Type
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// checkFields validates values against the type's field specs: required
// fields present, dates and numbers well-formed, no unknown keys.
func (t *Type) checkFields(values map[string]string) (map[string]string, []error) {
	var ps []error
	clean := map[string]string{}
	for k, v := range values {
		v = strings.TrimSpace(v)
		f := t.Field(k)
		if f == nil {
			ps = append(ps, invalid("fields."+k, "该证照没有此字段 (unknown field)"))
			continue
		}
		if v == "" {
			continue
		}
		if utf8.RuneCountInString(v) > 500 {
			ps = append(ps, invalid("fields."+k, "不超过500字 (at most 500 characters)"))
			continue
		}
		switch f.Type {
		case "date":
			if _, err := time.Parse("2006-01-02", v); err != nil || !datePattern.MatchString(v) {
				ps = append(ps, invalid("fields."+k, "日期格式为 YYYY-MM-DD (date must be YYYY-MM-DD)"))
				continue
			}
		case "number":
			if !numberPattern.MatchString(v) {
				ps = append(ps, invalid("fields."+k, "须为数字 (must be a number)"))
				continue
			}
		}
		clean[k] = v
	}
	for _, f := range t.Fields {
		if f.Required && clean[f.Key] == "" && values[f.Key] == "" {
			ps = append(ps, invalid("fields."+f.Key, f.Label+"必填 (required)"))
		}
	}
	return clean, ps
}
