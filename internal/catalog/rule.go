package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/rules"
)

// maxExamples bounds the examples saved with a rule.
const maxExamples = 20

// RuleFields returns the form fields as an approval rule sees them.
func RuleFields(fields []FormField) []rules.Field {
	out := make([]rules.Field, len(fields))
	for i, f := range fields {
		out[i] = rules.Field{Key: f.Key, Type: rules.FieldType(f.Type)}
	}
	return out
}

// Rules returns the compiler the catalogue checks rules with; the
// application module evaluates rules with the same one, so they share its
// cache.
func (m *Module) Rules() *rules.Compiler { return m.d.Rules }

// CompileRule returns the program of it's approval rule, or nil when it
// has none. It is how an application made under a published version
// evaluates that version's rule.
func (m *Module) CompileRule(it *Item) (*rules.Program, error) {
	if it.Rule == nil {
		return nil, nil
	}
	p, err := m.d.Rules.Compile(RuleFields(it.Fields), rules.Rule{Expr: it.Rule.Expr, Version: it.Rule.Version})
	if err != nil {
		return nil, fmt.Errorf("catalog: rule of %s: %w", it.Code, err)
	}
	return p, nil
}

// Input returns the example as an input to a rule.
func (e RuleExample) example() rules.Example {
	ex := rules.Example{Name: e.Name, Form: e.Form, Certificates: e.Certificates, Want: e.Want}
	if e.CreditClass != "" {
		ex.Credit = &rules.Credit{Class: e.CreditClass, SeriousViolation: e.SeriousViolation, Abnormal: e.Abnormal}
	}
	if e.ApplicantKind != "" || e.ApplicantRegion != "" {
		ex.Applicant = &rules.Applicant{Kind: e.ApplicantKind, Region: e.ApplicantRegion}
	}
	return ex
}

// checkExample reports what is wrong with the shape of example e at path.
func checkExample(p *problems, at string, e *RuleExample) {
	e.Name = strings.TrimSpace(e.Name)
	switch n := utf8.RuneCountInString(e.Name); {
	case n == 0:
		p.Add(at+".name", "请为示例命名 (the example needs a name)")
	case n > 100:
		p.Add(at+".name", "示例名称不能超过 100 个字 (at most 100 characters)")
	}
	if !slices.Contains([]string{"", "A", "B", "C", "D"}, e.CreditClass) {
		p.Add(at+".credit_class", "信用等级应为 A、B、C、D 或留空 (credit class A–D or empty)")
	}
	if !slices.Contains([]string{"", "person", "enterprise"}, e.ApplicantKind) {
		p.Add(at+".applicant_kind", "申请人类型应为个人或企业 (person or enterprise)")
	}
	if e.ApplicantRegion != "" && !regionPattern.MatchString(e.ApplicantRegion) {
		p.Add(at+".applicant_region", "行政区划代码应为 6 位数字 (region code must be 6 digits)")
	}
	if len(e.Form) > maxFields || len(e.Certificates) > 50 {
		p.Add(at, "示例数据过多 (too many values)")
	}
	for _, k := range slices.Sorted(maps.Keys(e.Form)) {
		if !keyPattern.MatchString(k) || utf8.RuneCountInString(e.Form[k]) > 1000 {
			p.Add(at+".form."+k, "示例表单值不正确 (bad form key or value over 1000 characters)")
		}
	}
	for i, c := range e.Certificates {
		if !certTypePattern.MatchString(c) {
			p.Add(fmt.Sprintf("%s.certificates[%d]", at, i), "证照类型编码只能包含字母、数字和 _ . - (certificate type code: letters, digits, _ . -)")
		}
	}
}

// checkRule type-checks the approval rule of d against its form fields and
// checks its examples' shape; with run, it also tries the examples and
// reports each that no longer gives the outcome it expects.
func (m *Module) checkRule(ctx context.Context, d *Draft, run bool) error {
	if d.Rule == nil {
		return nil
	}
	var p problems
	if len(d.Rule.Examples) > maxExamples {
		p.Add("rule.examples", "示例不能超过 %d 个 (at most %d examples)", maxExamples, maxExamples)
		return p.Err()
	}
	names := map[string]bool{}
	for i := range d.Rule.Examples {
		at := fmt.Sprintf("rule.examples[%d]", i)
		checkExample(&p, at, &d.Rule.Examples[i])
		if n := d.Rule.Examples[i].Name; n != "" && names[n] {
			p.Add(at+".name", "示例“%s”重名 (duplicate example name)", n)
		}
		names[d.Rule.Examples[i].Name] = true
	}
	prg, err := m.d.Rules.Compile(RuleFields(d.Fields), rules.Rule{Expr: d.Rule.Expr, Version: d.Rule.Version})
	if err != nil {
		p.Add("rule.expr", "%s", ruleMessage(err))
		return p.Err()
	}
	if run && len(p) == 0 {
		exs := make([]rules.Example, len(d.Rule.Examples))
		for i, e := range d.Rule.Examples {
			exs[i] = e.example()
		}
		for i, r := range rules.Try(ctx, prg, m.d.Now(), exs) {
			if !r.Pass {
				p.Add(fmt.Sprintf("rule.examples[%d]", i), "示例“%s”预期%s，实际%s：%s (example %q no longer gives its expected result)",
					r.Example.Name, outcome(r.Example.Want), outcome(r.Decision.Approve), resultReason(r), r.Example.Name)
			}
		}
	}
	return p.Err()
}

// ruleMessage is the text of a rule's compile error for a field message.
func ruleMessage(err error) string {
	var ce *rules.CompileError
	if errors.As(err, &ce) {
		parts := make([]string, len(ce.Issues))
		for i, is := range ce.Issues {
			parts[i] = fmt.Sprintf("第 %d 行第 %d 列：%s", is.Line, is.Column, is.Message)
		}
		return "秒批规则有误 (rule does not compile)：" + strings.Join(parts, "；")
	}
	return "秒批规则无法检查 (rule cannot be checked)：" + err.Error()
}

// outcome names a decision.
func outcome(approve bool) string {
	if approve {
		return "自动审批"
	}
	return "转人工"
}

// resultReason says why an example came out as it did.
func resultReason(r rules.ExampleResult) string {
	if r.Err != nil {
		return strings.TrimPrefix(r.Err.Error(), "rules: ")
	}
	return r.Decision.Reason
}
