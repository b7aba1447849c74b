package warning

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
)

//go:embed rules.json
var defaultRules []byte

// Rule kinds: what a rule looks at.
const (
	KindRiskClass      = "risk_class"       // 信用风险分类降为 C/D
	KindComplaints     = "complaints"       // N complaints within M days
	KindLicenceExpiry  = "licence_expiry"   // a licence or certificate expires within N days
	KindAnnualReport   = "annual_report"    // annual report not filed by a date
	KindSharedLegalRep = "shared_legal_rep" // legal representative on the serious list elsewhere
)

var kinds = []string{KindRiskClass, KindComplaints, KindLicenceExpiry, KindAnnualReport, KindSharedLegalRep}

// Rule is one warning rule, data rather than code, so a province may change
// thresholds, limits and departments without a release.
type Rule struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	// Department is the code of the department a warning goes to; empty
	// sends it to the department of the record that raised it.
	Department string `json:"department"`
	// LimitWorkingDays is the time the department has to handle a warning.
	LimitWorkingDays int `json:"limit_working_days"`
	// Prompt shows the warning to the business as a risk prompt (风险提示).
	Prompt bool `json:"prompt"`
	// Count and WithinDays: complaints (Count within WithinDays days);
	// WithinDays alone: licence expiry (expires within WithinDays days).
	Count      int `json:"count,omitempty"`
	WithinDays int `json:"within_days,omitempty"`
	// Classes are the risk classes that warn (risk_class).
	Classes []string `json:"classes,omitempty"`
	// Deadline (MM-DD) is the day of the year by which last year's annual
	// report is due (企业信息公示暂行条例 第八条: 1 January – 30 June).
	Deadline string `json:"deadline,omitempty"`
	// Disabled switches a national rule off in a province.
	Disabled bool `json:"disabled,omitempty"`
}

// Rules are the rules in force, in order.
type Rules struct {
	List []Rule `json:"rules"`
}

// DefaultRules returns the national defaults.
func DefaultRules() *Rules {
	r, err := parse(defaultRules, nil)
	if err != nil {
		panic("warning: embedded rules: " + err.Error())
	}
	return r
}

// ParseRules reads a province's file over the national defaults: a rule
// with a known id replaces the fields it sets, a new id adds a rule. The
// result is validated; an error names the rule and field.
func ParseRules(data []byte) (*Rules, error) {
	return parse(data, DefaultRules())
}

func parse(data []byte, base *Rules) (*Rules, error) {
	var in struct {
		Rules []json.RawMessage `json:"rules"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("warning rules: %w", err)
	}
	out := &Rules{}
	if base != nil {
		out.List = slices.Clone(base.List)
	}
	for i, raw := range in.Rules {
		var probe struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, fmt.Errorf("warning rules: rules[%d]: %w", i, err)
		}
		j := slices.IndexFunc(out.List, func(r Rule) bool { return r.ID == probe.ID })
		var r Rule
		if j >= 0 {
			r = out.List[j]
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		if err := d.Decode(&r); err != nil {
			return nil, fmt.Errorf("warning rules: rules[%d] (%s): %w", i, probe.ID, err)
		}
		if j >= 0 {
			out.List[j] = r
		} else {
			out.List = append(out.List, r)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

var (
	ruleID       = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	monthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	monthDay     = regexp.MustCompile(`^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
)

// Validate checks every rule and names the first fault.
func (rs *Rules) Validate() error {
	seen := map[string]bool{}
	for i, r := range rs.List {
		bad := func(field, msg string) error {
			return fmt.Errorf("warning rules: rules[%d] (%s).%s: %s", i, r.ID, field, msg)
		}
		if !ruleID.MatchString(r.ID) {
			return bad("id", "must be lower-case letters, digits and _ (规则标识不合法)")
		}
		if seen[r.ID] {
			return bad("id", "duplicate (规则标识重复)")
		}
		seen[r.ID] = true
		if !slices.Contains(kinds, r.Kind) {
			return bad("kind", fmt.Sprintf("unknown kind %q (未知的规则类型)", r.Kind))
		}
		if r.Name == "" {
			return bad("name", "required (名称必填)")
		}
		if r.LimitWorkingDays < 1 || r.LimitWorkingDays > 60 {
			return bad("limit_working_days", "must be 1–60 working days (处理时限须为1至60个工作日)")
		}
		switch r.Kind {
		case KindComplaints:
			if r.Count < 2 || r.Count > 100 {
				return bad("count", "must be 2–100 (次数须为2至100)")
			}
			if r.WithinDays < 1 || r.WithinDays > 366 {
				return bad("within_days", "must be 1–366 days (天数须为1至366)")
			}
		case KindLicenceExpiry:
			if r.WithinDays < 1 || r.WithinDays > 366 {
				return bad("within_days", "must be 1–366 days (天数须为1至366)")
			}
		case KindRiskClass:
			if len(r.Classes) == 0 {
				return bad("classes", "required (须列出预警的风险类别)")
			}
			for _, c := range r.Classes {
				if !slices.Contains([]string{"A", "B", "C", "D"}, c) {
					return bad("classes", fmt.Sprintf("unknown class %q (风险类别须为A、B、C、D)", c))
				}
			}
		case KindAnnualReport:
			if !monthDay.MatchString(r.Deadline) {
				return bad("deadline", "must be MM-DD (截止日期格式须为MM-DD)")
			}
		}
	}
	return nil
}

// Rule returns the rule with id, or nil.
func (rs *Rules) Rule(id string) *Rule {
	for i := range rs.List {
		if rs.List[i].ID == id {
			return &rs.List[i]
		}
	}
	return nil
}
