package rules

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/parser"
)

// The object types of the variables. They exist only inside a rule's
// environment; no rule can construct them.
const (
	formType      = "yingshang.Form"
	creditType    = "yingshang.Credit"
	applicantType = "yingshang.Applicant"
)

// The variable names.
const (
	varForm         = "form"
	varCredit       = "credit"
	varCertificates = "certificates"
	varApplicant    = "applicant"
	varNow          = "now"
)

// structs describes the object types: type name → field name → field.
type structs map[string]map[string]*types.FieldType

// provider adds the object types of one field signature to a registry, so
// the checker knows form.capital is a double and form.capitl does not
// exist. At run time an object is a map[string]any holding the fields that
// have a value; reading one that has none is an error, which makes the rule
// undecided.
type provider struct {
	types.Provider
	structs structs
	names   map[string][]string
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if n, ok := p.names[name]; ok {
		return n, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if fs, ok := p.structs[name]; ok {
		f, ok := fs[field]
		return f, ok
	}
	return p.Provider.FindStructFieldType(name, field)
}

func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.structs[name]; ok {
		return types.NewErr("rules: %s cannot be constructed", name)
	}
	return p.Provider.NewValue(name, fields)
}

// field describes the field key of an object kind (what is missing is
// named in the error) of CEL type t.
func field(kind, key string, t *types.Type) *types.FieldType {
	return &types.FieldType{
		Type: t,
		IsSet: func(target any) bool {
			m, ok := target.(map[string]any)
			if !ok {
				return false
			}
			_, ok = m[key]
			return ok
		},
		GetFrom: func(target any) (any, error) {
			m, ok := target.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s is %T, not an object", kind, target)
			}
			v, ok := m[key]
			if !ok {
				return nil, &missingError{kind: kind, key: key}
			}
			return v, nil
		},
	}
}

// missingError is the evaluation error of reading a value the input does
// not have.
type missingError struct{ kind, key string }

func (e *missingError) Error() string {
	switch e.kind {
	case varForm:
		return fmt.Sprintf("表单未填写 %s (form field %s has no value)", e.key, e.key)
	case varCredit:
		return fmt.Sprintf("没有申请人的信用信息 (no credit record: %s)", e.key)
	default:
		return fmt.Sprintf("没有申请人的 %s 信息 (no %s.%s)", e.key, e.kind, e.key)
	}
}

// newEnv returns the environment of rules over fields.
func newEnv(fields []Field) (*cel.Env, error) {
	form := map[string]*types.FieldType{}
	for _, f := range fields {
		t := f.Type.celType()
		if t == nil {
			return nil, fmt.Errorf("rules: field %s has unknown type %q", f.Key, f.Type)
		}
		if _, dup := form[f.Key]; dup {
			return nil, fmt.Errorf("rules: duplicate field %s", f.Key)
		}
		form[f.Key] = field(varForm, f.Key, t)
	}
	p := &provider{structs: structs{
		formType: form,
		creditType: {
			"class":             field(varCredit, "class", types.StringType),
			"serious_violation": field(varCredit, "serious_violation", types.BoolType),
			"abnormal":          field(varCredit, "abnormal", types.BoolType),
		},
		applicantType: {
			"kind":   field(varApplicant, "kind", types.StringType),
			"region": field(varApplicant, "region", types.StringType),
		},
	}, names: map[string][]string{}}
	for name, fs := range p.structs {
		for k := range fs {
			p.names[name] = append(p.names[name], k)
		}
	}
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, fmt.Errorf("rules: registry: %w", err)
	}
	p.Provider = reg
	env, err := cel.NewEnv(
		cel.CustomTypeProvider(p),
		cel.Variable(varForm, cel.ObjectType(formType)),
		cel.Variable(varCredit, cel.ObjectType(creditType)),
		cel.Variable(varApplicant, cel.ObjectType(applicantType)),
		cel.Variable(varCertificates, cel.ListType(cel.StringType)),
		cel.Variable(varNow, cel.TimestampType),
		cel.Macros(hasCertificate),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(MaxExprLength),
		cel.ParserRecursionLimit(64),
	)
	if err != nil {
		return nil, fmt.Errorf("rules: environment: %w", err)
	}
	return env, nil
}

// hasCertificate expands has_certificate(code) into code in certificates,
// so it is checked and costed like the operator.
var hasCertificate = cel.GlobalMacro("has_certificate", 1,
	func(eh parser.ExprHelper, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		return eh.NewCall(operators.In, args[0], eh.NewIdent(varCertificates)), nil
	})

// estimator tells the cost estimate how large the inputs can be: form text
// up to assumedTextSize characters, up to assumedCertificates certificates.
type estimator struct{}

func (estimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	path := n.Path()
	if len(path) == 0 {
		return nil
	}
	var s cost.SizeEstimate
	switch {
	case len(path) == 1 && path[0] == varCertificates:
		s = cost.RangedSizeEstimate(0, assumedCertificates)
	case len(path) == 2 && path[0] == varCertificates:
		s = cost.RangedSizeEstimate(0, 64)
	case len(path) == 2 && n.Type() != nil && n.Type().IsExactType(types.StringType):
		s = cost.RangedSizeEstimate(0, assumedTextSize)
	default:
		return nil
	}
	return &s
}

func (estimator) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}
