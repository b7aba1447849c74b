package rules

import (
	"context"
	"time"
)

// Example is a made-up application staff try a rule on, with the outcome
// they expect: Want true when the rule should approve it.
type Example struct {
	Name         string            `json:"name"`
	Form         map[string]string `json:"form"`
	Credit       *Credit           `json:"credit,omitempty"`
	Certificates []string          `json:"certificates,omitempty"`
	Applicant    *Applicant        `json:"applicant,omitempty"`
	Want         bool              `json:"want"`
}

// ExampleResult is what a rule did with an example. Err is an input error
// (a form value that does not fit its field); Pass reports that the
// decision is the one wanted and there was no error.
type ExampleResult struct {
	Example  Example
	Decision Decision
	Err      error
	Pass     bool
}

// Try evaluates p over each example at time now.
func Try(ctx context.Context, p *Program, now time.Time, examples []Example) []ExampleResult {
	out := make([]ExampleResult, len(examples))
	for i, ex := range examples {
		form := make(map[string]any, len(ex.Form))
		for k, v := range ex.Form {
			form[k] = v
		}
		d, err := p.Eval(ctx, Input{Form: form, Credit: ex.Credit, Certificates: ex.Certificates, Applicant: ex.Applicant, Now: now})
		out[i] = ExampleResult{Example: ex, Decision: d, Err: err, Pass: err == nil && d.Approve == ex.Want}
	}
	return out
}
