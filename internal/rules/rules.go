// Package rules compiles and evaluates instant-approval (秒批) rules: CEL
// expressions over an application's form data and the data the platform
// shares about the applicant (credit class, held e-certificates, kind and
// region). A rule either approves an application at once, with no human, or
// leaves it to a person; it never refuses one.
//
// A rule sees these variables:
//
//	form          the item's form fields, each typed by its field type:
//	              number → double, bool → bool, date → timestamp (midnight
//	              China Standard Time of the day), every other type → string
//	credit        class (string "A"–"D"), serious_violation (bool), abnormal (bool)
//	certificates  list(string): type codes of the applicant's valid e-certificates
//	applicant     kind (string "person" or "enterprise"), region (GB/T 2260 code)
//	now           timestamp of the evaluation
//
// and the function has_certificate("CT-YYZZ"), shorthand for
// "CT-YYZZ" in certificates. Numbers of different kinds compare with each
// other, so form.capital <= 1000000 type-checks although capital is a double.
// A date field is a timestamp so that rules can do arithmetic with now, as
// in now - form.founded >= duration("8760h").
//
// Rules are type-checked against the item's fields: an unknown field, a
// comparison of a number with text or a result that is not bool is a
// *CompileError naming the line and column. A rule whose estimated cost
// exceeds the Compiler's limit is refused too, and evaluation stops at the
// same limit.
package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
)

// FieldType is the type of a form field, spelled as in the catalogue.
type FieldType string

// The field types a rule understands.
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
	// FieldChoices is several options chosen at once: a list of strings
	// in a rule (`"热食类食品制售" in form.items`).
	FieldChoices FieldType = "choices"
)

// celType is the CEL type a field of type t has in form, or nil when t is
// unknown.
func (t FieldType) celType() *cel.Type {
	switch t {
	case FieldNumber:
		return cel.DoubleType
	case FieldBool:
		return cel.BoolType
	case FieldDate:
		return cel.TimestampType
	case FieldText, FieldChoice, FieldAddress, FieldUSCC, FieldIDNumber, FieldPhone:
		return cel.StringType
	case FieldChoices:
		return cel.ListType(cel.StringType)
	}
	return nil
}

// Field is what a rule knows of one form field: its key (form.<key>) and
// type. The package takes this small type rather than the catalogue's so
// that the catalogue can use it.
type Field struct {
	Key  string
	Type FieldType
}

// Rule is an expression and the version the catalogue gave it; the
// version is recorded with every decision.
type Rule struct {
	Expr    string
	Version int
}

// Limits. DefaultCostLimit allows a comparison of every form field and a
// scan of the certificates many times over, while refusing the nested
// loops that could stall a submission.
const (
	DefaultCostLimit = 10000
	DefaultCacheSize = 256
	// MaxExprLength is the longest expression accepted, in bytes.
	MaxExprLength = 2000
	// The sizes the cost estimate assumes: the longest text in a form
	// field (the catalogue's limit on free text) and the number of
	// certificates an applicant holds.
	assumedTextSize     = 4000
	assumedCertificates = 100
)

// Options configure a Compiler.
type Options struct {
	// CostLimit bounds a rule's cost in CEL cost units: a rule whose
	// estimated worst case exceeds it is refused by Compile, and
	// evaluation stops when it is reached. Zero means DefaultCostLimit.
	CostLimit uint64
	// CacheSize bounds the number of compiled programs kept; zero means
	// DefaultCacheSize.
	CacheSize int
}

// Compiler type-checks rules and keeps the compiled programs, keyed by
// expression and field signature, in a bounded cache. It is safe for
// concurrent use; one Compiler serves a whole process.
type Compiler struct {
	limit uint64

	mu       sync.Mutex
	programs *lru[*compiled]
	envs     *lru[*cel.Env]
	hits     uint64
	misses   uint64
}

// NewCompiler returns a Compiler with options o.
func NewCompiler(o Options) *Compiler {
	if o.CostLimit == 0 {
		o.CostLimit = DefaultCostLimit
	}
	if o.CacheSize <= 0 {
		o.CacheSize = DefaultCacheSize
	}
	return &Compiler{limit: o.CostLimit, programs: newLRU[*compiled](o.CacheSize), envs: newLRU[*cel.Env](max(o.CacheSize/4, 8))}
}

// CostLimit returns the cost limit of c.
func (c *Compiler) CostLimit() uint64 { return c.limit }

// CacheStats counts the compilations the cache answered (Hits) and those
// it did not (Misses).
type CacheStats struct{ Hits, Misses uint64 }

// Stats returns the cache statistics of c.
func (c *Compiler) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses}
}

// Program is a compiled rule, ready to evaluate. It is immutable and safe
// for concurrent use.
type Program struct {
	*compiled
	version int
}

// compiled is what the cache shares between rules with the same
// expression and field signature.
type compiled struct {
	expr     string
	fields   []Field
	prg      cel.Program
	min, max uint64 // estimated cost
}

// Expr returns the rule's expression.
func (p *Program) Expr() string { return p.expr }

// Version returns the rule's version.
func (p *Program) Version() int { return p.version }

// Fields returns the form fields the rule was checked against.
func (p *Program) Fields() []Field { return slices.Clone(p.fields) }

// EstimatedCost returns the least and greatest cost the rule can have.
func (p *Program) EstimatedCost() (min, max uint64) { return p.min, p.max }

// signature identifies a set of fields regardless of order.
func signature(fields []Field) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Key + ":" + string(f.Type)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// Compile type-checks rule r against fields and returns its program. A
// rule that does not parse, refers to unknown fields or variables,
// mismatches types, does not yield bool or costs too much fails with a
// *CompileError. Fields with an unknown type or a duplicate key fail with
// a plain error: they are the catalogue's mistake, not the rule's.
func (c *Compiler) Compile(fields []Field, r Rule) (*Program, error) {
	expr := strings.TrimSpace(r.Expr)
	if expr == "" {
		return nil, &CompileError{Expr: expr, Issues: []Issue{{Line: 1, Column: 1, Message: "规则不能为空 (the rule is empty)"}}}
	}
	if len(expr) > MaxExprLength {
		return nil, &CompileError{Expr: expr, Issues: []Issue{{Line: 1, Column: 1,
			Message: fmt.Sprintf("规则不能超过 %d 个字节 (at most %d bytes)", MaxExprLength, MaxExprLength)}}}
	}
	sig := signature(fields)
	key := sig + "\x00" + expr
	c.mu.Lock()
	if p, ok := c.programs.get(key); ok {
		c.hits++
		c.mu.Unlock()
		return &Program{compiled: p, version: r.Version}, nil
	}
	c.misses++
	env, ok := c.envs.get(sig)
	c.mu.Unlock()
	if !ok {
		var err error
		if env, err = newEnv(fields); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.envs.put(sig, env)
		c.mu.Unlock()
	}
	p, err := c.compile(env, fields, expr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.programs.put(key, p)
	c.mu.Unlock()
	return &Program{compiled: p, version: r.Version}, nil
}

// compile checks expr in env and plans its program.
func (c *Compiler) compile(env *cel.Env, fields []Field, expr string) (*compiled, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, compileError(expr, fields, iss.Errors())
	}
	if issue, ok := constructs(ast); ok {
		return nil, &CompileError{Expr: expr, Issues: []Issue{issue}}
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, &CompileError{Expr: expr, Issues: []Issue{{Line: 1, Column: 1,
			Message: fmt.Sprintf("规则的结果须为“是/否”，此规则的结果是 %s (a rule must have type bool, not %s)",
				typeName(ast.OutputType().String()), ast.OutputType())}}}
	}
	est, err := env.EstimateCost(ast, estimator{})
	if err != nil {
		return nil, fmt.Errorf("rules: estimate cost of %q: %w", expr, err)
	}
	if est.Max > c.limit {
		return nil, &CompileError{Expr: expr, Issues: []Issue{{Line: 1, Column: 1,
			Message: fmt.Sprintf("规则过于复杂：最坏情况成本 %d，上限 %d (estimated worst-case cost %d exceeds the limit %d)", est.Max, c.limit, est.Max, c.limit)}}}
	}
	prg, err := env.Program(ast, cel.CostLimit(c.limit), cel.InterruptCheckFrequency(100), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("rules: plan %q: %w", expr, err)
	}
	return &compiled{expr: expr, fields: slices.Clone(fields), prg: prg, min: est.Min, max: est.Max}, nil
}

// constructs reports the first object literal in a, such as
// yingshang.Form{...}: a rule reads the application's data, it does not
// make up its own.
func constructs(a *cel.Ast) (Issue, bool) {
	var found celast.Expr
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if found == nil && e.Kind() == celast.StructKind {
			found = e
		}
	}))
	if found == nil {
		return Issue{}, false
	}
	loc := a.NativeRep().SourceInfo().GetStartLocation(found.ID())
	return Issue{Line: max(loc.Line(), 1), Column: loc.Column() + 1,
		Message: fmt.Sprintf("规则不能构造对象 %s (a rule may not construct objects)", found.AsStruct().TypeName())}, true
}
