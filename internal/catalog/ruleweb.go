package catalog

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/rules"
)

// ruleView is what the rule section of the edit page shows: the rule, its
// compile status, what it may refer to, and its examples tried now.
type ruleView struct {
	Expr     string
	Version  int
	Compiled bool
	Problem  string // why it does not compile
	MaxCost  uint64
	Limit    uint64
	Vars     []ruleVar
	Fields   []fieldInput
	Results  []exampleRow // the saved examples
	Trial    *exampleRow  // an example tried and not saved
	Try      url.Values   // the values of the try form
	Credit   []Option
	Kinds    []Option
}

// ruleVar is one name a rule may use.
type ruleVar struct{ Name, Type, Label string }

// fieldInput is one form field in the try form.
type fieldInput struct {
	FormField
	Value string
}

// exampleRow is one example and what the rule made of it.
type exampleRow struct {
	N      int
	Name   string
	Inputs string
	Want   string
	Got    string
	Pass   bool
	Reason string
}

// ruleTypeNames are the types of form fields in a rule.
var ruleTypeNames = map[FieldType]string{FieldNumber: "数字 double", FieldBool: "是/否 bool", FieldDate: "日期 timestamp（当天 0 时，北京时间）"}

// ruleView describes the rule of it; trial is an example just tried and
// try the try form's values.
func (m *Module) ruleView(ctx context.Context, it *Item, trial *RuleExample, try url.Values) *ruleView {
	v := &ruleView{Limit: m.d.Rules.CostLimit(), Try: try}
	if v.Try == nil {
		v.Try = url.Values{}
	}
	for _, f := range it.Fields {
		t, ok := ruleTypeNames[f.Type]
		if !ok {
			t = "文本 string"
		}
		v.Vars = append(v.Vars, ruleVar{Name: "form." + f.Key, Type: t, Label: f.Label})
		v.Fields = append(v.Fields, fieldInput{FormField: f, Value: v.Try.Get("f." + f.Key)})
	}
	v.Vars = append(v.Vars,
		ruleVar{"credit.class", "文本 string", "信用等级 A/B/C/D"},
		ruleVar{"credit.serious_violation", "是/否 bool", "严重失信主体"},
		ruleVar{"credit.abnormal", "是/否 bool", "经营异常名录"},
		ruleVar{"certificates", "文本列表 list(string)", "持有的电子证照类型，或用 has_certificate(\"CT-YYZZ\")"},
		ruleVar{`applicant.kind ("person" | "enterprise")`, "文本 string", "申请人类型：个人或企业"},
		ruleVar{"applicant.region", "文本 string", "申请人行政区划代码"},
		ruleVar{"now", "日期时间 timestamp", "判定时间"})
	for _, c := range []string{"", "A", "B", "C", "D"} {
		label := c
		if c == "" {
			label = "无信用记录"
		}
		v.Credit = append(v.Credit, Option{Value: c, Label: label, Selected: v.Try.Get("credit_class") == c})
	}
	for _, k := range [][2]string{{"", "—"}, {"person", "个人"}, {"enterprise", "企业"}} {
		v.Kinds = append(v.Kinds, Option{Value: k[0], Label: k[1], Selected: v.Try.Get("applicant_kind") == k[0]})
	}
	if it.Rule == nil {
		return v
	}
	v.Expr, v.Version = it.Rule.Expr, it.Rule.Version
	prg, err := m.d.Rules.Compile(RuleFields(it.Fields), rules.Rule{Expr: it.Rule.Expr, Version: it.Rule.Version})
	if err != nil {
		v.Problem = ruleMessage(err)
		return v
	}
	v.Compiled = true
	_, v.MaxCost = prg.EstimatedCost()
	exs := make([]rules.Example, 0, len(it.Rule.Examples)+1)
	for _, e := range it.Rule.Examples {
		exs = append(exs, e.example())
	}
	if trial != nil {
		exs = append(exs, trial.example())
	}
	for i, r := range rules.Try(ctx, prg, m.d.Now(), exs) {
		row := exampleRow{N: i, Name: r.Example.Name, Inputs: summary(r.Example), Want: outcome(r.Example.Want),
			Got: outcome(r.Decision.Approve), Pass: r.Pass, Reason: resultReason(r)}
		if r.Err != nil {
			row.Got = "数据有误"
		}
		if trial != nil && i == len(exs)-1 {
			v.Trial = &row
		} else {
			v.Results = append(v.Results, row)
		}
	}
	return v
}

// summary lists an example's inputs on one line.
func summary(e rules.Example) string {
	var parts []string
	keys := make([]string, 0, len(e.Form))
	for k := range e.Form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%s", k, e.Form[k]))
	}
	if e.Credit != nil {
		c := "信用 " + e.Credit.Class
		if e.Credit.SeriousViolation {
			c += " 严重失信"
		}
		if e.Credit.Abnormal {
			c += " 经营异常"
		}
		parts = append(parts, c)
	} else {
		parts = append(parts, "无信用记录")
	}
	if len(e.Certificates) > 0 {
		parts = append(parts, "证照 "+strings.Join(e.Certificates, "、"))
	}
	if e.Applicant != nil {
		kind := map[string]string{"person": "个人", "enterprise": "企业"}[e.Applicant.Kind]
		if kind == "" {
			kind = e.Applicant.Kind
		}
		parts = append(parts, strings.TrimSpace("申请人 "+kind+" "+e.Applicant.Region))
	}
	return strings.Join(parts, "；")
}

// exampleFromForm reads the try form: name, f.<key> for each field of it,
// credit and applicant data, and the outcome wanted.
func exampleFromForm(f url.Values, it *Item) RuleExample {
	e := RuleExample{Name: strings.TrimSpace(f.Get("name")), Form: map[string]string{},
		CreditClass: f.Get("credit_class"), SeriousViolation: f.Get("serious_violation") == "1",
		Abnormal: f.Get("abnormal") == "1", ApplicantKind: f.Get("applicant_kind"),
		ApplicantRegion: strings.TrimSpace(f.Get("applicant_region")), Want: f.Get("want") == "approve"}
	for _, fd := range it.Fields {
		if v := strings.TrimSpace(f.Get("f." + fd.Key)); v != "" {
			e.Form[fd.Key] = v
		}
	}
	e.Certificates = strings.FieldsFunc(f.Get("certificates"), func(r rune) bool {
		return r == ',' || r == '，' || r == ' ' || r == '、' || r == '\n' || r == '\r'
	})
	if e.Name == "" {
		e.Name = "试算"
	}
	return e
}

// ruleSubmit tries an example on the rule (op=try: anyone who may read the
// item; nothing is stored), saves it with the draft (op=save) or deletes a
// saved one (op=delete, n).
func (m *Module) ruleSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	a := auth.FromContext(r.Context())
	it, err := m.Working(r.Context(), a, itemID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	f := r.PostForm
	switch f.Get("op") {
	case "try":
		ex := exampleFromForm(f, it)
		var p problems
		checkExample(&p, "example", &ex)
		if len(p) > 0 {
			m.renderEdit(w, r, http.StatusUnprocessableEntity, nil, FieldErrors(p.Err()), func(d *editData) {
				d.Rule = m.ruleView(r.Context(), it, nil, f)
			})
			return
		}
		m.renderEdit(w, r, http.StatusOK, nil, nil, func(d *editData) {
			d.Rule = m.ruleView(r.Context(), it, &ex, f)
		})
	case "save":
		ex := exampleFromForm(f, it)
		m.save(w, r, nil, func(d *Draft) error {
			if d.Rule == nil {
				return &FieldError{Path: "rule.expr", Message: "请先填写秒批规则 (write the rule first)"}
			}
			d.Rule = &ApprovalRule{Expr: d.Rule.Expr, Version: d.Rule.Version, Examples: append(slices.Clone(d.Rule.Examples), ex)}
			return nil
		})
	case "delete":
		m.save(w, r, nil, func(d *Draft) error {
			if d.Rule == nil {
				return ErrNotFound
			}
			i := index(f.Get("n"), len(d.Rule.Examples))
			if i < 0 {
				return ErrNotFound
			}
			d.Rule = &ApprovalRule{Expr: d.Rule.Expr, Version: d.Rule.Version, Examples: slices.Delete(slices.Clone(d.Rule.Examples), i, i+1)}
			return nil
		})
	default:
		m.s.Error(w, r, http.StatusBadRequest, "")
	}
}
