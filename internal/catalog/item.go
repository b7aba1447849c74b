package catalog

import (
	"fmt"
	"time"
)

// ItemType is the legal category of a service item, after the categories
// of the national catalogue of government-service items (GB/T 39554).
type ItemType string

// The item types. Their Chinese names are what applicants and staff see.
const (
	TypeLicensing     ItemType = "licensing"      // 行政许可
	TypeConfirmation  ItemType = "confirmation"   // 行政确认
	TypePayment       ItemType = "payment"        // 行政给付
	TypeAdjudication  ItemType = "adjudication"   // 行政裁决
	TypeReward        ItemType = "reward"         // 行政奖励
	TypeCollection    ItemType = "collection"     // 行政征收
	TypeFiling        ItemType = "filing"         // 行政备案
	TypeOtherPower    ItemType = "other_power"    // 其他行政权力
	TypePublicService ItemType = "public_service" // 公共服务
)

// ItemTypes lists the types in display order.
var ItemTypes = []ItemType{TypeLicensing, TypeConfirmation, TypePayment, TypeAdjudication,
	TypeReward, TypeCollection, TypeFiling, TypeOtherPower, TypePublicService}

var itemTypeNames = map[ItemType]string{
	TypeLicensing: "行政许可", TypeConfirmation: "行政确认", TypePayment: "行政给付",
	TypeAdjudication: "行政裁决", TypeReward: "行政奖励", TypeCollection: "行政征收",
	TypeFiling: "行政备案", TypeOtherPower: "其他行政权力", TypePublicService: "公共服务",
}

// Name returns the Chinese name of t, or t itself when it is unknown.
func (t ItemType) Name() string {
	if n, ok := itemTypeNames[t]; ok {
		return n
	}
	return string(t)
}

// Valid reports whether t is one of ItemTypes.
func (t ItemType) Valid() bool { _, ok := itemTypeNames[t]; return ok }

// Kind says how fast an item is decided: on the spot (即办件) or within a
// promised number of working days (承诺件).
type Kind string

// The kinds. A promised limit of zero days makes an item instant.
const (
	KindInstant  Kind = "instant"  // 即办件
	KindPromised Kind = "promised" // 承诺件
)

// Name returns the Chinese name of k.
func (k Kind) Name() string {
	switch k {
	case KindInstant:
		return "即办件"
	case KindPromised:
		return "承诺件"
	}
	return string(k)
}

// KindFor returns the kind a promised limit implies.
func KindFor(promisedDays int) Kind {
	if promisedDays == 0 {
		return KindInstant
	}
	return KindPromised
}

// MaterialClass is the 四色清单 class of a material: what happens when an
// applicant does not bring it.
type MaterialClass string

// The material classes.
const (
	// ClassRequired (必要): without it the application is not accepted.
	ClassRequired MaterialClass = "required"
	// ClassOptional (非必要): submitted when the applicant has it.
	ClassOptional MaterialClass = "optional"
	// ClassShortfall (容缺): may be missing at intake, accepted on a written
	// promise to supply it within a set time (容缺受理).
	ClassShortfall MaterialClass = "shortfall"
	// ClassShared (共享): never submitted; the department fetches it by data
	// sharing, from the certificate type the material names.
	ClassShared MaterialClass = "shared"
)

// MaterialClasses lists the classes in display order.
var MaterialClasses = []MaterialClass{ClassRequired, ClassOptional, ClassShortfall, ClassShared}

var classNames = map[MaterialClass]string{
	ClassRequired: "必要", ClassOptional: "非必要", ClassShortfall: "容缺", ClassShared: "共享",
}

var classExplained = map[MaterialClass]string{
	ClassRequired:  "必须提交，缺少将无法受理。",
	ClassOptional:  "有则提交，没有也不影响受理。",
	ClassShortfall: "暂时缺少也可先受理，须书面承诺并在规定期限内补交。",
	ClassShared:    "无需提交，由部门通过数据共享直接调取。",
}

// Name returns the Chinese name of c.
func (c MaterialClass) Name() string {
	if n, ok := classNames[c]; ok {
		return n
	}
	return string(c)
}

// Explain says in plain Chinese what the class means for the applicant.
func (c MaterialClass) Explain() string { return classExplained[c] }

// Valid reports whether c is one of MaterialClasses.
func (c MaterialClass) Valid() bool { _, ok := classNames[c]; return ok }

// PaperForm says whether a material is wanted as an original, a copy, or
// both.
type PaperForm string

// The paper forms.
const (
	FormOriginal PaperForm = "original"      // 原件
	FormCopy     PaperForm = "copy"          // 复印件
	FormBoth     PaperForm = "original_copy" // 原件和复印件
)

// Name returns the Chinese name of f.
func (f PaperForm) Name() string {
	switch f {
	case FormOriginal:
		return "原件"
	case FormCopy:
		return "复印件"
	case FormBoth:
		return "原件和复印件"
	}
	return string(f)
}

// Valid reports whether f is a known paper form.
func (f PaperForm) Valid() bool { return f == FormOriginal || f == FormCopy || f == FormBoth }

// FieldType is the kind of value a form field takes.
type FieldType string

// The field types. Uscc, IDNumber and Phone are checked by the application
// module (GB 32100, GB 11643, mainland mobile numbers).
const (
	FieldText     FieldType = "text"
	FieldNumber   FieldType = "number"
	FieldDate     FieldType = "date"
	FieldChoice   FieldType = "choice"
	FieldBool     FieldType = "bool"
	FieldAddress  FieldType = "address"
	FieldUSCC     FieldType = "uscc"
	FieldIDNumber FieldType = "id_number"
	FieldPhone    FieldType = "phone"
	// FieldChoices is a choice of several options at once (a restaurant
	// has several business activities); its value is the list chosen.
	FieldChoices FieldType = "choices"
)

// DefaultShortfallDays is the limit of a shortfall material that names
// none: five working days.
const DefaultShortfallDays = 5

// SupplyDays returns the working days within which shortfall material m
// must be supplied.
func (m Material) SupplyDays() int {
	if m.ShortfallDays > 0 {
		return m.ShortfallDays
	}
	return DefaultShortfallDays
}

// HasOptions reports whether fields of type t choose among options.
func (t FieldType) HasOptions() bool { return t == FieldChoice || t == FieldChoices }

// FieldTypes lists the field types in display order.
var FieldTypes = []FieldType{FieldText, FieldNumber, FieldDate, FieldChoice, FieldChoices, FieldBool,
	FieldAddress, FieldUSCC, FieldIDNumber, FieldPhone}

var fieldTypeNames = map[FieldType]string{
	FieldText: "文本", FieldNumber: "数字", FieldDate: "日期", FieldChoice: "选项", FieldChoices: "多选", FieldBool: "是/否",
	FieldAddress: "地址", FieldUSCC: "统一社会信用代码", FieldIDNumber: "身份证号", FieldPhone: "电话",
}

// Name returns the Chinese name of t.
func (t FieldType) Name() string {
	if n, ok := fieldTypeNames[t]; ok {
		return n
	}
	return string(t)
}

// Valid reports whether t is one of FieldTypes.
func (t FieldType) Valid() bool { _, ok := fieldTypeNames[t]; return ok }

// Status is where an item stands for the public.
type Status string

// The statuses. A published item may carry unpublished edits (Item.Dirty):
// the public keeps seeing the last published version until the next publish.
const (
	StatusDraft     Status = "draft"     // never published
	StatusPublished Status = "published" // the latest version is public
	StatusWithdrawn Status = "withdrawn" // no longer offered
)

// Name returns the Chinese name of s.
func (s Status) Name() string {
	switch s {
	case StatusDraft:
		return "草稿"
	case StatusPublished:
		return "已发布"
	case StatusWithdrawn:
		return "已撤回"
	}
	return string(s)
}

// FileRef names a stored file (a material's template or example) by the
// SHA-256 of its content.
type FileRef struct {
	SHA256      string `json:"sha256" doc:"Hex SHA-256 of the content"`
	Name        string `json:"name" doc:"File name shown for download"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Material is one document an applicant brings, or that is fetched for them.
type Material struct {
	Name   string        `json:"name" maxLength:"200"`
	Class  MaterialClass `json:"class" enum:"required,optional,shortfall,shared"`
	Copies int           `json:"copies,omitempty" minimum:"0" maximum:"20" doc:"Number of copies; 0 means 1"`
	Form   PaperForm     `json:"form,omitempty" enum:"original,copy,original_copy" doc:"Original, copy or both; empty means original"`
	Note   string        `json:"note,omitempty" maxLength:"1000" doc:"Requirements: who issues it, stamps, validity"`
	// CertificateType is the e-certificate type that satisfies a shared
	// material (such as the e-business-licence); required for ClassShared.
	CertificateType string `json:"certificate_type,omitempty" maxLength:"64"`
	// CommitmentReplaceable marks a material an applicant's written
	// commitment (告知承诺) may replace, when the item allows commitment.
	CommitmentReplaceable bool `json:"commitment_replaceable,omitempty"`
	// ShortfallDays is, for a shortfall (容缺) material, the working days
	// after acceptance within which it must be supplied; 0 means
	// DefaultShortfallDays. Each material keeps its own limit, so one
	// application may owe materials on different dates.
	ShortfallDays int      `json:"shortfall_days,omitempty" minimum:"0" maximum:"60" doc:"Working days to supply a shortfall material in; 0 means 5"`
	Template      *FileRef `json:"template,omitempty" doc:"Blank form to fill in"`
	Example       *FileRef `json:"example,omitempty" doc:"Filled-in example"`
}

// FormField is one field of an item's application form.
type FormField struct {
	Key      string    `json:"key" pattern:"^[a-z][a-z0-9_]{0,39}$" doc:"Name of the value in form data and in approval rules (form.<key>)"`
	Label    string    `json:"label" maxLength:"100"`
	LabelEn  string    `json:"label_en,omitempty" maxLength:"200"`
	Type     FieldType `json:"type" enum:"text,number,date,choice,bool,address,uscc,id_number,phone"`
	Required bool      `json:"required,omitempty"`
	Options  []string  `json:"options,omitempty" doc:"The choices of a choice field"`
	Help     string    `json:"help,omitempty" maxLength:"500"`
}

// ApprovalRule is an instant-approval (秒批) rule: a CEL expression over the
// application's form data and the applicant's credit, certificates and
// kind, evaluated by the application module (see package rules). The
// catalogue type-checks it against the item's form fields when the item is
// saved, and re-runs its examples when the item is published.
type ApprovalRule struct {
	Expr    string `json:"expr" maxLength:"2000" doc:"CEL expression, e.g. form.capital <= 1000000 && credit.class != \"D\""`
	Version int    `json:"version,omitempty" doc:"Raised each time the expression changes"`
	// Examples are made-up applications with the outcome staff expect;
	// publishing refuses an item whose rule no longer gives it.
	Examples []RuleExample `json:"examples,omitempty" maxItems:"20"`
}

// RuleExample is one example an approval rule is tried on: form values as
// typed into the form, the applicant's shared data, and whether the rule
// should approve.
type RuleExample struct {
	Name             string            `json:"name" minLength:"1" maxLength:"100"`
	Form             map[string]string `json:"form,omitempty" doc:"Form values by field key, as typed (dates as YYYY-MM-DD)"`
	CreditClass      string            `json:"credit_class,omitempty" enum:"A,B,C,D," doc:"Empty means no credit record"`
	SeriousViolation bool              `json:"serious_violation,omitempty"`
	Abnormal         bool              `json:"abnormal,omitempty"`
	Certificates     []string          `json:"certificates,omitempty" doc:"Certificate type codes held"`
	ApplicantKind    string            `json:"applicant_kind,omitempty" enum:"person,enterprise,"`
	ApplicantRegion  string            `json:"applicant_region,omitempty" pattern:"^([0-9]{6})?$"`
	Want             bool              `json:"want" doc:"True when the rule should approve"`
}

// Fee is what an item costs; zero fen means free of charge.
type Fee struct {
	Fen   int64  `json:"fen" minimum:"0" doc:"Amount in fen (0.01 yuan); 0 means free"`
	Basis string `json:"basis,omitempty" maxLength:"500" doc:"Legal basis of the charge"`
}

// Free reports whether the item costs nothing.
func (f Fee) Free() bool { return f.Fen == 0 }

// Yuan formats the amount in yuan, e.g. "12.50".
func (f Fee) Yuan() string { return fmt.Sprintf("%d.%02d", f.Fen/100, f.Fen%100) }

// Window says where and when to apply in person.
type Window struct {
	Address string `json:"address,omitempty" maxLength:"300"`
	Hours   string `json:"hours,omitempty" maxLength:"200"`
	Phone   string `json:"phone,omitempty" maxLength:"50" doc:"Enquiry telephone of the department"`
}

// Draft is the editable content of an item: what staff write and what a
// published version freezes.
type Draft struct {
	// Code is the item code, unique in its region, beginning with the GB/T
	// 2260 code of the owning department's region: "990102-XK-001".
	Code         string   `json:"code" maxLength:"40"`
	Name         string   `json:"name" maxLength:"200"`
	ShortName    string   `json:"short_name,omitempty" maxLength:"100"`
	DepartmentID int64    `json:"department_id" doc:"Owning department"`
	Type         ItemType `json:"type" enum:"licensing,confirmation,payment,adjudication,reward,collection,filing,other_power,public_service"`
	LegalBasis   string   `json:"legal_basis,omitempty" maxLength:"4000"`
	Conditions   string   `json:"conditions,omitempty" maxLength:"4000" doc:"Acceptance conditions: who may apply"`
	// ReviewStandard is what the department checks before deciding.
	ReviewStandard    string `json:"review_standard,omitempty" maxLength:"4000"`
	LegalLimitDays    int    `json:"legal_limit_days" minimum:"0" maximum:"365" doc:"Working days the law allows"`
	PromisedLimitDays int    `json:"promised_limit_days" minimum:"0" maximum:"365" doc:"Working days promised; 0 means decided on the spot"`
	// Kind is derived from PromisedLimitDays when empty; when given it must
	// agree with it.
	Kind         Kind     `json:"kind,omitempty" enum:"instant,promised"`
	Fee          Fee      `json:"fee,omitempty"`
	Window       Window   `json:"window,omitempty"`
	Online       bool     `json:"online,omitempty" doc:"May be applied for online"`
	CrossRegion  bool     `json:"cross_region,omitempty" doc:"May be handled in another region (跨域通办)"`
	ScopeRegions []string `json:"scope_regions,omitempty" doc:"GB/T 2260 regions where it is offered; empty means the owning region"`
	// CertificateType is the code of the e-certificate type the item
	// yields, if any.
	CertificateType string        `json:"certificate_type,omitempty" maxLength:"64"`
	Commitment      bool          `json:"commitment,omitempty" doc:"Supports notification-commitment (告知承诺)"`
	Rule            *ApprovalRule `json:"rule,omitempty" doc:"Instant-approval rule"`
	Materials       []Material    `json:"materials,omitempty"`
	Fields          []FormField   `json:"fields,omitempty"`
}

// Item is a service item: its content and where it stands. A working copy
// carries the latest published version number in Version; a published
// version carries its own number, PublishedAt and PublishedBy.
type Item struct {
	Draft
	ID             int64     `json:"id"`
	RegionCode     string    `json:"region_code" doc:"Region of the owning department"`
	DepartmentName string    `json:"department_name"`
	Status         Status    `json:"status"`
	Version        int       `json:"version" doc:"Published version number; 0 if never published"`
	PublishedAt    time.Time `json:"published_at,omitzero"`
	PublishedBy    string    `json:"published_by,omitempty"`
	// Dirty reports edits not yet published (working copies only).
	Dirty          bool      `json:"dirty,omitempty"`
	WithdrawReason string    `json:"withdraw_reason,omitempty"`
	RowVersion     int64     `json:"row_version,omitempty" doc:"Send back with an update to detect concurrent edits"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// Instant reports whether the item is decided on the spot (即办件).
func (it *Item) Instant() bool { return it.PromisedLimitDays == 0 }

// Material returns the material named name, or nil.
func (it *Item) Material(name string) *Material {
	for i := range it.Materials {
		if it.Materials[i].Name == name {
			return &it.Materials[i]
		}
	}
	return nil
}

// Field returns the form field with key, or nil.
func (it *Item) Field(key string) *FormField {
	for i := range it.Fields {
		if it.Fields[i].Key == key {
			return &it.Fields[i]
		}
	}
	return nil
}

// CommitmentReplaceable lists the materials a commitment may replace; it
// is empty when the item does not support commitment.
func (it *Item) CommitmentReplaceable() []Material {
	if !it.Commitment {
		return nil
	}
	var out []Material
	for _, m := range it.Materials {
		if m.CommitmentReplaceable {
			out = append(out, m)
		}
	}
	return out
}
