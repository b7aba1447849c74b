package casework

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/rules"
)

// maxFieldRunes bounds a text value of a form.
const maxFieldRunes = 500

// sealedPrefix marks a form value stored encrypted (identity and phone
// numbers).
const sealedPrefix = "enc:"

// checkForm validates raw values against the item's fields and returns the
// typed values: float64 for numbers, bool for yes/no, strings otherwise
// (dates as YYYY-MM-DD, codes normalised). Every problem is reported at once;
// unknown keys are refused, so nothing the form does not ask for is stored.
func checkForm(fields []catalog.FormField, raw map[string]string, p *problems) map[string]any {
	out := map[string]any{}
	for k := range raw {
		if !slices.ContainsFunc(fields, func(f catalog.FormField) bool { return f.Key == k }) {
			p.Add("form."+k, "表单没有此项 (no such field)")
		}
	}
	for _, f := range fields {
		path := "form." + f.Key
		v := strings.TrimSpace(raw[f.Key])
		if f.Type == catalog.FieldBool {
			switch strings.ToLower(v) {
			case "", "false", "0", "off", "no", "否":
				if v == "" && f.Required {
					p.Add(path, "%s必填 (required)", f.Label)
					continue
				}
				out[f.Key] = false
			case "true", "1", "on", "yes", "是":
				out[f.Key] = true
			default:
				p.Add(path, "%s应为“是”或“否” (must be yes or no)", f.Label)
			}
			continue
		}
		if v == "" {
			if f.Required {
				p.Add(path, "%s必填 (required)", f.Label)
			}
			continue
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxFieldRunes {
			p.Add(path, "%s不超过%d字 (at most %d characters)", f.Label, maxFieldRunes, maxFieldRunes)
			continue
		}
		switch f.Type {
		case catalog.FieldNumber:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				p.Add(path, "%s应为数字 (must be a number)", f.Label)
				continue
			}
			out[f.Key] = n
		case catalog.FieldDate:
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				p.Add(path, "%s应为日期 YYYY-MM-DD (must be a date)", f.Label)
				continue
			}
			out[f.Key] = v
		case catalog.FieldChoice:
			if !slices.Contains(f.Options, v) {
				p.Add(path, "%s不在可选范围内 (not one of the choices)", f.Label)
				continue
			}
			out[f.Key] = v
		case catalog.FieldChoices:
			chosen := rules.SplitChoices(v)
			var list []any
			bad := false
			for _, c := range chosen {
				bad = bad || !slices.Contains(f.Options, c)
				list = append(list, c)
			}
			if bad || len(list) == 0 {
				p.Add(path, "%s只能从所列选项中选择，可以多选", f.Label)
				continue
			}
			out[f.Key] = list
		case catalog.FieldUSCC:
			v = ids.NormalizeUSCC(v)
			if ids.ValidateUSCC(v) != nil {
				p.Add(path, "%s不是有效的统一社会信用代码 (invalid USCC, GB 32100)", f.Label)
				continue
			}
			out[f.Key] = v
		case catalog.FieldIDNumber:
			v = ids.NormalizeCitizenID(v)
			if ids.ValidateCitizenID(v) != nil {
				p.Add(path, "%s不是有效的身份证号码 (invalid identity number, GB 11643)", f.Label)
				continue
			}
			out[f.Key] = v
		case catalog.FieldPhone:
			if ids.ValidateMobile(v) != nil {
				p.Add(path, "%s不是有效的手机号码 (invalid mobile number)", f.Label)
				continue
			}
			out[f.Key] = v
		default: // text, address
			out[f.Key] = v
		}
	}
	return out
}

// sensitive reports whether values of field type t are personal numbers,
// stored encrypted and shown masked.
func sensitive(t catalog.FieldType) bool {
	return t == catalog.FieldIDNumber || t == catalog.FieldPhone
}

// sealForm returns the form as stored: personal numbers encrypted.
func (m *Module) sealForm(fields []catalog.FormField, form map[string]any) map[string]any {
	out := make(map[string]any, len(form))
	for k, v := range form {
		out[k] = v
		for _, f := range fields {
			if f.Key == k && sensitive(f.Type) {
				out[k] = sealedPrefix + m.d.Box.Seal(v.(string))
			}
		}
	}
	return out
}

// openForm returns the stored form with personal numbers decrypted, for
// rules and certificates; it never leaves the package.
func (m *Module) openForm(form map[string]any) map[string]any {
	out := make(map[string]any, len(form))
	for k, v := range form {
		out[k] = v
		if s, ok := v.(string); ok && strings.HasPrefix(s, sealedPrefix) {
			if plain, err := m.d.Box.Open(strings.TrimPrefix(s, sealedPrefix)); err == nil {
				out[k] = plain
			}
		}
	}
	return out
}

// FieldValue is one form value as shown: personal numbers masked.
type FieldValue struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// formView lists the form in the item's field order for display.
func (m *Module) formView(fields []catalog.FormField, stored map[string]any) []FieldValue {
	plain := m.openForm(stored)
	var out []FieldValue
	for _, f := range fields {
		v, ok := plain[f.Key]
		if !ok {
			continue
		}
		var s string
		switch x := v.(type) {
		case bool:
			s = "否"
			if x {
				s = "是"
			}
		case float64:
			s = strconv.FormatFloat(x, 'f', -1, 64)
		case string:
			s = x
		case []any:
			s = formString(x)
		}
		switch f.Type {
		case catalog.FieldIDNumber:
			s = pii.MaskID(s)
		case catalog.FieldPhone:
			s = pii.MaskPhone(s)
		}
		out = append(out, FieldValue{Key: f.Key, Label: f.Label, Value: s})
	}
	return out
}

// formString renders a typed value as a string (for certificate fields).
func formString(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "是"
		}
		return "否"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case []string:
		return strings.Join(x, "、")
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, formString(e))
		}
		return strings.Join(parts, "、")
	}
	return ""
}

// formValue reads field fld from a posted form (input f_<key>): the
// options ticked of a multiple choice joined with "、", else the value.
func formValue(f url.Values, fld catalog.FormField) string {
	if fld.Type == catalog.FieldChoices {
		return strings.Join(f["f_"+fld.Key], "、")
	}
	return f.Get("f_" + fld.Key)
}
