package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// Change is one field that differs between two versions of an item.
type Change struct {
	Field string `json:"field"` // path, e.g. "materials[营业执照].class"
	Label string `json:"label"` // Chinese label
	Old   string `json:"old"`
	New   string `json:"new"`
}

// entry is one labelled value of a flattened item.
type entry struct{ path, label, value string }

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// flatten lists an item's content as labelled values. Materials are keyed
// by name and fields by key, so a reordering alone is not a change.
func flatten(it *Item) []entry {
	e := []entry{
		{"code", "事项编码", it.Code},
		{"name", "事项名称", it.Name},
		{"short_name", "简称", it.ShortName},
		{"department", "主管部门", it.DepartmentName},
		{"type", "事项类型", it.Type.Name()},
		{"legal_basis", "设定依据", it.LegalBasis},
		{"conditions", "受理条件", it.Conditions},
		{"review_standard", "审查标准", it.ReviewStandard},
		{"legal_limit_days", "法定时限（工作日）", strconv.Itoa(it.LegalLimitDays)},
		{"promised_limit_days", "承诺时限（工作日）", strconv.Itoa(it.PromisedLimitDays)},
		{"kind", "办件类型", it.Kind.Name()},
		{"fee", "收费", feeText(it.Fee)},
		{"window.address", "办理地点", it.Window.Address},
		{"window.hours", "办理时间", it.Window.Hours},
		{"window.phone", "咨询电话", it.Window.Phone},
		{"online", "网上办理", yesNo(it.Online)},
		{"cross_region", "跨域通办", yesNo(it.CrossRegion)},
		{"scope_regions", "实施区域", strings.Join(it.ScopeRegions, "、")},
		{"certificate_type", "办理结果证照类型", it.CertificateType},
		{"commitment", "告知承诺", yesNo(it.Commitment)},
	}
	rule := ""
	if it.Rule != nil {
		rule = fmt.Sprintf("%s (v%d)", it.Rule.Expr, it.Rule.Version)
	}
	e = append(e, entry{"rule", "秒批规则", rule})
	for _, m := range it.Materials {
		p, l := "materials["+m.Name+"]", "材料「"+m.Name+"」"
		e = append(e,
			entry{p, l, "列入"},
			entry{p + ".class", l + "类别", m.Class.Name()},
			entry{p + ".copies", l + "份数", strconv.Itoa(m.Copies)},
			entry{p + ".form", l + "原件/复印件", m.Form.Name()},
			entry{p + ".note", l + "要求", m.Note},
			entry{p + ".certificate_type", l + "共享证照", m.CertificateType},
			entry{p + ".commitment_replaceable", l + "可承诺替代", yesNo(m.CommitmentReplaceable)},
			entry{p + ".shortfall_days", l + "容缺补交时限", shortfallText(m)},
			entry{p + ".template", l + "空白表格", refName(m.Template)},
			entry{p + ".example", l + "示范文本", refName(m.Example)})
	}
	for _, f := range it.Fields {
		p, l := "fields["+f.Key+"]", "表单字段「"+f.Label+"」"
		e = append(e,
			entry{p, l, "列入"},
			entry{p + ".label", l + "名称", f.Label},
			entry{p + ".type", l + "类型", f.Type.Name()},
			entry{p + ".required", l + "必填", yesNo(f.Required)},
			entry{p + ".options", l + "选项", strings.Join(f.Options, "、")},
			entry{p + ".help", l + "说明", f.Help})
	}
	return e
}

func shortfallText(m Material) string {
	if m.Class != ClassShortfall {
		return ""
	}
	return strconv.Itoa(m.SupplyDays()) + "个工作日"
}

func refName(f *FileRef) string {
	if f == nil {
		return ""
	}
	return f.Name + " (" + f.SHA256[:12] + ")"
}

func feeText(f Fee) string {
	if f.Free() {
		return "不收费"
	}
	return f.Yuan() + " 元；" + f.Basis
}

// Diff lists, field by field, what changed from a to b: fields of a that b
// changed or dropped, then fields b added.
func Diff(a, b *Item) []Change {
	fa, fb := flatten(a), flatten(b)
	inB := make(map[string]entry, len(fb))
	for _, e := range fb {
		inB[e.path] = e
	}
	inA := make(map[string]bool, len(fa))
	// A material or field that was dropped or added whole is one change,
	// not one per attribute.
	whole := map[string]bool{}
	within := func(path string) bool {
		parent, _, ok := strings.Cut(path, "].")
		return ok && whole[parent+"]"]
	}
	var out []Change
	for _, e := range fa {
		inA[e.path] = true
		n, ok := inB[e.path]
		switch {
		case !ok && strings.HasSuffix(e.path, "]"):
			whole[e.path] = true
			out = append(out, Change{Field: e.path, Label: e.label, Old: e.value})
		case !ok && e.value != "" && !within(e.path):
			out = append(out, Change{Field: e.path, Label: e.label, Old: e.value})
		case ok && n.value != e.value:
			out = append(out, Change{Field: e.path, Label: n.label, Old: e.value, New: n.value})
		}
	}
	for _, e := range fb {
		if inA[e.path] {
			continue
		}
		if strings.HasSuffix(e.path, "]") {
			whole[e.path] = true
			out = append(out, Change{Field: e.path, Label: e.label, New: e.value})
		} else if e.value != "" && !within(e.path) {
			out = append(out, Change{Field: e.path, Label: e.label, New: e.value})
		}
	}
	return out
}
