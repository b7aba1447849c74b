package rules

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
)

// cst is China Standard Time, in which form dates are days.
var cst = time.FixedZone("CST", 8*3600)

// Credit is what the credit module says of the applicant.
type Credit struct {
	Class            string `json:"class" doc:"Credit class A, B, C or D"`
	SeriousViolation bool   `json:"serious_violation,omitempty" doc:"Listed for serious dishonesty (严重失信)"`
	Abnormal         bool   `json:"abnormal,omitempty" doc:"Listed as operating abnormally (经营异常)"`
}

// Applicant is who applies.
type Applicant struct {
	Kind   string `json:"kind" doc:"person or enterprise"`
	Region string `json:"region,omitempty" doc:"GB/T 2260 code of the applicant's region"`
}

// Input is what a rule is evaluated over. Form holds the submitted values
// by field key: strings as they came from the form, converted by field
// type, or values already of the field's type (float64 or int for a
// number, bool, time.Time for a date). An empty string or a missing key
// leaves the field without a value. Keys that are not fields are ignored.
// A nil Credit or Applicant means the data is not available: a rule that
// reads it leaves the decision to a person.
type Input struct {
	Form         map[string]any
	Credit       *Credit
	Certificates []string
	Applicant    *Applicant
	Now          time.Time
}

// Inputs are the exact values a rule saw, for the record of a decision.
type Inputs struct {
	Form         map[string]any `json:"form"`
	Credit       *Credit        `json:"credit,omitempty"`
	Certificates []string       `json:"certificates"`
	Applicant    *Applicant     `json:"applicant,omitempty"`
	Now          time.Time      `json:"now"`
}

// Decision is the outcome of a rule. Approve means the rule approved the
// application and no person need look at it; otherwise a person decides,
// and Reason says why the rule did not.
type Decision struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason"` // Chinese first, then English
	Expr    string `json:"expr"`
	Version int    `json:"version"`
	Inputs  Inputs `json:"inputs"`
	Cost    uint64 `json:"cost" doc:"CEL cost units used"`
}

// The reasons of a decision.
const (
	ReasonApproved    = "规则判定符合条件，系统自动审批 (the rule approved)"
	ReasonNotApproved = "规则判定不符合自动审批条件，转人工审核 (the rule did not approve; a person decides)"
)

// Eval evaluates p over in. The decision is Approve when the rule yields
// true; false, a missing value, or a rule that exceeds the cost limit leave
// it Undecided (Approve false) for a person, with the reason. A rule never
// refuses an application. The error is an *InputError (joined when several)
// when a form value does not fit its field, or the context's error; the
// decision is then Undecided too.
func (p *Program) Eval(ctx context.Context, in Input) (Decision, error) {
	d := Decision{Expr: p.expr, Version: p.version}
	form, err := p.convert(in.Form)
	d.Inputs = Inputs{Form: form, Credit: in.Credit, Certificates: in.Certificates, Applicant: in.Applicant, Now: in.Now}
	if d.Inputs.Certificates == nil {
		d.Inputs.Certificates = []string{}
	}
	if err != nil {
		d.Reason = "表单数据不符合字段类型，转人工审核 (form data does not fit the fields; a person decides)"
		return d, err
	}
	if err := ctx.Err(); err != nil {
		d.Reason = "未完成判定 (cancelled)"
		return d, err
	}
	credit := map[string]any{}
	if c := in.Credit; c != nil {
		credit = map[string]any{"class": c.Class, "serious_violation": c.SeriousViolation, "abnormal": c.Abnormal}
	}
	applicant := map[string]any{}
	if a := in.Applicant; a != nil {
		applicant = map[string]any{"kind": a.Kind, "region": a.Region}
	}
	out, det, err := p.prg.ContextEval(ctx, map[string]any{
		varForm: form, varCredit: credit, varApplicant: applicant,
		varCertificates: d.Inputs.Certificates, varNow: in.Now,
	})
	if det != nil {
		if c := det.ActualCost(); c != nil {
			d.Cost = *c
		}
	}
	switch {
	case err != nil && ctx.Err() != nil:
		d.Reason = "未完成判定 (cancelled)"
		return d, ctx.Err()
	case err != nil:
		d.Reason = "规则无法判定，转人工审核：" + evalMessage(err)
	case out == types.True:
		d.Approve, d.Reason = true, ReasonApproved
	default:
		d.Reason = ReasonNotApproved
	}
	return d, nil
}

// evalMessage explains an evaluation error.
func evalMessage(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "cost limit exceeded") {
		return "计算量超出上限 (cost limit exceeded)"
	}
	if strings.Contains(msg, "no such key") || strings.Contains(msg, "no such attribute") {
		return "缺少数据 (" + msg + ")"
	}
	return msg
}

// convert returns the form values of p's fields, converted to their types.
func (p *Program) convert(raw map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(p.fields))
	var errs []error
	for _, f := range p.fields {
		v, ok := raw[f.Key]
		if !ok || v == nil {
			continue
		}
		c, err := Convert(f.Type, v)
		if err != nil {
			errs = append(errs, &InputError{Key: f.Key, Value: fmt.Sprint(v), Message: err.Error()})
			continue
		}
		if c != nil {
			out[f.Key] = c
		}
	}
	return out, errors.Join(errs...)
}

// Convert returns v as a value of a field of type t: float64 for a number,
// bool, time.Time for a date (a "YYYY-MM-DD" string is midnight China
// Standard Time), string otherwise. An empty or blank string is no value
// (nil, nil). The error says in Chinese and English what was expected.
func Convert(t FieldType, v any) (any, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		v = s
	}
	switch t {
	case FieldNumber:
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				break
			}
			return x, nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case string:
			n, err := strconv.ParseFloat(strings.ReplaceAll(x, ",", ""), 64)
			if err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
				return n, nil
			}
		}
		return nil, errors.New("应为数字，如 1000000 或 12.5 (a number, e.g. 1000000 or 12.5)")
	case FieldBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(x) {
			case "true", "1", "on", "yes", "是":
				return true, nil
			case "false", "0", "off", "no", "否":
				return false, nil
			}
		}
		return nil, errors.New("应为“是”或“否” (yes or no: true/false)")
	case FieldDate:
		switch x := v.(type) {
		case time.Time:
			return x, nil
		case string:
			if d, err := time.ParseInLocation(time.DateOnly, x, cst); err == nil {
				return d, nil
			}
		}
		return nil, errors.New("应为日期，格式 2026-01-31 (a date, YYYY-MM-DD)")
	case FieldText, FieldChoice, FieldAddress, FieldUSCC, FieldIDNumber, FieldPhone:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("应为文本 (text, not %T)", v)
	case FieldChoices:
		switch x := v.(type) {
		case []string:
			return x, nil
		case []any:
			out := make([]string, 0, len(x))
			for _, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, errors.New("应为选项列表 (a list of choices)")
				}
				out = append(out, s)
			}
			return out, nil
		case string:
			return SplitChoices(x), nil
		}
		return nil, errors.New("应为选项列表 (a list of choices)")
	}
	return nil, fmt.Errorf("未知的字段类型 %q (unknown field type)", t)
}

// SplitChoices reads several chosen options written as one text, separated
// by "、", "," or "，" (as forms and examples carry them), without blanks
// or repeats.
func SplitChoices(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == '\n' }) {
		if p := strings.TrimSpace(part); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
