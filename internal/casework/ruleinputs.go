package casework

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/pii"
)

// The inputs a rule read (秒批) are kept with the decision: on the
// application, in the workflow history and in the audit entry. They hold
// the form, so they are masked before they are written anywhere: values of
// identity-number and phone fields by their type, and numbers of those
// shapes inside any other text.

// maskRuleInputs returns used (the rule's record of its inputs) with
// personal numbers masked, as JSON. Form values are found both as
// {"form": {key: v}} and as flat "form.key" entries.
func maskRuleInputs(fields []catalog.FormField, used any) (string, error) {
	raw, err := json.Marshal(used)
	if err != nil {
		return "", fmt.Errorf("casework: rule inputs: %w", err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("casework: rule inputs: %w", err)
	}
	types := map[string]catalog.FieldType{}
	for _, f := range fields {
		types[f.Key] = f.Type
	}
	var walk func(key string, x any) any
	walk = func(key string, x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, e := range t {
				fk := k
				if key == "form" {
					fk = "form." + k
				}
				t[k] = walk(fk, e)
			}
			return t
		case []any:
			for i, e := range t {
				t[i] = walk(key, e)
			}
			return t
		case string:
			switch types[strings.TrimPrefix(key, "form.")] {
			case catalog.FieldIDNumber:
				if strings.HasPrefix(key, "form.") {
					return pii.MaskID(t)
				}
			case catalog.FieldPhone:
				if strings.HasPrefix(key, "form.") {
					return pii.MaskPhone(t)
				}
			}
			return pii.MaskText(t)
		}
		return x
	}
	out, err := json.Marshal(walk("", v))
	if err != nil {
		return "", fmt.Errorf("casework: rule inputs: %w", err)
	}
	return string(out), nil
}

// RuleInputView lists recorded rule inputs for people to read: each form
// field by its label, then the credit class, certificates and applicant,
// with no JSON and no unmasked number.
func RuleInputView(fields []catalog.FormField, recorded string) []FieldValue {
	if recorded == "" {
		return nil
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(recorded), &v); err != nil {
		return []FieldValue{{Key: "inputs", Label: "规则输入", Value: pii.MaskText(recorded)}}
	}
	flat := map[string]any{}
	for k, x := range v {
		if m, ok := x.(map[string]any); ok {
			for k2, x2 := range m {
				flat[k+"."+k2] = x2
			}
			continue
		}
		flat[k] = x
	}
	var out []FieldValue
	for _, f := range fields {
		if x, ok := flat["form."+f.Key]; ok {
			out = append(out, FieldValue{Key: f.Key, Label: f.Label, Value: plainValue(x)})
			delete(flat, "form."+f.Key)
		}
	}
	names := map[string]string{"credit.class": "信用等级", "credit.serious_violation": "严重违法失信", "credit.abnormal": "经营异常",
		"certificates": "持有证照", "applicant.kind": "申请人类型", "applicant.region": "申请地区", "now": "判定时间"}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		label, ok := names[k]
		if !ok {
			label = k
		}
		value := plainValue(flat[k])
		if kind, ok := applicantKinds[value]; ok && k == "applicant.kind" {
			value = kind
		}
		out = append(out, FieldValue{Key: k, Label: label, Value: value})
	}
	return out
}

// applicantKinds names the kinds of applicant a rule reads.
var applicantKinds = map[string]string{"person": "个人", "enterprise": "企业"}

// plainValue writes a recorded value as a person reads it.
func plainValue(x any) string {
	switch t := x.(type) {
	case nil:
		return "—"
	case bool:
		if t {
			return "是"
		}
		return "否"
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case string:
		if t == "" {
			return "—"
		}
		return pii.MaskText(t)
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = plainValue(e)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, "、")
	default:
		b, _ := json.Marshal(t)
		return pii.MaskText(string(b))
	}
}
