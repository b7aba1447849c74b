package catalog

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/ids"
)

var (
	// codePattern is the shape of an item code: region, category letters,
	// serial number, as in "990102-XK-001".
	codePattern     = regexp.MustCompile(`^[0-9]{6}-[A-Z]{2,4}-[0-9]{3,6}$`)
	keyPattern      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	certTypePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	regionPattern   = regexp.MustCompile(`^[0-9]{6}$`)
)

// Limits on an item's size, so one item cannot fill the database.
const (
	maxMaterials = 60
	maxFields    = 80
	maxOptions   = 50
)

// normalize trims the text of d and fills the defaults: the kind from the
// promised limit when empty, one copy, originals, and the owning region as
// the scope.
func normalize(d *Draft, region string) {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&d.Code, &d.Name, &d.ShortName, &d.LegalBasis, &d.Conditions,
		&d.ReviewStandard, &d.Fee.Basis, &d.Window.Address, &d.Window.Hours, &d.Window.Phone, &d.CertificateType} {
		trim(s)
	}
	d.Code = strings.ToUpper(d.Code)
	if d.Kind == "" {
		d.Kind = KindFor(d.PromisedLimitDays)
	}
	if len(d.ScopeRegions) == 0 && region != "" {
		d.ScopeRegions = []string{region}
	}
	for i := range d.ScopeRegions {
		trim(&d.ScopeRegions[i])
	}
	for i := range d.Materials {
		m := &d.Materials[i]
		trim(&m.Name)
		trim(&m.Note)
		trim(&m.CertificateType)
		if m.Copies == 0 {
			m.Copies = 1
		}
		if m.Form == "" {
			m.Form = FormOriginal
		}
	}
	for i := range d.Fields {
		f := &d.Fields[i]
		trim(&f.Key)
		trim(&f.Label)
		trim(&f.LabelEn)
		trim(&f.Help)
		for j := range f.Options {
			trim(&f.Options[j])
		}
	}
	if d.Rule != nil {
		trim(&d.Rule.Expr)
		if d.Rule.Expr == "" {
			d.Rule = nil
		}
	}
	if d.Materials == nil {
		d.Materials = []Material{}
	}
	if d.Fields == nil {
		d.Fields = []FormField{}
	}
}

// check reports what is wrong with a normalized draft owned by a department
// of region. A draft may be saved incomplete, but never wrong; complete
// also demands what a published item must state.
func check(d *Draft, region string, complete bool) error {
	var p problems
	text := func(path, v string, max int, required bool) {
		switch {
		case v == "" && required:
			p.Add(path, "不能为空 (required)")
		case utf8.RuneCountInString(v) > max:
			p.Add(path, "不能超过 %d 个字 (at most %d characters)", max, max)
		}
	}
	switch {
	case !codePattern.MatchString(d.Code):
		p.Add("code", "事项编码格式应为“行政区划代码-类别字母-序号”，如 990102-XK-001 (code must look like 990102-XK-001)")
	case region != "" && !strings.HasPrefix(d.Code, region+"-"):
		p.Add("code", "事项编码须以主管部门所在行政区划代码 %s 开头 (code must begin with the department's region %s)", region, region)
	default:
		checkCodeParts(d, &p)
	}
	text("name", d.Name, 200, true)
	text("short_name", d.ShortName, 100, false)
	if d.DepartmentID <= 0 {
		p.Add("department_id", "请选择主管部门 (department required)")
	}
	if !d.Type.Valid() {
		p.Add("type", "事项类型不正确 (unknown item type %q)", d.Type)
	}
	text("legal_basis", d.LegalBasis, 4000, complete)
	text("conditions", d.Conditions, 4000, complete)
	text("review_standard", d.ReviewStandard, 4000, false)
	if d.LegalLimitDays < 0 || d.LegalLimitDays > 365 {
		p.Add("legal_limit_days", "法定时限应在 0 至 365 个工作日之间 (legal limit must be 0–365 working days)")
	}
	switch {
	case d.PromisedLimitDays < 0 || d.PromisedLimitDays > 365:
		p.Add("promised_limit_days", "承诺时限应在 0 至 365 个工作日之间 (promised limit must be 0–365 working days)")
	case d.PromisedLimitDays > d.LegalLimitDays:
		p.Add("promised_limit_days", "承诺时限 %d 个工作日不能超过法定时限 %d 个工作日 (promised limit may not exceed the legal limit)", d.PromisedLimitDays, d.LegalLimitDays)
	}
	switch d.Kind {
	case KindInstant:
		if d.PromisedLimitDays != 0 {
			p.Add("kind", "即办件的承诺时限应为 0 (an on-the-spot item has a promised limit of 0)")
		}
	case KindPromised:
		if d.PromisedLimitDays == 0 {
			p.Add("kind", "承诺件须有大于 0 的承诺时限 (a promised-limit item needs a promised limit above 0)")
		}
	default:
		p.Add("kind", "办件类型应为即办件或承诺件 (kind must be instant or promised)")
	}
	if d.Fee.Fen < 0 {
		p.Add("fee.fen", "收费金额不能为负 (fee may not be negative)")
	}
	text("fee.basis", d.Fee.Basis, 500, d.Fee.Fen > 0)
	text("window.address", d.Window.Address, 300, complete && !d.Online)
	text("window.hours", d.Window.Hours, 200, false)
	text("window.phone", d.Window.Phone, 50, false)
	for i, r := range d.ScopeRegions {
		if !regionPattern.MatchString(r) {
			p.Add(fmt.Sprintf("scope_regions[%d]", i), "行政区划代码应为 6 位数字 (region code must be 6 digits)")
		}
	}
	if d.CertificateType != "" && !certTypePattern.MatchString(d.CertificateType) {
		p.Add("certificate_type", "证照类型编码只能包含字母、数字和 _ . - (certificate type code: letters, digits, _ . -)")
	}
	if d.Rule != nil {
		text("rule.expr", d.Rule.Expr, 2000, true)
	}
	checkMaterials(&p, d, complete)
	checkFields(&p, d)
	return p.Err()
}

func checkMaterials(p *problems, d *Draft, complete bool) {
	if len(d.Materials) > maxMaterials {
		p.Add("materials", "材料不能超过 %d 项 (at most %d materials)", maxMaterials, maxMaterials)
		return
	}
	if complete && len(d.Materials) == 0 {
		p.Add("materials", "请至少列出一项申请材料 (list at least one material)")
	}
	seen := map[string]bool{}
	for i, m := range d.Materials {
		at := fmt.Sprintf("materials[%d]", i)
		switch {
		case m.Name == "":
			p.Add(at+".name", "材料名称不能为空 (material name required)")
		case utf8.RuneCountInString(m.Name) > 200:
			p.Add(at+".name", "材料名称不能超过 200 个字 (at most 200 characters)")
		case seen[m.Name]:
			p.Add(at+".name", "材料“%s”重复 (duplicate material)", m.Name)
		}
		seen[m.Name] = true
		if !m.Class.Valid() {
			p.Add(at+".class", "材料类别应为必要、非必要、容缺或共享 (class must be required, optional, shortfall or shared; got %q)", m.Class)
		}
		if m.Copies < 1 || m.Copies > 20 {
			p.Add(at+".copies", "份数应在 1 至 20 之间 (copies must be 1–20)")
		}
		if !m.Form.Valid() {
			p.Add(at+".form", "应为原件、复印件或原件和复印件 (form must be original, copy or original_copy)")
		}
		if utf8.RuneCountInString(m.Note) > 1000 {
			p.Add(at+".note", "说明不能超过 1000 个字 (at most 1000 characters)")
		}
		switch {
		case m.Class == ClassShared && m.CertificateType == "":
			p.Add(at+".certificate_type", "共享材料须写明由哪类电子证照提供 (a shared material must name the certificate type that satisfies it)")
		case m.CertificateType != "" && !certTypePattern.MatchString(m.CertificateType):
			p.Add(at+".certificate_type", "证照类型编码只能包含字母、数字和 _ . - (certificate type code: letters, digits, _ . -)")
		}
		if m.CommitmentReplaceable && !d.Commitment {
			p.Add(at+".commitment_replaceable", "事项未实行告知承诺，材料不能以承诺替代 (the item does not support commitment)")
		}
		for _, f := range []struct {
			name string
			ref  *FileRef
		}{{"template", m.Template}, {"example", m.Example}} {
			if f.ref != nil && !shaPattern.MatchString(f.ref.SHA256) {
				p.Add(at+"."+f.name, "文件引用不正确 (bad file reference)")
			}
		}
	}
}

func checkFields(p *problems, d *Draft) {
	if len(d.Fields) > maxFields {
		p.Add("fields", "表单字段不能超过 %d 个 (at most %d fields)", maxFields, maxFields)
		return
	}
	seen := map[string]bool{}
	for i, f := range d.Fields {
		at := fmt.Sprintf("fields[%d]", i)
		switch {
		case !keyPattern.MatchString(f.Key):
			p.Add(at+".key", "字段标识应以小写字母开头，只含小写字母、数字和下划线 (key: a lower-case letter, then a-z 0-9 _)")
		case seen[f.Key]:
			p.Add(at+".key", "字段标识“%s”重复 (duplicate key)", f.Key)
		}
		seen[f.Key] = true
		if f.Label == "" || utf8.RuneCountInString(f.Label) > 100 {
			p.Add(at+".label", "字段名称不能为空，且不超过 100 个字 (label required, at most 100 characters)")
		}
		if utf8.RuneCountInString(f.LabelEn) > 200 || utf8.RuneCountInString(f.Help) > 500 {
			p.Add(at+".help", "英文名称或填写说明过长 (English label or help too long)")
		}
		if !f.Type.Valid() {
			p.Add(at+".type", "字段类型不正确 (unknown field type %q)", f.Type)
		}
		switch {
		case f.Type == FieldChoice && len(f.Options) == 0:
			p.Add(at+".options", "选项字段须列出选项 (a choice field needs options)")
		case f.Type != FieldChoice && len(f.Options) > 0:
			p.Add(at+".options", "只有选项字段可以有选项 (only choice fields have options)")
		case len(f.Options) > maxOptions:
			p.Add(at+".options", "选项不能超过 %d 个 (at most %d options)", maxOptions, maxOptions)
		}
		for j, o := range f.Options {
			if o == "" || utf8.RuneCountInString(o) > 100 || slices.Index(f.Options, o) != j {
				p.Add(fmt.Sprintf("%s.options[%d]", at, j), "选项不能为空、重复或超过 100 个字 (options must be non-empty, distinct, at most 100 characters)")
			}
		}
	}
}

// checkCodeParts adds to p what is wrong with the region part of d's code
// (see ItemCode): it must be a GB/T 2260 code.
func checkCodeParts(d *Draft, p *problems) {
	if c, err := ParseItemCode(d.Code); err != nil && c.Region != "" && ids.ValidateRegionCode(c.Region) != nil {
		p.Add("code", "事项编码的行政区划代码 %s 不是有效的 GB/T 2260 代码 (region %s is not a GB/T 2260 code)", c.Region, c.Region)
	}
}

// checkCodeLetters refuses a code whose letters are not those of d's type
// (see ItemCode). It applies to codes still being chosen — a new item, a
// draft never published — and not to the code of a published item, which
// never changes: codes published before the letters were checked stay
// valid, so no stored code has to be migrated.
func checkCodeLetters(d *Draft) error {
	c, err := ParseItemCode(d.Code)
	if err != nil || !d.Type.Valid() {
		return nil // the code's shape and the type are reported by check
	}
	if c.Letters != d.Type.Letters() {
		return &FieldError{Path: "code", Message: fmt.Sprintf("%s事项的编码类别字母应为 %s (a %s item's code carries the letters %s)",
			d.Type.Name(), d.Type.Letters(), d.Type, d.Type.Letters())}
	}
	return nil
}
