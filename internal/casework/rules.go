package casework

import (
	"context"
	"time"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/rules"
)

// RuleEvaluator decides instant approvals (秒批): it evaluates an item's
// approval rule against an application. CEL is the implementation on
// package rules; tests may use small fakes.
type RuleEvaluator interface {
	Evaluate(ctx context.Context, rule catalog.ApprovalRule, fields []catalog.FormField, in RuleInput) (RuleOutcome, error)
}

// RuleInput is what a rule may read: the form (typed values), the
// applicant's credit, the certificate types the applicant holds in force
// (catalogue codes, such as "CT-YYZZ", and the certificate module's), the
// applicant and the time of decision.
type RuleInput struct {
	Form             map[string]any
	Credit           string
	SeriousViolation bool
	Certificates     []string
	ApplicantKind    ApplicantKind
	Region           string
	Agent            bool
	Now              time.Time
}

// RuleOutcome is a rule's answer. Approve false means the rule could not
// decide (or said no): a human decides. Used holds the inputs the rule
// read, recorded with the decision.
type RuleOutcome struct {
	Approve bool
	Used    any
}

// RuleFunc adapts a function to RuleEvaluator.
type RuleFunc func(ctx context.Context, rule catalog.ApprovalRule, fields []catalog.FormField, in RuleInput) (RuleOutcome, error)

// Evaluate calls f.
func (f RuleFunc) Evaluate(ctx context.Context, rule catalog.ApprovalRule, fields []catalog.FormField, in RuleInput) (RuleOutcome, error) {
	return f(ctx, rule, fields, in)
}

// CEL evaluates approval rules with package rules (CEL expressions,
// type-checked against the item's fields, compiled once and cached).
type CEL struct {
	Compiler *rules.Compiler
}

// NewCEL returns a CEL evaluator with the default limits.
func NewCEL() CEL { return CEL{Compiler: rules.NewCompiler(rules.Options{})} }

// Evaluate implements RuleEvaluator. A rule that does not compile is an
// error (the caller leaves the application to a person); a form value that
// does not fit its field cannot occur, the form being checked first.
func (c CEL) Evaluate(ctx context.Context, rule catalog.ApprovalRule, fields []catalog.FormField, in RuleInput) (RuleOutcome, error) {
	fs := make([]rules.Field, len(fields))
	for i, f := range fields {
		fs[i] = rules.Field{Key: f.Key, Type: rules.FieldType(f.Type)}
	}
	p, err := c.Compiler.Compile(fs, rules.Rule{Expr: rule.Expr, Version: rule.Version})
	if err != nil {
		return RuleOutcome{}, err
	}
	d, err := p.Eval(ctx, rules.Input{Form: in.Form,
		Credit:       &rules.Credit{Class: in.Credit, SeriousViolation: in.SeriousViolation},
		Certificates: in.Certificates, Applicant: &rules.Applicant{Kind: string(in.ApplicantKind), Region: in.Region}, Now: in.Now})
	if err != nil {
		return RuleOutcome{}, err
	}
	return RuleOutcome{Approve: d.Approve, Used: d.Inputs}, nil
}
