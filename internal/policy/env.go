package policy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/parser"

	"github.com/yingshang/yingshang/internal/entity"
)

// MaxRuleLength is the longest rule or formula, in bytes.
const MaxRuleLength = 2000

// The value kinds of the fast evaluator.
const (
	kUnknown byte = iota // not known: a fact never reported, or an error
	kNum
	kStr
	kBool
	kList
)

// val is a value as the fast evaluator holds it: every number as a
// float64 (money in yuan), lists as their elements.
type val struct {
	k byte
	b bool
	n float64
	s string
	l []val
}

func num(f float64) val  { return val{k: kNum, n: f} }
func str(s string) val   { return val{k: kStr, s: s} }
func boolean(b bool) val { return val{k: kBool, b: b} }
func strs(ss []string) val {
	l := make([]val, len(ss))
	for i, s := range ss {
		l[i] = str(s)
	}
	return val{k: kList, l: l}
}

// Source groups of a variable, for explanations.
const (
	srcRegister = "register"
	srcFact     = "fact"
	srcCredit   = "credit"
	srcCert     = "certificate"
	srcGrant    = "grant"
	srcToday    = "today"
)

// variable is one name a rule may read.
type variable struct {
	Name    string // as written in a rule: fact.employees
	Label   string
	LabelEn string
	Unit    string
	Group   string   // srcRegister, srcFact, …
	Sources []string // the departments (codes) that report a fact
	Type    *cel.Type
	Money   bool // a money fact: stored in fen, read in yuan
	Int     bool // an integer: handed to CEL as int64
}

// The register's fields and the credit, certificate and grant variables.
var baseVars = []variable{
	{Name: "biz.type", Label: "主体类型", LabelEn: "Business type", Group: srcRegister, Type: cel.StringType},
	{Name: "biz.region", Label: "所在区划", LabelEn: "Region", Group: srcRegister, Type: cel.StringType},
	{Name: "biz.industry", Label: "行业代码", LabelEn: "Industry code", Group: srcRegister, Type: cel.StringType},
	{Name: "biz.capital", Label: "注册资本", LabelEn: "Registered capital", Unit: "元", Group: srcRegister, Type: cel.DoubleType},
	{Name: "biz.established_on", Label: "成立日期", LabelEn: "Established on", Group: srcRegister, Type: cel.StringType},
	{Name: "biz.age_years", Label: "成立年限", LabelEn: "Years since establishment", Unit: "年", Group: srcRegister, Type: cel.IntType, Int: true},
	{Name: "biz.status", Label: "登记状态", LabelEn: "Registration status", Group: srcRegister, Type: cel.StringType},
	{Name: "credit.class", Label: "信用风险分类", LabelEn: "Credit risk class", Group: srcCredit, Type: cel.StringType},
	{Name: "credit.serious", Label: "列入严重违法失信名单", LabelEn: "On the serious violations list", Group: srcCredit, Type: cel.BoolType},
	{Name: "credit.abnormal", Label: "列入经营异常名录", LabelEn: "On the abnormal operations list", Group: srcCredit, Type: cel.BoolType},
	{Name: "certificates", Label: "持有证照", LabelEn: "Certificates held", Group: srcCert, Type: cel.ListType(cel.StringType)},
	{Name: "grants", Label: "已获政策", LabelEn: "Policies granted", Group: srcGrant, Type: cel.ListType(cel.StringType)},
	{Name: "today", Label: "今天", LabelEn: "Today", Group: srcToday, Type: cel.StringType},
}

// Slots of the base variables.
const (
	slotType = iota
	slotRegion
	slotIndustry
	slotCapital
	slotEstablished
	slotAge
	slotStatus
	slotClass
	slotSerious
	slotAbnormal
	slotCerts
	slotGrants
	slotToday
	nBase
)

// envir is the environment of rules over one fact catalogue.
type envir struct {
	env    *cel.Env
	vars   []variable
	byName map[string]int
	facts  map[string]int // catalogue name → slot
	cat    *entity.Catalogue
}

var (
	hasCertificate = cel.GlobalMacro("has_certificate", 1,
		func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
			return eh.NewCall(operators.In, args[0], eh.NewIdent("certificates")), nil
		})
	granted = cel.GlobalMacro("granted", 1,
		func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
			return eh.NewCall(operators.In, args[0], eh.NewIdent("grants")), nil
		})
)

func newEnvir(cat *entity.Catalogue) (*envir, error) {
	e := &envir{byName: map[string]int{}, facts: map[string]int{}, cat: cat}
	e.vars = append(e.vars, baseVars...)
	for _, f := range cat.Facts {
		v := variable{Name: "fact." + f.Name, Label: f.Label, LabelEn: f.LabelEn, Unit: f.Unit, Group: srcFact, Sources: f.Sources}
		switch f.Type {
		case entity.FactInteger:
			v.Type, v.Int = cel.IntType, true
		case entity.FactMoney:
			v.Type, v.Money = cel.DoubleType, true
		case entity.FactBoolean:
			v.Type = cel.BoolType
		default: // text, enum, date (YYYY-MM-DD compares in order)
			v.Type = cel.StringType
		}
		e.facts[f.Name] = len(e.vars)
		e.vars = append(e.vars, v)
	}
	opts := []cel.EnvOption{cel.Macros(hasCertificate, granted), cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(MaxRuleLength), cel.ParserRecursionLimit(32)}
	for i, v := range e.vars {
		e.byName[v.Name] = i
		opts = append(opts, cel.Variable(v.Name, v.Type))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("policy: environment: %w", err)
	}
	e.env = env
	return e, nil
}

// rule is one compiled expression: the CEL program (for explanations and
// for what the fast evaluator does not cover), its tree and the
// variables it reads.
type rule struct {
	src   string
	prg   cel.Program
	root  *node
	reads []int
	fast  bool
}

// compileRule type-checks src, which must give a value of one of want.
// The error is a message for the clause (Chinese first).
func (e *envir) compileRule(src string, want ...*cel.Type) (*rule, string) {
	src = strings.TrimSpace(src)
	if src == "" {
		return nil, "规则不能为空 (the rule is empty)"
	}
	if len(src) > MaxRuleLength {
		return nil, fmt.Sprintf("规则过长，最多%d字节 (at most %d bytes)", MaxRuleLength, MaxRuleLength)
	}
	checked, iss := e.env.Compile(src)
	if iss != nil && iss.Err() != nil {
		var msgs []string
		for _, er := range iss.Errors() {
			msgs = append(msgs, e.explain(er.Message))
		}
		return nil, strings.Join(msgs, "；")
	}
	ok := false
	for _, w := range want {
		if checked.OutputType().IsExactType(w) {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Sprintf("规则的结果应为%s，而不是%s (the rule gives %s)", typeName(want[0]), typeName(checked.OutputType()),
			checked.OutputType())
	}
	prg, err := e.env.Program(checked, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(100000))
	if err != nil {
		return nil, "规则有误 (" + err.Error() + ")"
	}
	r := &rule{src: src, prg: prg}
	nat := checked.NativeRep()
	for _, ref := range nat.ReferenceMap() {
		if ref.Name != "" && ref.Value == nil {
			if i, ok := e.byName[ref.Name]; ok && !slices.Contains(r.reads, i) {
				r.reads = append(r.reads, i)
			}
		}
	}
	slices.Sort(r.reads)
	c := &treeCompiler{e: e, refs: nat.ReferenceMap(), types: nat.TypeMap(), fast: true}
	r.root = c.compile(nat.Expr())
	r.fast = c.fast
	return r, ""
}

func typeName(t *cel.Type) string {
	switch {
	case t.IsExactType(cel.BoolType):
		return "是/否"
	case t.IsExactType(cel.DoubleType), t.IsExactType(cel.IntType):
		return "数字"
	case t.IsExactType(cel.StringType):
		return "文本"
	}
	return t.String()
}

// explain turns a CEL checker message into Chinese followed by the
// English.
func (e *envir) explain(msg string) string {
	if strings.HasPrefix(msg, "undeclared reference to '") {
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "undeclared reference to '"), "'")
		if i := strings.Index(name, "' (in container"); i > 0 {
			name = name[:i]
		}
		return fmt.Sprintf("未知的名称“%s”：名录中没有这项数据（可用 biz.*、fact.*、credit.*、certificates、grants、today） (%s)", name, msg)
	}
	if strings.HasPrefix(msg, "undefined field") {
		return "名录中没有这项数据 (" + msg + ")"
	}
	if strings.HasPrefix(msg, "found no matching overload") {
		return "类型不匹配 (type mismatch: " + msg + ")"
	}
	if strings.HasPrefix(msg, "Syntax error") {
		return "语法错误 (" + msg + ")"
	}
	return "规则有误 (" + msg + ")"
}

// node is one step of a rule as the fast evaluator runs it.
type node struct {
	op   string // and, or, not, cmp, lit, var, in, arith, neg, cond, starts, list
	fn   string // the comparison or arithmetic operator
	kids []*node
	v    val
	slot int
}

type treeCompiler struct {
	e     *envir
	refs  map[int64]*ast.ReferenceInfo
	types map[int64]*types.Type
	fast  bool
}

var cmpOps = map[string]string{operators.Equals: "==", operators.NotEquals: "!=", operators.Less: "<",
	operators.LessEquals: "<=", operators.Greater: ">", operators.GreaterEquals: ">="}

var arithOps = map[string]string{operators.Add: "+", operators.Subtract: "-", operators.Multiply: "*", operators.Divide: "/"}

func (c *treeCompiler) compile(x ast.Expr) *node {
	if r, ok := c.refs[x.ID()]; ok && r.Name != "" && r.Value == nil {
		if i, ok := c.e.byName[r.Name]; ok {
			return &node{op: "var", slot: i}
		}
	}
	switch x.Kind() {
	case ast.LiteralKind:
		return &node{op: "lit", v: literal(x.AsLiteral(), &c.fast)}
	case ast.ListKind:
		n := &node{op: "list"}
		for _, el := range x.AsList().Elements() {
			n.kids = append(n.kids, c.compile(el))
		}
		return n
	case ast.CallKind:
		call := x.AsCall()
		fn, args := call.FunctionName(), call.Args()
		kids := func() []*node {
			var ks []*node
			if call.IsMemberFunction() {
				ks = append(ks, c.compile(call.Target()))
			}
			for _, a := range args {
				ks = append(ks, c.compile(a))
			}
			return ks
		}
		switch {
		case fn == operators.LogicalAnd:
			return &node{op: "and", kids: kids()}
		case fn == operators.LogicalOr:
			return &node{op: "or", kids: kids()}
		case fn == operators.LogicalNot:
			return &node{op: "not", kids: kids()}
		case cmpOps[fn] != "":
			return &node{op: "cmp", fn: cmpOps[fn], kids: kids()}
		case fn == operators.Divide:
			if t := c.types[x.ID()]; t == nil || !t.IsExactType(types.DoubleType) {
				c.fast = false // integer division: left to CEL
			}
			return &node{op: "arith", fn: "/", kids: kids()}
		case arithOps[fn] != "":
			return &node{op: "arith", fn: arithOps[fn], kids: kids()}
		case fn == operators.Negate:
			return &node{op: "neg", kids: kids()}
		case fn == operators.In:
			return &node{op: "in", kids: kids()}
		case fn == operators.Conditional:
			return &node{op: "cond", kids: kids()}
		case fn == "startsWith" && call.IsMemberFunction():
			return &node{op: "starts", kids: kids()}
		case fn == "double" || fn == "int":
			if len(args) == 1 {
				return c.compile(args[0])
			}
		}
	}
	c.fast = false
	return &node{op: "cel"}
}

func literal(v ref.Val, fast *bool) val {
	switch x := v.Value().(type) {
	case bool:
		return boolean(x)
	case int64:
		return num(float64(x))
	case uint64:
		return num(float64(x))
	case float64:
		return num(x)
	case string:
		return str(x)
	}
	*fast = false
	return val{}
}

// eval runs the node over in.
func (n *node) eval(in *inputs) val {
	switch n.op {
	case "var":
		return in.vals[n.slot]
	case "lit":
		return n.v
	case "and":
		unknown := false
		for _, k := range n.kids {
			v := k.eval(in)
			if v.k == kBool && !v.b {
				return boolean(false)
			}
			if v.k != kBool {
				unknown = true
			}
		}
		if unknown {
			return val{}
		}
		return boolean(true)
	case "or":
		unknown := false
		for _, k := range n.kids {
			v := k.eval(in)
			if v.k == kBool && v.b {
				return boolean(true)
			}
			if v.k != kBool {
				unknown = true
			}
		}
		if unknown {
			return val{}
		}
		return boolean(false)
	case "not":
		v := n.kids[0].eval(in)
		if v.k != kBool {
			return val{}
		}
		return boolean(!v.b)
	case "cmp":
		a, b := n.kids[0].eval(in), n.kids[1].eval(in)
		if a.k == kUnknown || b.k == kUnknown || a.k != b.k {
			return val{}
		}
		var c int
		switch a.k {
		case kNum:
			c = cmpFloat(a.n, b.n)
		case kStr:
			c = strings.Compare(a.s, b.s)
		case kBool:
			if n.fn != "==" && n.fn != "!=" {
				return val{}
			}
			if a.b != b.b {
				c = 1
			}
		default:
			return val{}
		}
		switch n.fn {
		case "==":
			return boolean(c == 0)
		case "!=":
			return boolean(c != 0)
		case "<":
			return boolean(c < 0)
		case "<=":
			return boolean(c <= 0)
		case ">":
			return boolean(c > 0)
		default:
			return boolean(c >= 0)
		}
	case "arith":
		a, b := n.kids[0].eval(in), n.kids[1].eval(in)
		if a.k == kStr && b.k == kStr && n.fn == "+" {
			return str(a.s + b.s)
		}
		if a.k != kNum || b.k != kNum {
			return val{}
		}
		switch n.fn {
		case "+":
			return num(a.n + b.n)
		case "-":
			return num(a.n - b.n)
		case "*":
			return num(a.n * b.n)
		default:
			if b.n == 0 {
				return val{}
			}
			return num(a.n / b.n)
		}
	case "neg":
		v := n.kids[0].eval(in)
		if v.k != kNum {
			return val{}
		}
		return num(-v.n)
	case "in":
		a, l := n.kids[0].eval(in), n.kids[1].eval(in)
		if a.k == kUnknown || l.k != kList {
			return val{}
		}
		for _, x := range l.l {
			if x.k == a.k && (x.k == kStr && x.s == a.s || x.k == kNum && x.n == a.n || x.k == kBool && x.b == a.b) {
				return boolean(true)
			}
		}
		return boolean(false)
	case "list":
		l := val{k: kList, l: make([]val, len(n.kids))}
		for i, k := range n.kids {
			l.l[i] = k.eval(in)
		}
		return l
	case "cond":
		c := n.kids[0].eval(in)
		if c.k != kBool {
			return val{}
		}
		if c.b {
			return n.kids[1].eval(in)
		}
		return n.kids[2].eval(in)
	case "starts":
		a, b := n.kids[0].eval(in), n.kids[1].eval(in)
		if a.k != kStr || b.k != kStr {
			return val{}
		}
		return boolean(strings.HasPrefix(a.s, b.s))
	}
	return val{}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run evaluates the rule over in: with the fast evaluator when the rule
// is within what it covers, else with CEL.
func (r *rule) run(e *envir, in *inputs) val {
	if r.fast {
		return r.root.eval(in)
	}
	return r.runCEL(e, in)
}

// runCEL evaluates the rule with CEL over an activation of the values
// the rule reads; a value not known is absent, so reading it is an error
// and the result unknown.
func (r *rule) runCEL(e *envir, in *inputs) val {
	act := make(map[string]any, len(r.reads))
	for _, i := range r.reads {
		v := in.vals[i]
		if v.k == kUnknown {
			continue
		}
		act[e.vars[i].Name] = v.native(e.vars[i])
	}
	out, _, err := r.prg.Eval(act)
	if err != nil || types.IsError(out) {
		return val{}
	}
	switch x := out.Value().(type) {
	case bool:
		return boolean(x)
	case int64:
		return num(float64(x))
	case float64:
		return num(x)
	case string:
		return str(x)
	}
	return val{}
}

func (v val) native(vr variable) any {
	switch v.k {
	case kNum:
		if vr.Int {
			return int64(v.n)
		}
		return v.n
	case kStr:
		return v.s
	case kBool:
		return v.b
	case kList:
		out := make([]string, len(v.l))
		for i, x := range v.l {
			out[i] = x.s
		}
		return out
	}
	return nil
}

// display is the value as a person reads it.
func (v val) display(vr variable) string {
	switch v.k {
	case kNum:
		if vr.Money {
			return strconv.FormatFloat(v.n, 'f', 2, 64)
		}
		if v.n == math.Trunc(v.n) && math.Abs(v.n) < 1e15 {
			return strconv.FormatInt(int64(v.n), 10)
		}
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case kStr:
		if v.s == "" {
			return "（空）"
		}
		return v.s
	case kBool:
		if v.b {
			return "是"
		}
		return "否"
	case kList:
		if len(v.l) == 0 {
			return "（无）"
		}
		ss := make([]string, len(v.l))
		for i, x := range v.l {
			ss[i] = x.s
		}
		return strings.Join(ss, "、")
	}
	return "未报送"
}
