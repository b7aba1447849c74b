package rules_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/rules"
)

// The fields of the demo items: individual business registration and
// shop-sign permission.
var (
	business = []rules.Field{{"trade_name", rules.FieldText}, {"operator_name", rules.FieldText},
		{"operator_id", rules.FieldIDNumber}, {"phone", rules.FieldPhone}, {"premises", rules.FieldAddress},
		{"capital", rules.FieldNumber}, {"form_of_business", rules.FieldChoice}, {"scope", rules.FieldText}}
	sign = []rules.Field{{"location", rules.FieldAddress}, {"area", rules.FieldNumber}, {"lighted", rules.FieldBool}}
	// founded is a date field, for rules about time.
	dated = []rules.Field{{"founded", rules.FieldDate}, {"capital", rules.FieldNumber}}
)

const (
	businessRule = `form.capital <= 1000000 && credit.class != "D"`
	signRule     = `form.area <= 10.0 && !form.lighted`
)

var now = time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC)

func mustCompile(t testing.TB, c *rules.Compiler, fields []rules.Field, expr string) *rules.Program {
	t.Helper()
	p, err := c.Compile(fields, rules.Rule{Expr: expr, Version: 3})
	if err != nil {
		t.Fatalf("compile %q: %v", expr, err)
	}
	return p
}

func TestDemoRulesCompile(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	for _, tc := range []struct {
		fields []rules.Field
		expr   string
	}{
		{business, businessRule},
		{sign, signRule},
		{business, `has_certificate("CT-SFZ") && "CT-YYZZ" in certificates && applicant.kind == "person"`},
		{business, `!credit.serious_violation && !credit.abnormal && applicant.region.startsWith("9901")`},
		{dated, `now - form.founded >= duration("8760h") && form.capital > 0`},
		{business, `has(form.trade_name) && form.scope.contains("餐饮")`},
	} {
		p := mustCompile(t, c, tc.fields, tc.expr)
		if p.Version() != 3 || p.Expr() != tc.expr {
			t.Errorf("%q: version %d expr %q", tc.expr, p.Version(), p.Expr())
		}
		if _, max := p.EstimatedCost(); max == 0 || max > c.CostLimit() {
			t.Errorf("%q: estimated cost %d", tc.expr, max)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	for _, tc := range []struct {
		name     string
		fields   []rules.Field
		expr     string
		line     int
		column   int
		contains []string
	}{
		{"typo in a field", business, `form.capitl <= 1000000 && credit.class != "D"`, 1, 5, []string{"没有字段“capitl”", "“capital”", "undefined field 'capitl'"}},
		{"number compared with text", business, `form.capital == "x"`, 1, 14, []string{"类型不匹配", "==", "数字", "文本"}},
		{"bool compared with a number", sign, "form.area <= 10.0 &&\n  form.lighted > 1", 2, 16, []string{"类型不匹配"}},
		{"unknown credit field", business, `credit.level == "A"`, 1, 7, []string{"没有字段“level”"}},
		{"unknown variable", business, `user.age > 18`, 1, 1, []string{"未知的名称“user”"}},
		{"not bool", business, `form.capital + 1.0`, 1, 1, []string{"结果须为“是/否”", "数字", "type bool"}},
		{"syntax", business, `form.capital <=`, 1, 16, []string{"语法错误"}},
		{"constructing the form", business, `yingshang.Form{capital: 1.0}.capital > 0.0`, 1, 15, []string{"不能构造对象"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Compile(tc.fields, rules.Rule{Expr: tc.expr})
			var ce *rules.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CompileError", err)
			}
			is := ce.Issues[0]
			if tc.column > 0 && (is.Line != tc.line || is.Column != tc.column) {
				t.Errorf("at %d:%d, want %d:%d (%s)", is.Line, is.Column, tc.line, tc.column, is.Message)
			}
			for _, s := range tc.contains {
				if !strings.Contains(ce.Error(), s) {
					t.Errorf("%q does not say %q", ce.Error(), s)
				}
			}
		})
	}
}

func TestBadFields(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	if _, err := c.Compile([]rules.Field{{"x", "colour"}}, rules.Rule{Expr: "true"}); err == nil {
		t.Error("unknown field type accepted")
	}
	if _, err := c.Compile([]rules.Field{{"x", rules.FieldText}, {"x", rules.FieldNumber}}, rules.Rule{Expr: "true"}); err == nil {
		t.Error("duplicate field accepted")
	}
	if _, err := c.Compile(nil, rules.Rule{Expr: "  "}); err == nil {
		t.Error("empty rule accepted")
	}
}

func TestEval(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	biz := mustCompile(t, c, business, businessRule)
	sg := mustCompile(t, c, sign, signRule)
	certs := mustCompile(t, c, business, `has_certificate("CT-SFZ") && applicant.kind == "person"`)
	date := mustCompile(t, c, dated, `now - form.founded >= duration("8760h")`)
	good := &rules.Credit{Class: "A"}
	for _, tc := range []struct {
		name    string
		p       *rules.Program
		in      rules.Input
		approve bool
		reason  string
	}{
		{"small capital, good credit", biz, rules.Input{Form: map[string]any{"capital": "500000"}, Credit: good}, true, "approved"},
		{"capital as a number", biz, rules.Input{Form: map[string]any{"capital": 1000000}, Credit: good}, true, "approved"},
		{"capital too large", biz, rules.Input{Form: map[string]any{"capital": "1000000.01"}, Credit: good}, false, "did not approve"},
		{"class D", biz, rules.Input{Form: map[string]any{"capital": "5"}, Credit: &rules.Credit{Class: "D"}}, false, "did not approve"},
		{"capital missing", biz, rules.Input{Form: map[string]any{}, Credit: good}, false, "form field capital has no value"},
		{"capital blank", biz, rules.Input{Form: map[string]any{"capital": " "}, Credit: good}, false, "form field capital has no value"},
		{"no credit record", biz, rules.Input{Form: map[string]any{"capital": "5"}}, false, "no credit record"},
		{"small unlit sign", sg, rules.Input{Form: map[string]any{"area": "8", "lighted": "否"}}, true, "approved"},
		{"lighted sign", sg, rules.Input{Form: map[string]any{"area": "8", "lighted": "true"}}, false, "did not approve"},
		{"holds the ID card", certs, rules.Input{Certificates: []string{"CT-YYZZ", "CT-SFZ"}, Applicant: &rules.Applicant{Kind: "person"}}, true, "approved"},
		{"lacks the ID card", certs, rules.Input{Certificates: []string{"CT-YYZZ"}, Applicant: &rules.Applicant{Kind: "person"}}, false, "did not approve"},
		{"no applicant data", certs, rules.Input{Certificates: []string{"CT-SFZ"}}, false, "no applicant.kind"},
		{"founded two years ago", date, rules.Input{Form: map[string]any{"founded": "2024-09-01"}}, true, "approved"},
		{"founded last month", date, rules.Input{Form: map[string]any{"founded": "2026-08-31"}}, false, "did not approve"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Now = now
			d, err := tc.p.Eval(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Approve != tc.approve || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("approve %v (%s), want %v (%s)", d.Approve, d.Reason, tc.approve, tc.reason)
			}
			if d.Version != 3 || d.Expr != tc.p.Expr() || !d.Inputs.Now.Equal(now) {
				t.Errorf("record: %+v", d)
			}
		})
	}
}

func TestEvalRecordsConvertedInputs(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	p := mustCompile(t, c, business, businessRule)
	d, err := p.Eval(context.Background(), rules.Input{Form: map[string]any{"capital": "300000", "scope": "餐饮", "unknown": "x"},
		Credit: &rules.Credit{Class: "B"}, Now: now})
	if err != nil || !d.Approve {
		t.Fatalf("%+v %v", d, err)
	}
	want := map[string]any{"capital": 300000.0, "scope": "餐饮"}
	if fmt.Sprint(d.Inputs.Form) != fmt.Sprint(want) || d.Inputs.Credit.Class != "B" || d.Cost == 0 {
		t.Errorf("inputs %v cost %d", d.Inputs.Form, d.Cost)
	}
}

func TestConversionErrors(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	p := mustCompile(t, c, append(append([]rules.Field{}, sign...), rules.Field{Key: "opened", Type: rules.FieldDate}),
		`form.area <= 10.0 && !form.lighted && form.opened < now`)
	d, err := p.Eval(context.Background(), rules.Input{Form: map[string]any{"area": "十", "lighted": "maybe", "opened": "2026/01/02"}, Now: now})
	if d.Approve {
		t.Error("approved on bad input")
	}
	var ie *rules.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want *InputError", err)
	}
	for _, s := range []string{"form.area", "应为数字", "form.lighted", "是", "form.opened", "YYYY-MM-DD"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
	for _, tc := range []struct {
		t  rules.FieldType
		in any
		ok bool
	}{
		{rules.FieldNumber, "1,000,000", true}, {rules.FieldNumber, "NaN", false}, {rules.FieldNumber, "1e400", false},
		{rules.FieldBool, "是", true}, {rules.FieldBool, "1", true}, {rules.FieldDate, "2026-02-30", false},
		{rules.FieldDate, now, true}, {rules.FieldText, 12, false}, {rules.FieldPhone, "13800000000", true},
	} {
		if _, err := rules.Convert(tc.t, tc.in); (err == nil) != tc.ok {
			t.Errorf("Convert(%s, %v): %v", tc.t, tc.in, err)
		}
	}
}

func TestCostLimit(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	// Three nested loops over the certificates cost too much in the worst case.
	_, err := c.Compile(business, rules.Rule{Expr: `certificates.all(a, certificates.all(b, certificates.all(x, a + b + x != "")))`})
	var ce *rules.CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("err = %v, want a cost refusal", err)
	}
	// One loop is fine when compiled, but stops at the limit when the
	// applicant holds far more certificates than the estimate assumes.
	p := mustCompile(t, c, business, `certificates.exists(x, x == "CT-NONE")`)
	many := make([]string, 20000)
	for i := range many {
		many[i] = fmt.Sprintf("CT-%05d", i)
	}
	d, err := p.Eval(context.Background(), rules.Input{Certificates: many, Now: now})
	if err != nil || d.Approve || !strings.Contains(d.Reason, "cost limit exceeded") {
		t.Errorf("decision %+v, err %v", d.Reason, err)
	}
	d, err = p.Eval(context.Background(), rules.Input{Certificates: many[:10], Now: now})
	if err != nil || d.Approve || !strings.Contains(d.Reason, "did not approve") {
		t.Errorf("small input: %+v, err %v", d.Reason, err)
	}
	// A lower limit refuses what the default allows.
	small := rules.NewCompiler(rules.Options{CostLimit: 5})
	if _, err := small.Compile(business, rules.Rule{Expr: `certificates.exists(x, x == "CT-NONE")`}); err == nil {
		t.Error("limit 5 accepted a loop")
	}
}

func TestCache(t *testing.T) {
	c := rules.NewCompiler(rules.Options{CacheSize: 2})
	p1 := mustCompile(t, c, business, businessRule)
	reordered := append([]rules.Field{business[len(business)-1]}, business[:len(business)-1]...)
	p2, err := c.Compile(reordered, rules.Rule{Expr: businessRule, Version: 4})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Hits != 1 || s.Misses != 1 {
		t.Errorf("stats %+v, want one hit and one miss", s)
	}
	if p2.Version() != 4 || p1.Version() != 3 {
		t.Errorf("versions %d %d: a cache hit must keep each caller's version", p1.Version(), p2.Version())
	}
	// Another field type is another signature: a type error now.
	changed := append([]rules.Field{}, business...)
	changed[5].Type = rules.FieldText
	if _, err := c.Compile(changed, rules.Rule{Expr: businessRule}); err == nil {
		t.Error("cache answered for a different field signature")
	}
	// Two more programs push the first out of a cache of two.
	mustCompile(t, c, sign, signRule)
	mustCompile(t, c, sign, `form.area < 5.0`)
	mustCompile(t, c, business, businessRule)
	if s := c.Stats(); s.Hits != 1 || s.Misses != 5 {
		t.Errorf("stats %+v, want the first program evicted", s)
	}
}

func TestTry(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	p := mustCompile(t, c, business, businessRule)
	res := rules.Try(context.Background(), p, now, []rules.Example{
		{Name: "small", Form: map[string]string{"capital": "100"}, Credit: &rules.Credit{Class: "A"}, Want: true},
		{Name: "class D", Form: map[string]string{"capital": "100"}, Credit: &rules.Credit{Class: "D"}, Want: false},
		{Name: "wrong expectation", Form: map[string]string{"capital": "2000000"}, Credit: &rules.Credit{Class: "A"}, Want: true},
		{Name: "bad value", Form: map[string]string{"capital": "many"}, Credit: &rules.Credit{Class: "A"}, Want: false},
	})
	pass := []bool{true, true, false, false}
	for i, r := range res {
		if r.Pass != pass[i] {
			t.Errorf("%s: pass %v, want %v (%s, %v)", r.Example.Name, r.Pass, pass[i], r.Decision.Reason, r.Err)
		}
	}
	if res[3].Err == nil {
		t.Error("bad value: no input error")
	}
}

func TestCancelled(t *testing.T) {
	c := rules.NewCompiler(rules.Options{})
	p := mustCompile(t, c, business, businessRule)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := p.Eval(ctx, rules.Input{Form: map[string]any{"capital": "1"}, Credit: &rules.Credit{Class: "A"}, Now: now})
	if !errors.Is(err, context.Canceled) || d.Approve {
		t.Errorf("%+v %v", d, err)
	}
}

// BenchmarkEval measures one decision of the demo rule, against the
// baseline of converting its inputs with no rule at all.
func BenchmarkEval(b *testing.B) {
	c := rules.NewCompiler(rules.Options{})
	p := mustCompile(b, c, business, businessRule)
	in := rules.Input{Form: map[string]any{"capital": "500000", "scope": "餐饮", "trade_name": "云澜小馆"},
		Credit: &rules.Credit{Class: "A"}, Certificates: []string{"CT-SFZ"}, Now: now}
	ctx := context.Background()
	b.Run("baseline-convert", func(b *testing.B) {
		for b.Loop() {
			for _, f := range business {
				if v, ok := in.Form[f.Key]; ok {
					if _, err := rules.Convert(f.Type, v); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	})
	b.Run("eval", func(b *testing.B) {
		for b.Loop() {
			if d, err := p.Eval(ctx, in); err != nil || !d.Approve {
				b.Fatal(d.Reason, err)
			}
		}
	})
	b.Run("compile-cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.Compile(business, rules.Rule{Expr: businessRule}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
